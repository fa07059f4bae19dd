"""Thresholds fitted to the model that was actually built, kept in its checkpoint.

The same data, recipe and seed give different weights on different CPUs (their floating-point
kernels differ: the tuner chose a shared harmful threshold of 0.85 for one machine's build and
0.75 for another's), and retraining with moderators' exported decisions changes them on purpose.
Thresholds fitted to other weights go stale without anyone noticing. So every build
tunes its own thresholds on the blind validation sets (moderation/data/validation*.jsonl, never
the dev sets) with the tuner `python -m moderation tune --validation` uses, and keeps them in the
checkpoint's metadata. The pipeline uses them in place of policy.DEFAULT_THRESHOLDS; thresholds
passed to it explicitly still win.

What the validation sets say about a build is therefore optimistic; the honest figure is the
same procedure held out (tune on two sets, measure on the third), in README's model card.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from moderation.dataset import files_sha256

META_KEY = "calibration"
# Bump when the tuner or the policy changes how thresholds are chosen or used.
CALIBRATION_VERSION = 1
DATA_DIR = Path(__file__).resolve().parent / "data"


def default_validation_paths() -> list[Path]:
    """The blind validation sets that ship with the repository, in name order."""
    return sorted(DATA_DIR.glob("validation*.jsonl"))


def thresholds_from_meta(meta: Mapping[str, Any] | None) -> dict[str, float] | None:
    """The calibrated thresholds a checkpoint's metadata holds, or None when it holds none
    that can be used (an older checkpoint, an unknown key or a value that is not a number
    between 0 and 1.01)."""
    from moderation.policy import DEFAULT_THRESHOLDS

    entry = (meta or {}).get(META_KEY)
    if not isinstance(entry, Mapping) or entry.get("version") != CALIBRATION_VERSION:
        return None
    values = entry.get("thresholds")
    if not isinstance(values, Mapping) or not values:
        return None
    kept: dict[str, float] = {}
    for key, value in values.items():
        if key not in DEFAULT_THRESHOLDS or isinstance(value, bool):
            return None
        if not isinstance(value, int | float) or not math.isfinite(value):
            return None
        if not 0.0 <= float(value) <= 1.01:
            return None
        kept[key] = float(value)
    return kept


def is_current(meta: Mapping[str, Any] | None, paths: Sequence[Path | str]) -> bool:
    """Whether the metadata holds thresholds tuned on exactly these validation files."""
    entry = (meta or {}).get(META_KEY)
    return (
        thresholds_from_meta(meta) is not None
        and isinstance(entry, Mapping)
        and entry.get("validation_sha256") == files_sha256(paths)
    )


def tune_for(
    model: Any,
    paths: Sequence[Path | str],
    *,
    per_label: bool = False,
    say: Callable[[str], None] = print,
) -> dict[str, float]:
    """Thresholds for a loaded community model, tuned on its scores for the validation rows
    (the text and parent the pipeline shows the model: their parsed plain text). The one path
    for both calibration and `python -m moderation tune --validation`."""
    from moderation import evaluation
    from moderation.text import parse

    rows = [row for path in paths for row in evaluation.load_rows(Path(path))]
    if not rows:
        raise ValueError("no validation rows to calibrate on")
    scores = model.predict(
        [parse(row.text).plain for row in rows],
        [parse(row.parent).plain if row.parent else None for row in rows],
    )
    names = ", ".join(Path(p).name for p in paths)
    return evaluation.tune_thresholds(
        rows, [dict(s) for s in scores], per_label=per_label, say=say,
        source=f"validation ({names})",
    )


def entry_for(thresholds: Mapping[str, float], paths: Sequence[Path | str]) -> dict[str, Any]:
    """What a checkpoint keeps under META_KEY."""
    return {
        "version": CALIBRATION_VERSION,
        "thresholds": {key: float(value) for key, value in thresholds.items()},
        "validation_sha256": files_sha256(paths),
        "validation_files": [Path(p).name for p in paths],
    }
