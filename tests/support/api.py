"""API tests: tokens, the request a test thread is made with, the error shape."""

from __future__ import annotations

from forum import accounts
from forum.models import User
from tests.support.factories import PASSWORD

API = "/api/v1"

NEW_THREAD = {
    "category": "going-no-contact",
    "title": "Day one of No Contact",
    "body": "I finally sent the last message. Shaking, but **proud**.",
}


def bearer(user: User) -> dict[str, str]:
    """Authorization headers with a fresh token for `user`, issued directly."""
    return {"Authorization": f"Bearer {accounts.issue_api_token(user, 30)}"}


def api_token(client, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers with a token asked for the way a client does (POST /tokens)."""
    response = client.post(f"{API}/tokens", json={"username": username, "password": password})
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The API's error shape, {"error", "message"}, with this status (and code)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body.get("error"), str) and body["error"]
    assert isinstance(body.get("message"), str) and body["message"]
    if code is not None:
        assert body["error"] == code
    return body
