"""The JSON API contract (SPEC §4): status codes, shapes, and only what the caller may see."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import DEFAULT_CATEGORIES, Block, Post, PostRevision, Report, Thread, User
from tests.support.api import API, NEW_THREAD, assert_error, bearer
from tests.support.factories import PASSWORD, count, make_reply, make_thread, make_user
from tests.support.fake_pipeline import block_everything, hold_everything

# --- tokens ---------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_token_is_issued_for_the_right_password_and_works(client):
    make_user("river")
    response = client.post(f"{API}/tokens", json={"username": "River", "password": PASSWORD})
    assert response.status_code == 201
    token = response.get_json()["token"]
    assert isinstance(token, str) and len(token) >= 32

    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == "river"


@pytest.mark.both_databases
def test_token_refused_for_wrong_password_or_unknown_member(client):
    make_user("river")
    wrong = client.post(f"{API}/tokens", json={"username": "river", "password": "not it at all"})
    assert_error(wrong, 401, "unauthorized")
    unknown = client.post(f"{API}/tokens", json={"username": "nobody", "password": PASSWORD})
    assert_error(unknown, 401, "unauthorized")
    # Both failures read the same: the answer doesn't reveal who has an account.
    assert wrong.get_json() == unknown.get_json()


# --- categories and thread listings ---------------------------------------------------------


@pytest.mark.both_databases
def test_categories_lists_slug_name_description_in_order(client):
    response = client.get(f"{API}/categories")
    assert response.status_code == 200
    body = response.get_json()
    assert [c["slug"] for c in body] == [slug for slug, _, _ in DEFAULT_CATEGORIES]
    assert all(set(c) == {"slug", "name", "description", "visibility", "readable"} for c in body)


@pytest.mark.both_databases
def test_thread_listing_shape_and_category_filter(client):
    author = make_user("maple")
    first = make_thread(author, title="Holidays without them", category="holidays-and-family-events",
                        content_warning="mentions of a funeral")
    make_reply(make_user(), first.thread.id)
    make_thread(author, title="Hello, I'm new", category="introductions")

    # Members-only categories (the default): read with a member's token.
    response = client.get(f"{API}/threads", query_string={"category": "holidays-and-family-events"},
                          headers=bearer(author))
    assert response.status_code == 200
    body = response.get_json()
    assert body["page"] == 1 and body["pages"] == 1
    assert len(body["items"]) == 1
    item = body["items"][0]
    assert {"id", "title", "category", "author", "reply_count", "last_activity_at",
            "content_warning"} <= set(item)
    assert item == {**item, "id": first.thread.id, "title": "Holidays without them",
                    "category": "holidays-and-family-events", "author": "maple",
                    "reply_count": 1, "content_warning": "mentions of a funeral"}
    assert item["last_activity_at"].endswith("+00:00")

    everything = client.get(f"{API}/threads", headers=bearer(author)).get_json()
    assert [t["title"] for t in everything["items"]] == ["Hello, I'm new", "Holidays without them"]


@pytest.fixture
def small_pages(app_config):
    app_config.update(THREADS_PER_PAGE=2, POSTS_PER_PAGE=3)


@pytest.mark.both_databases
def test_thread_listing_and_thread_posts_are_paginated(small_pages, client):
    author = make_user()
    threads = [make_thread(author, title=f"Thread number {n}").thread for n in range(5)]
    pages = [client.get(f"{API}/threads", query_string={"page": n}).get_json() for n in (1, 2, 3)]
    assert [p["pages"] for p in pages] == [3, 3, 3]
    assert [p["page"] for p in pages] == [1, 2, 3]
    listed = [item["id"] for p in pages for item in p["items"]]
    assert listed == [t.id for t in reversed(threads)]
    beyond = client.get(f"{API}/threads", query_string={"page": 9}).get_json()
    assert beyond["items"] == [] and beyond["pages"] == 3

    thread_id = threads[0].id
    for n in range(4):
        make_reply(author, thread_id, body=f"reply {n}")
    second = client.get(f"{API}/threads/{thread_id}", query_string={"page": 2}).get_json()
    assert second["page"] == 2 and second["pages"] == 2
    assert [p["body_html"] for p in second["posts"]] == ["<p>reply 2</p>", "<p>reply 3</p>"]


# --- creating threads and replies -----------------------------------------------------------


@pytest.mark.both_databases
def test_create_thread_then_read_it(client):
    author = make_user("willow")
    response = client.post(f"{API}/threads", headers=bearer(author),
                           json={**NEW_THREAD, "content_warning": "family anger"})
    assert response.status_code == 201
    created = response.get_json()
    assert created["status"] == "published" and created["escalate"] is False
    assert {"id", "post_id", "status", "escalate"} <= set(created)

    thread = client.get(f"{API}/threads/{created['id']}", headers=bearer(author)).get_json()
    assert {"id", "title", "category", "content_warning", "posts"} <= set(thread)
    assert thread["title"] == NEW_THREAD["title"]
    assert thread["category"] == "going-no-contact"
    assert thread["content_warning"] == "family anger"
    [post] = thread["posts"]
    assert {"id", "author", "body_html", "status", "created_at"} <= set(post)
    assert post["id"] == created["post_id"]
    assert post["author"] == "willow" and post["status"] == "published"
    assert "<strong>proud</strong>" in post["body_html"]


@pytest.mark.both_databases
def test_reply_has_the_same_answer_shape(client):
    thread = make_thread(make_user()).thread
    member = make_user()
    response = client.post(f"{API}/threads/{thread.id}/posts", headers=bearer(member),
                           json={"body": "Sending you strength."})
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] == thread.id and body["status"] == "published" and body["escalate"] is False
    assert db.session.get(Post, body["post_id"]).body_markdown == "Sending you strength."


@pytest.mark.both_databases
def test_screening_hold_without_acknowledgement_is_422_and_stores_nothing(client, monkeypatch):
    hold_everything(monkeypatch)
    author = make_user()
    threads, posts = count(Thread), count(Post)
    response = client.post(f"{API}/threads", headers=bearer(author), json=NEW_THREAD)
    body = assert_error(response, 422, "moderation")
    assert body["decision"] == "hold"
    assert body["category"] == "nc_shaming"
    assert "reasons" not in body and "scores" not in body  # nothing that teaches evasion
    assert "boundary is wrong" not in str(body)
    assert (count(Thread), count(Post)) == (threads, posts)


@pytest.mark.both_databases
def test_screening_block_stays_422_even_when_acknowledged(client, monkeypatch):
    author = make_user()
    thread = make_thread(author).thread
    block_everything(monkeypatch)
    posts = count(Post)
    for path, payload in ((f"{API}/threads", NEW_THREAD),
                          (f"{API}/threads/{thread.id}/posts", {"body": "some text"})):
        response = client.post(path, headers=bearer(author),
                               json={**payload, "acknowledge_nudge": True})
        body = assert_error(response, 422, "moderation")
        assert body["decision"] == "block" and body["category"] == "toxic"
    assert count(Post) == posts


@pytest.mark.both_databases
def test_held_thread_is_visible_only_to_its_author(client, monkeypatch):
    author, other = make_user("held_author"), make_user()
    hold_everything(monkeypatch, escalate=True)
    response = client.post(f"{API}/threads", headers=bearer(author),
                           json={**NEW_THREAD, "acknowledge_nudge": True})
    assert response.status_code == 201
    created = response.get_json()
    assert created["status"] == "held" and created["escalate"] is True

    mine = client.get(f"{API}/threads/{created['id']}", headers=bearer(author))
    assert mine.status_code == 200
    assert [p["status"] for p in mine.get_json()["posts"]] == ["held"]
    listed_for_author = client.get(f"{API}/threads", headers=bearer(author)).get_json()["items"]
    assert [t["id"] for t in listed_for_author] == [created["id"]]

    assert_error(client.get(f"{API}/threads/{created['id']}", headers=bearer(other)), 404)
    assert_error(client.get(f"{API}/threads/{created['id']}"), 404)
    assert client.get(f"{API}/threads", headers=bearer(other)).get_json()["items"] == []
    assert client.get(f"{API}/threads").get_json()["items"] == []


@pytest.mark.both_databases
def test_held_reply_is_visible_only_to_its_author(client, monkeypatch):
    thread = make_thread(make_user()).thread
    replier, reader = make_user(), make_user()
    hold_everything(monkeypatch)
    response = client.post(f"{API}/threads/{thread.id}/posts", headers=bearer(replier),
                           json={"body": "Maybe just call them?", "acknowledge_nudge": True})
    assert response.status_code == 201 and response.get_json()["status"] == "held"
    held_id = response.get_json()["post_id"]

    def post_ids(headers):
        return [p["id"] for p in client.get(f"{API}/threads/{thread.id}", headers=headers)
                .get_json()["posts"]]

    assert held_id in post_ids(bearer(replier))
    assert held_id not in post_ids(bearer(reader))
    assert held_id not in post_ids({})
    assert db.session.get(Thread, thread.id).reply_count == 0


# --- editing --------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_author_edits_own_post_and_the_old_text_is_kept(client):
    author = make_user()
    outcome = make_thread(author, body="first version")
    response = client.patch(f"{API}/posts/{outcome.post.id}", headers=bearer(author),
                            json={"body": "second *version*"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "published" and body["escalate"] is False
    assert body["id"] == body["post_id"] == outcome.post.id
    assert body["thread_id"] == outcome.thread.id
    assert "<em>version</em>" in body["body_html"]
    assert body["edited_at"] is not None
    revisions = db.session.scalars(select(PostRevision.body_markdown)).all()
    assert revisions == ["first version"]


@pytest.mark.both_databases
def test_edit_is_screened_again_and_can_be_held(client, monkeypatch):
    author = make_user()
    outcome = make_reply(author, make_thread(make_user()).thread.id)
    hold_everything(monkeypatch)
    nudged = client.patch(f"{API}/posts/{outcome.post.id}", headers=bearer(author),
                          json={"body": "edited to something harsh"})
    assert_error(nudged, 422, "moderation")
    assert db.session.get(Post, outcome.post.id).body_markdown == "You're not alone in this."

    held = client.patch(f"{API}/posts/{outcome.post.id}", headers=bearer(author),
                        json={"body": "edited to something harsh", "acknowledge_nudge": True})
    assert held.status_code == 200 and held.get_json()["status"] == "held"


@pytest.mark.both_databases
def test_member_cannot_edit_another_members_post(client):
    outcome = make_thread(make_user(), body="mine")
    response = client.patch(f"{API}/posts/{outcome.post.id}", headers=bearer(make_user()),
                            json={"body": "not yours"})
    assert_error(response, 403, "forbidden")
    db.session.expire_all()
    assert db.session.get(Post, outcome.post.id).body_markdown == "mine"
    assert count(PostRevision) == 0


# --- reports --------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_report_a_post_once(client):
    outcome = make_thread(make_user())
    reporter = make_user()
    path = f"{API}/posts/{outcome.post.id}/reports"
    response = client.post(path, headers=bearer(reporter), json={"reason": "shaming"})
    assert response.status_code == 201
    assert response.get_json()["post_id"] == outcome.post.id
    assert_error(client.post(path, headers=bearer(reporter), json={"reason": "again"}), 409)
    assert count(Report) == 1


@pytest.mark.both_databases
def test_report_needs_a_reason_and_not_your_own_post(client):
    author = make_user()
    outcome = make_thread(author)
    path = f"{API}/posts/{outcome.post.id}/reports"
    assert_error(client.post(path, headers=bearer(make_user()), json={"reason": "  "}), 422)
    assert_error(client.post(path, headers=bearer(author), json={"reason": "oops"}), 422)
    assert count(Report) == 0


# --- blocks ---------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_blocking_hides_posts_and_stops_replies_to_the_blockers_threads(client):
    blocker, blocked, bystander = make_user("sage"), make_user("hoover"), make_user()
    own_thread = make_thread(blocker, title="My boundary held").thread
    make_reply(blocked, own_thread.id, body="you're overreacting")
    their_thread = make_thread(blocked, title="A thread by the blocked one").thread

    response = client.post(f"{API}/users/HOOVER/block", headers=bearer(blocker))
    assert response.status_code == 204 and response.get_data() == b""
    assert db.session.get(Block, (blocker.id, blocked.id)) is not None
    # Blocking twice is harmless.
    assert client.post(f"{API}/users/hoover/block", headers=bearer(blocker)).status_code == 204

    view = client.get(f"{API}/threads/{own_thread.id}", headers=bearer(blocker)).get_json()
    assert [p["author"] for p in view["posts"]] == ["sage"]
    listed = client.get(f"{API}/threads", headers=bearer(blocker)).get_json()["items"]
    assert their_thread.id not in [t["id"] for t in listed]
    assert_error(client.get(f"{API}/threads/{their_thread.id}", headers=bearer(blocker)), 404)

    # Others still see everything.
    others_view = client.get(f"{API}/threads/{own_thread.id}", headers=bearer(bystander))
    assert [p["author"] for p in others_view.get_json()["posts"]][1] == "hoover"

    posts = count(Post)
    refused = client.post(f"{API}/threads/{own_thread.id}/posts", headers=bearer(blocked),
                          json={"body": "let me explain"})
    body = assert_error(refused, 403, "forbidden")
    assert "block" not in body["message"].lower()  # they are not told
    assert count(Post) == posts

    response = client.delete(f"{API}/users/hoover/block", headers=bearer(blocker))
    assert response.status_code == 204
    allowed = client.post(f"{API}/threads/{own_thread.id}/posts", headers=bearer(blocked),
                          json={"body": "ok"})
    assert allowed.status_code == 201


@pytest.mark.both_databases
def test_block_unknown_member_or_yourself(client):
    me = make_user("solo")
    # Unknown names answer like known ones (204, nothing stored): no one learns who is a member.
    assert client.post(f"{API}/users/nobody_here/block", headers=bearer(me)).status_code == 204
    assert_error(client.post(f"{API}/users/solo/block", headers=bearer(me)), 422)
    assert client.delete(f"{API}/users/nobody_here/block", headers=bearer(me)).status_code == 204
    assert count(Block) == 0


# --- /me ------------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_me_shows_settings_and_patch_changes_the_digest(client):
    member = make_user("fern")
    headers = bearer(member)
    response = client.get(f"{API}/me", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"username": "fern", "role": "member", "digest": "weekly",
                                   "muted_categories": [], "crisis_region": None}

    changed = client.patch(f"{API}/me", headers=headers, json={"digest": "daily"})
    assert changed.status_code == 200 and changed.get_json()["digest"] == "daily"
    db.session.expire_all()
    assert db.session.get(User, member.id).digest_frequency == "daily"


@pytest.mark.both_databases
def test_patch_me_rejects_bad_values_without_changing_anything(client):
    member = make_user()
    headers = bearer(member)
    assert_error(client.patch(f"{API}/me", headers=headers, json={"digest": "hourly"}), 422)
    assert_error(client.patch(f"{API}/me", headers=headers, json={"digest": "off", "email": "x@y.z"}),
                 422)
    db.session.expire_all()
    assert db.session.get(User, member.id).digest_frequency == "weekly"


def test_no_answer_ever_contains_an_email_address(client, monkeypatch):
    author, reader = make_user("quiet_one"), make_user()
    outcome = make_thread(author)
    make_reply(reader, outcome.thread.id)
    headers = bearer(reader)
    answers = [
        client.get(f"{API}/me", headers=headers),
        client.get(f"{API}/threads", headers=headers),
        client.get(f"{API}/threads/{outcome.thread.id}", headers=headers),
        client.patch(f"{API}/me", headers=headers, json={"digest": "off"}),
        client.post(f"{API}/threads/{outcome.thread.id}/posts", headers=headers,
                    json={"body": "more"}),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201)
        assert "@example.test" not in answer.get_data(as_text=True)


@pytest.mark.both_databases
def test_patch_me_mutes_categories_for_the_digest(client):
    member = make_user()
    headers = bearer(member)
    response = client.patch(f"{API}/me", headers=headers,
                            json={"muted_categories": ["low-contact", "introductions"]})
    assert response.status_code == 200
    assert response.get_json()["muted_categories"] == ["introductions", "low-contact"]

    both = client.patch(f"{API}/me", headers=headers,
                        json={"digest": "off", "muted_categories": []})
    assert both.status_code == 200
    assert both.get_json() == {**both.get_json(), "digest": "off", "muted_categories": []}


@pytest.mark.both_databases
@pytest.mark.parametrize("payload", [
    {"muted_categories": "low-contact"},
    {"muted_categories": ["no-such-category"]},
    {"muted_categories": [3]},
    {"digest": "daily", "muted_categories": ["no-such-category"]},
    {"digest": "hourly", "muted_categories": ["low-contact"]},
])
def test_patch_me_with_a_bad_mute_changes_nothing(client, payload):
    member = make_user()
    headers = bearer(member)
    client.patch(f"{API}/me", headers=headers, json={"muted_categories": ["introductions"]})
    assert_error(client.patch(f"{API}/me", headers=headers, json=payload), 422, "invalid")
    settings = client.get(f"{API}/me", headers=headers).get_json()
    assert settings["digest"] == "weekly"
    assert settings["muted_categories"] == ["introductions"]


@pytest.mark.both_databases
def test_someone_elses_held_post_is_404_not_403(client, monkeypatch):
    thread = make_thread(make_user()).thread
    hold_everything(monkeypatch)
    held = make_reply_acknowledged(make_user(), thread.id)
    other = bearer(make_user())
    # Held posts don't exist for anyone but their author: no hint that something is there.
    assert_error(client.patch(f"{API}/posts/{held}", headers=other, json={"body": "x"}), 404)
    assert_error(client.post(f"{API}/posts/{held}/reports", headers=other,
                             json={"reason": "x"}), 404)
    assert count(Report) == 0


def make_reply_acknowledged(author: User, thread_id: int) -> int:
    from forum import posting

    return posting.reply(author, thread_id, "held text", acknowledge_nudge=True).post.id
