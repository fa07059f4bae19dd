"""API authentication: bearer tokens only (never the session cookie), expiry, rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum import accounts
from forum.extensions import db
from forum.models import ApiToken, Post, utcnow
from tests.support.api import API, NEW_THREAD, api_token, assert_error, bearer
from tests.support.factories import PASSWORD, count, make_thread, make_user
from tests.support.fake_pipeline import hold_everything
from tests.support.web import login

PROTECTED = [
    ("post", "/threads"),
    ("post", "/threads/1/posts"),
    ("patch", "/posts/1"),
    ("post", "/posts/1/reports"),
    ("post", "/users/someone/block"),
    ("delete", "/users/someone/block"),
    ("get", "/me"),
    ("patch", "/me"),
    ("delete", "/tokens/current"),
]


@pytest.mark.both_databases
@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_routes_need_a_token(client, method, path):
    make_thread(make_user("someone"))
    posts = count(Post)
    response = getattr(client, method)(f"{API}{path}", json={"body": "x", "reason": "x"})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(Post) == posts


@pytest.mark.parametrize("header", [
    "Bearer not-a-real-token",
    "Bearer ",
    "Bearer",
    "Basic cml2ZXI6cGFzc3dvcmQ=",
    "Token abc",
    "Bearer " + "a" * 500,
])
def test_invalid_or_malformed_tokens_are_401(client, header):
    response = client.get(f"{API}/me", headers={"Authorization": header})
    assert_error(response, 401, "unauthorized")
    # Reading routes accept anonymous callers, but a bad token is still refused, not ignored.
    assert_error(client.get(f"{API}/threads", headers={"Authorization": header}), 401)


@pytest.mark.both_databases
def test_an_expired_token_is_401(client):
    member = make_user()
    headers = bearer(member)
    assert client.get(f"{API}/me", headers=headers).status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == member.id))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_error(client.get(f"{API}/me", headers=headers), 401, "unauthorized")


@pytest.mark.both_databases
def test_revoking_the_current_token_signs_out_only_that_token(client):
    make_user("river")
    phone, laptop = api_token(client, "river"), api_token(client, "river")
    other_member = bearer(make_user())
    assert client.get(f"{API}/me", headers=phone).status_code == 200

    response = client.delete(f"{API}/tokens/current", headers=phone)
    assert response.status_code == 204
    assert response.get_data() == b""
    assert response.headers["Cache-Control"] == "no-store"

    body = assert_error(client.get(f"{API}/me", headers=phone), 401, "unauthorized")
    assert "POST /api/v1/tokens" in body["message"]
    # A revoked token is refused on reading routes too, not treated as anonymous.
    assert_error(client.get(f"{API}/threads", headers=phone), 401)
    # The member's other token, and other members' tokens, keep working.
    assert client.get(f"{API}/me", headers=laptop).get_json()["username"] == "river"
    assert client.get(f"{API}/me", headers=other_member).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 2
    # A fresh sign-in still works.
    assert client.get(f"{API}/me", headers=api_token(client, "river")).status_code == 200


@pytest.mark.both_databases
def test_revoking_twice_is_401_the_second_time(client):
    make_user("river")
    headers = api_token(client, "river")
    assert client.delete(f"{API}/tokens/current", headers=headers).status_code == 204
    again = client.delete(f"{API}/tokens/current", headers=headers)
    assert_error(again, 401, "unauthorized")
    assert again.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", [None, "Bearer not-a-real-token", "Basic cml2ZXI6cGFzc3dvcmQ="])
def test_revoking_needs_a_valid_bearer_token_and_touches_no_other(client, header):
    make_user("river")
    headers = api_token(client, "river")
    response = client.delete(f"{API}/tokens/current",
                             headers={"Authorization": header} if header else {})
    assert_error(response, 401, "unauthorized")
    assert client.get(f"{API}/me", headers=headers).status_code == 200


def test_revoking_an_expired_or_signed_out_token_is_401(client):
    member = make_user("river")
    headers = api_token(client, "river")
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == member.id))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_error(client.delete(f"{API}/tokens/current", headers=headers), 401)

    fresh = api_token(client, "river")
    accounts.change_password(member, PASSWORD, "a brand new passphrase")
    assert_error(client.delete(f"{API}/tokens/current", headers=fresh), 401)


def test_revoking_needs_no_csrf_token_and_no_cookie(app, client):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    make_user("river")
    headers = api_token(client, "river")
    assert client.delete(f"{API}/tokens/current", headers=headers).status_code == 204


def test_token_lifetime_follows_the_configuration(client, app):
    app.config["API_TOKEN_MAX_AGE_DAYS"] = 2
    make_user("brief")
    client.post(f"{API}/tokens", json={"username": "brief", "password": PASSWORD})
    row = db.session.scalar(select(ApiToken))
    lifetime = row.expires_at - row.created_at
    assert abs(lifetime - timedelta(days=2)) < timedelta(minutes=1)


def test_changing_the_password_or_suspension_signs_tokens_out(client):
    member = make_user()
    headers = bearer(member)
    accounts.change_password(member, PASSWORD, "a brand new passphrase")
    assert_error(client.get(f"{API}/me", headers=headers), 401)

    other = make_user()
    other_headers = bearer(other)
    other.suspended_at = utcnow()
    db.session.commit()
    assert_error(client.get(f"{API}/me", headers=other_headers), 401)
    assert_error(client.post(f"{API}/tokens", json={"username": other.username,
                                                    "password": PASSWORD}), 401)


def test_the_session_cookie_never_authenticates_the_api(client, monkeypatch):
    member = make_user()
    hold_everything(monkeypatch)
    held = client.post(f"{API}/threads", headers=bearer(member),
                       json={**NEW_THREAD, "acknowledge_nudge": True}).get_json()
    assert login(client, member.username).status_code == 302
    # The cookie is a working sign-in for the pages...
    assert client.get("/new").status_code == 200

    # ...and means nothing to the API.
    assert_error(client.get(f"{API}/me"), 401)
    assert_error(client.post(f"{API}/threads", json=NEW_THREAD), 401)
    # Reading with only the cookie is anonymous reading: the member's held thread stays hidden.
    assert_error(client.get(f"{API}/threads/{held['id']}"), 404)
    assert client.get(f"{API}/threads").get_json()["items"] == []


def test_api_needs_no_csrf_token_while_forms_do(app, client):
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    response = client.post(f"{API}/threads", headers=bearer(make_user()), json=NEW_THREAD)
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers


def test_api_answers_are_not_cached(client):
    response = client.get(f"{API}/me", headers=bearer(make_user()))
    assert response.headers["Cache-Control"] == "no-store"
    assert "Authorization" in response.headers["Vary"]


@pytest.fixture
def rate_limited(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute",
                      RATELIMIT_POSTING="2 per minute", RATELIMIT_POSTING_NEW="2 per minute")


def test_token_requests_are_rate_limited(rate_limited, client):
    make_user("river")
    statuses = [
        client.post(f"{API}/tokens", json={"username": "river", "password": "wrong guess!"})
        .status_code
        for _ in range(3)
    ]
    assert statuses == [401, 401, 401]
    response = client.post(f"{API}/tokens", json={"username": "river", "password": PASSWORD})
    body = assert_error(response, 429, "rate_limited")
    assert "wait" in body["message"].lower()


def test_posting_is_rate_limited_per_member(rate_limited, client):
    eager, patient = make_user(), make_user()
    thread = make_thread(patient).thread
    eager_headers = bearer(eager)
    first = client.post(f"{API}/threads", headers=eager_headers, json=NEW_THREAD)
    second = client.post(f"{API}/threads/{thread.id}/posts", headers=eager_headers,
                         json={"body": "me again"})
    assert (first.status_code, second.status_code) == (201, 201)
    posts = count(Post)
    third = client.post(f"{API}/threads/{thread.id}/posts", headers=eager_headers,
                        json={"body": "and again"})
    assert_error(third, 429, "rate_limited")
    assert count(Post) == posts
    # Another member on the same address has their own allowance.
    other = client.post(f"{API}/threads/{thread.id}/posts", headers=bearer(patient),
                        json={"body": "hello"})
    assert other.status_code == 201
    # Reading is not limited.
    assert client.get(f"{API}/threads/{thread.id}", headers=eager_headers).status_code == 200
