"""A post's earlier versions (kept by edits, the author's or a moderator's): who may read them.

Only the post's author and moderators can open a post's history. Everyone else gets the same
"not found" as for a post that doesn't exist: a member who replaced something they regretted
shouldn't have it read by others, nor have others learn that there is something to read.
For the author, the history is exactly as visible as the post itself (a held post: yes; a
deleted or rejected one, or one in a thread they can't open: no). Moderators see the history
of any post its author hasn't deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .errors import NotFound
from .extensions import db
from .markup import render_markdown
from .models import Post, PostRevision, PostStatus, User
from .reading import get_post, get_thread, one_or_not_found

NOT_FOUND = "That post's history doesn't exist or isn't visible to you."


@dataclass(frozen=True)
class PastVersion:
    number: int  # 1 for the text first posted
    body_html: str  # rendered and sanitised like any post body
    written_at: datetime  # when this text went up
    replaced_at: datetime  # when an edit replaced it


@dataclass(frozen=True)
class PostHistory:
    post: Post
    versions: list[PastVersion]  # newest first


def may_view_history(viewer: User | None, post: Post) -> bool:
    """Whether to offer the history link (the page itself checks visibility too)."""
    if viewer is None or not viewer.is_authenticated:
        return False
    return viewer.is_staff or post.author_id == viewer.id


def _post_for(viewer: User | None, post_id: int) -> Post:
    if viewer is None or not viewer.is_authenticated:
        raise NotFound(NOT_FOUND)
    if viewer.is_staff:
        return one_or_not_found(
            select(Post)
            .options(joinedload(Post.author), joinedload(Post.thread))
            .where(Post.id == post_id,
                   Post.status.not_in([PostStatus.DELETED.value, PostStatus.PURGED.value])),
            NOT_FOUND,
        )
    try:
        post = get_post(viewer, post_id)
        if post.author_id != viewer.id:
            raise NotFound(NOT_FOUND)
        # A post in a thread the member can't open (deleted, say) is no more visible than that.
        get_thread(viewer, post.thread_id)
    except NotFound:
        raise NotFound(NOT_FOUND) from None
    return post


def post_history(viewer: User | None, post_id: int) -> PostHistory:
    """The post and its earlier versions, newest first. Two queries."""
    post = _post_for(viewer, post_id)
    revisions = list(db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id)
    ))
    versions = []
    written_at = post.created_at
    for number, revision in enumerate(revisions, start=1):
        versions.append(PastVersion(
            number=number,
            body_html=render_markdown(revision.body_markdown),
            written_at=written_at,
            replaced_at=revision.created_at,
        ))
        written_at = revision.created_at
    versions.reverse()
    return PostHistory(post=post, versions=versions)
