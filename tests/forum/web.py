"""Helpers for page tests: signing in through the form."""

from __future__ import annotations

from tests.factories import PASSWORD


def login(client, username: str, password: str = PASSWORD, next_url: str | None = None):
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/login", data=data)
