"""The forum pages: reading, writing, editing, deleting, reporting, support, nudges, settings."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from forum import review, screening
from forum.extensions import db
from forum.models import (
    CategoryMute,
    Post,
    PostRevision,
    PostStatus,
    Report,
    Thread,
    User,
)
from tests.support.factories import PUBLIC_CATEGORY, make_reply, make_thread, make_user
from tests.support.queries import QueryCounter
from tests.support.web import login

pytestmark = pytest.mark.usefixtures("no_csrf")


def text_of(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def fake_screening(monkeypatch, **verdict):
    """Make screening answer with this verdict (the real pipeline is tested elsewhere)."""
    result = screening.Screening(**verdict)
    monkeypatch.setattr(screening, "screen_text", lambda text, parent_text: result)


# --- reading ------------------------------------------------------------------------------------


def test_anonymous_visitors_can_read_index_category_and_thread(app, client):
    author = make_user("alice")
    outcome = make_thread(author, title="Thirty days today", content_warning="mentions shouting")
    make_reply(make_user("bob"), outcome.thread.id, "So proud of you.")

    index = text_of(client.get("/"))
    assert "Thirty days today" in index
    assert "Going No Contact" in index and "Healing and self-care" in index
    assert "CW: mentions shouting" in index
    assert index.count("<h1") == 1

    category = client.get(f"/c/{PUBLIC_CATEGORY}")
    assert category.status_code == 200
    assert "Thirty days today" in text_of(category)
    assert "1 reply" in text_of(category)

    thread = client.get(f"/t/{outcome.thread.id}")
    assert thread.status_code == 200
    assert "So proud of you." in text_of(thread)
    assert "Sign in</a> or" in text_of(thread)  # no reply form for visitors
    assert 'action="/t/' not in text_of(thread)


def test_unknown_pages_are_404_with_a_calm_message(app, client):
    make_user("alice")
    for path in ("/c/no-such-category", "/t/999", "/nothing-here"):
        response = client.get(path)
        assert response.status_code == 404
        assert "We couldn" in text_of(response)
    login(client, "alice")
    assert client.get("/p/999/edit").status_code == 404


def test_category_pages_are_paginated_newest_activity_first(app, app_config, client):
    app.config["THREADS_PER_PAGE"] = 2
    author = make_user()
    for n in range(5):
        make_thread(author, title=f"Thread number {n}")
    first = text_of(client.get(f"/c/{PUBLIC_CATEGORY}"))
    assert "Thread number 4" in first and "Thread number 3" in first
    assert "Thread number 2" not in first
    assert "Page 1 of 3" in first
    last = text_of(client.get(f"/c/{PUBLIC_CATEGORY}?page=3"))
    assert "Thread number 0" in last and "Thread number 4" not in last
    # Out-of-range and nonsense pages don't break the page.
    assert client.get(f"/c/{PUBLIC_CATEGORY}?page=99").status_code == 200
    assert client.get(f"/c/{PUBLIC_CATEGORY}?page=-1").status_code == 200
    assert client.get(f"/c/{PUBLIC_CATEGORY}?page=abc").status_code == 200


def test_thread_posts_are_paginated(app, client):
    app.config["POSTS_PER_PAGE"] = 3
    outcome = make_thread(make_user())
    replier = make_user()
    for n in range(7):
        make_reply(replier, outcome.thread.id, f"Reply number {n}")
    first = text_of(client.get(f"/t/{outcome.thread.id}"))
    assert "Reply number 1" in first and "Reply number 2" not in first
    assert "Page 1 of 3" in first
    last = text_of(client.get(f"/t/{outcome.thread.id}?page=last"))
    assert "Reply number 6" in last and "Page 3 of 3" in last


def test_content_warned_opening_post_is_collapsed_behind_the_warning(app, client):
    outcome = make_thread(
        make_user(), body="What happened that night.", content_warning="physical violence"
    )
    make_reply(make_user(), outcome.thread.id, "Sending you strength.")
    page = text_of(client.get(f"/t/{outcome.thread.id}"))
    collapsed = re.search(r'<details class="cw">\s*<summary>(.*?)</summary>(.*?)</details>', page, re.S)
    assert collapsed is not None
    assert "Content warning: physical violence" in collapsed.group(1)
    assert "What happened that night." in collapsed.group(2)
    # Replies stay open.
    assert "Sending you strength." not in collapsed.group(0)


def test_thread_page_needs_a_constant_number_of_queries(app, client):
    app.config["POSTS_PER_PAGE"] = 50
    small = make_thread(make_user())
    large = make_thread(make_user())
    repliers = [make_user() for _ in range(4)]
    for n in range(3):
        make_reply(repliers[n % 4], small.thread.id, f"small {n}")
    for n in range(60):
        make_reply(repliers[n % 4], large.thread.id, f"large {n}")
    login(client, repliers[0].username)

    counts = []
    with QueryCounter(db.engine) as queries:
        for thread_id in (small.thread.id, large.thread.id):
            queries.reset()
            db.session.expire_all()
            assert client.get(f"/t/{thread_id}").status_code == 200
            counts.append(queries.count)
    assert counts[0] == counts[1], counts
    assert counts[0] <= 8


# --- writing ------------------------------------------------------------------------------------


def test_member_starts_a_thread_with_a_content_warning(app, client):
    make_user("alice")
    login(client, "alice")
    form = text_of(client.get("/new?category=low-contact"))
    assert '<option selected value="low-contact">' in form
    response = client.post("/new", data={
        "category": "low-contact", "title": "Gray rock at a family wedding",
        "content_warning": "wedding, drinking", "body": "It went **better** than I feared.",
    })
    assert response.status_code == 302
    thread = db.session.scalar(select(Thread).where(Thread.title == "Gray rock at a family wedding"))
    assert thread.content_warning == "wedding, drinking"
    assert response.location == f"/t/{thread.id}"
    page = text_of(client.get(response.location))
    assert "<strong>better</strong>" in page
    assert "Your thread is up" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "Hi"}, "A title needs at least 3 characters."),
        ({"category": "nope"}, "Not a valid choice"),
        ({"category": ""}, "Please choose a category."),
        ({"body": "   "}, "The post needs some text."),
        ({"body": "x" * 20_001}, "the limit is 20,000"),
        ({"content_warning": "w" * 121}, "Content warnings can be at most 120 characters."),
    ],
)
def test_bad_thread_input_is_explained_and_the_text_kept(app, client, fields, message):
    make_user("alice")
    login(client, "alice")
    data = {"category": "low-contact", "title": "A fine title", "body": "My words, kept safe.",
            "content_warning": ""}
    data.update(fields)
    response = client.post("/new", data=data)
    page = text_of(response)
    assert response.status_code == 422
    assert message in page
    if "body" not in fields:
        assert "My words, kept safe." in page
    assert count(Thread) == 0


def test_member_replies_and_lands_on_their_reply(app, client):
    outcome = make_thread(make_user("alice"))
    make_user("bob")
    login(client, "bob")
    response = client.post(f"/t/{outcome.thread.id}/reply", data={"body": "You're not alone."})
    assert response.status_code == 302
    reply = db.session.scalar(select(Post).where(Post.is_opening.is_(False)))
    assert response.location.endswith(f"/t/{outcome.thread.id}?page=last#post-{reply.id}")
    page = text_of(client.get(f"/t/{outcome.thread.id}?page=last"))
    assert "You're not alone." in page and "Your reply is up" in page


def test_empty_reply_is_refused_and_nothing_stored(app, client):
    outcome = make_thread(make_user("alice"))
    make_user("bob")
    login(client, "bob")
    response = client.post(f"/t/{outcome.thread.id}/reply", data={"body": "  "})
    assert response.status_code == 422
    assert count(Post) == 1


def test_reply_to_a_missing_thread_is_404(app, client):
    make_user("bob")
    login(client, "bob")
    assert client.post("/t/424242/reply", data={"body": "hello"}).status_code == 404


def test_posting_is_rate_limited(app_config, request):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_POSTING="2 per hour",
                      RATELIMIT_POSTING_NEW="2 per hour")
    app = request.getfixturevalue("app")
    client = app.test_client()
    outcome = make_thread(make_user("alice"))
    make_user("bob")
    login(client, "bob")
    for n in range(2):
        assert client.post(f"/t/{outcome.thread.id}/reply", data={"body": f"r{n}"}).status_code == 302
    assert client.post(f"/t/{outcome.thread.id}/reply", data={"body": "r3"}).status_code == 429
    # Shared between new threads and replies; reading is not limited.
    assert client.post("/new", data={"category": "low-contact", "title": "Another",
                                     "body": "text"}).status_code == 429
    assert client.get(f"/t/{outcome.thread.id}").status_code == 200
    assert count(Post) == 3


# --- moderation nudges --------------------------------------------------------------------------


def test_nudge_keeps_the_text_and_offers_review_then_holds_kindly(app, client, monkeypatch):
    make_user("alice")
    login(client, "alice")
    fake_screening(monkeypatch, decision="hold", category="nc_shaming",
                   reasons=("reads as shaming someone for breaking No Contact",),
                   nudge="This may read as shaming. Would you like to rephrase it?")
    data = {"category": "breaking-or-keeping-nc", "title": "About going back",
            "body": "My draft words stay here."}
    response = client.post("/new", data=data)
    page = text_of(response)
    assert response.status_code == 422
    assert "This may read as shaming." in page
    assert "reads as shaming someone for breaking No Contact" not in page  # no rule reasons
    assert "My draft words stay here." in page
    assert 'name="acknowledge_nudge" value="1">Post for a moderator to review</button>' in page
    assert count(Thread) == 0

    response = client.post("/new", data={**data, "acknowledge_nudge": "1"})
    assert response.status_code == 302
    post = db.session.scalar(select(Post))
    assert post.status == PostStatus.HELD.value
    page = text_of(client.get(response.location))
    assert "a moderator will look at it soon; only you can see it until then" in page
    assert "Waiting for a moderator" in page

    # Others can't see the held thread at all.
    client.post("/logout")
    assert client.get(response.location).status_code == 404
    assert "About going back" not in text_of(client.get("/"))


def test_a_blocked_text_cannot_be_acknowledged_through(app, client, monkeypatch):
    outcome = make_thread(make_user("alice"))
    make_user("bob")
    login(client, "bob")
    fake_screening(monkeypatch, decision="block", category="toxic",
                   reasons=("a threat",), nudge="This can't be posted as it is.")
    for extra in ({}, {"acknowledge_nudge": "1"}):
        response = client.post(f"/t/{outcome.thread.id}/reply",
                               data={"body": "Kept text.", **extra})
        page = text_of(response)
        assert response.status_code == 422
        assert "This can&#39;t be posted as it is." in page
        assert "Kept text." in page
        assert "Post for a moderator to review" not in page
    assert count(Post) == 1


def test_held_reply_is_shown_only_to_its_author(app, client, monkeypatch):
    outcome = make_thread(make_user("alice"))
    make_user("bob")
    fake_screening(monkeypatch, decision="hold", category="invalidation", reasons=("x",))
    login(client, "bob")
    client.post(f"/t/{outcome.thread.id}/reply",
                data={"body": "A held reply.", "acknowledge_nudge": "1"})
    mine = text_of(client.get(f"/t/{outcome.thread.id}"))
    assert "A held reply." in mine
    assert "Waiting for a moderator — only you can see this for now" in mine
    client.post("/logout")
    login(client, "alice")
    assert "A held reply." not in text_of(client.get(f"/t/{outcome.thread.id}"))


def test_crisis_post_shows_crisis_resources_next(app, client, monkeypatch):
    make_user("alice")
    login(client, "alice")
    fake_screening(monkeypatch, decision="publish", escalate=True, reasons=("crisis",))
    response = client.post("/new", data={"category": "healing-and-self-care",
                                         "title": "Tonight is hard", "body": "I can't go on."})
    assert response.status_code == 302
    page = text_of(client.get(response.location))
    assert "You matter, and you don't have to carry this alone" in page
    # alice hasn't chosen a region: the international lines.
    for resource in app.config["CRISIS_RESOURCES"]["international"]["lines"]:
        assert resource["contact"] in page
    # Shown once, not on every page after.
    assert "carry this alone" not in text_of(client.get("/"))


# --- editing, deleting, reporting, support --------------------------------------------------------


def test_member_edits_own_post_and_the_old_version_is_kept(app, client):
    outcome = make_thread(make_user("alice"), body="First words.")
    login(client, "alice")
    form = text_of(client.get(f"/p/{outcome.post.id}/edit"))
    assert "First words." in form
    response = client.post(f"/p/{outcome.post.id}/edit", data={"body": "Better words."})
    assert response.status_code == 302
    db.session.expire_all()
    post = db.session.get(Post, outcome.post.id)
    assert post.body_markdown == "Better words."
    assert [r.body_markdown for r in db.session.scalars(select(PostRevision))] == ["First words."]
    page = text_of(client.get(f"/t/{outcome.thread.id}"))
    assert "Better words." in page and "edited" in page


def test_member_cannot_edit_or_delete_someone_elses_post(app, client):
    outcome = make_thread(make_user("alice"), body="Alice's words.")
    make_user("mallory")
    login(client, "mallory")
    assert client.get(f"/p/{outcome.post.id}/edit").status_code == 403
    assert client.post(f"/p/{outcome.post.id}/edit", data={"body": "defaced"}).status_code == 403
    assert client.post(f"/p/{outcome.post.id}/delete").status_code == 403
    db.session.expire_all()
    post = db.session.get(Post, outcome.post.id)
    assert post.body_markdown == "Alice's words." and post.status == PostStatus.PUBLISHED.value
    page = text_of(client.get(f"/t/{outcome.thread.id}"))
    assert f"/p/{outcome.post.id}/edit" not in page


def test_member_deletes_own_reply_and_own_thread(app, client):
    outcome = make_thread(make_user("alice"))
    reply = make_reply(make_user("bob"), outcome.thread.id, "Bob's reply.")
    login(client, "bob")
    response = client.post(f"/p/{reply.post.id}/delete", data={"next": f"/t/{outcome.thread.id}"})
    assert response.location == f"/t/{outcome.thread.id}"
    page = text_of(client.get(response.location))
    assert "Bob&#39;s reply." not in page and "Your post is deleted." in page

    client.post("/logout")
    login(client, "alice")
    response = client.post(f"/p/{outcome.post.id}/delete")
    assert response.location == f"/c/{PUBLIC_CATEGORY}"
    assert client.get(f"/t/{outcome.thread.id}").status_code == 404


def test_report_a_post_with_a_reason(app, client):
    outcome = make_thread(make_user("alice"))
    make_user("bob")
    login(client, "bob")
    back = f"/t/{outcome.thread.id}"
    response = client.post(f"/p/{outcome.post.id}/report", data={"reason": "", "next": back})
    assert response.location == back
    assert "Please say briefly what" in text_of(client.get(back))
    assert count(Report) == 0

    client.post(f"/p/{outcome.post.id}/report", data={"reason": "It shames me.", "next": back})
    assert "A moderator will look at it." in text_of(client.get(back))
    report = db.session.scalar(select(Report))
    assert report.reason == "It shames me."

    client.post(f"/p/{outcome.post.id}/report", data={"reason": "Again", "next": back})
    assert "already reported" in text_of(client.get(back))
    assert count(Report) == 1


def test_support_toggles_on_and_off(app, client):
    outcome = make_thread(make_user("alice"))
    make_user("bob")
    login(client, "bob")
    url = f"/p/{outcome.post.id}/support"
    response = client.post(url, data={"next": f"/t/{outcome.thread.id}"})
    assert response.location == f"/t/{outcome.thread.id}#post-{outcome.post.id}"
    page = text_of(client.get(f"/t/{outcome.thread.id}"))
    assert 'aria-pressed="true"' in page and "Supported · 1" in page
    client.post(url)
    db.session.expire_all()
    assert db.session.get(Post, outcome.post.id).support_count == 0
    assert 'aria-pressed="false"' in text_of(client.get(f"/t/{outcome.thread.id}"))


# --- settings -------------------------------------------------------------------------------------


def test_settings_save_digest_frequency_and_muted_categories(app, client):
    alice = make_user("alice")
    login(client, "alice")
    page = text_of(client.get("/account/settings"))
    assert re.search(r'<input checked [^>]*value="weekly">', page)
    response = client.post("/account/settings/digest", data={
        "digest-digest": "daily", "digest-muted": ["holidays-and-family-events", "flying-monkeys"],
    })
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, alice.id).digest_frequency == "daily"
    assert count(CategoryMute) == 2
    page = text_of(client.get("/account/settings"))
    assert re.search(r'<input checked [^>]*value="flying-monkeys">', page)
    assert not re.search(r'<input checked [^>]*value="low-contact">', page)

    response = client.post("/account/settings/digest", data={"digest-digest": "off"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, alice.id).digest_frequency == "off"
    assert count(CategoryMute) == 0


@pytest.mark.parametrize(
    "data",
    [
        {"digest-digest": "hourly"},
        {"digest-digest": "daily", "digest-muted": ["no-such-category"]},
    ],
)
def test_settings_refuse_unknown_values_and_change_nothing(app, client, data):
    alice = make_user("alice")
    login(client, "alice")
    response = client.post("/account/settings/digest", data=data)
    assert response.status_code == 422
    assert "not a valid choice" in text_of(response).lower()
    db.session.expire_all()
    assert db.session.get(User, alice.id).digest_frequency == "weekly"
    assert count(CategoryMute) == 0


def test_set_muted_categories_replaces_the_list_and_refuses_unknown_slugs(app):
    from forum import preferences
    from forum.errors import InvalidInput

    alice = make_user("alice")
    preferences.set_muted_categories(alice, ["low-contact", "flying-monkeys", "low-contact"])
    assert preferences.muted_category_slugs(alice) == ["low-contact", "flying-monkeys"]
    preferences.set_muted_categories(alice, ["introductions"])
    assert preferences.muted_category_slugs(alice) == ["introductions"]
    with pytest.raises(InvalidInput):
        preferences.set_muted_categories(alice, ["introductions", "nope"])
    assert preferences.muted_category_slugs(alice) == ["introductions"]


# --- the demo community ---------------------------------------------------------------------------


def test_demo_community_loads_once_and_reads_well(app, runner, client):
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Demo moderator: username 'mod_willow', password 'demo-moderator-pass'" in result.output
    members, threads, posts = count(User), count(Thread), count(Post)
    assert members >= 4 and threads >= 5 and posts > threads
    moderator = db.session.scalar(select(User).where(User.username_key == "mod_willow"))
    assert moderator.role == "moderator"
    assert db.session.scalar(select(func.count()).select_from(Thread).where(
        Thread.content_warning.is_not(None))) >= 1
    statuses = [p.status for p in db.session.scalars(select(Post))]
    assert statuses.count(PostStatus.HELD.value) == 1  # the demo queue's held reply
    assert statuses.count(PostStatus.REJECTED.value) == 1  # the declined reply under appeal
    assert statuses.count(PostStatus.PUBLISHED.value) == len(statuses) - 2
    # The moderators' queue shows each lane working: held, urgent (a crisis), reported, and
    # an appeal of a declined reply.
    assert {lane: n for lane, n in review.lane_counts().items() if lane != "all"} == {
        "urgent": 1, "held": 1, "reported": 1, "appeals": 1}
    [appeal] = review.open_appeals().items
    assert appeal.member.username == "northwind_7" and appeal.decided_by.username == "mod_willow"
    assert "3 open cases in the moderators' queue and 1 open appeal" in result.output

    again = runner.invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "leaving it as it is" in again.output
    assert (count(User), count(Thread), count(Post)) == (members, threads, posts)
    assert runner.invoke(args=["demo", "load"]).exit_code != 0

    assert login(client, "mod_willow", "demo-moderator-pass").status_code == 302
    index = text_of(client.get("/"))
    assert "Hello from someone three weeks in" in index
