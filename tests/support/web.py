"""Page tests: signing in through the real form, CSRF tokens, posting forms."""

from __future__ import annotations

import re

from tests.support.factories import PASSWORD

CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token_in(page: str) -> str:
    match = CSRF_FIELD.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_from(client, url: str = "/") -> str:
    """The CSRF token of the form on `url`, as a browser would find it."""
    return csrf_token_in(client.get(url).get_data(as_text=True))


def login(client, username: str, password: str = PASSWORD, next_url: str | None = None):
    """Sign in through the sign-in form (with its CSRF token when CSRF is on); the response.

    A good sign-in answers 302; tests that need it signed in assert that.
    """
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    if client.application.config.get("WTF_CSRF_ENABLED", True):
        data["csrf_token"] = csrf_from(client, "/login")
    return client.post("/login", data=data)


def post_form(client, url: str, data: dict | None = None, token_page: str = "/"):
    """POST a page form with the CSRF token a browser would have from `token_page`."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_from(client, token_page))
    return client.post(url, data=data)
