"""Visitors' front and category pages are kept whole (forum/web/page_cache.py), keyed by every
row they show: a new thread, a reply, a hidden opening post or a closed category shows at once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum import access_settings, blocks, posting, review
from forum.extensions import db
from forum.models import ModerationCase
from tests.support.factories import PUBLIC_CATEGORY, make_reply, make_thread, make_user
from tests.support.fake_pipeline import FakePipeline, screened
from tests.support.web import csrf_token_in, login

pytestmark = pytest.mark.both_databases
CATEGORY_URL = f"/c/{PUBLIC_CATEGORY}"


@pytest.fixture
def app_config(app_config):
    return screened(app_config, FakePipeline())


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_new_threads_and_replies_show_at_once_on_kept_listings(app, client):
    alice, bob = make_user("alice"), make_user("bob")
    first = make_thread(alice, title="First steps").thread
    for url in ("/", CATEGORY_URL):
        page = page_of(client, url)
        assert "First steps" in page and "0 replies" in page
        assert page_of(client, url) == page  # kept
    make_reply(bob, first.id, "Welcome.")
    make_thread(bob, title="A second story")
    for url in ("/", CATEGORY_URL):
        page = page_of(client, url)
        assert "1 reply" in page and "A second story" in page


def test_a_held_opening_post_never_reaches_a_kept_listing(app, client):
    alice, moderator = make_user("alice"), make_user("mod_rowan", role="moderator")
    make_thread(alice, title="Already here")
    for url in ("/", CATEGORY_URL):
        page_of(client, url)
    held = posting.create_thread(alice, PUBLIC_CATEGORY, "Held title",
                                 "My sister went back again.", acknowledge_nudge=True)
    assert held.post.status == "held"
    for url in ("/", CATEGORY_URL):
        assert "Held title" not in page_of(client, url)
    case_id = db.session.scalar(
        select(ModerationCase.id).where(ModerationCase.post_id == held.post.id))
    review.approve(moderator, case_id)
    for url in ("/", CATEGORY_URL):
        assert "Held title" in page_of(client, url)


def test_closing_a_category_hides_its_titles_from_kept_pages_at_once(app, client):
    alice, moderator = make_user("alice"), make_user("mod_rowan", role="moderator")
    make_thread(alice, title="A story from healing")
    for url in ("/", CATEGORY_URL):
        assert "A story from healing" in page_of(client, url)
    access_settings.set_category_visibility(moderator, PUBLIC_CATEGORY, "members")
    for url in ("/", CATEGORY_URL):
        assert "A story from healing" not in page_of(client, url)
    assert "for signed-in members" in page_of(client, CATEGORY_URL)


def test_kept_listings_answer_304_and_members_get_their_own(app, client):
    make_user("alice")
    first = client.get("/")
    assert client.get("/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    member = app.test_client()
    assert login(member, "alice").status_code == 302
    page = member.get("/")
    assert "(alice)" in page.get_data(as_text=True) and "ETag" not in page.headers


def test_members_kept_listings_follow_their_blocks_and_are_their_own(app):
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    bobs = make_thread(bob, title="Bob's story").thread
    carols = make_thread(carol, title="Carol's story").thread
    make_reply(bob, carols.id, "Bob's reply.")
    readers = {}
    for name in ("alice", "carol"):
        readers[name] = app.test_client()
        assert login(readers[name], name).status_code == 302
    for _ in range(2):  # rendered, then kept
        for name, reader in readers.items():
            for url in ("/", CATEGORY_URL):
                page = page_of(reader, url)
                assert f"({name})" in page and "Bob&#39;s story" in page
                assert "(carol)" not in page if name == "alice" else "(alice)" not in page
    blocks.block_member(alice, "bob")
    for url in ("/", CATEGORY_URL):
        alices = page_of(readers["alice"], url)
        assert "Bob&#39;s story" not in alices and "0 replies" in alices  # Carol's, less Bob's
        assert "Bob&#39;s story" in page_of(readers["carol"], url)
    assert bobs.id  # Bob's thread is still there for everyone else


def test_a_members_kept_page_carries_their_current_token(app):
    make_user("alice")
    reader = app.test_client()
    assert login(reader, "alice").status_code == 302
    page_of(reader, "/")
    page = page_of(reader, "/")
    assert "\x00" not in page
    token = csrf_token_in(page)
    assert reader.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "(alice)" not in page_of(reader, "/")


def test_a_members_kept_pages_follow_their_crisis_region_at_once(app):
    """The footer's crisis lines come from the member's region: every kept page shows a new
    choice on the next visit (front, category and thread pages alike)."""
    thread = make_thread(make_user("opener"), title="Holding on").thread
    make_user("fern")
    reader = app.test_client()
    assert login(reader, "fern").status_code == 302
    urls = ("/", CATEGORY_URL, f"/t/{thread.id}")
    for _ in range(2):  # rendered, then kept
        for url in urls:
            assert "Lines for: Anywhere (international)" in page_of(reader, url)
    saved = reader.post("/account/settings/region", data={
        "region-region": "au", "csrf_token": csrf_token_in(page_of(reader, "/account/settings")),
    })
    assert saved.status_code == 302
    for url in urls:
        page = page_of(reader, url)
        assert "Lines for: Australia" in page and "Anywhere (international)" not in page
