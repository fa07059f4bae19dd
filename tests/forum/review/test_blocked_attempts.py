"""Blocked attempts: nothing published, the author sees only the kind nudge (no rule ids,
phrases or scores, on pages and in the API), and moderators see the attempted text in the
urgent lane with an audit entry; repeated attempts flag the member; a block stays a block."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum import posting, review
from forum.errors import ModerationNudge
from forum.extensions import db
from forum.models import AuditEntry, BlockedAttempt, Post, PostStatus, User, utcnow
from tests.support.api import API, assert_error, bearer
from tests.support.factories import count, make_reply, make_thread, make_user
from tests.support.fake_pipeline import FakePipeline, screened
from tests.support.web import login, post_form

THREAT = "I will find you, wherever you moved to."
# Anything an author must never see: rule ids, rule wording, score labels or numbers.
LEAKS = re.compile(r"th-1|nc-1|a threat|0\.91|0\.01|\bscores?\b|rule_hits|\breasons\b", re.I)


@pytest.fixture
def app_config(app_config):
    return screened(app_config, FakePipeline())


@pytest.fixture
def scene(app):
    author, moderator = make_user("river_stone"), make_user("mod_willow", role="moderator")
    thread = make_thread(author, title="Finally out", body="I moved last month.").thread
    return {"author": author, "moderator": moderator, "thread": thread, "writer": make_user("ash")}


def _no_leak(text: str) -> None:
    assert not LEAKS.search(text), LEAKS.search(text).group()


@pytest.mark.both_databases
def test_api_block_answers_only_the_kind_nudge_and_opens_an_urgent_attempt(client, scene):
    headers = bearer(scene["writer"])
    posts = count(Post)
    for path, method, body in (
        (f"{API}/threads/{scene['thread'].id}/posts", "post", {"body": THREAT}),
        (f"{API}/threads", "post", {"category": "going-no-contact", "title": "A title",
                                   "body": THREAT, "acknowledge_nudge": True}),
    ):
        response = getattr(client, method)(path, headers=headers, json=body)
        answer = assert_error(response, 422, "moderation")
        assert set(answer) == {"error", "message", "decision", "category"}
        assert answer["decision"] == "block"
        _no_leak(response.get_data(as_text=True))
    assert count(Post) == posts  # nothing published, nothing stored as a post

    attempts = list(db.session.scalars(select(BlockedAttempt).order_by(BlockedAttempt.id)))
    assert [a.target for a in attempts] == [f"reply:{scene['thread'].id}", "thread:new"]
    assert attempts[0].text == THREAT and attempts[0].thread_id == scene["thread"].id
    assert attempts[1].text == f"A title\n\n{THREAT}"
    assert all(a.status == "open" and a.user_id == scene["writer"].id for a in attempts)

    entries = list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "blocked_attempt")))
    assert len(entries) == 2
    assert entries[0].details["rules"] == ["th-1"] and entries[0].user_id == scene["writer"].id
    assert "find you" not in str(entries[0].details)  # the log never holds the text

    queue = client.get(f"{API}/moderation/queue?lane=urgent", headers=bearer(scene["moderator"]))
    listed = queue.get_json()["blocked_attempts"]
    assert [item["text"] for item in listed] == [THREAT, f"A title\n\n{THREAT}"]
    assert listed[0]["reasons"] and listed[0]["author"] == "ash"
    assert review.lane_counts()["urgent"] == 2
    # Members never reach it.
    assert_error(client.get(f"{API}/moderation/queue", headers=headers), 403)


@pytest.mark.both_databases
def test_api_edit_into_a_threat_is_blocked_and_the_post_keeps_its_text(client, scene):
    reply = make_reply(scene["writer"], scene["thread"].id, "Glad you are safe.").post
    response = client.patch(f"{API}/posts/{reply.id}", headers=bearer(scene["writer"]),
                            json={"body": THREAT})
    assert_error(response, 422, "moderation")
    _no_leak(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Post, reply.id).body_markdown == "Glad you are safe."
    attempt = db.session.scalar(select(BlockedAttempt))
    assert (attempt.target, attempt.post_id) == (f"edit:{reply.id}", reply.id)


@pytest.mark.both_databases
def test_pages_show_the_author_only_the_nudge_and_others_nothing(app, client, scene):
    login(client, "ash")
    url = f"/t/{scene['thread'].id}"
    response = post_form(client, f"{url}/reply", {"body": THREAT}, token_page=url)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nudge" in page
    _no_leak(page)
    # The text is not published: not on the thread for anyone, not even for its author.
    assert "wherever you moved" not in client.get(url).get_data(as_text=True)
    client = app.test_client()  # a visitor, then a moderator
    assert "wherever you moved" not in client.get(url).get_data(as_text=True)

    login(client, "mod_willow")
    queue = client.get("/mod/?lane=urgent").get_data(as_text=True)
    assert "Blocked attempt" in queue and "wherever you moved to." in queue
    attempt = db.session.scalar(select(BlockedAttempt))
    detail = client.get(f"/mod/attempts/{attempt.id}")
    assert detail.status_code == 200 and "wherever you moved to." in detail.get_data(as_text=True)
    assert "no-store" in detail.headers["Cache-Control"]
    closed = post_form(client, f"/mod/attempts/{attempt.id}/close", {"reason": "warned them"},
                       token_page=f"/mod/attempts/{attempt.id}")
    assert closed.status_code == 302
    db.session.expire_all()
    assert db.session.get(BlockedAttempt, attempt.id).status == "closed"
    assert review.lane_counts()["urgent"] == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "attempt_closed"))


@pytest.mark.both_databases
def test_members_cannot_open_attempts_or_member_pages(client, scene):
    with pytest.raises(ModerationNudge):
        posting.reply(scene["writer"], scene["thread"].id, THREAT)
    attempt = db.session.scalar(select(BlockedAttempt))
    login(client, "river_stone")
    assert client.get(f"/mod/attempts/{attempt.id}").status_code == 403
    assert client.get(f"/mod/users/{scene['writer'].id}").status_code == 403
    assert_error(client.post(f"{API}/moderation/attempts/{attempt.id}",
                             headers=bearer(scene["author"]), json={"action": "close"}), 403)


@pytest.mark.both_databases
def test_repeated_blocked_attempts_flag_the_member(client, scene):
    writer = scene["writer"]
    # An old attempt, outside the window, does not count.
    with pytest.raises(ModerationNudge):
        posting.reply(writer, scene["thread"].id, THREAT)
    db.session.execute(update(BlockedAttempt).values(
        created_at=utcnow() - review.REPEATED_BLOCKS_WINDOW - timedelta(minutes=1)))
    db.session.commit()
    for _ in range(review.REPEATED_BLOCKS - 1):
        with pytest.raises(ModerationNudge):
            posting.reply(writer, scene["thread"].id, THREAT)
    db.session.expire_all()
    assert db.session.get(User, writer.id).attempts_flagged_at is None
    with pytest.raises(ModerationNudge):
        posting.reply(writer, scene["thread"].id, "I WILL FIND YOU.")
    db.session.expire_all()
    assert db.session.get(User, writer.id).attempts_flagged_at is not None
    flags = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "member_flagged")))
    assert len(flags) == 1 and flags[0].details["attempts"] == review.REPEATED_BLOCKS
    # More attempts don't raise it twice.
    with pytest.raises(ModerationNudge):
        posting.reply(writer, scene["thread"].id, THREAT)
    assert len(list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "member_flagged")))) == 1

    moderator = bearer(scene["moderator"])
    listed = client.get(f"{API}/moderation/queue", headers=moderator).get_json()
    assert all(item["author_flagged"] for item in listed["blocked_attempts"])
    login(client, "mod_willow")
    page = client.get(f"/mod/users/{writer.id}").get_data(as_text=True)
    assert "flagged" in page and "Clear the flag" in page
    assert "flagged: repeated blocked attempts" in client.get("/mod/").get_data(as_text=True)
    assert client.delete(f"{API}/moderation/users/{writer.id}/flag",
                         headers=moderator).status_code == 204
    db.session.expire_all()
    assert db.session.get(User, writer.id).attempts_flagged_at is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "flag_cleared"))


@pytest.mark.both_databases
def test_a_block_stays_a_block_and_rewording_is_screened_normally(client, scene):
    headers = bearer(scene["writer"])
    path = f"{API}/threads/{scene['thread'].id}/posts"
    assert_error(client.post(path, headers=headers,
                             json={"body": THREAT, "acknowledge_nudge": True}), 422)
    # Reworded but still a threat: blocked again, a second attempt.
    assert_error(client.post(path, headers=headers,
                             json={"body": "Mark my words: i will find you."}), 422)
    # Reworded into something harmful but not a threat: held like any text, not waved through.
    nudged = client.post(path, headers=headers, json={"body": "What an idiot you are."})
    assert assert_error(nudged, 422)["decision"] == "hold"
    held = client.post(path, headers=headers,
                       json={"body": "What an idiot you are.", "acknowledge_nudge": True})
    assert held.status_code == 201 and held.get_json()["status"] == PostStatus.HELD
    # A kind text is published as for anyone.
    kind = client.post(path, headers=headers, json={"body": "I hope you are safe now."})
    assert kind.get_json()["status"] == PostStatus.PUBLISHED
    assert count(BlockedAttempt) == 2


def test_moderation_api_refuses_bad_actions_clearly(client, scene):
    moderator = bearer(scene["moderator"])
    with pytest.raises(ModerationNudge):
        posting.reply(scene["writer"], scene["thread"].id, THREAT)
    attempt = db.session.scalar(select(BlockedAttempt))
    assert_error(client.post(f"{API}/moderation/attempts/{attempt.id}", headers=moderator,
                             json={"action": "approve"}), 422)
    assert_error(client.post(f"{API}/moderation/attempts/99999", headers=moderator,
                             json={"action": "close"}), 404)
    assert_error(client.post(f"{API}/moderation/attempts/{attempt.id}", headers=moderator,
                             data="x"), 415)
    assert_error(client.delete(f"{API}/moderation/users/99999/flag", headers=moderator), 404)
    done = client.post(f"{API}/moderation/attempts/{attempt.id}", headers=moderator,
                       json={"action": "close", "reason": "seen"})
    assert done.status_code == 200 and done.get_json()["status"] == "closed"
