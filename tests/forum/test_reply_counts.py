"""Reply counts in thread listings follow what the viewer can read: replies by members they
blocked are left out (the thread page hides those replies), for the pages and the JSON API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum import blocks, posting, reading
from forum.extensions import db
from forum.models import Post, PostStatus
from tests.support.api import API, bearer
from tests.support.factories import PUBLIC_CATEGORY, make_reply, make_thread, make_user
from tests.support.queries import QueryCounter
from tests.support.web import login

pytestmark = pytest.mark.usefixtures("no_csrf")


@pytest.fixture
def community(app):
    """alice blocks bob. Her thread has 2 replies by bob and 1 by carol; carol's has 1 by bob."""
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    alices = make_thread(alice, title="Alice asks for advice").thread
    make_reply(bob, alices.id, "Bob's first reply.")
    make_reply(carol, alices.id, "Carol's reply.")
    make_reply(bob, alices.id, "Bob's second reply.")
    carols = make_thread(carol, title="Carol's quiet thread").thread
    make_reply(bob, carols.id, "Bob again.")
    blocks.block_member(alice, "bob")
    return {"alice": alice, "bob": bob, "carol": carol, "alices": alices, "carols": carols}


def listed_replies(page_html: str) -> dict[str, int]:
    """Thread title → the reply count printed under it in a thread list."""
    found = re.findall(
        r'class="thread-item__title"[^>]*>([^<]+)</a>.*?· (\d+) repl(?:y|ies)', page_html, re.S
    )
    return {title.replace("&#39;", "'"): int(n) for title, n in found}


def api_replies(client, headers=None, **query) -> dict[str, int]:
    response = client.get(f"{API}/threads", headers=headers or {}, query_string=query)
    assert response.status_code == 200
    return {item["title"]: item["reply_count"] for item in response.get_json()["items"]}


EVERYONE = {"Alice asks for advice": 3, "Carol's quiet thread": 1}
FOR_ALICE = {"Alice asks for advice": 1, "Carol's quiet thread": 0}


@pytest.mark.both_databases
def test_board_pages_leave_out_replies_by_blocked_members(client, community):
    login(client, "alice")
    assert listed_replies(client.get("/").get_data(as_text=True)) == FOR_ALICE
    category = client.get(f"/c/{PUBLIC_CATEGORY}").get_data(as_text=True)
    assert listed_replies(category) == FOR_ALICE
    # The thread page agrees with the listing and shows exactly that many replies.
    page = client.get(f"/t/{community['alices'].id}").get_data(as_text=True)
    assert "· 1 reply" in page
    assert "Carol's reply." in page
    assert "Bob's first reply." not in page and "Bob's second reply." not in page


@pytest.mark.both_databases
def test_other_viewers_see_every_published_reply(client, community):
    assert listed_replies(client.get("/").get_data(as_text=True)) == EVERYONE
    assert "· 3 replies" in client.get(f"/t/{community['alices'].id}").get_data(as_text=True)
    for member in ("carol", "bob"):
        login(client, member)
        assert listed_replies(client.get(f"/c/{PUBLIC_CATEGORY}").get_data(as_text=True)) == EVERYONE
        client.post("/logout")


@pytest.mark.both_databases
def test_api_listing_leaves_out_replies_by_blocked_members(client, community):
    assert api_replies(client, bearer(community["alice"])) == FOR_ALICE
    assert api_replies(client, bearer(community["alice"]), category=PUBLIC_CATEGORY) == FOR_ALICE
    assert api_replies(client) == EVERYONE
    assert api_replies(client, bearer(community["carol"])) == EVERYONE
    thread = client.get(f"{API}/threads/{community['alices'].id}",
                        headers=bearer(community["alice"])).get_json()
    assert thread["reply_count"] == 1 == sum(not post["is_opening"] for post in thread["posts"])
    anonymous = client.get(f"{API}/threads/{community['alices'].id}").get_json()
    assert anonymous["reply_count"] == 3


@pytest.mark.both_databases
def test_unblocking_restores_the_counts(client, community):
    blocks.unblock_member(community["alice"], "bob")
    assert api_replies(client, bearer(community["alice"])) == EVERYONE


@pytest.mark.both_databases
def test_counts_only_leave_out_published_replies(client, community):
    # A held or deleted reply by the blocked member was never in the count; nothing to subtract.
    bobs_first = db.session.scalar(
        select(Post).where(Post.body_markdown == "Bob's first reply.")
    )
    posting.delete_post(community["bob"], bobs_first.id)
    held = make_reply(community["bob"], community["carols"].id, "Held for review.")
    held.post.status = PostStatus.HELD.value
    held.thread.reply_count -= 1
    db.session.commit()
    assert api_replies(client) == {"Alice asks for advice": 2, "Carol's quiet thread": 1}
    assert api_replies(client, bearer(community["alice"])) == FOR_ALICE


@pytest.mark.both_databases
def test_hidden_reply_counts_is_one_query_for_the_whole_page(app, community):
    dave = make_user("dave")
    threads = [make_thread(dave, title=f"Dave's thread {n}").thread for n in range(6)]
    for thread in threads:
        make_reply(community["bob"], thread.id, "Bob everywhere.")
    assert community["alice"].id  # loaded now, not while counting
    with QueryCounter(db.engine) as queries:
        page = reading.list_threads(community["alice"], None, 1, 20)
        counted = queries.count
        queries.reset()
        anonymous = reading.list_threads(None, None, 1, 20)
        anonymous_count = queries.count
    assert len(page.items) == 8
    assert all(page.replies(thread) == 0 for thread in threads)
    # Listing + total count + the one aggregate; anonymous viewers skip the aggregate.
    assert counted == anonymous_count + 1
    assert {anonymous.replies(thread) for thread in threads} == {1}


@pytest.mark.both_databases
def test_thread_listing_queries_stay_constant_for_a_member_who_blocks(app, client, community):
    dave = make_user("dave")
    login(client, "alice")
    counts = []
    for extra in (0, 12):
        for n in range(extra):
            thread = make_thread(dave, title=f"More {n}").thread
            make_reply(community["bob"], thread.id, "Bob again and again.")
        db.session.expire_all()
        with QueryCounter(db.engine) as queries:
            assert client.get(f"/c/{PUBLIC_CATEGORY}").status_code == 200
            assert client.get(f"{API}/threads", headers=bearer(community["alice"])).status_code == 200
        counts.append(queries.count)
    assert counts[0] == counts[1], counts
