"""Appeals: once per decision, answered by another moderator than the one who decided (unless
they are the only one), overturning publishes the post again or lifts the sanction, the member
is told kindly, everything is audited, bad input writes nothing, and two appeals sent at the
same moment make one (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from forum import posting, review
from forum.errors import Conflict, Forbidden, InvalidInput, NotFound
from forum.extensions import db
from forum.models import (
    Appeal,
    AuditEntry,
    ModerationCase,
    Notice,
    Post,
    Thread,
    User,
    utcnow,
)
from tests.support.factories import count, make_thread, make_user
from tests.support.fake_pipeline import screened

pytestmark = pytest.mark.both_databases

SHAMING = "Honestly you went back again, what did you expect?"
NOTE = "I was quoting what my dad says to me, not saying it to her. Please read it again."


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


@pytest.fixture
def scene(app):
    """river's reply, held by screening and rejected by mod_ash; mod_birch is the other moderator."""
    mod_ash = make_user("mod_ash", role="moderator")
    mod_birch = make_user("mod_birch", role="moderator")
    river = make_user("river")
    thread = make_thread(make_user("opener"), title="Day 12").thread
    post = posting.reply(river, thread.id, SHAMING, acknowledge_nudge=True).post
    case = review.open_case_for(post.id)
    review.reject(mod_ash, case.id, "It reads as shaming someone for a slip.")
    return {"ash": mod_ash, "birch": mod_birch, "river": river, "thread": thread,
            "post": post, "case": case}


def _fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_another_moderator_overturns_a_rejection_and_the_post_is_public_again(scene):
    replies_before = _fresh(Thread, scene["thread"].id).reply_count
    appeal = review.appeal_post(scene["river"], scene["post"].id, f"  {NOTE}\r\n")
    assert appeal.note == NOTE and appeal.status == "open"
    assert appeal.decided_by_id == scene["ash"].id
    assert appeal.decision_reason == "It reads as shaming someone for a slip."
    assert review.lane_counts()["appeals"] == 1
    assert [a.id for a in review.open_appeals().items] == [appeal.id]

    with pytest.raises(Conflict):
        review.appeal_post(scene["river"], scene["post"].id, "Once more, please.")
    with pytest.raises(Forbidden, match="another moderator"):
        review.decide_appeal(scene["ash"], appeal.id, "overturn", "I was wrong.")
    assert _fresh(Appeal, appeal.id).status == "open"

    review.decide_appeal(scene["birch"], appeal.id, "overturn", "You were quoting; that's fine.")
    assert _fresh(Appeal, appeal.id).status == "overturned"
    post = _fresh(Post, scene["post"].id)
    assert post.status == "published" and post.published_at is not None
    assert _fresh(Thread, scene["thread"].id).reply_count == replies_before + 1
    case = _fresh(ModerationCase, scene["case"].id)
    assert case.status == "approved" and case.resolved_by_id == scene["birch"].id
    assert review.lane_counts()["appeals"] == 0

    notice = db.session.scalar(select(Notice).where(Notice.kind == "appeal_overturned"))
    assert notice.user_id == scene["river"].id and notice.post_id == post.id
    assert "“Day 12”" in notice.message and "published again" in notice.message
    assert "You were quoting; that's fine." in notice.message and "sorry" in notice.message

    assert _actions()[-2:] == ["appeal_opened", "appeal_overturned"]
    opened, answered = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("appeal_%")).order_by(AuditEntry.id))
    assert opened.actor_id == scene["river"].id and opened.details["note_length"] == len(NOTE)
    assert "quoting what my dad" not in str(opened.details)  # the note stays off the log
    assert answered.actor_id == scene["birch"].id and answered.details["sole_moderator"] is False
    assert answered.details["original_decider_id"] == scene["ash"].id

    with pytest.raises(Conflict):
        review.decide_appeal(scene["birch"], appeal.id, "uphold", "Changed my mind.")


def test_an_upheld_rejection_stays_down_and_the_member_is_told_what_next(scene):
    appeal = review.appeal_post(scene["river"], scene["post"].id, NOTE)
    review.decide_appeal(scene["birch"], appeal.id, "uphold",
                         "Even as a quote, it lands as blame on her.")
    assert _fresh(Post, scene["post"].id).status == "rejected"
    assert _fresh(ModerationCase, scene["case"].id).status == "rejected"
    notice = db.session.scalar(select(Notice).where(Notice.kind == "appeal_upheld"))
    assert "Even as a quote, it lands as blame on her." in notice.message
    assert "still welcome here" in notice.message and "can't be appealed again" in notice.message
    with pytest.raises(Conflict):
        review.appeal_post(scene["river"], scene["post"].id, NOTE)


def test_the_only_active_moderator_may_answer_an_appeal_of_their_own_decision(scene):
    # birch leaves the team: ash is now the only active moderator or admin.
    birch = _fresh(User, scene["birch"].id)
    birch.suspended_at = utcnow()
    db.session.commit()
    appeal = review.appeal_post(scene["river"], scene["post"].id, NOTE)
    assert review.who_may_decide(scene["ash"], appeal) is None
    review.decide_appeal(scene["ash"], appeal.id, "overturn", "Looking again, you're right.")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "appeal_overturned"))
    assert entry.actor_id == scene["ash"].id and entry.details["sole_moderator"] is True


def test_overturned_sanctions_are_lifted(scene):
    river = scene["river"]
    warning = review.warn(scene["ash"], river.id, "Please don't tell people what to do.")
    silence = review.silence(scene["ash"], river.id, 3, "A cooling-off period.")
    suspension = review.suspend(scene["ash"], river.id, "Repeated shaming.")
    assert _fresh(User, river.id).suspended_at is not None

    for sanction in (warning, silence, suspension):
        appeal = review.appeal_sanction(_fresh(User, river.id), sanction.id, NOTE)
        review.decide_appeal(scene["birch"], appeal.id, "overturn", "That went too far.")
    user = _fresh(User, river.id)
    assert user.suspended_at is None and user.silenced_until is None and user.is_active
    assert all(_fresh(type(s), s.id).lifted_at is not None for s in (warning, silence, suspension))
    messages = [n.message for n in db.session.scalars(
        select(Notice).where(Notice.kind == "appeal_overturned").order_by(Notice.id))]
    assert "withdrawn" in messages[0] and "post and reply again" in messages[1]
    assert "open again" in messages[2]
    # A lifted sanction can't be appealed again, and an upheld silence stays.
    with pytest.raises(Conflict):
        review.appeal_sanction(user, warning.id, NOTE)
    second = review.silence(scene["ash"], river.id, 2, "Again, cooling off.")
    appeal = review.appeal_sanction(_fresh(User, river.id), second.id, NOTE)
    review.decide_appeal(scene["birch"], appeal.id, "uphold", "This one stands.")
    assert _fresh(User, river.id).is_silenced()
    # Only the sanction still standing counts on river's cases.
    assert review.case_entry(scene["case"].id).prior_sanctions == 1


def test_bad_appeals_are_refused_and_write_nothing(scene):
    river, stranger = scene["river"], make_user("stranger")
    published = posting.reply(river, scene["thread"].id, "Thinking of you today.").post
    warning = review.warn(scene["ash"], river.id, "A note.")
    appeals, entries = count(Appeal), count(AuditEntry)

    with pytest.raises(NotFound):  # someone else's rejected post
        review.appeal_post(stranger, scene["post"].id, NOTE)
    with pytest.raises(NotFound):  # someone else's sanction
        review.appeal_sanction(stranger, warning.id, NOTE)
    with pytest.raises(NotFound):
        review.appeal_post(river, 999_999, NOTE)
    with pytest.raises(NotFound):
        review.appeal_sanction(river, 999_999, NOTE)
    with pytest.raises(Conflict, match="wasn't declined"):  # not rejected
        review.appeal_post(river, published.id, NOTE)
    for bad in ("", "   \n ", None, "x" * 2001, 42, ["a note"]):
        with pytest.raises(InvalidInput):
            review.appeal_post(river, scene["post"].id, bad)
    assert (count(Appeal), count(AuditEntry)) == (appeals, entries)

    appeal = review.appeal_post(river, scene["post"].id, NOTE)
    with pytest.raises(InvalidInput):
        review.decide_appeal(scene["birch"], appeal.id, "maybe", "Hmm.")
    with pytest.raises(InvalidInput):
        review.decide_appeal(scene["birch"], appeal.id, "overturn", "  ")
    with pytest.raises(Forbidden):  # a member can't answer appeals
        review.decide_appeal(stranger, appeal.id, "overturn", "Sure.")
    with pytest.raises(NotFound):
        review.decide_appeal(scene["birch"], 999_999, "overturn", "Sure.")
    assert _fresh(Appeal, appeal.id).status == "open"
    assert _fresh(Post, scene["post"].id).status == "rejected"


def test_a_moderator_cannot_answer_an_appeal_about_themselves(app):
    admin, mod, other = (make_user("admin_oak", role="admin"),
                         make_user("mod_fir", role="moderator"),
                         make_user("mod_elm", role="moderator"))
    warning = review.warn(admin, mod.id, "Please be gentler in replies.")
    appeal = review.appeal_sanction(mod, warning.id, "I was tired; I'll do better.")
    with pytest.raises(Forbidden, match="about a decision on you"):
        review.decide_appeal(mod, appeal.id, "overturn", "Mine.")
    review.decide_appeal(other, appeal.id, "uphold", "It stands, but thank you.")


def test_overturning_a_post_its_author_purged_meanwhile_changes_nothing(scene):
    from forum import purge

    appeal = review.appeal_post(scene["river"], scene["post"].id, NOTE)
    purge.purge_post(scene["river"], scene["post"].id)
    with pytest.raises(Conflict, match="removed it"):
        review.decide_appeal(scene["birch"], appeal.id, "overturn", "Fine by me.")
    assert _fresh(Appeal, appeal.id).status == "open"
    assert db.session.scalar(select(Notice).where(Notice.kind.like("appeal_%"))) is None
    assert "quoting what my dad" not in _fresh(Appeal, appeal.id).note  # purged with the post


def test_a_redaction_reaches_the_appeal_note_too(scene):
    appeal = review.appeal_post(scene["river"], scene["post"].id,
                                f"I wrote \"you went back again\" as a quote. {NOTE}")
    review.redact(scene["birch"], scene["post"].id, "current", "went back again")
    note = _fresh(Appeal, appeal.id).note
    assert "went back again" not in note and "you [removed by moderators]" in note


def test_two_appeals_at_the_same_moment_make_one(scene, app):
    river_id, post_id = scene["river"].id, scene["post"].id
    start = threading.Barrier(2)

    def appeal(n: int) -> str:
        with app.app_context():
            try:
                start.wait()
                review.appeal_post(db.session.get(User, river_id), post_id, f"{NOTE} ({n})")
                return "created"
            except Conflict:
                return "conflict"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(appeal, range(2)))
    assert results == ["conflict", "created"]
    db.session.expire_all()
    assert count(Appeal) == 1
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "appeal_opened"))


def test_appeals_have_their_own_lane_in_the_response_times(scene):
    appeal = review.appeal_post(scene["river"], scene["post"].id, NOTE)
    waiting = review.response_times()[7]["appeals"]
    assert (waiting.acted_on, waiting.waiting) == (0, 1)
    review.decide_appeal(scene["birch"], appeal.id, "uphold", "It stands.")
    answered = review.response_times()[7]["appeals"]
    assert (answered.acted_on, answered.waiting) == (1, 0) and answered.median is not None
