"""The training noise keeps what a reply says and is reproducible."""

from __future__ import annotations

import random

from moderation.noise import add_noise

TEXT = "You went back to him again? Honestly that is on you at this point."


def test_noise_is_seeded():
    assert add_noise(TEXT, random.Random(7)) == add_noise(TEXT, random.Random(7))


def test_noise_changes_the_text_but_keeps_most_of_its_words():
    rng = random.Random(1)
    original = set(TEXT.lower().replace("?", "").replace(".", "").split())
    changed = 0
    for _ in range(200):
        noisy = add_noise(TEXT, rng)
        changed += noisy != TEXT
        kept = original & set(noisy.lower().replace("?", "").replace(".", "").split())
        assert len(kept) >= len(original) - 2, noisy
    assert changed >= 180


def test_noise_on_very_short_and_empty_text_does_not_fail():
    rng = random.Random(3)
    for text in ("", "ok", "🫂", "Same."):
        assert isinstance(add_noise(text, rng), str)
