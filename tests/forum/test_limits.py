"""Limits are shared between the web pages and the API: one budget per address or member."""

import pytest

from tests.support.factories import PASSWORD, make_user


@pytest.fixture
def app_config(app_config):
    app_config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_LOGIN="3 per minute",
        RATELIMIT_POSTING="2 per minute",
        RATELIMIT_POSTING_NEW="2 per minute",  # these members are new (forum/trust.py)
        WTF_CSRF_ENABLED=False,
    )
    return app_config


def test_password_guesses_on_the_form_and_the_api_count_together(client, app):
    make_user("quietfern")
    for _ in range(2):
        assert client.post("/login", data={"username": "quietfern", "password": "wrong guess"}).status_code == 422
    answer = client.post("/api/v1/tokens", json={"username": "quietfern", "password": "wrong guess"})
    assert answer.status_code == 401
    answer = client.post("/api/v1/tokens", json={"username": "quietfern", "password": PASSWORD})
    assert answer.status_code == 429
    assert answer.get_json()["error"] == "rate_limited"
    assert client.post("/login", data={"username": "quietfern", "password": PASSWORD}).status_code == 429


def test_posts_on_the_pages_and_through_the_api_share_one_budget(client, app):
    make_user("stillwater")
    token = client.post("/api/v1/tokens", json={"username": "stillwater", "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"category": "introductions", "title": "Hello from me", "body": "Glad to be here."}
    assert client.post("/api/v1/threads", json=body, headers=headers).status_code == 201

    client.post("/login", data={"username": "stillwater", "password": PASSWORD})
    page = client.post("/new", data={"category": "introductions", "title": "Another hello", "body": "Hi again."})
    assert page.status_code in (302, 303)

    assert client.post("/api/v1/threads", json=body, headers=headers).status_code == 429
