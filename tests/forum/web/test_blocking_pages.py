"""Blocking from the pages: the blocker stops seeing the member; the member can't reply; nobody is told."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Block, Post
from tests.support.factories import make_reply, make_thread, make_user
from tests.support.web import login

pytestmark = pytest.mark.usefixtures("no_csrf")


@pytest.fixture
def community(app):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    alices = make_thread(alice, title="Alice asks for advice")
    make_reply(bob, alices.thread.id, "Bob's unkind reply.")
    make_reply(carol, alices.thread.id, "Carol's kind reply.")
    bobs = make_thread(bob, title="Bob's own thread")
    return {"alice": alice, "bob": bob, "carol": carol, "alices": alices.thread, "bobs": bobs.thread}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_thread_page_offers_block_from_the_author_menu(client, community):
    login(client, "alice")
    page = text_of(client.get(f"/t/{community['alices'].id}"))
    assert 'action="/members/bob/block"' in page
    assert 'action="/members/alice/block"' not in page  # not for your own posts


def test_blocking_hides_the_members_posts_and_threads_from_the_blocker(client, community):
    thread_url = f"/t/{community['alices'].id}"
    login(client, "alice")
    response = client.post("/members/bob/block", data={"next": thread_url})
    assert response.location == thread_url
    page = text_of(client.get(thread_url))
    assert "You&#39;ve blocked bob." in page
    assert "Bob's unkind reply." not in page
    assert "Carol's kind reply." in page

    assert "Bob's own thread" not in text_of(client.get("/"))
    assert "Bob's own thread" not in text_of(client.get("/c/going-no-contact"))
    assert client.get(f"/t/{community['bobs'].id}").status_code == 404

    # Everyone else still sees bob's words.
    client.post("/logout")
    login(client, "carol")
    assert "Bob's unkind reply." in text_of(client.get(thread_url))


def test_blocked_member_cannot_reply_and_is_not_told(client, community):
    db.session.add(Block(blocker_id=community["alice"].id, blocked_id=community["bob"].id))
    db.session.commit()
    thread_url = f"/t/{community['alices'].id}"
    login(client, "bob")
    page = text_of(client.get(thread_url))
    assert f'action="{thread_url}/reply"' not in page
    assert "Replies to this thread aren" in page
    assert "blocked" not in page.lower()
    posts_before = db.session.scalar(select(func.count()).select_from(Post))
    response = client.post(f"{thread_url}/reply", data={"body": "Let me in."})
    assert response.status_code == 403
    assert "Replies to this thread aren" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Post)) == posts_before
    # Other threads stay open to them.
    carols = make_thread(community["carol"], title="Carol's thread")
    assert client.post(f"/t/{carols.thread.id}/reply", data={"body": "Hi"}).status_code == 302


def test_blocked_list_shows_whom_you_blocked_and_unblocks(client, community):
    login(client, "alice")
    empty = text_of(client.get("/blocked"))
    assert "You haven" in empty
    client.post("/members/bob/block")
    page = text_of(client.get("/blocked"))
    assert "Unblock bob" in page and 'action="/members/bob/unblock"' in page
    response = client.post("/members/bob/unblock")
    assert response.location == "/blocked"
    assert "Unblock bob" not in text_of(client.get("/blocked"))
    assert "Bob's unkind reply." in text_of(client.get(f"/t/{community['alices'].id}"))


def test_block_refuses_yourself_and_unknown_members(client, community):
    login(client, "alice")
    client.post("/members/alice/block")
    assert "You can&#39;t block yourself." in text_of(client.get("/"))
    assert client.post("/members/nobody_at_all/block").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Block)) == 0


def test_blocking_needs_a_signed_in_member_and_a_post(client, community):
    response = client.post("/members/bob/block")
    assert response.status_code == 302 and "/login" in response.location
    login(client, "alice")
    assert client.get("/members/bob/block").status_code == 405
    assert db.session.scalar(select(func.count()).select_from(Block)) == 0
