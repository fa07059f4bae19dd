"""Real Chromium: a moderator answers a crisis post with an edited response template and the
member reads it with their own region's crisis lines; a member appeals a rejected post, a
second moderator overturns it from the appeals lane, and the post is public again.

The app runs on a local threaded server with the fake screening pipeline (tests/support/)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum import crisis_resources, posting, review
from forum.extensions import db
from forum.models import Appeal, ModerationCase, Notice, Post
from tests.support.factories import make_thread, make_user
from tests.support.fake_pipeline import screened

pytestmark = pytest.mark.browser

UK_SAMARITANS = "call 116 123, free, day or night"
SHAMING = "Honestly you went back again, what did you expect?"
NOTE = "I was quoting what my father says to me, to show how it sounds. I'd never say it to her."


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


def _fresh(query):
    db.session.expire_all()
    return db.session.scalar(query)


def test_moderator_answers_a_crisis_post_with_an_edited_template(app, app_server, page_for):
    make_user("mod_willow", role="moderator")
    rowan = make_user("rowan")
    crisis_resources.set_region(rowan, "uk")
    crisis = posting.create_thread(rowan, "going-no-contact", "Tonight",
                                   "I want to die tonight. Nobody would notice.").post
    case = review.open_case_for(crisis.id)
    assert case.lane == "urgent"

    mod = page_for("mod_willow")
    mod.goto(f"{app_server}/mod/?lane=urgent")
    mod.get_by_role("link", name=f"Case {case.id}").click()
    mod.wait_for_url(f"{app_server}/mod/cases/{case.id}")
    outreach = mod.locator("#outreach")
    assert "Reach out to rowan" in outreach.inner_text()
    assert UK_SAMARITANS not in mod.content()  # the member's region stays theirs
    template = outreach.locator("form").filter(has_text="Immediate danger")
    box = template.locator("textarea[name=message]")
    written = box.input_value()
    assert written.startswith("Hi rowan, this is a moderator.") and "{resources}" in written
    edited = written.replace("We're glad you told us",
                             "I'm on shift until midnight and I'll check the thread. "
                             "We're glad you told us")
    box.fill(edited)
    template.get_by_role("button", name="Send “Immediate danger”").click()
    mod.locator("text=Your message was sent").wait_for()

    notice = _fresh(select(Notice).where(Notice.kind == "outreach"))
    assert notice.user_id == rowan.id and "on shift until midnight" in notice.message

    member = page_for("rowan")  # the first page after signing in shows the message
    message = member.locator(".flash", has_text="I'm on shift until midnight")
    message.wait_for()
    words = message.inner_text()
    assert words.startswith("Hi rowan, this is a moderator.")
    assert f"Samaritans: {UK_SAMARITANS}" in words and "{resources}" not in words
    member.get_by_text("Need someone to talk to right now?").click()
    footer = member.locator(".site-footer")
    assert "Lines for: United Kingdom" in footer.inner_text()
    assert UK_SAMARITANS in footer.inner_text() and "call 999" in footer.inner_text()
    assert mod.csp_errors == [] and member.csp_errors == []


def test_member_appeals_and_a_second_moderator_overturns_it(app, app_server, page_for):
    ash = make_user("mod_ash", role="moderator")
    make_user("mod_birch", role="moderator")
    river = make_user("river")
    thread = make_thread(make_user("opener"), title="Thirty days").thread
    post = posting.reply(river, thread.id, SHAMING, acknowledge_nudge=True).post
    review.reject(ash, review.open_case_for(post.id).id, "It reads as shaming her for a slip.")

    member = page_for("river")
    member.get_by_role("link", name="Decisions about you, and asking for another look").click()
    member.wait_for_url(f"{app_server}/account/decisions")
    assert "It reads as shaming her for a slip." in member.content()
    member.get_by_role("link", name="Ask for another look").click()
    member.wait_for_url(f"{app_server}/appeal/post/{post.id}")
    member.get_by_label("What would you like the moderators to know?").fill(NOTE)
    member.get_by_role("button", name="Send it to a moderator").click()
    member.wait_for_url(f"{app_server}/account/decisions")
    member.locator("text=A different moderator from the one who decided").wait_for()
    appeal = _fresh(select(Appeal))
    assert appeal.status == "open" and appeal.note == NOTE

    # The moderator who rejected it is asked to leave it to someone else.
    first = page_for("mod_ash")
    first.goto(f"{app_server}/mod/appeals/{appeal.id}")
    assert "another moderator will answer this appeal" in first.content()
    assert first.get_by_role("button", name="Overturn").count() == 0

    second = page_for("mod_birch")
    second.goto(f"{app_server}/mod/")
    second.locator("nav.lanes").get_by_role("link", name="Appeals").click()
    second.wait_for_url(f"{app_server}/mod/?lane=appeals")
    assert NOTE in second.content() and "mod_ash" in second.content()
    second.get_by_role("link", name=f"Appeal {appeal.id}").click()
    second.get_by_label("Your words to river").fill("You were quoting him. Sorry we took it down.")
    second.get_by_role("button", name="Overturn").click()
    second.locator("text=Overturned: the member has been told").wait_for()
    assert _fresh(select(Appeal.status)) == "overturned"
    assert _fresh(select(Post.status).where(Post.id == post.id)) == "published"
    assert _fresh(select(ModerationCase.status).where(ModerationCase.post_id == post.id)) \
        == "approved"

    member.goto(f"{app_server}/")
    outcome = member.locator(".flash", has_text="agreed with you")
    outcome.wait_for()
    assert "published again" in outcome.inner_text()
    assert "You were quoting him. Sorry we took it down." in outcome.inner_text()

    visitor = page_for(None)
    visitor.goto(f"{app_server}/t/{thread.id}")
    visitor.locator(f"#post-{post.id}").wait_for()
    assert "what did you expect?" in visitor.locator(f"#post-{post.id}").inner_text()
    assert member.csp_errors == [] and second.csp_errors == [] and first.csp_errors == []
