"""Purge (the author) and redaction (moderators): the words leave every table; counters stay
right; the record that a post existed stays; authorisation is on the server; web and API."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, String, Text, select

from forum import posting, purge, review
from forum.errors import ModerationNudge
from forum.extensions import db
from forum.models import AuditEntry, ModerationCase, Post, PostRevision, PostStatus, Thread
from tests.support.api import API, assert_error, bearer
from tests.support.factories import count, make_reply, make_thread, make_user
from tests.support.fake_pipeline import FakePipeline, screened
from tests.support.web import login, post_form

SECRET = "Jane Quartermaine"  # a real name posted by mistake
TEXTUAL = (String, Text, JSON)


@pytest.fixture
def app_config(app_config):
    return screened(app_config, FakePipeline())


def tables_holding(needle: str) -> list[str]:
    """Every table.column (text and JSON columns of every table) whose value contains needle."""
    found = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, TEXTUAL)]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)).all():
            for column, value in zip(columns, row, strict=True):
                if value is not None and needle.lower() in str(value).lower():
                    found.append(f"{table.name}.{column.name}")
    return found


@pytest.fixture
def story(app):
    author, other = make_user("river_stone"), make_user("ash")
    moderator = make_user("mod_willow", role="moderator")
    thread = make_thread(author, title="Leaving home").thread
    # Held first (a rule quotes the words), then edited twice: three versions carry the name.
    reply = posting.reply(author, thread.id, f"{SECRET} went back again, idiot.",
                          acknowledge_nudge=True).post
    posting.edit_post(author, reply.id, f"My sister {SECRET} helped me.")
    posting.edit_post(author, reply.id, f"My sister {SECRET} helped me pack.")
    make_reply(other, thread.id, "So glad you had help.")
    posting.report_post(other, reply.id, "it has a full name in it")
    return {"author": author, "other": other, "moderator": moderator, "thread": thread,
            "reply": reply}


@pytest.mark.both_databases
def test_api_purge_removes_every_version_from_every_table(client, story):
    assert tables_holding(SECRET)  # before: the post, its versions, the case's reasons
    thread, reply = story["thread"], story["reply"]
    replies_before = db.session.get(Thread, thread.id).reply_count
    path = f"{API}/posts/{reply.id}/purge"
    # The confirmation step, and only the author.
    assert_error(client.post(path, headers=bearer(story["author"]), json={}), 422)
    assert_error(client.post(path, headers=bearer(story["other"]),
                             json={"confirm": True}), 403)
    assert_error(client.post(path, headers=bearer(story["moderator"]),
                             json={"confirm": True}), 403)
    assert SECRET in db.session.get(Post, reply.id).body_markdown

    done = client.post(path, headers=bearer(story["author"]), json={"confirm": True})
    assert done.status_code == 200 and done.get_json()["status"] == PostStatus.PURGED
    db.session.expire_all()
    assert tables_holding(SECRET) == []
    assert tables_holding("helped me pack") == []
    post = db.session.get(Post, reply.id)
    assert post.status == PostStatus.PURGED and post.author_id == story["author"].id
    assert count(PostRevision) == 0
    assert db.session.get(Thread, thread.id).reply_count == replies_before - 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "purged"))
    assert entry.post_id == reply.id and entry.user_id == story["author"].id
    assert entry.details["versions"] == 3 and entry.created_at is not None
    assert all(c.status != "open" for c in db.session.scalars(select(ModerationCase)))
    # Gone for everyone: the page, the API, the history; a second purge is a 404.
    assert "helped me" not in client.get(f"/t/{thread.id}").get_data(as_text=True)
    assert_error(client.post(path, headers=bearer(story["author"]), json={"confirm": True}), 404)
    assert client.get(f"/p/{reply.id}/history").status_code == 404


@pytest.mark.both_databases
def test_purging_an_opening_post_takes_the_title_and_the_thread(client, app):
    author = make_user("river_stone")
    thread = make_thread(author, title=f"About {SECRET}", body=f"{SECRET} lives nearby.").thread
    make_reply(make_user(), thread.id, "Take care.")
    opening = db.session.scalar(select(Post).where(Post.thread_id == thread.id,
                                                   Post.is_opening.is_(True)))
    purge.purge_post(author, opening.id)
    db.session.expire_all()
    assert tables_holding(SECRET) == []
    gone = db.session.get(Thread, thread.id)
    assert gone.deleted_at is not None and gone.is_visible is False
    assert gone.title == purge.PURGED_TITLE
    assert client.get(f"/t/{thread.id}").status_code == 404


@pytest.mark.both_databases
def test_a_deleted_post_can_still_be_purged_and_counters_move_once(app):
    author = make_user()
    thread = make_thread(author).thread
    reply = make_reply(author, thread.id, f"{SECRET} again").post
    posting.delete_post(author, reply.id)
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).reply_count == 0
    purge.purge_post(author, reply.id)
    db.session.expire_all()
    assert db.session.get(Thread, thread.id).reply_count == 0
    assert tables_holding(SECRET) == []


def test_web_purge_has_a_confirmation_step_and_csrf(app, client, story):
    app.config["WTF_CSRF_ENABLED"] = True
    reply = story["reply"]
    login(client, "river_stone")
    page = client.get(f"/p/{reply.id}/purge")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Remove this post for good?" in text and "2 earlier versions" in text
    assert "no-store" in page.headers["Cache-Control"]
    assert client.post(f"/p/{reply.id}/purge").status_code == 400  # no CSRF token
    assert SECRET in db.session.get(Post, reply.id).body_markdown
    done = post_form(client, f"/p/{reply.id}/purge", {}, token_page=f"/p/{reply.id}/purge")
    assert done.status_code == 302
    db.session.expire_all()
    assert tables_holding(SECRET) == []

    other = app.test_client()
    login(other, "ash")
    mine = make_reply(story["other"], story["thread"].id, "mine").post
    assert other.get(f"/p/{reply.id}/purge").status_code == 404
    assert other.get(f"/p/{story['thread'].posts[0].id}/purge").status_code == 403
    assert other.get(f"/p/{mine.id}/purge").status_code == 200


@pytest.mark.both_databases
def test_moderators_redact_a_piece_of_an_earlier_version_via_the_api(client, story):
    reply = story["reply"]
    first = db.session.scalar(select(PostRevision).where(PostRevision.post_id == reply.id)
                              .order_by(PostRevision.id))
    path = f"{API}/moderation/posts/{reply.id}/redact"
    assert_error(client.post(path, headers=bearer(story["author"]),
                             json={"version": first.id, "text": SECRET}), 403)
    assert_error(client.post(path, headers=bearer(story["moderator"]),
                             json={"version": first.id, "text": "not in there"}), 422)
    assert_error(client.post(path, headers=bearer(story["moderator"]),
                             json={"version": 999999, "text": SECRET}), 422)
    assert_error(client.post(path, headers=bearer(story["moderator"]),
                             json={"version": True}), 422)
    done = client.post(path, headers=bearer(story["moderator"]),
                       json={"version": first.id, "text": SECRET})
    assert done.status_code == 200 and done.get_json()["occurrences"] == 1
    db.session.expire_all()
    assert db.session.get(PostRevision, first.id).body_markdown == (
        f"{review.REDACTED} went back again, idiot.")
    # The other versions still hold it until redacted too; the audit entry never does.
    for version in ("current", *[r.id for r in db.session.scalars(
            select(PostRevision).where(PostRevision.post_id == reply.id))]):
        client.post(path, headers=bearer(story["moderator"]),
                    json={"version": version, "text": SECRET})
    db.session.expire_all()
    assert tables_holding(SECRET) == []
    entries = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "redacted")))
    assert len(entries) >= 3 and all(SECRET not in str(e.details) for e in entries)
    assert review.REDACTED in db.session.get(Post, reply.id).body_html


@pytest.mark.both_databases
def test_redacting_a_whole_version_on_the_page_with_confirmation(app, client, story):
    reply = story["reply"]
    login(client, "mod_willow")
    page = client.get(f"/mod/posts/{reply.id}/redact")
    assert page.status_code == 200 and SECRET in page.get_data(as_text=True)
    confirm = post_form(client, f"/mod/posts/{reply.id}/redact", {"version": "current"},
                        token_page=f"/mod/posts/{reply.id}/redact")
    assert confirm.status_code == 200 and "Remove it for good?" in confirm.get_data(as_text=True)
    assert SECRET in db.session.get(Post, reply.id).body_markdown  # nothing yet
    done = post_form(client, f"/mod/posts/{reply.id}/redact",
                     {"version": "current", "confirm": "yes"},
                     token_page=f"/mod/posts/{reply.id}/redact")
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, reply.id).body_markdown == review.REDACTED
    bad = post_form(client, f"/mod/posts/{reply.id}/redact", {"version": "abc"},
                    token_page=f"/mod/posts/{reply.id}/redact")
    assert bad.status_code == 422
    member = app.test_client()
    login(member, "river_stone")
    assert member.get(f"/mod/posts/{reply.id}/redact").status_code == 403


def test_purge_then_nothing_is_left_of_a_blocked_edit_only_with_moderators(app):
    # A blocked attempt to edit the post was never one of its versions: it stays as evidence.
    author = make_user()
    thread = make_thread(author).thread
    reply = make_reply(author, thread.id, "fine words").post
    with pytest.raises(ModerationNudge):
        posting.edit_post(author, reply.id, "I will find you")
    purge.purge_post(author, reply.id)
    db.session.expire_all()
    assert tables_holding("fine words") == []
    assert {place.split(".")[0] for place in tables_holding("I will find you")} == {
        "blocked_attempts"}
