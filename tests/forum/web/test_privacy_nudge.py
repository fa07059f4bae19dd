"""The privacy nudge on the writing pages and in the API: kind warnings before posting, never
blocking; "post anyway" publishes, editing keeps the text; nothing stored until then."""

from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import Post, Thread
from tests.support.api import API, assert_error, bearer
from tests.support.factories import PUBLIC_CATEGORY, count, make_thread, make_user
from tests.support.fake_pipeline import hold_everything
from tests.support.web import csrf_from, login

pytestmark = pytest.mark.both_databases

IDENTIFYING = "My mother, Linda Hartley, still lives at 14 Elm Street."
SAFE = "Day 40 of No Contact. I made pancakes."


@pytest.fixture
def writer(app, client):
    make_user("fernleaf")
    assert login(client, "fernleaf").status_code == 302
    return client


def _new_thread(client, body: str, **extra):
    token = csrf_from(client, "/new")
    return client.post("/new", data={"csrf_token": token, "category": PUBLIC_CATEGORY,
                                     "title": "Holding the line", "body": body, **extra})


def test_the_writer_is_warned_before_anything_is_stored(writer):
    answer = _new_thread(writer, IDENTIFYING)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "A gentle check about privacy" in page
    assert "full name" in page and "street address" in page
    assert "Post anyway" in page and "Edit my text" in page
    assert "Linda Hartley, still lives at 14 Elm Street." in page  # the text is kept, in the form
    panel = page.split('id="privacy-nudge"')[1].split("</section>")[0]
    assert "Linda" not in panel and "Elm" not in panel  # the warning names kinds, not details
    assert count(Post) == 0 and count(Thread) == 0


def test_post_anyway_publishes_the_text_as_written(writer):
    answer = _new_thread(writer, IDENTIFYING, post_anyway="full_name,street_address")
    assert answer.status_code == 302
    post = Post.query.one()
    assert post.body_markdown == IDENTIFYING and post.status == "published"


def test_posting_anyway_covers_only_the_kinds_it_was_shown(writer):
    answer = _new_thread(writer, IDENTIFYING + " Call 07700 900123.", post_anyway="full_name,street_address")
    assert answer.status_code == 422 and "phone number" in answer.get_data(as_text=True)
    assert count(Post) == 0


def test_a_text_without_details_posts_at_once(writer):
    assert _new_thread(writer, SAFE).status_code == 302


@pytest.mark.parametrize("junk", ["everything", "full_name;drop", "<script>", "," * 50])
def test_made_up_acknowledgements_count_for_nothing(writer, junk):
    answer = _new_thread(writer, IDENTIFYING, post_anyway=junk, privacy_accepted=junk)
    assert answer.status_code == 422
    assert count(Post) == 0


def test_replies_and_edits_are_checked_too(app, writer):
    thread = make_thread(make_user("oakleaf"), title="Welcome, all").thread
    token = csrf_from(writer, f"/t/{thread.id}")
    answer = writer.post(f"/t/{thread.id}/reply", data={"csrf_token": token, "body": IDENTIFYING})
    assert answer.status_code == 422 and "A gentle check about privacy" in answer.get_data(as_text=True)
    assert count(Post) == 1
    answer = writer.post(f"/t/{thread.id}/reply", data={"csrf_token": token, "body": IDENTIFYING,
                                                        "post_anyway": "full_name,street_address"})
    assert answer.status_code == 302
    mine = Post.query.filter_by(body_markdown=IDENTIFYING).one()
    edited = writer.post(f"/p/{mine.id}/edit", data={
        "csrf_token": csrf_from(writer, f"/p/{mine.id}/edit"),
        "body": "Write to me at quiet.fern@example.org"})
    assert edited.status_code == 422 and "email address" in edited.get_data(as_text=True)
    assert db.session.get(Post, mine.id).body_markdown == IDENTIFYING


def test_the_privacy_form_needs_its_csrf_token(writer):
    answer = writer.post("/new", data={"category": PUBLIC_CATEGORY, "title": "Holding the line",
                                       "body": IDENTIFYING, "post_anyway": "full_name,street_address"})
    assert answer.status_code == 400
    assert count(Post) == 0


def test_accepted_kinds_carry_through_a_moderation_nudge(writer, monkeypatch):
    hold_everything(monkeypatch)
    answer = _new_thread(writer, IDENTIFYING, post_anyway="full_name,street_address")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "Post for a moderator to review" in page
    assert 'name="privacy_accepted" value="full_name,street_address"' in page
    sent = _new_thread(writer, IDENTIFYING, acknowledge_nudge="1",
                       privacy_accepted="full_name,street_address")
    assert sent.status_code == 302
    assert Post.query.one().status == "held"


# --- the API ------------------------------------------------------------------------------------


def test_api_answers_carry_the_warnings_and_never_block(app, client):
    fern = make_user("fernleaf")
    answer = client.post(f"{API}/threads", headers=bearer(fern), json={
        "category": PUBLIC_CATEGORY, "title": "Holding the line", "body": IDENTIFYING})
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["status"] == "published" and len(body["privacy"]) == 2
    assert all("Linda" not in warning for warning in body["privacy"])
    safe = client.post(f"{API}/threads/{body['id']}/posts", headers=bearer(fern), json={"body": SAFE})
    assert safe.status_code == 201 and safe.get_json()["privacy"] == []
    edit = client.patch(f"{API}/posts/{safe.get_json()['post_id']}", headers=bearer(fern),
                        json={"body": "Call me on 07700 900123"})
    assert edit.status_code == 200 and len(edit.get_json()["privacy"]) == 1


def test_the_api_moderation_nudge_carries_them_too(app, client, monkeypatch):
    hold_everything(monkeypatch)
    answer = client.post(f"{API}/threads", headers=bearer(make_user("fernleaf")), json={
        "category": PUBLIC_CATEGORY, "title": "Holding the line", "body": IDENTIFYING})
    body = assert_error(answer, 422, "moderation")
    assert len(body["privacy"]) == 2


def test_a_draft_can_be_checked_before_posting(app, client):
    answer = client.post(f"{API}/privacy-check", headers=bearer(make_user("fernleaf")),
                         json={"text": IDENTIFYING})
    assert answer.status_code == 200
    assert answer.get_json()["kinds"] == ["full_name", "street_address"]
    assert count(Post) == 0


@pytest.mark.parametrize("payload, status", [
    ({}, 422), ({"text": ""}, 422), ({"text": 42}, 422), ({"text": ["a"]}, 422),
    ({"text": "x" * 30_000}, 422), ({"text": "hi", "more": 1}, 422),
])
def test_bad_drafts_get_a_clear_4xx(app, client, payload, status):
    answer = client.post(f"{API}/privacy-check", headers=bearer(make_user("fernleaf")), json=payload)
    assert_error(answer, status)


def test_the_draft_check_needs_a_token(client):
    assert_error(client.post(f"{API}/privacy-check", json={"text": IDENTIFYING}), 401)
