"""Screening every write: verdicts stored, cases opened, nudges measured, failing closed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum import posting, review, screening
from forum.errors import ModerationNudge
from forum.extensions import db
from forum.models import (
    AuditEntry,
    ModerationCase,
    NudgeEvent,
    PostScreening,
    PostStatus,
)
from tests.support.factories import make_reply, make_thread, make_user
from tests.support.fake_pipeline import BrokenPipeline, FakePipeline, UnavailablePipeline, screened

SHAMING = "Honestly you went back AGAIN, what did you expect?"


@pytest.fixture
def pipeline():
    return FakePipeline()


@pytest.fixture
def app_config(app_config, pipeline):
    return screened(app_config, pipeline)


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.both_databases
def test_supportive_reply_with_quoted_insult_is_published_and_its_verdict_stored(app, pipeline):
    author = make_user()
    thread = make_thread(author, body="My mother insulted me again at dinner.").thread
    outcome = make_reply(make_user(), thread.id,
                         "> she called me an idiot\n\nShe was cruel, and wrong about you.")
    assert outcome.status == PostStatus.PUBLISHED
    assert thread.reply_count == 1
    row = db.session.scalar(select(PostScreening).where(PostScreening.post_id == outcome.post.id))
    assert row.decision == "publish" and row.model_version == "fake-1"
    assert row.scores["toxic"] == pytest.approx(0.01)
    assert _count(ModerationCase) == 0
    # The parent post went to the pipeline as context.
    assert pipeline.calls[-1][0].parent == "My mother insulted me again at dinner."


@pytest.mark.both_databases
def test_shaming_reply_is_nudged_first_and_stores_nothing(app):
    thread = make_thread(make_user()).thread
    shamer = make_user()
    with pytest.raises(ModerationNudge) as caught:
        posting.reply(shamer, thread.id, SHAMING)
    error = caught.value
    assert error.details["decision"] == "hold"
    assert error.details["category"] == "nc_shaming"
    assert "going back" in error.message  # the kind, specific nudge
    assert set(error.details) == {"decision", "category"}  # the author never sees the rule
    assert "went back AGAIN" not in error.message and "nc-1" not in error.message
    db.session.rollback()
    assert _count(PostScreening) == 1  # only the opening post's verdict
    assert thread.reply_count == 0
    assert _count(NudgeEvent, NudgeEvent.user_id == shamer.id, NudgeEvent.outcome.is_(None)) == 1


@pytest.mark.both_databases
def test_acknowledged_shaming_reply_is_held_with_a_case_and_audit(app):
    author = make_user()
    thread = make_thread(author).thread
    shamer = make_user()
    with pytest.raises(ModerationNudge):
        posting.reply(shamer, thread.id, SHAMING)
    outcome = posting.reply(shamer, thread.id, SHAMING, acknowledge_nudge=True)
    assert outcome.status == PostStatus.HELD
    assert outcome.post.published_at is None
    assert thread.reply_count == 0
    case = db.session.scalar(select(ModerationCase).where(ModerationCase.post_id == outcome.post.id))
    assert (case.lane, case.status, case.category) == ("held", "open", "nc_shaming")
    assert case.nudged is True
    assert case.rule_hits[0]["phrase"] == "went back AGAIN"
    assert case.model_version == "fake-1"
    nudge = db.session.scalar(select(NudgeEvent).where(NudgeEvent.user_id == shamer.id))
    assert (nudge.outcome, nudge.post_id) == ("submitted", outcome.post.id)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.post_id == outcome.post.id,
                                 AuditEntry.action == "screened"))
    assert entry.actor_id is None
    assert entry.details["decision"] == "hold" and entry.case_id == case.id


def test_an_api_client_acknowledging_up_front_is_held_but_not_counted_as_nudged(app):
    thread = make_thread(make_user()).thread
    outcome = posting.reply(make_user(), thread.id, SHAMING, acknowledge_nudge=True)
    case = db.session.scalar(select(ModerationCase))
    assert outcome.status == PostStatus.HELD and case.nudged is False


def test_block_stores_nothing_even_when_acknowledged(app):
    thread = make_thread(make_user()).thread
    with pytest.raises(ModerationNudge) as caught:
        posting.reply(make_user(), thread.id, "I will find you and your family.",
                      acknowledge_nudge=True)
    assert caught.value.details["decision"] == "block"
    db.session.rollback()
    assert _count(ModerationCase) == 0
    assert len(thread.posts) == 1


@pytest.mark.both_databases
def test_crisis_post_is_published_and_lands_in_the_urgent_lane(app):
    outcome = make_thread(make_user(), title="I can't do this",
                          body="Some nights I want to die. Nobody calls.")
    assert outcome.status == PostStatus.PUBLISHED
    assert outcome.escalate is True
    assert outcome.thread.is_visible is True
    case = db.session.scalar(select(ModerationCase))
    assert (case.lane, case.escalate, case.category) == ("urgent", True, "crisis")


def test_crisis_and_harmful_is_held_in_the_urgent_lane(app):
    thread = make_thread(make_user()).thread
    outcome = posting.reply(make_user(), thread.id,
                            "You went back again, no wonder you want to die.",
                            acknowledge_nudge=True)
    assert outcome.status == PostStatus.HELD and outcome.escalate
    case = db.session.scalar(select(ModerationCase))
    assert case.lane == "urgent"


def test_urgent_cases_come_first_then_oldest(app):
    thread = make_thread(make_user()).thread
    held_first = posting.reply(make_user(), thread.id, SHAMING, acknowledge_nudge=True)
    held_second = posting.reply(make_user(), thread.id, "idiot.", acknowledge_nudge=True)
    urgent = make_reply(make_user(), thread.id, "Honestly I want to die some days.")
    order = [entry.case.post_id for entry in review.queue().page.items]
    assert order == [urgent.post.id, held_first.post.id, held_second.post.id]
    assert review.queue("held").counts == {"all": 3, "urgent": 1, "held": 2, "reported": 0,
                                           "appeals": 0}


@pytest.mark.both_databases
def test_reports_on_one_post_merge_into_one_case_with_a_count(app):
    thread = make_thread(make_user()).thread
    target = make_reply(make_user(), thread.id, "Families are complicated.").post
    for reason in ("This felt dismissive.", "Same here.", "Please look at this."):
        posting.report_post(make_user(), target.id, reason)
    cases = db.session.scalars(select(ModerationCase)).all()
    assert len(cases) == 1
    assert (cases[0].lane, cases[0].report_count) == ("reported", 3)
    assert review.get_case(cases[0].id).reports[0].reason == "This felt dismissive."
    assert _count(AuditEntry, AuditEntry.action == "reported") == 3


def test_a_report_on_an_urgent_post_joins_its_case(app):
    thread = make_thread(make_user()).thread
    crisis = make_reply(make_user(), thread.id, "I want to die.").post
    posting.report_post(make_user(), crisis.id, "I'm worried about them")
    case = db.session.scalar(select(ModerationCase))
    assert (case.lane, case.report_count) == ("urgent", 1)


def test_an_edit_that_passes_closes_the_held_case_and_counts_as_revised(app):
    thread = make_thread(make_user()).thread
    author = make_user()
    held = posting.reply(author, thread.id, SHAMING, acknowledge_nudge=True).post
    with pytest.raises(ModerationNudge):
        posting.edit_post(author, held.id, "You went back again; that must hurt.")
    outcome = posting.edit_post(author, held.id, "Slips happen. Be kind to yourself.")
    assert outcome.status == PostStatus.PUBLISHED and thread.reply_count == 1
    case = db.session.scalar(select(ModerationCase))
    assert case.status == "superseded"
    events = db.session.scalars(select(NudgeEvent).order_by(NudgeEvent.id)).all()
    assert [e.outcome for e in events] == ["revised"]
    assert _count(PostScreening, PostScreening.post_id == held.id) == 2


def test_nudge_revision_rate(app):
    thread = make_thread(make_user()).thread
    reviser, insister, leaver = make_user(), make_user(), make_user()
    for member in (reviser, insister, leaver):
        with pytest.raises(ModerationNudge):
            posting.reply(member, thread.id, SHAMING)
    posting.reply(reviser, thread.id, "Going back doesn't erase your progress.")
    posting.reply(insister, thread.id, SHAMING, acknowledge_nudge=True)
    stats = review.nudge_stats()
    assert (stats.shown, stats.revised, stats.submitted, stats.pending) == (3, 1, 1, 1)
    assert stats.revised_rate == pytest.approx(1 / 3)


def test_a_second_nudge_on_the_same_reply_is_not_counted_twice(app):
    thread = make_thread(make_user()).thread
    member = make_user()
    with pytest.raises(ModerationNudge):
        posting.reply(member, thread.id, SHAMING)
    with pytest.raises(ModerationNudge):
        posting.reply(member, thread.id, "you deserved it honestly")
    posting.reply(member, thread.id, "I'm sorry, that sounds so hard.")
    stats = review.nudge_stats()
    assert (stats.shown, stats.revised) == (1, 1)


@pytest.mark.both_databases
@pytest.mark.parametrize("pipeline", [UnavailablePipeline(), BrokenPipeline()],
                         ids=["model-unavailable", "pipeline-raises"])
def test_without_a_working_model_posts_are_held_never_published_never_lost(app):
    author = make_user()
    # Stored held at once, without asking the author to acknowledge anything: there is nothing
    # to rephrase, and the answer says the post is saved.
    outcome = posting.create_thread(author, "going-no-contact", "Day one",
                                    "Today I blocked his number.")
    assert outcome.status == PostStatus.HELD
    assert outcome.screening.reasons[0].startswith("screening unavailable")
    assert "your post is saved" in outcome.screening.nudge
    assert outcome.thread.is_visible is False
    case = db.session.scalar(select(ModerationCase))
    assert case.unavailable is True and case.lane == "held"
    health = review.screening_health()
    assert health.available is False and health.held_unavailable == 1
    assert health.message.startswith("screening unavailable")


def test_screening_off_publishes_and_records_nothing(app_config):
    from forum import create_app

    app_config["MODERATION_SCREENING"] = "off"
    app = create_app(app_config)
    with app.app_context():
        db.create_all()
        from forum.models import ensure_default_categories

        ensure_default_categories()
        db.session.commit()
        outcome = make_thread(make_user(), body="You went back AGAIN.")
        assert outcome.status == PostStatus.PUBLISHED
        assert _count(PostScreening) == 0 and _count(ModerationCase) == 0
        db.session.remove()
        db.drop_all()


def test_pipeline_is_built_lazily_once_per_process(app_config, monkeypatch):
    import moderation
    from forum import create_app

    built: list[tuple] = []

    class CountingPipeline(FakePipeline):
        def __init__(self, community_model_path=None, toxicity_model=None, rules_path=None):
            super().__init__()
            built.append((community_model_path, toxicity_model))

    monkeypatch.setattr(moderation, "Pipeline", CountingPipeline, raising=False)
    monkeypatch.setattr(screening, "_pipelines", {})
    app_config.pop("MODERATION_PIPELINE", None)
    app_config["MODERATION_MODEL"] = "/models/community.ckpt"
    app_config["MODERATION_TOXICITY_MODEL"] = "none"
    app = create_app(app_config)
    assert built == []  # not at import, not in create_app
    with app.app_context():
        assert screening.screen_text("hello", None).decision == "publish"
        assert screening.screen_text("you went back again", "parent").decision == "hold"
    second = create_app(app_config)
    with second.app_context():
        screening.screen_text("hello again", None)
    assert built == [("/models/community.ckpt", "none")]


def test_verdict_mapping_keeps_scores_rule_hits_and_a_nudge(app):
    verdict = screening.screen_text("you deserved it", None)
    assert verdict.decision == "hold" and verdict.category == "victim_blaming"
    assert verdict.rule_hits[0] == {"rule_id": "vb-1", "category": "victim_blaming",
                                    "action": "hold", "phrase": "you deserved it",
                                    "why": "blames the person who was hurt"}
    assert "blaming them" in verdict.nudge
    assert verdict.scores["victim_blaming"] == pytest.approx(0.91)


def test_rescore_publishes_held_posts_that_now_pass(app):
    app.config["MODERATION_PIPELINE"] = UnavailablePipeline()
    author = make_user()
    held = posting.create_thread(author, "going-no-contact", "Day one", "Blocked his number.",
                                 acknowledge_nudge=True)
    still_bad = posting.reply(author, held.thread.id, SHAMING, acknowledge_nudge=True)
    app.config["MODERATION_PIPELINE"] = FakePipeline()  # the model is back
    result = review.rescore_held()
    assert (result.screened, result.published, result.still_held) == (2, 1, 1)
    assert held.post.status == PostStatus.PUBLISHED and held.thread.is_visible
    assert still_bad.post.status == PostStatus.HELD
    first_case = db.session.scalar(
        select(ModerationCase).where(ModerationCase.post_id == held.post.id))
    assert first_case.status == "approved" and first_case.resolved_by_id is None
    assert _count(AuditEntry, AuditEntry.action == "auto_approved") == 1
    assert review.screening_health().available is True


def test_a_post_its_author_deleted_leaves_the_queue_and_cannot_be_approved(app):
    from forum.errors import Conflict

    mod = make_user("mod_willow", role="moderator")
    thread = make_thread(make_user()).thread
    author = make_user()
    held = posting.reply(author, thread.id, SHAMING, acknowledge_nudge=True).post
    case_id = review.queue().page.items[0].case.id
    posting.delete_post(author, held.id)
    assert review.queue().page.items == [] and review.lane_counts()["all"] == 0
    with pytest.raises(Conflict):
        review.approve(mod, case_id)
    assert held.status == PostStatus.DELETED and thread.reply_count == 0
