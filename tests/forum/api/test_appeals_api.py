"""The appeal endpoints (SPEC §4): POST /posts/ID/appeal → 201 once, 409 the second time; the
appeals lane of the moderators' queue; another moderator answers; clear 4xx for bad input."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum import posting, review
from forum.extensions import db
from forum.models import Appeal, Post
from tests.support.api import API, assert_error, bearer
from tests.support.factories import count, make_thread, make_user
from tests.support.fake_pipeline import screened

NOTE = "I was describing what happened to me, not telling anyone off."


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


@pytest.fixture
def scene(app):
    ash, birch = make_user("mod_ash", role="moderator"), make_user("mod_birch", role="moderator")
    river = make_user("river")
    thread = make_thread(make_user("opener"), title="Week two",
                         content_warning="family violence").thread
    post = posting.reply(river, thread.id, "You went back again, I know.",
                         acknowledge_nudge=True).post
    review.reject(ash, review.open_case_for(post.id).id, "It reads as shaming.")
    return {"ash": ash, "birch": birch, "river": river, "post": post, "thread": thread}


def test_appeal_enters_the_lane_and_another_moderator_overturns_it(client, scene):
    river = bearer(scene["river"])
    url = f"{API}/posts/{scene['post'].id}/appeal"
    answer = client.post(url, headers=river, json={"note": NOTE})
    assert answer.status_code == 201, answer.get_json()
    created = answer.get_json()
    assert created["status"] == "open" and created["decision"] == "rejected"
    assert created["post_id"] == scene["post"].id and created["note"] == NOTE
    assert_error(client.post(url, headers=river, json={"note": "Again?"}), 409, "conflict")

    ash, birch = bearer(scene["ash"]), bearer(scene["birch"])
    queue = client.get(f"{API}/moderation/queue?lane=appeals", headers=birch).get_json()
    [item] = queue["items"]
    assert item["lane"] == "appeals" and item["appeal_id"] == created["appeal_id"]
    assert item["author"] == "river" and item["decided_by"] == "mod_ash"
    assert item["decision_reason"] == "It reads as shaming." and item["note"] == NOTE
    assert "went back again" in item["body_html"] and item["content_warning"] == "family violence"
    others = client.get(f"{API}/moderation/queue?lane=held", headers=birch).get_json()
    assert others["items"] == []
    assert_error(client.get(f"{API}/moderation/queue?lane=appeals", headers=river), 403)

    decide = f"{API}/moderation/appeals/{created['appeal_id']}"
    refused = assert_error(client.post(decide, headers=ash,
                                       json={"outcome": "overturn", "reason": "Mine."}), 403)
    assert "another moderator" in refused["message"]
    assert_error(client.post(decide, headers=river, json={"outcome": "overturn", "reason": "x"}),
                 403)
    assert_error(client.post(decide, headers=birch, json={"outcome": "yes", "reason": "x"}), 422)
    done = client.post(decide, headers=birch, json={"outcome": "overturn",
                                                    "reason": "You were telling your story."})
    assert done.status_code == 200 and done.get_json()["status"] == "overturned"
    assert done.get_json()["resolved_by"] == "mod_birch"
    assert_error(client.post(decide, headers=birch, json={"outcome": "uphold", "reason": "x"}),
                 409)

    thread = client.get(f"{API}/threads/{scene['thread'].id}", headers=river).get_json()
    assert scene["post"].id in [p["id"] for p in thread["posts"]]
    mine = client.get(f"{API}/me/decisions", headers=river).get_json()["items"]
    assert mine == []  # the post is no longer rejected: nothing stands against river


def test_bad_appeals_get_clear_answers_and_store_nothing(client, scene):
    river, stranger = bearer(scene["river"]), bearer(make_user("stranger"))
    published = posting.reply(scene["river"], scene["thread"].id, "Hugs.").post
    url = f"{API}/posts/{scene['post'].id}/appeal"
    assert_error(client.post(url, json={"note": NOTE}), 401)
    assert_error(client.post(url, headers=stranger, json={"note": NOTE}), 404)
    assert_error(client.post(f"{API}/posts/999999/appeal", headers=river, json={"note": NOTE}),
                 404)
    assert_error(client.post(f"{API}/posts/{published.id}/appeal", headers=river,
                             json={"note": NOTE}), 409)
    for body in ({}, {"note": ""}, {"note": "  "}, {"note": "x" * 2001}, {"note": 7},
                 {"note": NOTE, "extra": 1}):
        assert_error(client.post(url, headers=river, json=body), 422)
    assert_error(client.post(url, headers=river, data="note=hi",
                             content_type="application/x-www-form-urlencoded"), 415)
    assert_error(client.post(url, headers=river, data="[1]", content_type="application/json"),
                 400)
    assert_error(client.post(f"{API}/sanctions/999999/appeal", headers=river,
                             json={"note": NOTE}), 404)
    assert count(Appeal) == 0
    assert db.session.get(Post, scene["post"].id).status == "rejected"


def test_a_warned_member_appeals_through_the_api(client, scene):
    warning = review.warn(scene["ash"], scene["river"].id, "Please don't tell people what to do.")
    river = bearer(scene["river"])
    [rejection, warned] = sorted(client.get(f"{API}/me/decisions", headers=river)
                                 .get_json()["items"], key=lambda d: d["kind"])
    assert rejection["kind"] == "post" and rejection["appeal"] is None
    assert warned == {**warned, "kind": "sanction", "id": warning.id, "decision": "warn"}
    url = f"{API}/sanctions/{warning.id}/appeal"
    assert_error(client.post(url, headers=bearer(scene["birch"]), json={"note": NOTE}), 404)
    assert client.post(url, headers=river, json={"note": NOTE}).status_code == 201
    assert_error(client.post(url, headers=river, json={"note": NOTE}), 409)
    appeal = db.session.scalar(select(Appeal))
    assert appeal.kind == "sanction" and appeal.decided_by_id == scene["ash"].id
