"""moderation.policy.decide: a pure function, tested with hand-made hits and scores."""

from __future__ import annotations

import pytest

from moderation.policy import DEFAULT_THRESHOLDS, GENERAL_SCORE_KEY, NUDGES, decide
from moderation.rules import load_rules
from moderation.text import parse
from moderation.types import (
    COMMUNITY_LABELS,
    CRISIS,
    CRISIS_EMBEDDING,
    HARMFUL,
    Decision,
    Item,
    RuleHit,
)
from tests.moderation.conftest import TEST_THRESHOLDS

RULES = load_rules()


def scores(**overrides: float) -> dict[str, float]:
    base = dict.fromkeys(COMMUNITY_LABELS, 0.02)
    base.update(overrides)
    return base


def run(text: str, community=None, toxicity=None, *, parent: str | None = None, **kwargs):
    parsed = parse(text)
    parent_hits = RULES.match(parse(parent)) if parent else ()
    return decide(
        Item("p1", text, parent),
        parsed,
        RULES.match(parsed),
        scores() if community is None else community,
        toxicity,
        {**TEST_THRESHOLDS, **kwargs.pop("thresholds", {})},
        parent_hits=parent_hits,
        **kwargs,
    )


def test_plain_supportive_post_is_published_with_a_reason():
    verdict = run("That took courage. Take care of yourself this week.")
    assert verdict.decision is Decision.PUBLISH
    assert verdict.category is None
    assert not verdict.escalate
    assert verdict.nudge is None
    assert verdict.reasons == ("no rule matched and every model score is below its threshold",)


def test_empty_text_is_held_not_published():
    verdict = run("   ")
    assert verdict.decision is Decision.HOLD
    assert verdict.reasons == ("empty text: there is nothing to publish",)
    assert verdict.nudge == NUDGES["empty"]


def test_hold_rule_holds_with_rule_id_and_phrase_in_the_reason():
    verdict = run("Honestly, you made your bed.")
    assert verdict.decision is Decision.HOLD
    assert verdict.category == "nc_shaming"
    assert any(
        "nc_shaming.made_your_bed" in reason and '"you made your bed"' in reason
        for reason in verdict.reasons
    )
    assert verdict.nudge == NUDGES["nc_shaming"]


def test_threat_is_blocked():
    verdict = run("Keep posting and I'll find you.")
    assert verdict.decision is Decision.BLOCK
    assert verdict.category == "toxic"
    assert verdict.reasons[0].startswith("blocked: rule threat.find_you")
    assert verdict.nudge == NUDGES["threat"]


def test_model_score_at_threshold_holds_and_names_label_and_score():
    verdict = run("Maybe try harder next time.", scores(victim_blaming=0.83))
    assert verdict.decision is Decision.HOLD
    assert verdict.category == "victim_blaming"
    assert "community model: victim_blaming 0.83" in verdict.reasons
    assert verdict.nudge == NUDGES["victim_blaming"]
    assert "blaming them for what was done to them" in verdict.nudge


def test_model_score_below_threshold_publishes():
    verdict = run("Maybe try harder next time.", scores(victim_blaming=0.49))
    assert verdict.decision is Decision.PUBLISH


def test_thresholds_are_per_label_and_overridable():
    community = scores(darvo=0.4)
    assert run("Hmm.", community).decision is Decision.PUBLISH
    verdict = run("Hmm.", community, thresholds={"darvo": 0.35})
    assert verdict.decision is Decision.HOLD and verdict.category == "darvo"


def test_test_thresholds_cover_every_default():
    assert set(TEST_THRESHOLDS) == set(DEFAULT_THRESHOLDS)


def test_unknown_threshold_name_is_an_error():
    with pytest.raises(ValueError, match="unknown threshold"):
        run("Hmm.", thresholds={"darvoo": 0.3})


def test_crisis_rule_escalates_and_publishes():
    verdict = run("I don't want to wake up tomorrow.")
    assert verdict.decision is Decision.PUBLISH
    assert verdict.escalate
    assert verdict.category == CRISIS
    assert verdict.nudge == NUDGES[CRISIS]
    assert any(r.startswith("crisis: rule crisis.suicidal_thoughts") for r in verdict.reasons)


def test_crisis_model_score_escalates():
    verdict = run("Everything is grey lately.", scores(crisis=0.7))
    assert verdict.escalate and verdict.decision is Decision.PUBLISH
    assert "crisis: community model crisis 0.70" in verdict.reasons


def test_crisis_head_score_escalates_on_its_own_threshold():
    text = "Everything is grey lately."
    verdict = run(text, {**scores(), CRISIS_EMBEDDING: 0.6})
    assert verdict.escalate and verdict.decision is Decision.PUBLISH
    assert verdict.category == CRISIS
    assert "crisis: sentence-embedding crisis head 0.60" in verdict.reasons
    below = run(text, {**scores(), CRISIS_EMBEDDING: 0.6}, thresholds={CRISIS_EMBEDDING: 0.7})
    assert not below.escalate
    assert not run(text).escalate  # a model without the head: no score, no escalation


def test_crisis_that_is_also_harmful_is_held_and_escalated():
    verdict = run("You made your bed. I want to die too.")
    assert verdict.decision is Decision.HOLD
    assert verdict.category == "nc_shaming"
    assert verdict.escalate


def test_crisis_post_needs_strong_model_evidence_to_be_held():
    text = "I can't go on. My mother says I'm a worthless burden."
    verdict = run(text, scores(toxic=0.7))
    assert verdict.escalate and verdict.decision is Decision.PUBLISH
    strong = run(text, scores(toxic=0.95))
    assert strong.escalate and strong.decision is Decision.HOLD
    assert any("above the bar for a crisis post" in reason for reason in strong.reasons)


def test_publish_guard_raises_the_bar_for_model_only_evidence():
    text = "It's not your fault and I'm proud of you."
    held_without_guard = run("Okay then.", scores(victim_blaming=0.7))
    assert held_without_guard.decision is Decision.HOLD
    guarded = run(text, scores(victim_blaming=0.7))
    assert guarded.decision is Decision.PUBLISH
    strong = run(text, scores(victim_blaming=0.9))
    assert strong.decision is Decision.HOLD
    assert any("supportive-sounding" in reason for reason in strong.reasons)


def test_publish_guard_never_cancels_a_rule_hit():
    verdict = run("I'm proud of you, but honestly you made your bed.")
    assert verdict.decision is Decision.HOLD
    assert verdict.category == "nc_shaming"
    assert any(reason.startswith("note: supportive wording too") for reason in verdict.reasons)


def test_specific_rule_category_beats_model_category():
    verdict = run("Honestly you made your bed.", scores(victim_blaming=0.95))
    assert verdict.category == "nc_shaming"


def test_model_category_beats_generic_insult_rule():
    verdict = run("You're such a loser for going back.", scores(nc_shaming=0.8))
    assert verdict.category == "nc_shaming"


def test_insult_rule_keeps_toxic_when_the_model_is_only_just_over_its_threshold():
    # invalidation 0.6 against a 0.5 threshold is 1.2 x; a rule hit counts as RULE_STRENGTH.
    verdict = run("Trust me: you're a joke, everyone laughs at you.", scores(invalidation=0.6))
    assert verdict.decision is Decision.HOLD
    assert verdict.category == "toxic"
    assert any("community model: invalidation 0.60" in reason for reason in verdict.reasons)


def test_strongest_model_label_relative_to_threshold_wins():
    verdict = run(
        "Hmm.",
        scores(darvo=0.9, invalidation=0.6),
        thresholds={"darvo": 0.8, "invalidation": 0.3},
    )
    assert verdict.category == "invalidation"


def test_general_toxicity_alone_needs_a_very_high_score():
    text = "You are something else."
    assert run(text, toxicity={"toxicity": 0.9}).decision is Decision.PUBLISH
    verdict = run(text, toxicity={"toxicity": 0.2, "insult": 0.99})
    assert verdict.decision is Decision.HOLD and verdict.category == "toxic"
    assert any("general model insult 0.99" in reason for reason in verdict.reasons)
    assert verdict.scores[GENERAL_SCORE_KEY] == 0.99


def test_general_toxicity_supports_a_borderline_community_score():
    text = "You are something else."
    assert run(text, scores(toxic=0.35)).decision is Decision.PUBLISH
    verdict = run(text, scores(toxic=0.35), {"toxicity": 0.8})
    assert verdict.decision is Decision.HOLD and verdict.category == "toxic"
    assert any("supported by the general model" in reason for reason in verdict.reasons)
    # not borderline: no support
    assert run(text, scores(toxic=0.1), {"toxicity": 0.8}).decision is Decision.PUBLISH


def test_general_toxicity_is_ignored_when_the_post_is_clearly_supportive():
    verdict = run("You did nothing wrong.", toxicity={"toxicity": 0.99})
    assert verdict.decision is Decision.PUBLISH


def test_replying_to_a_crisis_post_lowers_the_bar_for_harm():
    parent = "I can't go on like this."
    reply = "Everyone has bad days."
    assert run(reply, scores(invalidation=0.4)).decision is Decision.PUBLISH
    verdict = run(reply, scores(invalidation=0.4), parent=parent)
    assert verdict.decision is Decision.HOLD
    assert any("replying to a crisis post" in reason for reason in verdict.reasons)
    # the parent's crisis does not make the reply a crisis
    assert not verdict.escalate


def test_unavailable_model_holds_everything_but_still_applies_rules():
    verdict = run("Lovely news!", None, unavailable="community model: file missing")
    assert verdict.decision is Decision.HOLD
    assert verdict.reasons[0] == "screening unavailable: community model: file missing"
    assert verdict.nudge == NUDGES["unavailable"]

    def without_model(text: str):
        parsed = parse(text)
        return decide(
            Item("x", text), parsed, RULES.match(parsed), None,
            thresholds=TEST_THRESHOLDS, unavailable="down",
        )

    assert without_model("kys").decision is Decision.BLOCK
    crisis = without_model("I want to die.")
    assert crisis.decision is Decision.HOLD and crisis.escalate
    assert crisis.scores == {}


def test_decide_is_pure():
    parsed = parse("You made your bed.")
    hits = RULES.match(parsed)
    first = decide(
        Item("a", "x"), parsed, hits, scores(toxic=0.6), {"toxicity": 0.3}, TEST_THRESHOLDS
    )
    second = decide(
        Item("a", "x"), parsed, hits, scores(toxic=0.6), {"toxicity": 0.3}, TEST_THRESHOLDS
    )
    assert first == second


def test_to_dict_is_exactly_the_spec_line():
    verdict = run("Hmm.", scores(toxic=0.123456))
    line = verdict.to_dict()
    assert list(line) == ["id", "decision", "category", "escalate", "scores", "reasons"]
    assert line["decision"] == "publish"
    assert line["scores"]["toxic"] == 0.1235
    assert isinstance(line["reasons"], list)


def test_every_category_has_a_kind_nudge():
    for label in (*HARMFUL, CRISIS):
        assert NUDGES[label].strip()
    assert set(DEFAULT_THRESHOLDS) >= set(COMMUNITY_LABELS)


def test_rule_hit_from_a_custom_rule_set_is_honoured():
    hit = RuleHit("custom.rule", "darvo", "hold", "tricky words", "Reason.")
    verdict = decide(
        Item("c", "tricky words"), parse("tricky words"), [hit], scores(), None, TEST_THRESHOLDS
    )
    assert verdict.category == "darvo"
    assert 'darvo: rule custom.rule matched "tricky words" (Reason.)' in verdict.reasons


def test_an_attack_on_the_reader_that_mentions_self_harm_is_held_not_published_as_crisis():
    text = "You should have died when you took the overdose."
    verdict = run(text, scores(toxic=0.7, crisis=0.9))
    assert verdict.decision is Decision.HOLD and verdict.category == "toxic"


def test_a_hold_rule_does_not_count_when_the_model_is_sure_the_text_is_harmless():
    floor = {"rule_floor": 0.2}
    released = run("Honestly, you made your bed.", thresholds=floor)
    assert released.decision is Decision.PUBLISH and released.category is None
    assert any(reason.startswith("not counted: rule nc_shaming.made_your_bed")
               and "0.02" in reason for reason in released.reasons)

    held = run("Honestly, you made your bed.", scores(darvo=0.25), thresholds=floor)
    assert held.decision is Decision.HOLD and held.category == "nc_shaming"


def test_the_rule_floor_never_releases_a_block_or_a_crisis_or_a_post_without_a_model():
    floor = {"rule_floor": 0.9}
    assert run("I will find you and you will regret it.", thresholds=floor).decision is (
        Decision.BLOCK)
    crisis = run("I keep thinking about ending my life tonight.", thresholds=floor)
    assert crisis.escalate
    unscored = run("Honestly, you made your bed.", {}, thresholds=floor,
                   unavailable="no checkpoint")
    assert unscored.decision is Decision.HOLD
