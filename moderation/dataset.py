"""Labelled JSONL rows: the one reader for training data, moderator exports and eval files.

Schema (../shared/moderation-eval/): ``{"id", "parent", "text", "label", "note"}``; ``parent``
is the post replied to (or null) and ``label`` applies to ``text`` only. A bad line raises
``ValueError`` naming the file and line, so a typo in a moderator's export is easy to find.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from moderation.types import TRAINING_LABELS


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    parent: str | None
    label: str
    note: str = ""


def load_rows(path: str | Path, *, require_text: bool = False) -> list[Row]:
    """Rows of one JSONL file. ``require_text`` refuses empty texts (training needs words;
    an eval file may hold an empty post on purpose). A row without an id is named by its
    file and line."""
    rows: list[Row] = []
    with Path(path).open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: not JSON ({exc.msg})") from exc
            if not isinstance(data, dict):
                raise ValueError(f"{where}: expected a JSON object")
            label = data.get("label")
            if label not in TRAINING_LABELS:
                raise ValueError(f"{where}: unknown label {label!r}")
            text = data.get("text")
            if not isinstance(text, str) or (require_text and not text.strip()):
                wanted = "a non-empty string" if require_text else "a string"
                raise ValueError(f"{where}: 'text' must be {wanted}")
            parent = data.get("parent")
            if parent is not None and not isinstance(parent, str):
                raise ValueError(f"{where}: 'parent' must be a string or null")
            rows.append(
                Row(
                    id=str(data.get("id") or where),
                    text=text,
                    parent=parent or None,
                    label=label,
                    note=str(data.get("note") or ""),
                )
            )
    return rows


def files_sha256(paths: Sequence[str | Path]) -> str:
    """One hash of the files' contents, in order (each prefixed by its length): the key that
    says whether a model or its thresholds were built from exactly these files."""
    digest = hashlib.sha256()
    for path in paths:
        data = Path(path).read_bytes()
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()
