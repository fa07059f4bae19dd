"""Loading and running Detoxify checkpoints: Unitary's general models and the community model.

Detoxify is used unmodified: ``Detoxify(model_type=name)`` for a published model name and
``Detoxify(checkpoint=path)`` for a file. This module adds what the one-method API leaves out:

* lazy loading, once per process per (kind, name or file);
* batching sorted by length (less padding), always calling ``Detoxify.predict`` with a list
  and undoing its squeeze-to-scalar for a one-item batch;
* long texts split into token windows (Detoxify truncates at 512 tokens without saying so);
  each label's score is the maximum over the windows, so harm at the end of a long post
  still counts;
* every loading failure becomes ``ModelUnavailable`` with a message saying why.

Security: Detoxify unpickles checkpoints with ``torch.load(weights_only=False)``, which can
run code hidden in a malicious file. Before handing a file to Detoxify we open it with
``weights_only=True`` and refuse anything that is not plain data and tensors, and we check
its layout. Still, only point the project at checkpoints it built itself (``python -m
moderation train``) or downloaded from Unitary.

torch, transformers and detoxify are imported inside functions only (see DESIGN.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from moderation import calibration, crisis_head
from moderation.types import COMMUNITY_LABELS

log = logging.getLogger(__name__)

BATCH_SIZE = 32
# Window and overlap, in tokens, for texts longer than the model's limit. The window stays
# well below 510 so that re-tokenising a window's text can never overflow the limit.
CHUNK_TOKENS = 400
CHUNK_OVERLAP = 48
# The longest a reply window may be when a parent post is passed as a second segment.
PAIR_MAX_LENGTH = 512
# A parent post passed as context is cut to its first this many tokens, in training and in
# scoring alike: the opening says what the thread is about, and the cost stays bounded.
PARENT_TOKENS = 48
# Unitary's published checkpoints (the names Detoxify accepts).
DETOXIFY_NAMES = ("original", "unbiased", "multilingual", "original-small", "unbiased-small")
# Keys of a Detoxify checkpoint's config["arch"]["args"].
_ARCH_KEYS = ("model_type", "model_name", "tokenizer_name", "num_classes")


class ModelUnavailable(Exception):
    """A checkpoint is missing, corrupt or cannot be loaded; the message says why."""


class ScoringModel:
    """One loaded Detoxify model with safe batching and chunking.

    ``detox`` is a ``detoxify.Detoxify`` (or anything with ``predict``, ``tokenizer``,
    ``model`` and ``class_names`` attributes, which the tests use for fakes).
    """

    def __init__(
        self,
        detox: Any,
        *,
        name: str,
        version: str,
        labels: Sequence[str] | None = None,
        uses_parent: bool = False,
        batch_size: int = BATCH_SIZE,
        extra_scorers: Mapping[str, Any] | None = None,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        self.detox = detox
        # Thresholds tuned for this very build (moderation.calibration), or None.
        self.thresholds = dict(thresholds) if thresholds else None
        # Further scores computed beside the model's own, by name: objects with
        # ``scores(texts) -> list[float]`` (the crisis head on frozen sentence embeddings).
        self.extra_scorers = dict(extra_scorers or {})
        self.name = name
        self.version = version
        # Detoxify renames some classes ("toxic" -> "toxicity"); ``labels`` (same order as
        # Detoxify's class_names) names the outputs instead, e.g. the community model's
        # own class names. Without it the names are Detoxify's.
        self._detox_labels: tuple[str, ...] = tuple(detox.class_names)
        self.labels: tuple[str, ...] = tuple(labels) if labels else self._detox_labels
        if len(self.labels) != len(self._detox_labels):
            raise ValueError("labels must name every class of the model")
        # Whether the model was trained with the parent post as a second segment.
        self.uses_parent = uses_parent
        self.batch_size = batch_size
        tokenizer = detox.tokenizer
        self._max_tokens = _effective_max_length(tokenizer, detox)
        self._limit = self._max_tokens - tokenizer.num_special_tokens_to_add(pair=False)
        self._window = min(CHUNK_TOKENS, self._limit)
        self._overlap = min(CHUNK_OVERLAP, self._window // 4)
        if uses_parent:
            # Leave room for the parent: a reply longer than one window is split, and the
            # parent is cut to fit beside each piece (truncation="only_second").
            self._limit = self._window
        # No tokenizer makes more than four tokens of one character (byte-level BPE on a
        # 4-byte UTF-8 character is the worst case), so shorter texts never need counting.
        self._safe_chars = self._limit // 4

    def __repr__(self) -> str:
        return f"ScoringModel(name={self.name!r}, version={self.version!r})"

    # -- public API --------------------------------------------------------------------

    def predict(
        self, texts: Sequence[str], parents: Sequence[str | None] | None = None
    ) -> list[dict[str, float]]:
        """Score each text; one ``{label: score}`` dict per input, in input order.

        ``parents`` (same length as ``texts``) is used only by a model trained with the
        parent post as context; other models ignore it.
        """
        texts = [_as_text(t) for t in texts]
        if not texts:
            return []
        if parents is None or not self.uses_parent:
            parent_list: list[str | None] = [None] * len(texts)
        else:
            if len(parents) != len(texts):
                raise ValueError("parents must have one entry per text")
            parent_list = [_as_text(p) if p else None for p in parents]

        # Every window of every text is one segment; segments are scored in length order.
        segments: list[tuple[int, str, str | None]] = []
        for index, (text, parent) in enumerate(zip(texts, parent_list, strict=True)):
            for chunk in self.chunks(text):
                segments.append((index, chunk, parent))
        order = sorted(
            range(len(segments)),
            key=lambda s: (segments[s][2] is not None, len(segments[s][1])),
        )

        results: list[dict[str, float] | None] = [None] * len(texts)
        for start in range(0, len(order), self.batch_size):
            batch = [segments[s] for s in order[start : start + self.batch_size]]
            with_parent = [seg for seg in batch if seg[2] is not None]
            without_parent = [seg for seg in batch if seg[2] is None]
            for group, scores in (
                (without_parent, self._score_single([seg[1] for seg in without_parent])),
                (with_parent, self._score_pairs(with_parent)),
            ):
                for (index, _chunk, _parent), row in zip(group, scores, strict=True):
                    merged = results[index]
                    if merged is None:
                        results[index] = row
                    else:
                        for label, value in row.items():
                            if value > merged[label]:
                                merged[label] = value
        self._add_extra_scores(segments, results)
        return [r if r is not None else {} for r in results]

    def _add_extra_scores(
        self,
        segments: list[tuple[int, str, str | None]],
        results: list[dict[str, float] | None],
    ) -> None:
        """Each extra scorer reads every window of the reply; a text's score is the maximum."""
        for name, scorer in self.extra_scorers.items():
            values = scorer.scores([seg[1] for seg in segments])
            for (index, _chunk, _parent), value in zip(segments, values, strict=True):
                merged = results[index]
                if merged is not None and value > merged.get(name, float("-inf")):
                    merged[name] = float(value)

    def chunks(self, text: str) -> list[str]:
        """The text split into windows the model reads whole (the text itself if it fits)."""
        if len(text) <= self._safe_chars:
            return [text]
        tokenizer = self.detox.tokenizer
        encoding = tokenizer(
            text,
            add_special_tokens=False,
            return_offsets_mapping=True,
            return_attention_mask=False,
            return_token_type_ids=False,
            truncation=False,
            verbose=False,
        )
        offsets = encoding["offset_mapping"]
        if len(offsets) <= self._limit:
            return [text]
        word_ids = encoding.word_ids()
        pieces: list[str] = []
        start, total = 0, len(offsets)
        while start < total:
            end = min(start + self._window, total)
            if end < total:
                # End the window between two words, unless a single word is huge.
                snapped = end
                while (
                    snapped > start + self._window // 2
                    and word_ids[snapped] == word_ids[snapped - 1]
                ):
                    snapped -= 1
                if snapped > start + self._window // 2:
                    end = snapped
            piece = text[offsets[start][0] : offsets[end - 1][1]]
            if piece.strip():
                pieces.append(piece)
            if end >= total:
                break
            next_start = max(end - self._overlap, start + 1)
            while next_start > start + 1 and word_ids[next_start] == word_ids[next_start - 1]:
                next_start -= 1
            start = next_start
        return pieces or [text]

    # -- scoring ---------------------------------------------------------------------------

    def _score_single(self, texts: list[str]) -> list[dict[str, float]]:
        if not texts:
            return []
        import torch

        # Detoxify.predict records autograd history it never uses; scores are the same without.
        with torch.inference_mode():
            raw = self.detox.predict(list(texts))
        columns = [_as_list(raw[name]) for name in self._detox_labels]
        return [
            {label: float(column[i]) for label, column in zip(self.labels, columns, strict=True)}
            for i in range(len(texts))
        ]

    def _score_pairs(self, segments: list[tuple[int, str, str | None]]) -> list[dict[str, float]]:
        """Score (reply, parent) pairs the way Detoxify.predict scores single texts."""
        if not segments:
            return []
        import torch

        model, tokenizer = self.detox.model, self.detox.tokenizer
        model.eval()
        limit = min(PAIR_MAX_LENGTH, self._max_tokens)
        encoded = [encode_pair(tokenizer, seg[1], seg[2] or "", limit) for seg in segments]
        width = max(len(ids) for ids, _ in encoded)
        pad = tokenizer.pad_token_id or 0
        with torch.inference_mode():
            inputs = {
                "input_ids": torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in encoded]),
                "token_type_ids": torch.tensor(
                    [types + [0] * (width - len(types)) for _, types in encoded]
                ),
                "attention_mask": torch.tensor(
                    [[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in encoded]
                ),
            }
            scores = torch.sigmoid(model(**inputs)[0]).cpu().tolist()
        return [dict(zip(self.labels, row, strict=True)) for row in scores]


def encode_pair(tokenizer: Any, reply: str, parent: str, max_length: int) -> tuple[list, list]:
    """Token ids and segment ids for (reply, parent): the parent cut to ``PARENT_TOKENS``,
    then the reply cut to what is left of ``max_length``."""
    parent_ids = tokenizer.encode(parent, add_special_tokens=False)[:PARENT_TOKENS]
    encoded = tokenizer(
        reply, tokenizer.decode(parent_ids), truncation="only_first", max_length=max_length
    )
    ids, types = encoded["input_ids"], encoded["token_type_ids"]
    return ids, types


# -- loading ---------------------------------------------------------------------------------

_cache: dict[tuple[str, ...], ScoringModel] = {}
_cache_lock = threading.Lock()
_threads_configured = False


def clear_cache() -> None:
    """Forget every loaded model (tests; or after retraining in a long-lived process)."""
    with _cache_lock:
        _cache.clear()
        _encoders.clear()


def load_community_model(path: str | os.PathLike[str]) -> ScoringModel:
    """The project's community model at ``path``; raises ModelUnavailable."""
    file = Path(path)
    key = ("community", *_file_key(file))
    return _cached(key, lambda: _load_checkpoint_file(file, expect_labels=COMMUNITY_LABELS))


def load_toxicity_model(spec: str) -> ScoringModel | None:
    """Unitary's general model: a Detoxify name, a checkpoint path, or "none" (-> None)."""
    spec = (spec or "").strip()
    if spec.lower() in ("", "none", "off"):
        return None
    if spec in DETOXIFY_NAMES:
        return _cached(("toxicity-name", spec), lambda: _load_by_name(spec))
    file = Path(spec).expanduser()
    if not file.exists() and os.sep not in spec and "." not in spec:
        raise ModelUnavailable(
            f"unknown Detoxify model {spec!r}: use one of {', '.join(DETOXIFY_NAMES)}, "
            "a checkpoint path, or 'none'"
        )
    return _cached(("toxicity-file", *_file_key(file)), lambda: _load_checkpoint_file(file))


def _cached(key: tuple[str, ...], load: Any) -> ScoringModel:
    with _cache_lock:
        model = _cache.get(key)
        if model is None:
            # Failures are not cached: a checkpoint built later loads on the next call.
            model = load()
            _cache[key] = model
        return model


def _file_key(file: Path) -> tuple[str, ...]:
    """A cache key that changes when the file is replaced (e.g. retrained)."""
    try:
        stat = file.stat()
    except OSError:
        return (str(file.resolve()), "missing")
    return (str(file.resolve()), str(stat.st_mtime_ns), str(stat.st_size))


def _load_by_name(name: str) -> ScoringModel:
    from detoxify import detoxify as detoxify_module

    url = detoxify_module.MODEL_URLS[name]
    file_name = url.rsplit("/", 1)[-1]
    _refuse_download_when_offline(name, file_name)
    _configure_threads()
    try:
        with _quiet_transformers():
            detox = detoxify_module.Detoxify(model_type=name)
    except Exception as exc:  # network, cache, config: all mean "not available here"
        raise ModelUnavailable(
            f"Detoxify model {name!r} could not be loaded ({type(exc).__name__}: {exc}); "
            "it downloads from GitHub and the Hugging Face hub on first use"
        ) from exc
    return ScoringModel(detox, name=name, version=file_name.removesuffix(".ckpt"))


def _refuse_download_when_offline(name: str, file_name: str) -> None:
    """Fail at once, rather than after a network timeout, when a download cannot work."""
    offline = any(
        os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on")
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )
    if not offline:
        return
    import torch

    cached = Path(torch.hub.get_dir()) / "checkpoints" / file_name
    if not cached.is_file():
        raise ModelUnavailable(
            f"Detoxify model {name!r} is not downloaded ({cached} missing) and offline mode "
            "is set (HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE); running without it"
        )


def _load_checkpoint_file(
    file: Path, *, expect_labels: tuple[str, ...] | None = None
) -> ScoringModel:
    if not file.is_file():
        hint = " (build it with `python -m moderation train`)" if expect_labels else ""
        raise ModelUnavailable(f"checkpoint not found: {file}{hint}")
    checkpoint = _read_checkpoint_safely(file)
    classes = _check_layout(file, checkpoint)
    if expect_labels is not None and tuple(classes) != tuple(expect_labels):
        raise ModelUnavailable(
            f"checkpoint {file} has classes {classes}, expected {list(expect_labels)}"
        )
    extra = checkpoint.get("nocontact") if isinstance(checkpoint.get("nocontact"), dict) else {}
    uses_parent = extra.get("input") == "reply+parent"
    stored_head = extra.get(crisis_head.HEAD_KEY) if expect_labels is not None else None
    encoder_folder = str(checkpoint["config"]["arch"]["args"]["model_type"])
    del checkpoint  # the validation copy; Detoxify reads the file itself

    from detoxify import Detoxify

    _configure_threads()
    try:
        with _quiet_transformers():
            detox = Detoxify(checkpoint=str(file))
    except Exception as exc:
        raise ModelUnavailable(
            f"checkpoint {file} could not be loaded by Detoxify ({type(exc).__name__}: {exc})"
        ) from exc
    return ScoringModel(
        detox,
        name=file.name,
        version=_sha256(file)[:12],
        # The community model keeps its own names ("toxic"); Unitary's keep Detoxify's.
        labels=classes if expect_labels is not None else None,
        uses_parent=uses_parent,
        extra_scorers=_load_crisis_head(file, stored_head, encoder_folder),
        thresholds=calibration.thresholds_from_meta(extra) if expect_labels is not None else None,
    )


def _load_crisis_head(file: Path, stored: Any, encoder_folder: str) -> dict[str, Any]:
    """The checkpoint's crisis head as {score name: head}; {} when it has none."""
    if stored is None:
        return {}
    if not isinstance(stored, dict):
        raise ModelUnavailable(f"checkpoint {file}: its crisis head is not a mapping")
    precision = crisis_encoder_precision()
    try:
        with _quiet_transformers():
            encoder = _sentence_encoder(encoder_folder, precision)
        head = crisis_head.CrisisHead(encoder, crisis_head.HeadWeights.from_dict(stored))
    except crisis_head.HeadError as exc:
        raise ModelUnavailable(f"checkpoint {file}: {exc}") from exc
    except Exception as exc:
        raise ModelUnavailable(
            f"checkpoint {file}: the crisis head's encoder {encoder_folder} could not be "
            f"loaded ({type(exc).__name__}: {exc})"
        ) from exc
    return {crisis_head.SCORE_NAME: head}


_encoders: dict[tuple[str, str], Any] = {}


def crisis_encoder_precision() -> str:
    """MODERATION_CRISIS_ENCODER: how the crisis head's frozen encoder runs (int8 or fp32)."""
    wanted = os.environ.get("MODERATION_CRISIS_ENCODER", "").strip().lower()
    if not wanted:
        return crisis_head.SERVING_PRECISION
    if wanted not in crisis_head.PRECISIONS:
        raise ModelUnavailable(
            f"MODERATION_CRISIS_ENCODER={wanted!r}: use one of {', '.join(crisis_head.PRECISIONS)}"
        )
    return wanted


def _sentence_encoder(folder: str, precision: str) -> Any:
    """One frozen sentence encoder per folder and precision per process (callers hold
    _cache_lock)."""
    key = (folder, precision)
    encoder = _encoders.get(key)
    if encoder is None:
        encoder = crisis_head.SentenceEncoder(folder, precision=key[1])
        _encoders[key] = encoder
    return encoder


def _read_checkpoint_safely(file: Path) -> dict[str, Any]:
    import torch

    try:
        loaded = torch.load(file, map_location="cpu", weights_only=True, mmap=True)
    except Exception as first:
        try:  # old (non-zip) serialisation cannot be memory-mapped
            loaded = torch.load(file, map_location="cpu", weights_only=True)
        except Exception as exc:
            kind = (
                "holds objects other than tensors and plain data (refusing to unpickle it)"
                if "weights_only" in str(exc) or "Unsupported global" in str(exc)
                else "is corrupt or not a PyTorch checkpoint"
            )
            raise ModelUnavailable(f"checkpoint {file} {kind}: {exc}") from first
    if not isinstance(loaded, dict):
        raise ModelUnavailable(f"checkpoint {file} is not a Detoxify checkpoint (not a dict)")
    return loaded


def _check_layout(file: Path, checkpoint: dict[str, Any]) -> list[str]:
    """Detoxify's layout: config.arch.args, config.dataset.args.classes, state_dict."""
    try:
        args = checkpoint["config"]["arch"]["args"]
        classes = checkpoint["config"]["dataset"]["args"]["classes"]
        state_dict = checkpoint["state_dict"]
    except (KeyError, TypeError) as exc:
        raise ModelUnavailable(
            f"checkpoint {file} is not in Detoxify's format (missing {exc}); it needs "
            "config.arch.args, config.dataset.args.classes and state_dict"
        ) from exc
    if not isinstance(args, dict) or any(key not in args for key in _ARCH_KEYS):
        raise ModelUnavailable(f"checkpoint {file}: config.arch.args needs {list(_ARCH_KEYS)}")
    if not (
        isinstance(classes, list | tuple) and classes and all(isinstance(c, str) for c in classes)
    ):
        raise ModelUnavailable(f"checkpoint {file}: classes must be a non-empty list of names")
    if args["num_classes"] != len(classes):
        raise ModelUnavailable(
            f"checkpoint {file}: num_classes {args['num_classes']} != {len(classes)} classes"
        )
    if not isinstance(state_dict, dict) or not state_dict:
        raise ModelUnavailable(f"checkpoint {file}: state_dict is empty or not a dict")
    model_name, tokenizer_name = str(args["model_name"]), str(args["tokenizer_name"])
    if not model_name.endswith("ForSequenceClassification") or not tokenizer_name.endswith(
        ("Tokenizer", "TokenizerFast")
    ):
        raise ModelUnavailable(
            f"checkpoint {file}: unexpected model/tokenizer classes {model_name}/{tokenizer_name}"
        )
    model_type = str(args["model_type"])
    if os.path.isabs(model_type) and not os.path.isdir(model_type):
        raise ModelUnavailable(
            f"checkpoint {file}: its encoder folder {model_type} no longer exists "
            "(was the virtualenv moved?); rebuild it with `python -m moderation train`"
        )
    return list(classes)


def _effective_max_length(tokenizer: Any, detox: Any) -> int:
    """The token limit the model can read, fixing tokenizers that report none.

    transformers 5 leaves ``model_max_length`` at a huge sentinel when the tokenizer files
    do not set it; Detoxify's ``truncation=True`` then does not cap at the model's limit.
    """
    limit = 512
    config = getattr(getattr(detox, "model", None), "config", None)
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        # RoBERTa-style models reserve two positions for the padding offset.
        limit = min(limit, positions - 2 if positions in (514, 130) else positions)
    current = getattr(tokenizer, "model_max_length", None)
    if not isinstance(current, int) or current <= 0 or current > limit:
        tokenizer.model_max_length = limit
        return limit
    return current


def _configure_threads() -> None:
    """Set torch's intra-op threads once per process: MODERATION_TORCH_THREADS, default 1.

    One thread per process is the better default here: forum posts are short (a 60-character
    reply scores in ~16 ms on one thread), web servers run several worker processes, and on
    a busy 2-core machine two spin-waiting threads per process were measured 4-6x slower.
    Batch jobs (``classify`` on a big file) may set MODERATION_TORCH_THREADS=2.
    """
    global _threads_configured
    if _threads_configured:
        return
    import torch

    wanted = os.environ.get("MODERATION_TORCH_THREADS", "").strip()
    threads = int(wanted) if wanted.isdigit() and int(wanted) > 0 else 1
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    _threads_configured = True


class _quiet_transformers:
    """Silence transformers' per-load progress bars and load reports.

    Also sends anything printed during a load to stderr: torch.hub announces downloads on
    stdout, which would corrupt `python -m moderation classify`'s JSON lines.
    """

    def __enter__(self) -> None:
        from transformers.utils import logging as hf_logging

        self._stdout = contextlib.redirect_stdout(sys.stderr)
        self._stdout.__enter__()

        self._logging = hf_logging
        self._verbosity = hf_logging.get_verbosity()
        self._bars = hf_logging.is_progress_bar_enabled()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()

    def __exit__(self, *exc: object) -> None:
        self._logging.set_verbosity(self._verbosity)
        if self._bars:
            self._logging.enable_progress_bar()
        self._stdout.__exit__(*exc)


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def _as_list(value: Any) -> list[float]:
    """Detoxify squeezes a one-item batch to a bare number; make it a list again."""
    return value if isinstance(value, list) else [value]
