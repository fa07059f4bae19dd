"""A member's journey in real Chromium: join, sign in, start a content-warned thread,
get replies from other members, and block one of them."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.support.browser import PASSWORD, register

pytestmark = pytest.mark.browser



def reply(page, thread_url: str, text: str) -> None:
    page.goto(thread_url)
    page.get_by_label("Your reply").fill(text)
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your reply is up.").is_visible()


def test_member_journey(live_server, new_page):
    base = live_server.url
    river = new_page()

    # Join, sign out, sign back in.
    register(river, live_server, "river_stone")
    river.get_by_role("button", name="Sign out").click()
    river.wait_for_load_state()
    nav = river.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Sign in").is_visible()
    nav.get_by_role("link", name="Sign in").click()
    river.get_by_label("Username").fill("river_stone")
    river.get_by_label("Password").fill(PASSWORD)
    river.get_by_role("button", name="Sign in").click()
    river.wait_for_url(f"{base}/")
    assert river.get_by_text("Welcome back, river_stone.").is_visible()

    # Start a thread with a content warning.
    river.get_by_role("link", name="Start a thread").first.click()
    river.get_by_label("Category").select_option("holidays-and-family-events")
    river.get_by_label("Title").fill("First holidays after going No Contact")
    river.get_by_label("Content warning (optional)").fill("a shouting match, being called selfish")
    river.get_by_label("Your post").fill(
        "Last year's dinner ended with my father shouting that I was **selfish** for leaving "
        "early.\n\nThis year I'm not going. I've planned a walk and a film with my partner. "
        "How are you all getting through the season?"
    )
    river.get_by_role("button", name="Post thread").click()
    river.wait_for_load_state()
    assert river.get_by_role("heading", level=1).inner_text() == "First holidays after going No Contact"
    thread_url = river.url
    warning = river.locator("details.cw summary")
    assert "Content warning: a shouting match, being called selfish" in warning.inner_text()
    body = river.locator("details.cw .post__body")
    assert not body.is_visible()  # collapsed behind the warning
    warning.click()
    assert body.is_visible() and "selfish" in body.inner_text()

    # Two other members reply.
    kind = new_page()
    register(kind, live_server, "kind_stranger")
    reply(kind, thread_url, "A walk and a film sounds **lovely**. You're allowed to protect your peace.")
    harsh = new_page()
    register(harsh, live_server, "sharp_tongue")
    reply(harsh, thread_url, "Honestly, it's one dinner. Just go and keep the peace.")

    # The thread as its author sees it; keep a screenshot as a test artifact.
    river.goto(thread_url)
    assert river.get_by_text("You're allowed to protect your peace.").is_visible()
    assert river.get_by_text("Just go and keep the peace.").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    river.screenshot(path=str(ARTIFACTS / "thread-page.png"), full_page=True)

    # Block sharp_tongue from the menu on their name: their reply disappears for river_stone.
    harsh_post = river.locator("article.post", has_text="Just go and keep the peace.")
    harsh_post.locator("details.member-menu summary").click()
    harsh_post.get_by_role("button", name="Block sharp_tongue").click()
    river.wait_for_load_state()
    assert river.get_by_text("You've blocked sharp_tongue.").is_visible()
    assert river.get_by_text("Just go and keep the peace.").count() == 0
    assert river.get_by_text("You're allowed to protect your peace.").is_visible()
    river.screenshot(path=str(ARTIFACTS / "thread-page-after-block.png"), full_page=True)

    # The blocked member's page looks as before (the form is there; nothing says "blocked"),
    # and a reply gets the neutral answer; the other member sees everything.
    harsh.goto(thread_url)
    harsh.get_by_label("Your reply").fill("Let me explain myself.")
    harsh.get_by_role("button", name="Post reply").click()
    harsh.wait_for_load_state()
    assert harsh.get_by_text("couldn't go through right now", exact=False).is_visible()
    # That refusal is a 403, which Chromium logs; it is the only one expected.
    refused = [error for error in harsh.console_errors if "403" in error]
    assert len(refused) == 1
    harsh.console_errors.remove(refused[0])
    kind.goto(thread_url)
    assert kind.get_by_text("Just go and keep the peace.").is_visible()

    # The blocked list offers an unblock.
    river.goto(f"{base}/blocked")
    assert river.get_by_role("button", name="Unblock sharp_tongue").is_visible()

    # No CSP violations or script errors along the way.
    for page in (river, kind, harsh):
        assert page.console_errors == []


def test_thread_page_works_on_a_phone(live_server, new_page):
    base = live_server.url
    phone = new_page(width=390, height=844)
    register(phone, live_server, "small_screen")
    phone.goto(f"{base}/new?category=introductions")
    phone.get_by_label("Title").fill("Hello from my phone")
    phone.get_by_label("Your post").fill("Reading here helps more than I can say.")
    phone.get_by_role("button", name="Post thread").click()
    phone.wait_for_load_state()
    # Nothing is wider than the screen (no sideways scrolling).
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # The skip link is the first thing keyboard users reach and it moves focus to the content.
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.textContent") == "Skip to content"
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "main"
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "thread-page-phone.png"), full_page=True)
    assert phone.console_errors == []
