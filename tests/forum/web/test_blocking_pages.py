"""Blocking from the pages: the blocker stops seeing the member; the member can't reply; nobody is told."""

from __future__ import annotations

import re

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
    # The page looks as it did before the block: the form is there, nothing says "blocked".
    assert f'action="{thread_url}/reply"' in page
    assert "blocked" not in page.lower()
    posts_before = db.session.scalar(select(func.count()).select_from(Post))
    response = client.post(f"{thread_url}/reply", data={"body": "Let me in."})
    assert response.status_code == 403
    assert "couldn&#39;t go through right now" in text_of(response)
    assert "blocked" not in text_of(response).lower()
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
    # An unknown name gets the same answer as a known one: no one learns who is a member.
    unknown = client.post("/members/nobody_at_all/block")
    known = client.post("/members/carol/block")
    assert unknown.status_code == known.status_code == 302
    assert "You&#39;ve blocked nobody_at_all." in text_of(client.get("/blocked"))
    assert db.session.scalar(select(func.count()).select_from(Block)) == 1


def test_blocking_needs_a_signed_in_member_and_a_post(client, community):
    response = client.post("/members/bob/block")
    assert response.status_code == 302 and "/login" in response.location
    login(client, "alice")
    assert client.get("/members/bob/block").status_code == 405
    assert db.session.scalar(select(func.count()).select_from(Block)) == 0


@pytest.mark.both_databases
def test_every_page_write_to_the_blocker_is_refused_neutrally(client, community):
    from forum import blocks, posting
    from forum.models import PostRevision, Report, Support

    alice, bob, carol = community["alice"], community["bob"], community["carol"]
    carols = make_thread(carol, title="Carol's thread").thread
    alice_there = make_reply(alice, carols.id, "Alice in Carol's thread.").post
    bobs_early = db.session.scalar(select(Post).where(Post.author_id == bob.id,
                                                      Post.thread_id == community["alices"].id))
    blocks.block_member(alice, "bob")
    login(client, "bob")
    posts = db.session.scalar(select(func.count()).select_from(Post))

    # Reply to alice's post (parent_id) in carol's thread.
    page = client.post(f"/t/{carols.id}/reply",
                       data={"body": "Listen, Alice.", "parent_id": str(alice_there.id)})
    assert page.status_code == 403 and "couldn&#39;t go through right now" in text_of(page)
    # Edit of the earlier reply in alice's thread.
    edit = client.post(f"/p/{bobs_early.id}/edit", data={"body": "Edited after the block."})
    assert edit.status_code == 403 and "couldn&#39;t go through right now" in text_of(edit)
    # Report and support on alice's post: the same sentence, flashed.
    client.post(f"/p/{alice_there.id}/report", data={"reason": "spam"})
    assert "couldn&#39;t go through right now" in text_of(client.get("/"))
    client.post(f"/p/{alice_there.id}/support")
    assert "couldn&#39;t go through right now" in text_of(client.get("/"))

    assert db.session.scalar(select(func.count()).select_from(Post)) == posts
    for model in (PostRevision, Report, Support):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    db.session.expire_all()
    assert db.session.get(Post, bobs_early.id).body_markdown == "Bob's unkind reply."
    # Writes that don't reach alice still work.
    assert client.post(f"/t/{carols.id}/reply", data={"body": "Hi Carol."}).status_code == 302
    del posting


def test_blocked_members_thread_page_is_the_same_before_and_after(client, community):
    from forum import blocks

    thread_url = f"/t/{community['alices'].id}"
    login(client, "bob")
    client.get(thread_url)  # the sign-in's welcome is shown once
    before = text_of(client.get(thread_url))
    blocks.block_member(community["alice"], "bob")
    after = text_of(client.get(thread_url))
    strip = re.compile(r'name="csrf_token"[^>]*>|value="[^"]*"')
    assert strip.sub("", before) == strip.sub("", after)
