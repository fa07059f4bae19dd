"""The one bridge between the forum and the `moderation` package.

* `screen_text` runs a text (with the post it answers, as context) through `moderation.Pipeline`
  and turns the verdict into a `Screening`. The pipeline is built lazily, once per process
  and configuration — never at import time or in create_app — so starting the app stays fast
  and a missing model never stops the forum from serving pages.
* `screen_many` does the same for a batch (re-screening held posts), `pipeline_status` says
  what the pipeline has loaded, `warm_in_background` loads it as a worker starts.

What the forum does with a verdict (store it, open a case, write the audit log, remember a
nudge) is forum/review/'s business; the authors' nudge wording is moderation's (`NUDGES`).

Fail closed: if the pipeline cannot be built or raises, the text is held with the reason
"screening unavailable: …" — never published unscreened, never lost.

Tests may inject any object with `screen(items) -> list[Verdict]` (and optionally `status()`)
as ``app.extensions["moderation_pipeline"]`` or ``app.config["MODERATION_PIPELINE"]``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from flask import current_app

import moderation

from .models import Post

log = logging.getLogger(__name__)

UNAVAILABLE_PREFIX = "screening unavailable"
# For a category moderation has no words for (a pipeline that is not moderation's own).
DEFAULT_NUDGE = (
    "This may hurt someone who is already having a hard time. Would you like to rephrase it?"
)
# The forum's own words: the post is stored held, not bounced (moderation's "unavailable"
# nudge is for callers that do not keep the text).
UNAVAILABLE_NUDGE = (
    "Our automatic screening is starting up or isn't running right now, so your post is "
    "saved and waiting: "
    "a moderator, or the screening as soon as it is back, will check it before others see it. "
    "You don't need to send it again; only you can see it until then."
)
# For members at trust level "new" (forum/trust.py): a post screening would publish goes to a
# moderator when its highest harmful score reaches this bar — "unsure" territory, well below
# every label's own threshold (0.55-0.85 in moderation/policy.py), so nothing the normal bar
# holds is ever published, and a new account's borderline posts are read by a person first.
NEW_MEMBER_UNSURE_BAR = 0.35
NEW_MEMBER_REASON = "new member: {label} {score:.2f} is above the unsure bar {bar:.2f}"


@dataclass(frozen=True)
class Screening:
    decision: str  # "publish" | "hold" | "block"
    category: str | None = None
    escalate: bool = False
    reasons: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    nudge: str | None = None
    rule_hits: tuple[dict[str, Any], ...] = ()
    model_version: str = "none"

    @property
    def unavailable(self) -> bool:
        return any(reason.startswith(UNAVAILABLE_PREFIX) for reason in self.reasons)


# ---------------------------------------------------------------- the pipeline, once per process

_pipelines: dict[tuple[str, str], Any] = {}
_pipelines_lock = threading.Lock()


def _injected_pipeline() -> Any | None:
    app = current_app
    return app.extensions.get("moderation_pipeline") or app.config.get("MODERATION_PIPELINE")


def _pipeline_key() -> tuple[str, str]:
    config = current_app.config
    return (str(config.get("MODERATION_MODEL") or ""),
            str(config.get("MODERATION_TOXICITY_MODEL") or "none"))


def _one_per_key(store: dict, key: tuple[str, str], build: Any) -> Any:
    """``store[key]``, built once per process by ``build()`` even when threads race."""
    found = store.get(key)
    if found is None:
        with _pipelines_lock:
            found = store.get(key)
            if found is None:
                found = store[key] = build()
    return found


def _configured_pipeline() -> Any:
    """The injected pipeline (tests) or the process-wide one for this configuration."""
    injected = _injected_pipeline()
    if injected is not None:
        return injected
    key = _pipeline_key()
    return _one_per_key(_pipelines, key, lambda: moderation.Pipeline(
        community_model_path=key[0] or None, toxicity_model=key[1]))


_batchers: dict[tuple[str, str], Any] = {}


def _screener() -> Any:
    """What screens a post: the process-wide pipeline behind its micro-batcher (concurrent
    posts in a threaded worker are scored together), or an injected pipeline as it is."""
    injected = _injected_pipeline()
    if injected is not None:
        return injected
    pipeline = _configured_pipeline()
    config = current_app.config
    if not config.get("SCREENING_BATCH", True):
        return pipeline
    return _one_per_key(_batchers, _pipeline_key(), lambda: moderation.ScreeningBatcher(
        pipeline.screen,
        window=config.get("SCREENING_BATCH_WINDOW_MS", 2.0) / 1000,
        max_items=config.get("SCREENING_BATCH_MAX", 16),
        timeout=config.get("SCREENING_TIMEOUT_SECONDS", 30.0),
    ))


def warm_in_background(app: Any) -> threading.Thread | None:
    """Load this process's pipeline (rules and models) in a background thread, now.

    Called by each gunicorn worker as it starts (gunicorn.conf.py), so the worker answers
    pages at once while the model loads, and the first post does not pay the load alone: a
    post that arrives meanwhile waits on the same load (the pipeline's lock) instead of
    starting another. A worker forked from a master that already loaded the models
    (``load_now``) finds them loaded and shares their memory. Returns the thread (None when
    screening is off).
    """
    with app.app_context():
        if screening_off():
            return None
    thread = threading.Thread(target=load_now, args=(app,), name="screening-warm-up", daemon=True)
    thread.start()
    return thread


def load_now(app: Any) -> bool:
    """Load the pipeline's rules and models in this thread; True when screening is ready.

    gunicorn's master calls it before forking the workers (``preload_app``), so the workers
    share one copy of the weights (copy-on-write pages that inference never writes). Never
    raises: a failed load is logged and retried by the first post.
    """
    with app.app_context():
        if screening_off():
            return False
        try:
            pipeline = _configured_pipeline()
            warm_up = getattr(pipeline, "warm", None)
            if warm_up is not None:
                warm_up()
            status = getattr(pipeline, "status", None)
            return bool(status().get("ready")) if status is not None else True
        except Exception:  # a failed load is retried by the first post; never crash
            log.exception("warming the screening pipeline failed")
            return False


def current_pipeline() -> Any | None:
    """The pipeline this process uses, if screening is on and it could be built."""
    if screening_off():
        return None
    try:
        return _configured_pipeline()
    except Exception:
        return None


def screening_off() -> bool:
    return current_app.config.get("MODERATION_SCREENING", "pipeline") == "off"


def pipeline_status() -> dict[str, Any]:
    """What the pipeline says about its models (for `moderation status` and the queue banner)."""
    if screening_off():
        return {"screening": "off"}
    try:
        pipeline = _configured_pipeline()
    except Exception as exc:
        return {"screening": "pipeline", "error": f"{type(exc).__name__}: {exc}"}
    status = getattr(pipeline, "status", None)
    if status is None:
        return {"screening": "pipeline"}
    try:
        return {"screening": "pipeline", **status()}
    except Exception as exc:
        return {"screening": "pipeline", "error": f"{type(exc).__name__}: {exc}"}


def _unavailable(why: str) -> Screening:
    return Screening(
        decision="hold", reasons=(f"{UNAVAILABLE_PREFIX}: {why}",), nudge=UNAVAILABLE_NUDGE,
        model_version="unavailable",
    )


def _nudge_for(decision: str, category: str | None) -> str:
    if decision == "block":
        return moderation.NUDGES["threat"]
    return moderation.NUDGES.get(category or "", DEFAULT_NUDGE)


def _rule_hit_dict(hit: Any) -> dict[str, Any]:
    return {
        "rule_id": str(getattr(hit, "rule_id", "")),
        "category": getattr(hit, "category", None),
        "action": str(getattr(hit, "action", "")),
        "phrase": str(getattr(hit, "phrase", "")),
        "why": str(getattr(hit, "why", "")),
    }


def from_verdict(verdict: Any) -> Screening:
    """Map a `moderation.Verdict` to the forum's `Screening`."""
    decision = str(getattr(verdict.decision, "value", verdict.decision))
    if decision not in {"publish", "hold", "block"}:
        return _unavailable(f"unknown decision {decision!r}")
    reasons = tuple(str(reason) for reason in verdict.reasons)
    nudge = verdict.nudge if decision != "publish" else None
    if any(reason.startswith(UNAVAILABLE_PREFIX) for reason in reasons):
        nudge = UNAVAILABLE_NUDGE  # the forum's own words: the post is stored, not bounced
    elif decision != "publish" and not nudge:
        nudge = _nudge_for(decision, verdict.category)
    return Screening(
        decision=decision,
        category=verdict.category,
        escalate=bool(verdict.escalate),
        reasons=reasons,
        scores={str(label): round(float(score), 4) for label, score in verdict.scores.items()},
        nudge=nudge,
        rule_hits=tuple(_rule_hit_dict(hit) for hit in verdict.rule_hits),
        model_version=str(verdict.model_version or "unknown"),
    )


def screen_text(text: str, parent_text: str | None) -> Screening:
    """Screen one text written in answer to `parent_text` (None for an opening post)."""
    if screening_off():
        return Screening(decision="publish", model_version="off")
    try:
        verdicts = _screener().screen(
            [moderation.Item(id="post", text=text, parent=parent_text)]
        )
        return from_verdict(verdicts[0])
    except Exception as exc:
        # Fail closed: hold for a moderator rather than publish unscreened.
        log.exception("screening failed; holding the post")
        return _unavailable(f"{type(exc).__name__}: {exc}")


def hold_if_unsure(verdict: Screening) -> Screening:
    """The stricter bar for a new member: a post that would be published but whose highest
    harmful score reaches NEW_MEMBER_UNSURE_BAR is held instead (the author gets that label's
    kind nudge, as for any hold). Holds, blocks and unavailable screening pass unchanged."""
    if verdict.decision != "publish" or verdict.unavailable:
        return verdict
    harmful = [(score, label) for label, score in verdict.scores.items()
               if label in moderation.HARMFUL]
    if not harmful:
        return verdict
    score, label = max(harmful)
    if score < NEW_MEMBER_UNSURE_BAR:
        return verdict
    reason = NEW_MEMBER_REASON.format(label=label, score=score, bar=NEW_MEMBER_UNSURE_BAR)
    return replace(verdict, decision="hold", category=label,
                   reasons=(*verdict.reasons, reason), nudge=_nudge_for("hold", label))


def screen_many(texts: list[tuple[str, str | None]]) -> list[Screening]:
    """Screen several (text, parent) pairs in one batch (for `moderation rescore`)."""
    if screening_off():
        return [Screening(decision="publish", model_version="off") for _ in texts]
    try:
        pipeline = _configured_pipeline()
        items = [moderation.Item(id=str(n), text=text, parent=parent)
                 for n, (text, parent) in enumerate(texts)]
        return [from_verdict(verdict) for verdict in pipeline.screen(items)] if items else []
    except Exception as exc:
        log.exception("screening failed; keeping posts held")
        return [_unavailable(f"{type(exc).__name__}: {exc}") for _ in texts]


def screened_text_of(post: Post) -> tuple[str, str | None]:
    """The text screening sees for a post, and its parent's text (context)."""
    text = f"{post.thread.title}\n\n{post.body_markdown}" if post.is_opening else post.body_markdown
    parent = post.parent.body_markdown if post.parent is not None else None
    return text, parent
