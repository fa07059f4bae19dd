"""Meaning-keeping noise for training: the model learns that a tag, a number, a typo or an
"edit:" line does not change what a reply says.

Used by ``training`` to rewrite a share of the rows in every epoch (seeded, so training stays
reproducible). The robustness test (tests/moderation/test_robustness.py) perturbs the validation
set with its own, different edits of the same kinds.
"""

from __future__ import annotations

import random
import string

TAGS = (
    "#nc",
    "#nocontact",
    "#lowcontact",
    "#survivor",
    "#family",
    "#boundaries",
    "#day1",
    "#cptsd",
    "#selfcare",
    "#vent",
    "#adviceneeded",
    "#update",
)
EDIT_NOTES = (
    "edit: fixed a word",
    "EDIT: thank you all",
    "edit - sorry it's long",
    "edit: spelling",
    "Edit: added a bit",
    "ETA: thanks for reading",
    "edit: words",
)
TRAILERS = ("💜", "❤️", "🙏", "lol", ".", "!!", "x", "...", ":)", "ugh", "🫂", "sorry")


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, word in enumerate(words) if len(word) > 3 and word.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    word = words[i]
    j = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # swap two letters
        word = word[: j - 1] + word[j] + word[j - 1] + word[j + 1 :]
    elif kind == 1:  # drop a letter
        word = word[:j] + word[j + 1 :]
    else:  # double a letter
        word = word[:j] + word[j] + word[j:]
    words[i] = word
    return " ".join(words)


def _case(text: str, rng: random.Random) -> str:
    return rng.choice((text.lower(), text.upper(), text.capitalize()))


def _append(text: str, rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return f"{text} {' '.join(rng.sample(TAGS, rng.randint(1, 2)))}"
    if kind == 1:
        return f"{text} {rng.randint(1, 2030)}"
    if kind == 2:
        return f"{text}\n\n{rng.choice(EDIT_NOTES)}"
    return f"{text} {rng.choice(TRAILERS)}"


def _spacing(text: str, rng: random.Random) -> str:
    return rng.choice(("  ", " \n", "   ")).join(text.split(" "))


def _strip_punctuation(text: str, rng: random.Random) -> str:
    return text.rstrip(string.punctuation + " ") or text


EDITS = (_typo, _case, _append, _append, _spacing, _strip_punctuation)


def add_noise(text: str, rng: random.Random) -> str:
    """``text`` with one or two small edits that keep its meaning."""
    for _ in range(rng.randint(1, 2)):
        text = rng.choice(EDITS)(text, rng)
    return text
