"""Real Chromium: the author nudge (edit after it, or send anyway) and a moderator working the
queue with the keyboard. The app runs on a local threaded server with the fake pipeline."""

from __future__ import annotations

import os
import shutil

import pytest
from sqlalchemy import select

from forum import posting, review
from forum.extensions import db
from forum.models import AuditEntry, ModerationCase, NudgeEvent, Post, PostStatus
from tests.browser.conftest import ARTIFACTS
from tests.support.factories import make_thread, make_user
from tests.support.fake_pipeline import screened

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SHAMING = "Honestly you went back AGAIN, what did you expect?"


def _chromium_missing() -> str | None:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"Playwright is not installed: {exc}"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _chromium_missing()
    if reason:
        print(f"SKIP: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


def _fresh(query):
    db.session.expire_all()
    return db.session.scalar(query)


def test_author_edits_after_the_nudge_and_it_publishes(app, app_server, page_for):
    thread = make_thread(make_user("river"), body="I broke NC last night.").thread
    make_user("stone")
    page = page_for("stone")
    page.goto(f"{app_server}/t/{thread.id}")
    page.fill("textarea[name=body]", SHAMING)
    page.get_by_role("button", name="Post reply").click()

    nudge = page.locator("section.nudge")
    nudge.wait_for()
    assert "going back" in nudge.inner_text()
    assert page.input_value("textarea[name=body]") == SHAMING  # the text is kept
    assert _fresh(select(Post).where(Post.body_markdown == SHAMING)) is None

    page.fill("textarea[name=body]", "Slips happen. Be gentle with yourself today.")
    page.get_by_role("button", name="Post reply").click()
    page.locator("text=Be gentle with yourself today.").first.wait_for()
    post = _fresh(select(Post).where(Post.body_markdown.like("Slips happen%")))
    assert post.status == PostStatus.PUBLISHED
    assert _fresh(select(NudgeEvent.outcome)) == "revised"
    assert page.csp_errors == []


def test_author_sends_it_anyway_and_it_waits_for_a_moderator(app, app_server, page_for):
    thread = make_thread(make_user("river")).thread
    make_user("stone")
    page = page_for("stone")
    page.goto(f"{app_server}/t/{thread.id}")
    page.fill("textarea[name=body]", SHAMING)
    page.get_by_role("button", name="Post reply").click()
    page.locator("section.nudge").wait_for()
    page.get_by_role("button", name="Post for a moderator to review").click()
    page.locator("text=a moderator will look at it").first.wait_for()
    post = _fresh(select(Post).where(Post.body_markdown == SHAMING))
    assert post.status == PostStatus.HELD
    case = _fresh(select(ModerationCase).where(ModerationCase.post_id == post.id))
    assert case.lane == "held" and case.nudged is True


def test_moderator_works_the_queue_with_the_keyboard(app, app_server, page_for):
    make_user("mod_willow", role="moderator")
    thread = make_thread(make_user("river")).thread
    posts = [posting.reply(make_user(), thread.id, f"{n}: you went back again",
                           acknowledge_nudge=True).post for n in range(3)]
    cases = [db.session.scalar(select(ModerationCase.id).where(ModerationCase.post_id == p.id))
             for p in posts]
    page = page_for("mod_willow")
    page.goto(f"{app_server}/mod/")

    help_box = page.locator("#mod-help")
    assert help_box.is_hidden()
    page.keyboard.press("?")
    assert help_box.is_visible() and "approve the current case" in help_box.inner_text()
    page.keyboard.press("Escape")
    assert help_box.is_hidden()

    current = page.locator("article.case--current")
    assert current.get_attribute("data-case-id") == str(cases[0])
    page.keyboard.press("j")
    assert current.get_attribute("data-case-id") == str(cases[1])
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert current.get_attribute("data-case-id") == str(cases[1])
    page.keyboard.press("k")
    assert current.get_attribute("data-case-id") == str(cases[0])

    page.keyboard.press("a")  # approve case 0; the queue reloads
    page.wait_for_selector(f"#case-{cases[0]}", state="detached")
    page.locator("text=approved").first.wait_for()
    assert page.locator("article.case--current").get_attribute("data-case-id") == str(cases[1])

    page.keyboard.press("r")  # reject case 1: type the reason, Enter
    assert page.evaluate("document.activeElement.name") == "reason"
    page.keyboard.type("Shaming someone for a slip.")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#case-{cases[1]}", state="detached")

    db.session.expire_all()
    statuses = [db.session.get(ModerationCase, case_id).status for case_id in cases]
    assert statuses == ["approved", "rejected", "open"]
    assert [db.session.get(Post, p.id).status for p in posts] == ["published", "rejected", "held"]
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id.is_not(None))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["approved", "rejected"]
    assert page.csp_errors == []


def test_moderator_reads_the_agreement_page_kept_as_a_screenshot(app, app_server, page_for):
    mod = make_user("mod_willow", role="moderator")
    thread = make_thread(make_user("river")).thread
    writer = make_user("stone")
    for n, decide in enumerate(("reject", "reject", "approve")):
        post = posting.reply(writer, thread.id, f"{SHAMING} ({n})", acknowledge_nudge=True).post
        case = review.open_case_for(post.id)
        if decide == "reject":
            review.reject(mod, case.id, "Shaming for breaking No Contact.")
        else:
            review.approve(mod, case.id)
    page = page_for("mod_willow")
    page.goto(f"{app_server}/mod/agreement")
    charts = page.locator("svg.chart")
    charts.first.wait_for()
    assert charts.count() == 3
    assert page.locator("svg.chart rect.chart__bar--right").count() >= 1
    assert "67%" in page.locator("#agreement-weeks").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "screening-agreement.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert page.csp_errors == []
