"""Text processing takes time linear in the input: no pathological regular expressions.

A post is screened (normalisation, quoted-speech parsing, rules, policy; a fake model) within
100 ms for inputs built to make backtracking regular expressions explode.
"""

from __future__ import annotations

import time

import pytest

from moderation import Decision
from tests.moderation.conftest import screen_one

LIMIT_SECONDS = 0.1
# Other shapes that have made regular expressions backtrack; a catastrophic case takes
# seconds to hours, so a looser bound still tells linear from not.
LOOSE_LIMIT_SECONDS = 1.0
HOSTILE_INPUTS = {
    "one 20,000-character word": "a" * 20_000,
    "one 20,000-character mixed-script word": "aа" * 10_000,
    "100 KB of punctuation": "!?.,;:*_~`-" * 9_310,
    "100 KB of asterisks": "*" * 100_000,
    "100 KB of underscores and tildes": "_~" * 50_000,
    "1,000 nested quote markers": ">" * 1_000 + " you made your bed",
}
OTHER_INPUTS = {
    "a word of letters and digits": "a1" * 10_000,
    "1,000 nested quotation marks": "\"'" * 1_000 + "x",
    "apostrophes between letters": "a'" * 10_000,
    "markdown links opened and never closed": "[a](" * 5_000,
    "html-like brackets": "<a " * 10_000,
    "speech frames without an end": "my mother said " * 2_000,
    "spaces and newlines": " \n" * 50_000,
    "list markers": "1. " * 30_000,
}


def _seconds_to_screen(pipeline, text: str) -> float:
    """CPU seconds this thread spent screening the text, the least of three runs: the work
    itself, not the time other processes on a busy machine took from it."""
    screen_one(pipeline, "warm up")
    runs = []
    for _ in range(3):
        started = time.thread_time()
        verdict = screen_one(pipeline, text)
        runs.append(time.thread_time() - started)
        assert verdict.decision in set(Decision)
    return min(runs)


@pytest.mark.parametrize("name", list(HOSTILE_INPUTS))
def test_hostile_input_is_screened_within_100_ms(make_pipeline, name):
    elapsed = _seconds_to_screen(make_pipeline(), HOSTILE_INPUTS[name])
    assert elapsed < LIMIT_SECONDS, f"{name}: {elapsed * 1000:.0f} ms"


@pytest.mark.parametrize("name", list(OTHER_INPUTS))
def test_other_backtracking_shapes_stay_linear(make_pipeline, name):
    elapsed = _seconds_to_screen(make_pipeline(), OTHER_INPUTS[name])
    assert elapsed < LOOSE_LIMIT_SECONDS, f"{name}: {elapsed * 1000:.0f} ms"


def test_a_long_run_of_symbols_is_cut_but_words_after_it_count(make_pipeline):
    verdict = screen_one(make_pipeline(), "!" * 50_000 + " you made your bed")
    assert verdict.decision is Decision.HOLD
