"""The privacy nudge in real Chromium: a member writes a post with a full name and a street
address; before anything goes up they see kind warnings; "Edit my text" keeps every word and
puts the cursor back in it; "Post anyway" publishes the post as written."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.support.browser import register

pytestmark = pytest.mark.browser

STORY = "My mother, Linda Hartley, drove past 14 Elm Street again last night."
SAFER = "My mother drove past my street again last night."


def _start_thread(page, base: str, body: str) -> None:
    page.goto(f"{base}/new")
    page.get_by_label("Category").select_option("healing-and-self-care")
    page.get_by_label("Title").fill("She found my street")
    page.get_by_label("Your post").fill(body)
    page.get_by_role("button", name="Post thread").click()
    page.wait_for_load_state()


def test_the_privacy_nudge_before_posting(live_server, new_page):
    base = live_server.url
    page = new_page()
    register(page, live_server, "quiet_fern")

    # 1. The nudge appears before anything is posted, naming kinds of detail, not the details.
    _start_thread(page, base, STORY)
    nudge = page.get_by_role("alert").filter(has_text="A gentle check about privacy")
    assert nudge.is_visible()
    assert nudge.get_by_text("full name").is_visible()
    assert nudge.get_by_text("street address").is_visible()
    assert "Linda" not in nudge.inner_text() and "Elm" not in nudge.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "privacy-nudge.png"), full_page=True)

    # 2. "Edit my text": nothing is lost, the cursor is in the text, nothing was posted.
    page.get_by_role("link", name="Edit my text").click()
    body = page.get_by_label("Your post")
    assert body.input_value() == STORY
    assert page.evaluate("document.activeElement.id") == "body"
    page.goto(f"{base}/c/healing-and-self-care")
    assert page.get_by_text("She found my street").count() == 0

    # 3. Edited to something safer: it posts straight away, no nudge.
    _start_thread(page, base, SAFER)
    assert page.get_by_text("Your thread is up.").is_visible()
    assert page.get_by_text(SAFER).is_visible()

    # 4. "Post anyway": the member's choice; the post goes up exactly as written.
    _start_thread(page, base, STORY)
    page.get_by_role("button", name="Post anyway").click()
    page.wait_for_load_state()
    assert page.get_by_text("Your thread is up.").is_visible()
    assert page.get_by_text(STORY).is_visible()
    # The nudge page answers 422 (nothing was stored), which Chromium logs; nothing else may.
    assert [e for e in page.console_errors if "status of 422" not in e] == []
