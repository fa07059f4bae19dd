"""Private staff notes on members: added from a case page, shown on the member's cases, never
to the member; staff only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum import posting, review
from forum.errors import InvalidInput
from forum.extensions import db
from forum.models import AuditEntry, MemberNote, User
from tests.support.factories import make_thread, make_user
from tests.support.fake_pipeline import screened
from tests.support.web import login, post_form

pytestmark = pytest.mark.both_databases


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


@pytest.fixture
def held_case(app):
    make_user("mod_willow", role="moderator")
    thread = make_thread(make_user("member_rowan")).thread
    post = posting.reply(make_user("member_stone"), thread.id, "You went back again? Really.",
                         acknowledge_nudge=True).post
    return review.open_case_for(post.id)


def test_a_note_added_on_the_case_page_shows_on_the_members_cases(app, client, held_case):
    login(client, "mod_willow")
    author_id = held_case.post.author_id
    answer = post_form(client, f"/mod/users/{author_id}/notes",
                       {"body": "Second shaming reply this week; spoke to them kindly in DM.",
                        "next": f"/mod/cases/{held_case.id}"},
                       token_page=f"/mod/cases/{held_case.id}")
    assert answer.status_code == 302
    page = client.get(f"/mod/cases/{held_case.id}").get_data(as_text=True)
    assert "Second shaming reply this week" in page and "Staff notes on member_stone (1)" in page
    queue = client.get("/mod/").get_data(as_text=True)
    assert "Second shaming reply this week" in queue
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "member_note_added"))
    assert entry.user_id == author_id and "Second shaming" not in str(entry.details)


def test_empty_or_overlong_notes_are_refused_and_nothing_is_stored(app, held_case):
    mod = db.session.scalar(select(User).where(User.username == "mod_willow"))
    for body in ("", "   ", "x" * 2001):
        with pytest.raises(InvalidInput):
            review.add_note(mod, held_case.post.author_id, body)
    assert db.session.scalar(select(func.count()).select_from(MemberNote)) == 0


def test_members_cannot_add_or_see_notes(app, client, held_case):
    login(client, "member_rowan")
    answer = client.post(f"/mod/users/{held_case.post.author_id}/notes", data={"body": "hi"})
    assert answer.status_code in (400, 403, 404)
    assert db.session.scalar(select(func.count()).select_from(MemberNote)) == 0
