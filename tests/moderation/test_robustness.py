"""Decisions do not change under noise that keeps the meaning (the trained community model).

Each of 240 validation rows is screened as written and under eight kinds of noise: an appended
tag or number, doubled spaces, all lower case, all upper case, a typo, zero-width characters,
leetspeak and a trailing "edit:" line. A flip is a change of publish/hold-or-block or of
escalation; at most 2 % of the perturbed screenings may flip.

Needs the community model `make test` builds (instance/moderation/community.ckpt, or
$MODERATION_MODEL); without it the test is skipped with the reason printed.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from moderation import Decision, Item, Pipeline

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECKPOINT = Path(os.environ.get("MODERATION_MODEL")
                  or REPO_ROOT / "instance" / "moderation" / "community.ckpt")
VALIDATION = REPO_ROOT / "moderation" / "data" / "validation.jsonl"
ROWS = 240
MAX_FLIP_RATE = 0.02
LEET = str.maketrans({"e": "3", "a": "4", "o": "0", "i": "1"})


def _longest_word_index(words: list[str]) -> int:
    return max(range(len(words)), key=lambda i: (len(words[i]), -i))


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    i = _longest_word_index(words)
    word = words[i]
    if len(word) > 3:
        j = rng.randrange(1, len(word) - 2)
        words[i] = word[:j] + word[j + 1] + word[j] + word[j + 2:]
    return " ".join(words)


def _in_longest_word(text: str, edit) -> str:
    words = text.split(" ")
    i = _longest_word_index(words)
    if len(words[i]) > 2:
        words[i] = edit(words[i])
    return " ".join(words)


def _zero_width(text: str, rng: random.Random) -> str:
    return _in_longest_word(text, lambda w: w[: len(w) // 2] + "\u200b" + w[len(w) // 2:])


def _leet(text: str, rng: random.Random) -> str:
    return _in_longest_word(text, lambda w: w[0] + w[1:-1].translate(LEET) + w[-1])


PERTURBATIONS = {
    "appended tag": lambda t, rng: t + rng.choice([" #nocontact", " #NC", " #day12", " #healing"]),
    "appended number": lambda t, rng: t + f" {rng.randint(2, 999)}",
    "doubled spaces": lambda t, rng: t.replace(" ", "  "),
    "lower case": lambda t, rng: t.lower(),
    "upper case": lambda t, rng: t.upper(),
    "typo": _typo,
    "zero-width": _zero_width,
    "leetspeak": _leet,
    "trailing edit line": lambda t, rng: t + "\n\nedit: " + rng.choice(["typo", "spelling",
                                                                       "formatting"]),
}


def _outcome(verdict) -> tuple[bool, bool]:
    return verdict.decision is Decision.PUBLISH, bool(verdict.escalate)


@pytest.fixture(scope="module")
def pipeline():
    if not CHECKPOINT.is_file():
        pytest.skip(f"no community model at {CHECKPOINT}; `make model` builds it")
    return Pipeline(community_model_path=CHECKPOINT, toxicity_model="none")


def test_noise_flips_at_most_two_percent_of_decisions(pipeline):
    rows = [json.loads(line) for line in VALIDATION.read_text(encoding="utf-8").splitlines()]
    rows = rows[:ROWS]
    rng = random.Random(20261201)
    items = [Item(id=f"{row['id']}/clean", text=row["text"], parent=row["parent"]) for row in rows]
    for row in rows:
        for name, perturb in PERTURBATIONS.items():
            items.append(Item(id=f"{row['id']}/{name}", text=perturb(row["text"], rng),
                              parent=row["parent"]))
    verdicts = {item.id: v for item, v in zip(items, pipeline.screen(items), strict=True)}
    flips: dict[str, list[str]] = {name: [] for name in PERTURBATIONS}
    for row in rows:
        clean = _outcome(verdicts[f"{row['id']}/clean"])
        for name in PERTURBATIONS:
            if _outcome(verdicts[f"{row['id']}/{name}"]) != clean:
                flips[name].append(row["id"])
    total = len(rows) * len(PERTURBATIONS)
    flipped = sum(len(ids) for ids in flips.values())
    summary = {name: len(ids) for name, ids in flips.items()}
    print(f"noise flips: {flipped}/{total} = {flipped / total:.3f}; by kind {summary}")
    assert flipped / total <= MAX_FLIP_RATE, summary
