"""Helpers for page tests: signing in through the form, and request isolation.

The shared `app` fixture keeps one application context pushed for the whole test, so `flask.g`
(where Flask-Login caches the signed-in member and Flask-WTF the CSRF token) would otherwise
carry over from one test-client request to the next, even between two different clients.
"""

from __future__ import annotations

from flask import g, request_started

from tests.factories import PASSWORD


def isolate_requests(app) -> None:
    """Forget per-request caches in `g` at the start of every request (as production does)."""

    def _forget(sender, **extra):
        for name in ("_login_user", "csrf_token"):
            g.pop(name, None)

    # Keep a reference on the app: blinker holds receivers weakly.
    app.extensions["tests.isolate_requests"] = _forget
    request_started.connect(_forget, app)


def login(client, username: str, password: str = PASSWORD, next_url: str | None = None):
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)
