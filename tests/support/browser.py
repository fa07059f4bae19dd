"""Helpers for the Playwright tests: join the forum the way a new member does."""

from __future__ import annotations

from tests.support.mail import link_in

PASSWORD = "a long enough passphrase"


def register(page, server, username: str, password: str = PASSWORD) -> None:
    """Join, confirm the address by the emailed link, and sign in."""
    base_url = server.url
    page.goto(f"{base_url}/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.test")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again").fill(password)
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url(f"{base_url}/check-email")
    assert page.get_by_role("heading", name="Check your email").is_visible()

    [message] = server.outbox.to(f"{username}@example.test")
    page.goto(base_url + link_in(message, "/verify/"))
    page.get_by_role("button", name="Confirm my address").click()
    page.wait_for_url(f"{base_url}/login")
    assert page.get_by_text("your address is confirmed").is_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
    assert page.get_by_text(f"Welcome back, {username}.").is_visible()
