"""Reaching out to the author of a crisis post with a template; admins edit the templates."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum import posting, review
from forum.extensions import db
from forum.models import AuditEntry, Notice, ResponseTemplate
from forum.review import outreach
from tests.support.factories import make_user
from tests.support.fake_pipeline import screened
from tests.support.web import login, post_form

pytestmark = pytest.mark.both_databases


@pytest.fixture
def app_config(app_config):
    return screened(app_config)


@pytest.fixture
def crisis_case(app):
    make_user("mod_willow", role="moderator")
    make_user("admin_oak", role="admin")
    post = posting.create_thread(make_user("member_rowan"), "going-no-contact", "Tonight",
                                 "I want to die tonight.").post
    return review.open_case_for(post.id)


def test_a_moderator_sends_a_template_and_the_member_reads_it(app, client, crisis_case):
    login(client, "mod_willow")
    page = client.get(f"/mod/cases/{crisis_case.id}").get_data(as_text=True)
    assert "Reach out to member_rowan" in page
    assert "Hi member_rowan, I&#39;m one of the moderators here." in page  # {name} filled in
    words = "Hi member_rowan, we read your post and we're here. Please call 988 if you can."
    answer = post_form(client, f"/mod/cases/{crisis_case.id}/outreach",
                       {"message": words, "next": f"/mod/cases/{crisis_case.id}"},
                       token_page=f"/mod/cases/{crisis_case.id}")
    assert answer.status_code == 302
    notice = db.session.scalar(select(Notice).where(Notice.kind == "outreach"))
    assert notice.user_id == crisis_case.post.author_id and notice.message == words
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outreach_sent"))
    assert entry.case_id == crisis_case.id and "988" not in str(entry.details)

    member = app.test_client()
    login(member, "member_rowan")
    assert "we read your post and we&#39;re here" in member.get("/").get_data(as_text=True)


def test_an_empty_message_sends_nothing(app, client, crisis_case):
    login(client, "mod_willow")
    post_form(client, f"/mod/cases/{crisis_case.id}/outreach", {"message": "  "},
              token_page=f"/mod/cases/{crisis_case.id}")
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_admins_edit_templates_and_moderators_cannot(app, client, crisis_case):
    login(client, "mod_willow")
    post_form(client, "/mod/templates", {"title": "Mine", "body": "Words."},
              token_page="/mod/templates")
    assert db.session.scalar(select(func.count()).select_from(ResponseTemplate)) == 0

    admin = app.test_client()
    login(admin, "admin_oak")
    answer = post_form(admin, "/mod/templates",
                       {"title": "After a hard night", "body": "Hi {name}, we're glad you wrote."},
                       token_page="/mod/templates")
    assert answer.status_code == 302
    titles = [t.title for t in review.templates()]
    # The built-in ones are kept beside the new one.
    assert sorted(titles) == sorted(["After a hard night", *(t.title for t in outreach.BUILT_IN)])
    page = client.get(f"/mod/cases/{crisis_case.id}").get_data(as_text=True)
    assert "Hi member_rowan, we&#39;re glad you wrote." in page
    for bad in ({"title": "", "body": "x"}, {"title": "x" * 121, "body": "x"},
                {"title": "Empty", "body": "   "}):
        post_form(admin, "/mod/templates", bad, token_page="/mod/templates")
    assert len(review.templates()) == 3
