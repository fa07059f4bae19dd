"""The one owner of a post's visibility and its thread's counters.

Every change of a post's status (publish, hold again, reject, delete) goes through here, and
each is a conditional UPDATE in SQL: the status moves only from the states it may move from, and
the thread's counters move only when the status really moved. Counters change in SQL
(``reply_count = reply_count + 1``), never read-modify-write in Python, so concurrent requests
(two replies at once, two moderators approving the same post) cannot lose or double an update.

Thread counters:
- ``reply_count``: published replies (the opening post not counted).
- ``last_activity_at``: time of the newest published post; moves forward on publish, and is
  recomputed from the remaining published posts when one is hidden.
- ``is_visible``: whether the opening post is published.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, func, literal, select, update

from .extensions import db
from .models import Post, PostStatus, Thread

PUBLISHED = PostStatus.PUBLISHED.value
HELD = PostStatus.HELD.value
REJECTED = PostStatus.REJECTED.value
DELETED = PostStatus.DELETED.value
PURGED = PostStatus.PURGED.value

_THREAD_COUNTERS = ("reply_count", "last_activity_at", "is_visible", "deleted_at")


def _move_status(post: Post, from_statuses: Iterable[str], to_status: str,
                 **values: object) -> str | None:
    """Move ``post`` to ``to_status`` if it is in one of ``from_statuses``.

    Returns the status it moved from, or None when it was not in one of them (another request
    got there first). The row is locked by the UPDATE until the transaction ends.
    """
    db.session.flush()
    allowed = tuple(from_statuses)
    if len(allowed) == 1:
        before = allowed[0]  # the UPDATE's condition says whether it was (no read first)
    else:
        before = db.session.execute(
            select(Post.status).where(Post.id == post.id)
        ).scalar_one_or_none()
    if before not in allowed:
        db.session.expire(post, ["status"])
        return None
    result = db.session.execute(
        update(Post)
        .where(Post.id == post.id, Post.status == before)
        .values(status=to_status, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(post, ["status", *values])
    return before if result.rowcount == 1 else None


def _update_thread(thread_id: int, **values: object) -> None:
    db.session.execute(
        update(Thread)
        .where(Thread.id == thread_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _expire_thread(post: Post) -> None:
    thread = db.session.identity_map.get(db.session.identity_key(Thread, post.thread_id))
    if thread is not None:
        db.session.expire(thread, list(_THREAD_COUNTERS))


def _later_of_activity_and(now: datetime):
    when = literal(now, type_=Thread.last_activity_at.type)
    return case((Thread.last_activity_at < when, when), else_=Thread.last_activity_at)


def _newest_published_activity():
    """The newest published post's time in the thread, or the thread's creation time."""
    newest = (
        select(func.max(func.coalesce(Post.published_at, Post.created_at)))
        .where(Post.thread_id == Thread.id, Post.status == PUBLISHED)
        .scalar_subquery()
    )
    return func.coalesce(newest, Thread.created_at)


def publish(post: Post, now: datetime) -> bool:
    """Make a held post visible to everyone. False when it was not held (nothing changed)."""
    if _move_status(post, (HELD,), PUBLISHED, published_at=now) is None:
        return False
    if post.is_opening:
        _update_thread(post.thread_id, is_visible=True,
                       last_activity_at=_later_of_activity_and(now))
    else:
        _update_thread(post.thread_id, reply_count=Thread.reply_count + 1,
                       last_activity_at=_later_of_activity_and(now))
    _expire_thread(post)
    return True


def restore(post: Post, now: datetime) -> bool:
    """A rejection overturned on appeal: the rejected post is published again. False when it
    was no longer rejected (its author purged it meanwhile, or another request got there)."""
    if _move_status(post, (REJECTED,), PUBLISHED,
                    published_at=func.coalesce(Post.published_at, now)) is None:
        return False
    values: dict[str, object] = {"last_activity_at": _newest_published_activity()}
    if post.is_opening:
        values["is_visible"] = True
    else:
        values["reply_count"] = Thread.reply_count + 1
    _update_thread(post.thread_id, **values)
    _expire_thread(post)
    return True


def _after_hiding(post: Post, was: str, *, thread_deleted_at: datetime | None = None) -> None:
    values: dict[str, object] = {}
    if post.is_opening:
        values["is_visible"] = False
        if thread_deleted_at is not None:
            values["deleted_at"] = thread_deleted_at
    elif was == PUBLISHED:
        values["reply_count"] = case((Thread.reply_count > 0, Thread.reply_count - 1), else_=0)
    if was == PUBLISHED:
        values["last_activity_at"] = _newest_published_activity()
    if values:
        _update_thread(post.thread_id, **values)
        _expire_thread(post)


def hold_again(post: Post) -> bool:
    """A published post goes back to the review queue (an edit that screening holds)."""
    was = _move_status(post, (PUBLISHED,), HELD)
    if was is None:
        return False
    _after_hiding(post, was)
    return True


def reject(post: Post) -> bool:
    """A moderator's rejection: hidden from everyone but its author's history and moderators."""
    was = _move_status(post, (HELD, PUBLISHED), REJECTED)
    if was is None:
        return False
    _after_hiding(post, was)
    return True


def delete(post: Post, now: datetime) -> bool:
    """The author's soft delete. Deleting the opening post takes the thread out of listings."""
    was = _move_status(post, (HELD, PUBLISHED), DELETED)
    if was is None:
        return False
    _after_hiding(post, was, thread_deleted_at=now if post.is_opening else None)
    return True


def purge(post: Post, now: datetime) -> str | None:
    """The author's permanent removal: the post's text is emptied in the same UPDATE that moves
    its status, from any state but purged. Returns the status it had (None: already purged).

    Counters move as for a delete when it was visible (published or held); a purged opening post
    takes its thread out of listings, like a delete.
    """
    was = _move_status(post, (PUBLISHED, HELD, REJECTED, DELETED), PURGED,
                       body_markdown="", body_html="")
    if was is None:
        return None
    if was in (PUBLISHED, HELD):
        _after_hiding(post, was, thread_deleted_at=now if post.is_opening else None)
    elif post.is_opening:
        _update_thread(post.thread_id, is_visible=False,
                       deleted_at=func.coalesce(Thread.deleted_at, now))
        _expire_thread(post)
    return was


def adjust_support(post_id: int, step: int) -> None:
    """Add ``step`` (+1 or -1) to a post's support count, in SQL, never below zero."""
    db.session.execute(
        update(Post)
        .where(Post.id == post_id)
        .values(support_count=case((Post.support_count + step < 0, 0),
                                   else_=Post.support_count + step))
        .execution_options(synchronize_session=False)
    )
