"""Edited posts: the "edited" marker on the thread page and the per-post history page.

Only the author and moderators may read earlier versions; everyone else gets a plain 404.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum import blocks, posting, screening
from forum.extensions import db
from forum.models import Post, PostStatus
from tests.support.factories import make_reply, make_thread, make_user
from tests.support.queries import QueryCounter
from tests.support.web import login

pytestmark = pytest.mark.usefixtures("no_csrf")


def text_of(response) -> str:
    return response.get_data(as_text=True)


def hold_edits(monkeypatch) -> None:
    verdict = screening.Screening(decision="hold", category="invalidation", reasons=("x",))
    monkeypatch.setattr(screening, "screen_text", lambda text, parent_text: verdict)


@pytest.fixture
def edited(app):
    """bob's reply in alice's thread, edited twice; the first version had something regretted."""
    alice, bob = make_user("alice"), make_user("bob")
    make_user("carol")
    make_user("moira", role="moderator")
    thread = make_thread(alice, title="A hard week").thread
    reply = make_reply(bob, thread.id, "My sister's address is **12 Elm St**. <script>x()</script>")
    posting.edit_post(bob, reply.post.id, "Second try, still *angry*.")
    posting.edit_post(bob, reply.post.id, "Final words: take care of yourself.")
    return {"thread": thread, "post": db.session.get(Post, reply.post.id), "bob": bob}


def history_url(post) -> str:
    return f"/p/{post.id}/history"


def versions_on(page: str) -> list[str]:
    return re.findall(r'id="version-(\d+)"', page)


@pytest.mark.both_databases
def test_author_reads_earlier_versions_newest_first_sanitised(client, edited):
    login(client, "bob")
    response = client.get(history_url(edited["post"]))
    assert response.status_code == 200
    page = text_of(response)
    assert versions_on(page) == ["2", "1"]
    assert page.index("Second try") < page.index("12 Elm St")
    # Rendered like any post body: Markdown works, raw HTML never gets through.
    assert "<em>angry</em>" in page and "<strong>12 Elm St</strong>" in page
    assert "<script>" not in page
    # The current text is there too, marked as such, with the time of the last edit.
    assert "Current version" in page and "Final words: take care of yourself." in page
    assert f'datetime="{edited["post"].edited_at.isoformat()}"' in page
    assert "Only you and the moderators" in page


@pytest.mark.both_databases
def test_version_times_chain_from_posting_to_each_edit(client, edited):
    post = edited["post"]
    revisions = sorted(post.revisions, key=lambda r: r.id)
    login(client, "bob")
    page = text_of(client.get(history_url(post)))
    first = page[page.index('id="version-1"'):]
    second = page[page.index('id="version-2"'):page.index('id="version-1"')]
    assert f'datetime="{post.created_at.isoformat()}"' in first  # written when posted
    assert f'datetime="{revisions[0].created_at.isoformat()}"' in first  # replaced by edit 1
    assert f'datetime="{revisions[0].created_at.isoformat()}"' in second  # written at edit 1
    assert f'datetime="{revisions[1].created_at.isoformat()}"' in second  # replaced by edit 2


@pytest.mark.both_databases
def test_moderators_read_the_history(client, edited):
    login(client, "moira")
    page = text_of(client.get(history_url(edited["post"])))
    assert versions_on(page) == ["2", "1"]
    assert "History of a post by bob" in page


@pytest.mark.both_databases
@pytest.mark.parametrize("viewer", [None, "alice", "carol"])
def test_other_members_and_anonymous_readers_get_404(client, edited, viewer):
    if viewer:
        login(client, viewer)
        client.get("/")  # shows the welcome message, so both 404 pages below are alike
    response = client.get(history_url(edited["post"]))
    assert response.status_code == 404
    page = text_of(response)
    assert "12 Elm St" not in page and "Second try" not in page
    # The same answer as for a post that doesn't exist: nothing is revealed.
    missing = client.get("/p/987654/history")
    assert missing.status_code == 404
    assert _comparable(text_of(missing)) == _comparable(page)


def _comparable(page: str) -> str:
    """The page without what differs per request anyway (CSRF tokens are signed with a time)."""
    page = re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r'\1"', page)
    page = re.sub(r'(content=")[^"]*("[^>]*name="csrf-token")', r'\1\2', page)
    page = re.sub(r'(name="csrf-token"[^>]*content=")[^"]*"', r'\1"', page)
    return re.sub(r"\s+", " ", page)


@pytest.mark.both_databases
def test_thread_page_marks_edited_posts_with_the_time_of_the_last_edit(client, edited):
    post = edited["post"]
    stamp = f'datetime="{post.edited_at.isoformat()}"'
    link = f'href="{history_url(post)}"'

    page = text_of(client.get(f"/t/{edited['thread'].id}"))
    article = page[page.index(f'id="post-{post.id}"'):]
    assert "edited" in article and stamp in article
    assert link not in page  # anonymous readers see the marker, not the history

    login(client, "carol")
    assert link not in text_of(client.get(f"/t/{edited['thread'].id}"))
    client.post("/logout")
    for member in ("bob", "moira"):
        login(client, member)
        assert link in text_of(client.get(f"/t/{edited['thread'].id}"))
        client.post("/logout")

    # An unedited post has no marker.
    opening = page[page.index('class="post__head"'):page.index(f'id="post-{post.id}"')]
    assert "edited" not in opening


def test_a_post_never_edited_has_an_empty_history(client, edited):
    opening = db.session.scalar(
        select(Post).where(Post.thread_id == edited["thread"].id, Post.is_opening.is_(True))
    )
    login(client, "alice")
    page = text_of(client.get(history_url(opening)))
    assert "This post hasn't been edited." in page and versions_on(page) == []


@pytest.mark.both_databases
def test_held_post_history_is_for_its_author_and_moderators_only(client, edited, monkeypatch):
    hold_edits(monkeypatch)
    posting.edit_post(edited["bob"], edited["post"].id, "Edited again, now held.",
                      acknowledge_nudge=True)
    assert db.session.get(Post, edited["post"].id).status == PostStatus.HELD.value
    for member, status in (("bob", 200), ("moira", 200), ("alice", 404), ("carol", 404)):
        login(client, member)
        response = client.get(history_url(edited["post"]))
        assert response.status_code == status, member
        if status == 200:
            assert versions_on(text_of(response)) == ["3", "2", "1"]
        client.post("/logout")


@pytest.mark.both_databases
def test_deleted_post_history_is_gone_even_for_moderators(client, edited):
    posting.delete_post(edited["bob"], edited["post"].id)
    for member in ("bob", "moira"):
        login(client, member)
        assert client.get(history_url(edited["post"])).status_code == 404
        client.post("/logout")


@pytest.mark.both_databases
def test_rejected_post_history_is_for_moderators_only(client, edited):
    edited["post"].status = PostStatus.REJECTED.value
    db.session.commit()
    login(client, "bob")
    assert client.get(history_url(edited["post"])).status_code == 404
    client.post("/logout")
    login(client, "moira")
    assert client.get(history_url(edited["post"])).status_code == 200


@pytest.mark.both_databases
def test_author_cannot_read_history_in_a_thread_they_cannot_open(client, edited):
    # bob blocked the thread's author: the thread, and so his post in it, is hidden from him.
    blocks.block_member(edited["bob"], "alice")
    login(client, "bob")
    assert client.get(f"/t/{edited['thread'].id}").status_code == 404
    assert client.get(history_url(edited["post"])).status_code == 404


def test_history_needs_no_sign_in_redirect_and_refuses_posting(client, edited):
    response = client.get(history_url(edited["post"]))
    assert response.status_code == 404 and "location" not in response.headers
    login(client, "bob")
    assert client.post(history_url(edited["post"])).status_code == 405


@pytest.mark.both_databases
def test_thread_page_queries_stay_constant_with_many_edited_posts(app, client):
    app.config["POSTS_PER_PAGE"] = 50
    writers = [make_user() for _ in range(3)]
    small, large = make_thread(writers[0]).thread, make_thread(writers[0]).thread
    for thread, replies in ((small, 2), (large, 30)):
        for n in range(replies):
            outcome = make_reply(writers[n % 3], thread.id, f"reply {n}")
            posting.edit_post(writers[n % 3], outcome.post.id, f"reply {n}, edited")
    for member in (writers[0], make_user(role="moderator")):
        login(client, member.username)
        counts = []
        with QueryCounter(db.engine) as queries:
            for thread in (small, large):
                queries.reset()
                db.session.expire_all()
                page = text_of(client.get(f"/t/{thread.id}"))
                assert page.count("· edited") == (2 if thread is small else 30)
                counts.append(queries.count)
        client.post("/logout")
        assert counts[0] == counts[1], counts
        assert not any("post_revisions" in s for s in queries.statements)

