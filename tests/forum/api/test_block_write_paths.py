"""Blocks hold on every write path of the API: replies in the blocker's thread, replies to the
blocker's post (parent_id) in anyone's thread, edits of earlier replies, reports, support.

The blocked member gets the same neutral 403 everywhere (forum/blocks.py's NOT_POSTED), never
a word about blocks, and nothing is written.
"""

from __future__ import annotations

import pytest

from forum import blocks
from forum.extensions import db
from forum.models import Post, PostRevision, Report, Support
from tests.support.api import API, assert_error, bearer
from tests.support.factories import count, make_reply, make_thread, make_user


@pytest.fixture
def scene(app):
    """sage blocks hoover after hoover replied in sage's thread and to sage in carol's."""
    sage, hoover, carol = make_user("sage"), make_user("hoover"), make_user("carol")
    sages = make_thread(sage, title="My boundary held").thread
    early = make_reply(hoover, sages.id, "An early reply, from before.").post
    carols = make_thread(carol, title="Carol's open thread").thread
    sage_in_carols = make_reply(sage, carols.id, "Sage answers Carol.").post
    hoover_to_sage = posting_reply(hoover, carols.id, "Hoover answers Sage.", sage_in_carols.id)
    blocks.block_member(sage, "sage_does_not_matter")  # an unknown name: nothing happens
    blocks.block_member(sage, "hoover")
    return {"sage": sage, "hoover": hoover, "carol": carol, "sages": sages, "early": early,
            "carols": carols, "sage_in_carols": sage_in_carols, "hoover_to_sage": hoover_to_sage}


def posting_reply(author, thread_id, body, parent_id):
    from forum import posting

    return posting.reply(author, thread_id, body, parent_post_id=parent_id).post


def refused_neutrally(response) -> None:
    body = assert_error(response, 403, "forbidden")
    assert body["message"] == blocks.NOT_POSTED
    assert "block" not in response.get_data(as_text=True).lower()


@pytest.mark.both_databases
def test_every_write_to_the_blocker_is_refused_neutrally(client, scene):
    headers = bearer(scene["hoover"])
    posts, revisions = count(Post), count(PostRevision)

    # A reply in the blocker's thread, with or without a parent.
    refused_neutrally(client.post(f"{API}/threads/{scene['sages'].id}/posts", headers=headers,
                                  json={"body": "let me explain"}))
    # A reply to the blocker's post in someone else's thread.
    refused_neutrally(client.post(
        f"{API}/threads/{scene['carols'].id}/posts", headers=headers,
        json={"body": "@sage listen", "parent_id": scene["sage_in_carols"].id}))
    # Editing an earlier reply in the blocker's thread, or a reply to the blocker's post.
    refused_neutrally(client.patch(f"{API}/posts/{scene['early'].id}", headers=headers,
                                   json={"body": "edited after the block"}))
    refused_neutrally(client.patch(f"{API}/posts/{scene['hoover_to_sage'].id}", headers=headers,
                                   json={"body": "edited after the block"}))
    # Reporting or supporting the blocker's post.
    refused_neutrally(client.post(f"{API}/posts/{scene['sage_in_carols'].id}/reports",
                                  headers=headers, json={"reason": "mass report"}))
    assert count(Post) == posts and count(PostRevision) == revisions and count(Report) == 0
    db.session.expire_all()
    assert db.session.get(Post, scene["early"].id).body_markdown == "An early reply, from before."


@pytest.mark.both_databases
def test_other_writes_stay_open_and_unblocking_reopens(client, scene):
    headers = bearer(scene["hoover"])
    # Carol's thread is open to hoover, as long as the reply doesn't answer sage.
    ok = client.post(f"{API}/threads/{scene['carols'].id}/posts", headers=headers,
                     json={"body": "Thank you Carol."})
    assert ok.status_code == 201
    # The blocker can still write everywhere, including to hoover.
    assert client.post(f"{API}/threads/{scene['carols'].id}/posts", headers=bearer(scene["sage"]),
                       json={"body": "fine", "parent_id": scene["hoover_to_sage"].id}
                       ).status_code == 201
    blocks.unblock_member(scene["sage"], "hoover")
    assert client.post(f"{API}/threads/{scene['sages'].id}/posts", headers=headers,
                       json={"body": "ok now"}).status_code == 201
    assert client.patch(f"{API}/posts/{scene['early'].id}", headers=headers,
                        json={"body": "edited"}).status_code == 200


@pytest.mark.both_databases
def test_support_on_the_blockers_post_is_refused_neutrally(client, app, scene):
    # Support is a page action (no API route): the use case refuses, and the page says it kindly.
    from forum import posting
    from forum.errors import Forbidden

    with pytest.raises(Forbidden) as refused:
        posting.toggle_support(scene["hoover"], scene["sage_in_carols"].id)
    assert refused.value.message == blocks.NOT_POSTED
    assert count(Support) == 0


@pytest.mark.both_databases
def test_the_blocked_members_view_of_the_thread_is_unchanged(client, scene):
    before_ids = [p["id"] for p in client.get(f"{API}/threads/{scene['sages'].id}",
                                              headers=bearer(scene["carol"])).get_json()["posts"]]
    view = client.get(f"{API}/threads/{scene['sages'].id}", headers=bearer(scene["hoover"]))
    assert view.status_code == 200
    assert [p["id"] for p in view.get_json()["posts"]] == before_ids
    assert "blocked" not in view.get_data(as_text=True).lower()


@pytest.mark.both_databases
def test_a_reply_to_a_deleted_parent_gets_the_same_neutral_answer(client, app):
    from forum import posting

    alice, bob = make_user("alice"), make_user("bob")
    thread = make_thread(alice).thread
    gone = make_reply(alice, thread.id, "soon deleted").post
    posting.delete_post(alice, gone.id)
    refused_neutrally(client.post(f"{API}/threads/{thread.id}/posts", headers=bearer(bob),
                                  json={"body": "hi", "parent_id": gone.id}))
