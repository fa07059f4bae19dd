"""Bad input to the API: always a clear 4xx JSON answer, never a 500, never a half-written row."""

from __future__ import annotations

import pytest

from forum.models import Post, PostRevision, Report, Thread
from tests.support.api import API, NEW_THREAD, assert_error, bearer
from tests.support.factories import count, make_thread, make_user


def rows() -> tuple[int, ...]:
    return count(Thread), count(Post), count(PostRevision), count(Report)


BAD_THREADS = [
    pytest.param({**NEW_THREAD, "title": ""}, 422, "title", id="empty-title"),
    pytest.param({**NEW_THREAD, "title": "   "}, 422, "title", id="blank-title"),
    pytest.param({**NEW_THREAD, "title": "x" * 161}, 422, "title", id="oversized-title"),
    pytest.param({**NEW_THREAD, "title": 12345}, 422, "title", id="number-title"),
    pytest.param({**NEW_THREAD, "body": ""}, 422, "body", id="empty-body"),
    pytest.param({**NEW_THREAD, "body": " \n\t "}, 422, "body", id="blank-body"),
    pytest.param({**NEW_THREAD, "body": "x" * 20_001}, 422, "body", id="oversized-body"),
    pytest.param({**NEW_THREAD, "body": ["a", "list"]}, 422, "body", id="list-body"),
    pytest.param({**NEW_THREAD, "body": "\x00\x01 \x00"}, 422, "body", id="only-control-characters"),
    pytest.param({**NEW_THREAD, "category": "no-such-place"}, 422, "category", id="unknown-category"),
    pytest.param({**NEW_THREAD, "category": None}, 422, "category", id="null-category"),
    pytest.param({k: v for k, v in NEW_THREAD.items() if k != "title"}, 422, "title",
                 id="missing-title"),
    pytest.param({**NEW_THREAD, "content_warning": "w" * 121}, 422, "content_warning",
                 id="oversized-content-warning"),
    pytest.param({**NEW_THREAD, "content_warning": 7}, 422, "content_warning",
                 id="number-content-warning"),
    pytest.param({**NEW_THREAD, "acknowledge_nudge": "yes"}, 422, "acknowledge_nudge",
                 id="string-acknowledge"),
    pytest.param({**NEW_THREAD, "author": "someone_else"}, 422, "author", id="unknown-field"),
]


@pytest.mark.both_databases
@pytest.mark.parametrize(("payload", "status", "field"), BAD_THREADS)
def test_bad_thread_fields_are_rejected_cleanly(client, payload, status, field):
    author = make_user()
    before = rows()
    body = assert_error(client.post(f"{API}/threads", headers=bearer(author), json=payload),
                        status, "invalid")
    assert body.get("field") == field
    assert rows() == before


def test_a_title_of_exactly_the_limit_is_fine(client):
    response = client.post(f"{API}/threads", headers=bearer(make_user()),
                           json={**NEW_THREAD, "title": "t" * 160, "body": "b" * 20_000})
    assert response.status_code == 201


BAD_BODIES = [
    pytest.param(b'{"title": "x", ', "application/json", 400, "bad_request", id="malformed-json"),
    pytest.param(b"", "application/json", 400, "bad_request", id="empty-json"),
    pytest.param(b'["a", "list"]', "application/json", 400, "bad_request", id="json-array"),
    pytest.param(b"null", "application/json", 400, "bad_request", id="json-null"),
    pytest.param(b"[" * 100_000, "application/json", 400, "bad_request", id="deeply-nested"),
    pytest.param(b"\xff\xfe\xfa", "application/json", 400, "bad_request", id="not-utf8"),
    pytest.param(b"title=x&body=y", "application/x-www-form-urlencoded", 415,
                 "unsupported_media_type", id="form-encoded"),
    pytest.param(b'{"body": "hi"}', "text/plain", 415, "unsupported_media_type", id="text-plain"),
    pytest.param(b'{"body": "hi"}', None, 415, "unsupported_media_type", id="no-content-type"),
]


@pytest.mark.both_databases
@pytest.mark.parametrize(("data", "content_type", "status", "code"), BAD_BODIES)
def test_malformed_bodies_and_wrong_content_types(client, data, content_type, status, code):
    author = make_user()
    thread = make_thread(author)
    headers = bearer(author)
    if content_type:
        headers["Content-Type"] = content_type
    before = rows()
    for method, path in (
        ("post", f"{API}/threads"),
        ("post", f"{API}/threads/{thread.thread.id}/posts"),
        ("patch", f"{API}/posts/{thread.post.id}"),
        ("post", f"{API}/posts/{thread.post.id}/reports"),
        ("patch", f"{API}/me"),
    ):
        response = getattr(client, method)(path, headers=headers, data=data)
        assert_error(response, status, code)
    assert rows() == before


def test_token_request_with_a_bad_body(client):
    assert_error(client.post(f"{API}/tokens", data="username=a&password=b",
                             content_type="application/x-www-form-urlencoded"), 415)
    assert_error(client.post(f"{API}/tokens", data="{oops", content_type="application/json"), 400)
    assert_error(client.post(f"{API}/tokens", json={"username": ["a"], "password": 1}), 401)


def test_a_body_over_the_size_limit_is_413_json(client):
    response = client.post(f"{API}/threads", headers=bearer(make_user()),
                           data=b"x" * (1024 * 1024 + 1), content_type="application/json")
    assert_error(response, 413, "too_large")


MISSING = 999_999
TOO_BIG = 99_999_999_999  # beyond a 32-bit integer column: must not reach the database


@pytest.mark.both_databases
@pytest.mark.parametrize("missing_id", [MISSING, TOO_BIG])
def test_ids_that_do_not_exist_are_404(client, missing_id):
    member = make_user()
    headers = bearer(member)
    before = rows()
    assert_error(client.get(f"{API}/threads/{missing_id}", headers=headers), 404, "not_found")
    assert_error(client.post(f"{API}/threads/{missing_id}/posts", headers=headers,
                             json={"body": "hello?"}), 404, "not_found")
    assert_error(client.patch(f"{API}/posts/{missing_id}", headers=headers, json={"body": "x"}),
                 404, "not_found")
    assert_error(client.post(f"{API}/posts/{missing_id}/reports", headers=headers,
                             json={"reason": "x"}), 404, "not_found")
    assert rows() == before


@pytest.mark.both_databases
def test_reply_to_a_parent_from_another_thread_or_a_bad_parent_id(client):
    member = make_user()
    here, elsewhere = make_thread(member).thread, make_thread(member)
    headers = bearer(member)
    before = rows()
    path = f"{API}/threads/{here.id}/posts"
    assert_error(client.post(path, headers=headers,
                             json={"body": "hi", "parent_id": elsewhere.post.id}), 422)
    assert_error(client.post(path, headers=headers, json={"body": "hi", "parent_id": "1"}), 422)
    assert_error(client.post(path, headers=headers, json={"body": "hi", "parent_id": True}), 422)
    # A parent that is gone (or never was) gets the neutral answer blocks get (forum/blocks.py).
    assert_error(client.post(path, headers=headers, json={"body": "hi", "parent_id": MISSING}),
                 403)
    assert rows() == before


def test_bad_query_parameters_are_400_and_unknown_category_404(client):
    for page in ("0", "-1", "abc", "1.5", "\u0663"):
        assert_error(client.get(f"{API}/threads", query_string={"page": page}), 400, "bad_request")
    for page in ("10000000", "9" * 30):  # past the end: clamped, an empty page
        far = client.get(f"{API}/threads", query_string={"page": page})
        assert far.status_code == 200 and far.get_json()["items"] == []
    assert_error(client.get(f"{API}/threads", query_string={"category": "nowhere"}), 404)
    thread = make_thread(make_user()).thread
    assert_error(client.get(f"{API}/threads/{thread.id}", query_string={"page": "x"}), 400)


def test_unknown_routes_and_methods_answer_json(client):
    assert_error(client.get(f"{API}/no-such-thing"), 404, "not_found")
    assert_error(client.get(f"{API}/threads/abc"), 404, "not_found")
    assert_error(client.delete(f"{API}/categories"), 405)


def test_editing_a_deleted_post_is_404_and_changes_nothing(client):
    from forum import posting

    author = make_user()
    outcome = make_thread(author)
    reply = posting.reply(author, outcome.thread.id, "to be deleted")
    posting.delete_post(author, reply.post.id)
    before = rows()
    assert_error(client.patch(f"{API}/posts/{reply.post.id}", headers=bearer(author),
                              json={"body": "back again"}), 404)
    assert rows() == before


@pytest.mark.both_databases
def test_unstorable_characters_are_cleaned_not_lost(client):
    """NUL and control characters are dropped and a lone surrogate becomes U+FFFD; the rest of
    what the member wrote is stored as written."""
    author = make_user()
    payload = {**NEW_THREAD, "title": "Day\x00 40\ud800", "body": "still \x07here \ud83d ok",
               "content_warning": "family\x00"}
    response = client.post(f"{API}/threads", headers=bearer(author), json=payload)
    assert response.status_code == 201, response.get_json()
    thread = client.get(f"{API}/threads/{response.get_json()['id']}", headers=bearer(author))
    data = thread.get_json()
    assert data["title"] == "Day 40\ufffd"
    assert data["content_warning"] == "family"
    assert "still here \ufffd ok" in data["posts"][0]["body_html"]
