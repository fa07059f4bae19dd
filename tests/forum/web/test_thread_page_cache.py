"""The thread page's caches never show what the reader may not see, and show every change at once.

Cards are kept by (post id, version) and anonymous pages by every (post id, version) they show
(forum/web/thread_page.py); the version is raised by the database on every update of a post
(forum/models/community.py). Each test first reads the page so the caches are full, changes
something through the real use cases, and reads again: the change must be there.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text, update

from forum import access_settings, blocks, posting, purge, review
from forum.extensions import db
from forum.models import ModerationCase, Post
from tests.support.factories import PUBLIC_CATEGORY, make_reply, make_thread, make_user
from tests.support.fake_pipeline import FakePipeline, screened
from tests.support.web import csrf_token_in, login

pytestmark = pytest.mark.both_databases


@pytest.fixture
def app_config(app_config):
    return screened(app_config, FakePipeline())


@pytest.fixture
def story(app):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    moderator = make_user("mod_rowan", role="moderator")
    thread = make_thread(alice, title="Thirty days", body="Day thirty, and I held my line.").thread
    bobs = make_reply(bob, thread.id, "Bob here: proud of you for holding on.").post
    carols = make_reply(carol, thread.id, "Carol: sending you strength today.").post
    return {"alice": alice, "bob": bob, "carol": carol, "moderator": moderator,
            "thread": thread, "bobs": bobs, "carols": carols, "url": f"/t/{thread.id}"}


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def case_of(post_id: int) -> int:
    return db.session.scalar(select(ModerationCase.id).where(ModerationCase.post_id == post_id))


def test_the_database_raises_a_posts_version_on_every_update(story):
    post_id = story["bobs"].id
    version = db.session.scalar(select(Post.version).where(Post.id == post_id))
    # Plain SQL, as any future code path might write: the trigger still counts it.
    db.session.execute(text("UPDATE posts SET support_count = support_count WHERE id = :id"),
                       {"id": post_id})
    db.session.execute(update(Post).where(Post.id == post_id).values(support_count=3))
    db.session.commit()
    assert db.session.scalar(select(Post.version).where(Post.id == post_id)) == version + 2
    posting.edit_post(story["bob"], post_id, "Bob here: so proud of you.")
    db.session.expire_all()
    assert db.session.get(Post, post_id).version == version + 3


def test_an_edit_shows_at_once_on_cached_pages(app, client, story):
    carol = signed_in(app, "carol")
    for reader in (client, carol):
        assert "proud of you for holding on" in page_of(reader, story["url"])
    posting.edit_post(story["bob"], story["bobs"].id, "Bob here: I was there too, years ago.")
    for reader in (client, carol):
        page = page_of(reader, story["url"])
        assert "I was there too, years ago." in page
        assert "proud of you for holding on" not in page
        assert "edited" in page


def test_a_held_post_is_never_served_to_others_from_a_cache(app, client, story):
    bob, carol = signed_in(app, "bob"), signed_in(app, "carol")
    held = posting.reply(story["bob"], story["thread"].id, "You went back again, didn't you.",
                         acknowledge_nudge=True).post
    assert held.status == "held"
    moderator = signed_in(app, "mod_rowan")
    for _ in range(2):  # the second read comes from the caches
        assert "Waiting for a moderator" in page_of(bob, story["url"])
        assert "Held for a moderator's review" in page_of(moderator, story["url"])
        for reader in (client, carol):
            assert "You went back again" not in page_of(reader, story["url"])
    review.approve(story["moderator"], case_of(held.id))
    for reader in (client, carol, bob):
        page = page_of(reader, story["url"])
        assert "You went back again" in page and "Waiting for a moderator" not in page


def test_a_moderators_rejection_hides_a_cached_post_at_once(app, client, story):
    carol = signed_in(app, "carol")
    for reader in (client, carol):
        assert "proud of you for holding on" in page_of(reader, story["url"])
    posting.report_post(story["carol"], story["bobs"].id, "this hurt to read")
    review.reject(story["moderator"], case_of(story["bobs"].id), "Unkind to the author.")
    for reader in (client, carol):
        assert "proud of you for holding on" not in page_of(reader, story["url"])


def test_redaction_and_purge_reach_cached_pages_at_once(app, client, story):
    alice = signed_in(app, "alice")
    for reader in (client, alice):
        assert "sending you strength today" in page_of(reader, story["url"])
    review.redact(story["moderator"], story["carols"].id, "current", "sending you strength")
    for reader in (client, alice):
        page = page_of(reader, story["url"])
        assert "sending you strength" not in page and "[removed by moderators]" in page
    purge.purge_post(story["bob"], story["bobs"].id)
    for reader in (client, alice):
        assert "proud of you for holding on" not in page_of(reader, story["url"])


def test_support_counts_show_at_once(app, client, story):
    assert "sent support" not in page_of(client, story["url"])
    posting.toggle_support(story["carol"], story["bobs"].id)
    assert "1 member sent support" in page_of(client, story["url"])


def test_a_block_hides_cached_cards_for_the_blocker_only(app, story):
    alice, carol = signed_in(app, "alice"), signed_in(app, "carol")
    for reader in (alice, carol):
        assert "proud of you for holding on" in page_of(reader, story["url"])
    blocks.block_member(story["alice"], "bob")
    assert "proud of you for holding on" not in page_of(alice, story["url"])
    assert "1 reply" in page_of(alice, story["url"])
    assert "proud of you for holding on" in page_of(carol, story["url"])
    blocks.unblock_member(story["alice"], "bob")
    assert "proud of you for holding on" in page_of(alice, story["url"])


def test_two_members_never_share_their_personal_parts(app, story):
    alice, carol = signed_in(app, "alice"), signed_in(app, "carol")
    posting.toggle_support(story["alice"], story["carols"].id)
    for _ in range(2):  # rendered, then from the caches
        alices, carols = page_of(alice, story["url"]), page_of(carol, story["url"])
        assert "(alice)" in alices and "(carol)" not in alices
        assert "(carol)" in carols and "(alice)" not in carols
        # Own posts carry Edit; others' carry Block and Report.
        assert f'action="/p/{story["bobs"].id}/report"' in alices
        assert 'action="/members/alice/block"' not in alices
        assert 'action="/members/alice/block"' in carols
        assert f'action="/p/{story["carols"].id}/delete"' in carols
        assert f'action="/p/{story["carols"].id}/delete"' not in alices
        # Alice supported Carol's post: her page says so, Carol's own page doesn't offer it.
        card = re.search(rf'id="post-{story["carols"].id}".*?</article>', alices, re.S).group(0)
        assert "Supported" in card and 'aria-pressed="true"' in card
        assert 'aria-pressed="true"' not in carols
        # Every form carries the reader's own CSRF token, never the other's.
        alice_tokens = set(re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                                      alices))
        carol_tokens = set(re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                                      carols))
        assert alice_tokens and carol_tokens and not alice_tokens & carol_tokens
        assert "\x00" not in alices and "\x00" not in carols  # every slot was filled


def test_cached_tokens_are_this_requests_and_work(app, story):
    alice = signed_in(app, "alice")
    page_of(alice, story["url"])  # fills the caches
    page = page_of(alice, story["url"])
    token = csrf_token_in(page)
    response = alice.post(f"/p/{story['bobs'].id}/support",
                          data={"csrf_token": token, "next": story["url"]})
    assert response.status_code == 302
    assert "1 member" in page_of(app.test_client(), story["url"])


def test_a_closed_category_is_never_served_to_visitors_from_a_cache(app, client, story):
    closed = make_thread(story["alice"], title="Only for members", category="low-contact").thread
    make_reply(story["bob"], closed.id, "A members-only reply.")
    assert "A members-only reply." in page_of(signed_in(app, "carol"), f"/t/{closed.id}")
    assert client.get(f"/t/{closed.id}").status_code == 404
    # A public thread read by a visitor, then its category closed: the visitor's cached page
    # must not be served any more.
    assert "Bob here" in page_of(client, story["url"])
    access_settings.set_category_visibility(story["moderator"], PUBLIC_CATEGORY, "members")
    assert client.get(story["url"]).status_code == 404


def test_anonymous_pages_answer_304_until_something_changes(app, client, story):
    first = client.get(story["url"])
    etag = first.headers["ETag"]
    assert first.status_code == 200 and "Cookie" in first.headers["Vary"]
    assert client.get(story["url"], headers={"If-None-Match": etag}).status_code == 304
    posting.edit_post(story["carol"], story["carols"].id, "Carol: still here with you.")
    changed = client.get(story["url"], headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "still here with you" in changed.get_data(as_text=True)
    # Signed-in pages are personal: no validator, never stored.
    member = signed_in(app, "carol").get(story["url"])
    assert "ETag" not in member.headers and member.headers["Cache-Control"] == "no-store"


def test_a_visitor_with_a_message_waiting_is_not_served_a_kept_page(app, client, story):
    page_of(client, story["url"])  # kept
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Signed out. Take care.")]
    assert "Signed out. Take care." in page_of(client, story["url"])
    assert "Signed out. Take care." not in page_of(client, story["url"])
