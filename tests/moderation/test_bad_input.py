"""Bad input never crashes the caller and never publishes unscreened (issue 3, "Bad input")."""

from __future__ import annotations

import time

import pytest

from moderation import Decision, Item, Pipeline
from tests.moderation.conftest import screen_one

ODD_TEXTS = [
    "",
    " ",
    "\x00\x01\x02",
    "😀🙏💜" * 50,
    "Mi madre me llamó egoísta. Hoy por fin dije que no.",
    "母亲说我自私。",
    "مرحبا بكم",
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "<p>unclosed <b>tags <i>everywhere",
    "&#0; &#xD800; &bogus; &amp;&amp;",
    "lone surrogate \ud800 here",
    "\u202eRTL override\u202c and zero\u200bwidth",
    "> only a quote",
    '"' * 1000,
    "'" * 1000,
]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_odd_text_gets_a_verdict(make_pipeline, text):
    verdict = screen_one(make_pipeline(), text)
    assert verdict.decision in set(Decision)
    assert verdict.reasons
    assert verdict.to_dict()["id"] == "t1"


def test_empty_text_is_held_with_a_clear_reason(make_pipeline):
    verdict = screen_one(make_pipeline(), "")
    assert verdict.decision is Decision.HOLD
    assert verdict.reasons == ("empty text: there is nothing to publish",)


def test_only_markup_counts_as_empty(make_pipeline):
    verdict = screen_one(make_pipeline(), "<p> </p><br><script>x()</script>")
    assert verdict.decision is Decision.HOLD


def test_invalid_utf8_bytes_are_screened(make_pipeline):
    verdict = screen_one(make_pipeline(), b"you made your bed \xff\xfe")
    assert verdict.decision is Decision.HOLD
    assert verdict.category == "nc_shaming"


def test_none_and_numbers_are_screened_not_crashed_on(make_pipeline):
    assert screen_one(make_pipeline(), None).decision is Decision.HOLD
    assert screen_one(make_pipeline(), 12345).decision is Decision.PUBLISH


def test_100kb_post_is_screened_quickly_and_harm_at_the_end_counts(make_pipeline, community):
    text = "We talked about gardening and the weather today. " * 2100 + " You made your bed."
    assert len(text) > 100_000
    started = time.perf_counter()
    verdict = screen_one(make_pipeline(), text)
    assert time.perf_counter() - started < 3.0
    assert verdict.decision is Decision.HOLD
    assert community.calls[0][0].endswith("You made your bed.")  # sent whole, never truncated


def test_html_harm_is_seen_through_the_markup(make_pipeline):
    verdict = screen_one(make_pipeline(), "<p>You <b>made</b> your <i>bed</i></p>")
    assert verdict.category == "nc_shaming"


def test_obfuscation_with_invisible_characters_does_not_hide_a_rule(make_pipeline):
    verdict = screen_one(make_pipeline(), "k\u200bys")
    assert verdict.decision is Decision.BLOCK


def test_lookalike_letters_do_not_hide_a_rule(make_pipeline):
    verdict = screen_one(make_pipeline(), "\u0440lease just k\u0456ll yourself")
    assert verdict.decision is Decision.BLOCK


def test_missing_checkpoint_holds(tmp_path):
    pipeline = Pipeline(community_model_path=tmp_path / "none.ckpt", toxicity_model="none")
    verdicts = pipeline.screen([Item("a", "Hello friends"), Item("b", "")])
    assert all(v.decision is Decision.HOLD for v in verdicts)
    assert verdicts[0].reasons[0].startswith("screening unavailable")


@pytest.mark.model
def test_corrupt_checkpoint_holds_with_screening_unavailable(tmp_path):
    path = tmp_path / "community.ckpt"
    path.write_bytes(b"this is not a checkpoint" * 100)
    pipeline = Pipeline(community_model_path=path, toxicity_model="none")
    verdict = screen_one(pipeline, "Hello friends")
    assert verdict.decision is Decision.HOLD
    assert verdict.reasons[0].startswith("screening unavailable: community model:")
    assert pipeline.status()["community_model"]["error"]


@pytest.mark.model
def test_unknown_toxicity_model_name_runs_without_it(community):
    pipeline = Pipeline(community_model=community, toxicity_model="no-such-model")
    assert screen_one(pipeline, "You are lovely.").decision is Decision.PUBLISH
    assert pipeline.status()["toxicity_model"]["error"]
