"""Thread counters stay right when many requests change them at once (SQLite and PostgreSQL).

Each worker thread has its own app context, so its own database session and connection, as a
gunicorn worker would. Screening is slowed down on purpose: the old code read the thread before
screening and wrote `reply_count + 1` computed in Python afterwards, which lost updates.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from forum import posting, visibility
from forum.extensions import db
from forum.models import Post, PostStatus, Support, Thread, User, utcnow
from tests.support.factories import make_thread, make_user
from tests.support.fake_pipeline import FakePipeline, screened

WRITERS = 8
REPLIES_EACH = 4


class SlowPipeline(FakePipeline):
    """The fake screener, but taking as long as a real model does."""

    def screen(self, items):
        time.sleep(0.03)
        return super().screen(items)


@pytest.fixture
def slow_screening(app_config):
    screened(app_config, SlowPipeline())


def _in_context(app, work, *args):
    with app.app_context():
        try:
            return work(*args)
        finally:
            db.session.remove()


def _published_replies(thread_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Post).where(
            Post.thread_id == thread_id, Post.is_opening.is_(False),
            Post.status == PostStatus.PUBLISHED.value,
        )
    )


def _thread_row(thread_id: int) -> Thread:
    db.session.expire_all()
    return db.session.get(Thread, thread_id)


@pytest.mark.both_databases
def test_concurrent_replies_lose_no_counter_update(slow_screening, app):
    opener = make_user()
    writers = [make_user() for _ in range(WRITERS)]
    thread_id = make_thread(opener).thread.id
    writer_ids = [writer.id for writer in writers]
    start = threading.Barrier(WRITERS)

    def write(user_id: int) -> int:
        author = db.session.get(User, user_id)
        start.wait()
        for n in range(REPLIES_EACH):
            posting.reply(author, thread_id, f"Thinking of you today, reply {n}.")
        return REPLIES_EACH

    with ThreadPoolExecutor(WRITERS) as pool:
        done = sum(pool.map(lambda uid: _in_context(app, write, uid), writer_ids))

    thread = _thread_row(thread_id)
    assert done == WRITERS * REPLIES_EACH
    assert _published_replies(thread_id) == WRITERS * REPLIES_EACH
    assert thread.reply_count == WRITERS * REPLIES_EACH
    newest = db.session.scalar(select(func.max(Post.published_at)).where(Post.thread_id == thread_id))
    assert thread.last_activity_at == newest


@pytest.mark.both_databases
def test_two_moderators_approving_one_post_count_it_once(slow_screening, app):
    author, replier = make_user(), make_user()
    mods = [make_user(role="moderator") for _ in range(2)]
    thread_id = make_thread(author).thread.id
    held = posting.reply(replier, thread_id, "you deserved it, honestly", acknowledge_nudge=True)
    assert held.status == PostStatus.HELD.value
    post_id = held.post.id
    # Two racing approvals of the same post: only one may move the counter.
    mod_ids = [mod.id for mod in mods]
    start = threading.Barrier(2)

    def approve(mod_id: int) -> bool:
        post = db.session.get(Post, post_id)
        start.wait()
        moved = visibility.publish(post, utcnow())
        db.session.commit()
        return moved

    with ThreadPoolExecutor(2) as pool:
        moved = list(pool.map(lambda mid: _in_context(app, approve, mid), mod_ids))

    assert moved.count(True) == 1
    assert _thread_row(thread_id).reply_count == 1 == _published_replies(thread_id)


@pytest.mark.both_databases
def test_counters_follow_every_state_change(slow_screening, app):
    author, replier = make_user(), make_user()
    thread = make_thread(author).thread
    first = posting.reply(replier, thread.id, "Proud of you for holding the line.")
    second = posting.reply(replier, thread.id, "Same here, day 12.")
    assert _thread_row(thread.id).reply_count == 2

    posting.edit_post(replier, second.post.id, "you deserved it", acknowledge_nudge=True)
    assert _thread_row(thread.id).reply_count == 1
    assert db.session.get(Post, second.post.id).status == PostStatus.HELD.value

    posting.edit_post(replier, second.post.id, "Same here, day 13 now.")
    assert _thread_row(thread.id).reply_count == 2

    posting.delete_post(replier, first.post.id)
    refreshed = _thread_row(thread.id)
    assert refreshed.reply_count == 1 == _published_replies(thread.id)
    newest = db.session.scalar(
        select(func.max(Post.published_at)).where(
            Post.thread_id == thread.id, Post.status == PostStatus.PUBLISHED.value
        )
    )
    assert refreshed.last_activity_at == newest


@pytest.mark.both_databases
def test_concurrent_support_clicks_count_each_member_once(slow_screening, app):
    author = make_user()
    supporters = [make_user() for _ in range(6)]
    post_id = make_thread(author).post.id
    ids = [s.id for s in supporters] * 2  # every member clicks twice at once: add, then withdraw
    start = threading.Barrier(len(ids))

    def click(user_id: int) -> None:
        user = db.session.get(User, user_id)
        start.wait()
        posting.toggle_support(user, post_id)

    with ThreadPoolExecutor(len(ids)) as pool:
        list(pool.map(lambda uid: _in_context(app, click, uid), ids))

    db.session.expire_all()
    post = db.session.get(Post, post_id)
    rows = db.session.scalar(select(func.count()).select_from(Support).where(Support.post_id == post_id))
    assert post.support_count == rows
