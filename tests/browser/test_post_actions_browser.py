"""Real Chromium: a post's Support, Block and Delete buttons submit the thread page's one shared
form (their `formaction` says where), ask before blocking or deleting, and bring the member
back to the page they were on. The app runs on a local threaded server."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum import posting
from forum.extensions import db
from forum.models import Post, PostStatus, Support
from tests.support.factories import make_thread, make_user

pytestmark = pytest.mark.browser


def _count(query) -> int:
    db.session.expire_all()
    return db.session.scalar(query) or 0


def test_support_block_and_delete_go_through_the_pages_shared_form(app, app_server, page_for):
    author = make_user("willow_path")
    reader = make_user("quiet_harbour")
    harsh = make_user("cold_shoulder")
    thread = make_thread(author, title="Day twelve", body="Twelve days without the calls.").thread
    kind = posting.reply(reader, thread.id, "Twelve days is real. Proud of you.").post
    cold = posting.reply(harsh, thread.id, "Sounds like a lot of drama over nothing.").post
    url = f"{app_server}/t/{thread.id}"

    page = page_for("willow_path")
    page.goto(url)
    assert page.locator("form").filter(has=page.locator("input[name=csrf_token]")).count() >= 2
    # One shared form for the buttons; the author's own post has no Support button.
    assert page.locator("form#post-actions").count() == 1

    kind_card = page.locator(f"#post-{kind.id}")
    kind_card.get_by_role("button", name="Support").click()
    page.wait_for_url(f"{url}#post-{kind.id}")
    assert page.locator(f"#post-{kind.id}").get_by_role("button", name="Supported").is_visible()
    assert _count(select(func.count()).select_from(Support).where(
        Support.post_id == kind.id)) == 1

    # Declining the question leaves the member unblocked; accepting it blocks them.
    page.accept_dialogs = False
    cold_card = page.locator(f"#post-{cold.id}")
    cold_card.locator("details.member-menu summary").click()
    cold_card.get_by_role("button", name="Block cold_shoulder").click()
    assert page.dialogs and page.dialogs[-1].startswith("Block cold_shoulder?")
    page.reload()
    assert page.get_by_text("Sounds like a lot of drama over nothing.").is_visible()

    page.accept_dialogs = True
    cold_card = page.locator(f"#post-{cold.id}")
    cold_card.locator("details.member-menu summary").click()
    cold_card.get_by_role("button", name="Block cold_shoulder").click()
    page.wait_for_load_state()
    assert page.get_by_text("You've blocked cold_shoulder.").is_visible()
    assert page.get_by_text("Sounds like a lot of drama over nothing.").count() == 0
    assert len(page.dialogs) == 2

    # The reader deletes their own reply from the same kind of button.
    reader_page = page_for("quiet_harbour")
    reader_page.goto(url)
    reader_page.locator(f"#post-{kind.id}").get_by_role("button", name="Delete").click()
    reader_page.wait_for_load_state()
    assert reader_page.dialogs == ["Delete this post? This can't be undone."]
    assert reader_page.get_by_text("Twelve days is real. Proud of you.").count() == 0
    db.session.expire_all()
    assert db.session.get(Post, kind.id).status != PostStatus.PUBLISHED
