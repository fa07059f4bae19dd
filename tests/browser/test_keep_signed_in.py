""""Keep me signed in" across a browser restart, in real Chromium.

A restart is simulated the way a browser does it: the context closes, and only persistent
cookies (with an expiry) are carried into a new one; session cookies are gone.
"""

from __future__ import annotations

import pytest

from tests.support.factories import PASSWORD, make_user

pytestmark = pytest.mark.browser


def sign_in(page, base: str, username: str, keep: bool) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    if keep:
        page.get_by_label("Keep me signed in on this device").check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("button", name="Sign out").is_visible()


def restart(browser, context):
    """Close the browser context; open a new one with only its persistent cookies."""
    persistent = [cookie for cookie in context.cookies() if cookie["expires"] > 0]
    dropped = [cookie["name"] for cookie in context.cookies() if cookie["expires"] <= 0]
    context.close()
    fresh = browser.new_context()
    fresh.add_cookies(persistent)
    return fresh, [cookie["name"] for cookie in persistent], dropped


@pytest.mark.parametrize("keep", [True, False])
def test_keep_me_signed_in_survives_a_browser_restart(browser, live_server, keep):
    base = live_server.url
    with live_server.app.app_context():
        make_user("steady_oak")
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, base, "steady_oak", keep)

    context, kept, dropped = restart(browser, context)
    assert "session" in dropped
    page = context.new_page()
    page.goto(f"{base}/")
    sign_out = page.get_by_role("button", name="Sign out")
    if keep:
        assert kept == ["forum_remember"]
        assert sign_out.is_visible()
        # Still signed in on the next pages too (the restored session holds).
        page.goto(f"{base}/account/settings")
        assert page.get_by_role("heading", name="Your settings").is_visible()
        assert page.get_by_text("kept signed in").is_visible()
        cookie = next(c for c in context.cookies() if c["name"] == "forum_remember")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    else:
        assert kept == []
        assert sign_out.count() == 0
        assert page.get_by_role("link", name="Sign in").first.is_visible()
    context.close()
