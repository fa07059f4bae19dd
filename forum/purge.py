"""The author's permanent removal of a post (a real name or an address posted by mistake).

Unlike a delete (which hides the post and keeps its text for the record), a purge takes every
word out of the database: the post's text (visibility.purge empties it as the status moves),
every earlier version (rows deleted), the quoted phrases in its verdicts and case, and for an
opening post the thread's title and content warning (and that title in notices). What stays is
the record that a post existed and was purged — the post row (author, thread, times; status
``purged``, no text) and an audit entry with who, when and how many versions, never the text.
The thread's counters follow through `visibility`, like a delete.

Only the author may purge (moderators redact instead: forum/review/redaction.py). A blocked
attempt to edit the post is not one of its versions — it was never published — and stays
with the moderators as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update

from . import review, visibility
from .errors import Forbidden, NotFound
from .extensions import db
from .models import (
    CaseStatus,
    ModerationCase,
    Notice,
    Post,
    PostRevision,
    PostStatus,
    Thread,
    User,
    utcnow,
)

PURGED_TITLE = "[removed by its author]"
NOT_FOUND = "That post doesn't exist, or it's already gone."


@dataclass(frozen=True)
class PurgePreview:
    post: Post
    earlier_versions: int


def _purgeable(user: User, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or post.status == PostStatus.PURGED.value:
        raise NotFound(NOT_FOUND)
    if post.author_id != user.id:
        if post.status != PostStatus.PUBLISHED.value:
            raise NotFound(NOT_FOUND)
        raise Forbidden("Only a post's author can remove it for good.")
    return post


def preview(user: User, post_id: int) -> PurgePreview:
    """What the confirmation step shows: the post and how many earlier versions go with it."""
    post = _purgeable(user, post_id)
    versions = db.session.scalar(
        select(func.count()).select_from(PostRevision).where(PostRevision.post_id == post.id)
    )
    return PurgePreview(post=post, earlier_versions=versions or 0)


def purge_post(user: User, post_id: int) -> Post:
    """Remove the author's post and all its versions for good. One commit."""
    post = _purgeable(user, post_id)
    now = utcnow()
    title = post.thread.title if post.is_opening else None
    versions = db.session.execute(
        delete(PostRevision).where(PostRevision.post_id == post.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    was = visibility.purge(post, now)
    if was is None:  # another request purged it a moment ago
        db.session.rollback()
        raise NotFound(NOT_FOUND)
    review.scrub_post_records(post.id)
    db.session.execute(
        update(ModerationCase)
        .where(ModerationCase.post_id == post.id, ModerationCase.status == CaseStatus.OPEN.value)
        .values(status=CaseStatus.SUPERSEDED.value, resolved_at=now, updated_at=now,
                resolution_reason="The author removed the post for good.")
        .execution_options(synchronize_session=False)
    )
    if title is not None:
        db.session.execute(
            update(Thread).where(Thread.id == post.thread_id)
            .values(title=PURGED_TITLE, content_warning=None)
            .execution_options(synchronize_session=False)
        )
        # Notices about posts in the thread quote its title ("your post in “…”").
        thread_posts = select(Post.id).where(Post.thread_id == post.thread_id)
        db.session.execute(
            update(Notice).where(Notice.post_id.in_(thread_posts))
            .values(message=func.replace(Notice.message, title, PURGED_TITLE))
            .execution_options(synchronize_session=False)
        )
        db.session.expire(post.thread)
    review.audit("purged", actor_id=user.id, post_id=post.id, user_id=user.id,
                 thread_id=post.thread_id, opening=post.is_opening, status_before=was,
                 versions=versions + 1)
    db.session.commit()
    return post
