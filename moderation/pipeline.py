"""``Pipeline.screen(items)``: text → rules → models (batched) → policy → verdicts.

Models load lazily, once per Pipeline, on the first ``screen()`` (or ``warm()``). The
community model is required: if it cannot be loaded every verdict is HOLD with the reason
"screening unavailable: ..." (fail closed; a failed load is retried after
``RETRY_SECONDS``). Detoxify's general model is optional: if it cannot be loaded (offline,
no cached weights) the pipeline says so once in the log and in ``status()`` and carries on.

For tests and embedding, the models can be injected: ``community_model=`` and
``toxicity_model=`` accept an object with ``predict(texts) -> list[dict]`` or a zero-argument
callable returning one (it may raise to simulate an unavailable model).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from moderation.policy import decide, merged_thresholds
from moderation.rules import RulesError, RuleSet, load_rules
from moderation.text import ParsedText, addressed_text, parse
from moderation.types import Action, Decision, Item, RuleHit, Verdict

log = logging.getLogger("moderation")

DEFAULT_MODEL_PATH = "instance/moderation/community.ckpt"
DEFAULT_TOXICITY_MODEL = "original-small"
RETRY_SECONDS = 30.0


class Scorer(Protocol):
    def predict(self, texts: list[str]) -> list[dict[str, float]]: ...


ModelSource = Scorer | Callable[[], Scorer | None] | None


def default_model_path() -> Path:
    return Path(os.environ.get("MODERATION_MODEL") or DEFAULT_MODEL_PATH)


def default_toxicity_spec() -> str:
    return os.environ.get("MODERATION_TOXICITY_MODEL") or DEFAULT_TOXICITY_MODEL


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return " ".join(text.split())[:300]


class _Slot:
    """One lazily loaded model and what happened when loading it.

    A failed load is tried again after ``retry`` seconds, or at once when ``source`` (the
    checkpoint file's identity) has changed since: a model that is being built is used as
    soon as its file appears.
    """

    def __init__(
        self,
        kind: str,
        loader: Callable[[], Scorer | None],
        retry: float | None,
        source: Callable[[], object] | None = None,
    ):
        self.kind = kind
        self.loader = loader
        self.retry = retry
        self.source = source or (lambda: None)
        self.source_at_failure: object = None
        self.model: Scorer | None = None
        self.error: str | None = None
        self.attempted = False
        self.failed_at = 0.0
        self.load_seconds: float | None = None
        self.lock = threading.Lock()

    def get(self) -> Scorer | None:
        if self.model is not None:
            return self.model
        with self.lock:
            if self.model is not None:
                return self.model
            if (
                self.attempted
                and (self.retry is None or time.monotonic() - self.failed_at < self.retry)
                and self.source() == self.source_at_failure
            ):
                return None
            self.attempted = True
            started = time.monotonic()
            try:
                model = self.loader()
            except Exception as exc:  # any loading failure means "unavailable", never a crash
                self.failed_at = time.monotonic()
                self.source_at_failure = self.source()
                message = _describe(exc)
                if message != self.error:
                    log.warning("%s model unavailable: %s", self.kind, message)
                self.error = message
                return None
            self.load_seconds = time.monotonic() - started
            self.model = model
            self.error = None if model is not None else self.error
            return model


class Pipeline:
    def __init__(
        self,
        community_model_path: str | os.PathLike[str] | None = None,
        toxicity_model: str | ModelSource = None,
        rules_path: str | os.PathLike[str] | None = None,
        *,
        community_model: ModelSource = None,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.community_model_path = (
            Path(community_model_path) if community_model_path else default_model_path()
        )
        self.rules_path = Path(rules_path) if rules_path else None
        merged_thresholds(thresholds)  # an unknown key fails here, not at the first post
        self._threshold_overrides = dict(thresholds or {})
        self._community_injected = community_model is not None
        self._community = _Slot(
            "community",
            self._community_loader(community_model),
            RETRY_SECONDS,
            source=None if community_model is not None else self._checkpoint_identity,
        )

        if toxicity_model is None or isinstance(toxicity_model, str):
            self.toxicity_spec = toxicity_model or default_toxicity_spec()
            self._toxicity = _Slot("toxicity", self._toxicity_loader_by_spec(), None)
        else:
            self.toxicity_spec = "injected"
            self._toxicity = _Slot("toxicity", self._injected_loader(toxicity_model), None)
        self._rules: RuleSet | None = None
        self._rules_error: str | None = None
        self._toxicity_disabled_logged = False

    @property
    def thresholds(self) -> dict[str, float]:
        """The built-in thresholds, then those tuned for the loaded community model's own
        build (moderation.calibration), then any passed in: each overrides the one before."""
        calibrated = getattr(self._community.model, "thresholds", None) or {}
        return merged_thresholds({**calibrated, **self._threshold_overrides})

    def thresholds_source(self) -> str:
        model = self._community.model
        if self._threshold_overrides:
            return "given"
        return "calibrated" if getattr(model, "thresholds", None) else "built-in"

    # --- loading -------------------------------------------------------------------------

    @staticmethod
    def _injected_loader(source: ModelSource) -> Callable[[], Scorer | None]:
        if source is not None and hasattr(source, "predict"):
            return lambda: source  # type: ignore[return-value]
        if callable(source):
            return source
        raise TypeError("a model must have predict(texts) or be a callable returning one")

    def _community_loader(self, source: ModelSource) -> Callable[[], Scorer | None]:
        if source is not None:
            return self._injected_loader(source)
        path = self.community_model_path

        def load() -> Scorer:
            from moderation.models import load_community_model

            return load_community_model(path)

        return load

    def _toxicity_loader_by_spec(self) -> Callable[[], Scorer | None]:
        spec = self.toxicity_spec

        def load() -> Scorer | None:
            if spec.strip().lower() == "none":
                return None
            from moderation.models import load_toxicity_model

            return load_toxicity_model(spec)

        return load

    def _checkpoint_identity(self) -> object:
        """The community checkpoint file's (inode, mtime, size), or None when it is missing."""
        try:
            stat = self.community_model_path.stat()
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def rules(self) -> RuleSet | None:
        """The rule set (re-read when the file changes); None if it cannot be used."""
        try:
            rules = load_rules(self.rules_path)
        except RulesError as exc:
            message = _describe(exc)
            if message != self._rules_error:
                log.error("moderation rules unusable: %s", message)
            self._rules_error = message
            return None
        self._rules_error = None
        self._rules = rules
        return rules

    def community_model(self) -> Scorer | None:
        """The loaded community model (loading it now if needed), or None if unavailable."""
        return self._community.get()

    def toxicity_model(self) -> Scorer | None:
        """The loaded general toxicity model (loading it now if needed), or None."""
        return self._toxicity.get()

    def warm(self) -> None:
        """Load the rules and both models now (for the CLI and start-up)."""
        self.rules()
        self._community.get()
        self._toxicity.get()

    def status(self) -> dict[str, Any]:
        community = self._community.model
        toxicity = self._toxicity.model
        rules = self._rules
        return {
            "ready": community is not None and self._rules_error is None,
            "community_model": {
                "path": "injected" if self._community_injected else str(self.community_model_path),
                "loaded": community is not None,
                "name": getattr(community, "name", None),
                "version": getattr(community, "version", None),
                "load_seconds": self._community.load_seconds,
                "error": self._community.error,
            },
            "toxicity_model": {
                "spec": self.toxicity_spec,
                "loaded": toxicity is not None,
                "name": getattr(toxicity, "name", None),
                "version": getattr(toxicity, "version", None),
                "error": self._toxicity.error
                or (
                    "disabled (MODERATION_TOXICITY_MODEL=none)"
                    if self._toxicity.attempted and toxicity is None
                    else None
                ),
            },
            "rules": {
                "path": rules.path if rules else str(self.rules_path or "default"),
                "count": len(rules) if rules else 0,
                "digest": rules.digest if rules else None,
                "error": self._rules_error,
            },
            "thresholds": dict(self.thresholds),
            "thresholds_source": self.thresholds_source(),
        }

    # --- screening -----------------------------------------------------------------------

    def screen(self, items: Sequence[Item]) -> list[Verdict]:
        """One verdict per item, same order. Never raises for bad text."""
        items = list(items)
        for item in items:
            if not isinstance(item, Item):
                raise TypeError(f"screen() takes Item objects, not {type(item).__name__}")
        if not items:
            return []

        parsed = [parse(item.text) for item in items]
        parents = [parse(item.parent) if item.parent else None for item in items]
        rules = self.rules()
        unavailable: list[str | None] = [None] * len(items)
        if rules is None:
            unavailable = [f"rules: {self._rules_error}"] * len(items)
            hits: list[tuple[RuleHit, ...]] = [() for _ in items]
            parent_hits: list[tuple[RuleHit, ...]] = [() for _ in items]
        else:
            hits = [rules.match(p) for p in parsed]
            parent_hits = [
                tuple(h for h in rules.match(p) if h.action == Action.ESCALATE) if p else ()
                for p in parents
            ]

        community_scores, community_error = self._score_community(parsed, parents)
        if community_error:
            unavailable = [u or community_error for u in unavailable]
        toxicity_scores = self._score_toxicity(parsed)
        version = self._model_version(rules)
        thresholds = self.thresholds

        verdicts = []
        for index, item in enumerate(items):
            try:
                verdict = decide(
                    item,
                    parsed[index],
                    hits[index],
                    community_scores[index] if community_scores else None,
                    toxicity_scores[index] if toxicity_scores else None,
                    thresholds,
                    parent_hits=parent_hits[index],
                    unavailable=unavailable[index],
                    model_version=version,
                )
            except Exception as exc:  # a policy bug must not publish anything
                log.exception("policy failed for item %s", item.id)
                verdict = Verdict(
                    id=item.id,
                    decision=Decision.HOLD,
                    category=None,
                    escalate=False,
                    reasons=(f"screening unavailable: policy error: {_describe(exc)}",),
                    model_version=version,
                )
            verdicts.append(verdict)
        return verdicts

    def screen_one(self, item: Item) -> Verdict:
        return self.screen([item])[0]

    def _score_community(
        self, parsed: list[ParsedText], parents: list[ParsedText | None]
    ) -> tuple[list[dict[str, float] | None] | None, str | None]:
        model = self._community.get()
        if model is None:
            return None, f"community model: {self._community.error or 'not loaded'}"
        indices = [i for i, p in enumerate(parsed) if not p.is_empty]
        if not indices:
            return [None] * len(parsed), None
        texts = [parsed[i].plain for i in indices]
        parent_texts = [parents[i].plain if parents[i] else None for i in indices]
        try:
            if getattr(model, "uses_parent", False):
                raw = model.predict(texts, parent_texts)  # type: ignore[call-arg]
            else:
                raw = model.predict(texts)
            if len(raw) != len(texts):
                raise RuntimeError(f"model returned {len(raw)} results for {len(texts)} texts")
        except Exception as exc:
            message = _describe(exc)
            log.error("community model failed while scoring: %s", message)
            return None, f"community model failed: {message}"
        scores: list[dict[str, float] | None] = [None] * len(parsed)
        for i, row in zip(indices, raw, strict=True):
            scores[i] = {label: float(value) for label, value in row.items()}
        return scores, None

    def _score_toxicity(self, parsed: list[ParsedText]) -> list[dict[str, float] | None] | None:
        model = self._toxicity.get()
        if model is None:
            return None
        addressed = [addressed_text(p) for p in parsed]
        indices = [i for i, text in enumerate(addressed) if text.strip()]
        if not indices:
            return None
        try:
            raw = model.predict([addressed[i] for i in indices])
        except Exception as exc:
            log.warning("general toxicity model failed, continuing without it: %s", _describe(exc))
            return None
        scores: list[dict[str, float] | None] = [None] * len(parsed)
        for i, row in zip(indices, raw, strict=True):
            scores[i] = {label: float(value) for label, value in row.items()}
        return scores

    def _model_version(self, rules: RuleSet | None) -> str:
        model = self._community.model
        parts = [
            f"community:{getattr(model, 'name', 'model')}@{getattr(model, 'version', '?')}"
            if model is not None
            else "community:unavailable"
        ]
        toxicity = self._toxicity.model
        if toxicity is not None:
            parts.append(f"general:{getattr(toxicity, 'name', 'model')}")
        parts.append(f"rules@{rules.digest}" if rules else "rules:unavailable")
        return " ".join(parts)
