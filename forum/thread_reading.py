"""Column-level reads for the thread page: what a viewer may see, as plain rows, not models.

The page used to load each post as an ORM object with its author; rendering cards from a cache
needs far less: the thread's heading, then for each post on the page only its id, its version
(raised by the database on every change, forum/models/community.py) and whether this viewer
supported it. Whole rows are read only for posts whose card is not cached yet. The rules are
the same SQL as everywhere else (forum/reading.py): the same visible-thread and visible-post
filters, the same hiding of blocked members, so caching can never show more than before.
"""

from __future__ import annotations

import math
from dataclasses import astuple, dataclass
from datetime import datetime

from sqlalchemy import exists, false, func, literal, select

from .errors import NotFound
from .extensions import db
from .models import Category, Post, PostStatus, Role, Support, Thread, User
from .reading import blocked_ids_of, visible_posts_filter, visible_threads_filter

STAFF_ROLES = (Role.MODERATOR.value, Role.ADMIN.value)
NOT_FOUND = "That thread doesn't exist or isn't visible to you."


def _viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer is not None and viewer.is_authenticated else None


@dataclass(frozen=True)
class ThreadHead:
    """What the page shows about the thread itself, with the reply count this viewer sees."""

    id: int
    title: str
    content_warning: str | None
    created_at: datetime
    reply_count: int
    author_name: str
    author_is_staff: bool
    category_slug: str
    category_name: str

    def key(self) -> tuple:
        return astuple(self)


@dataclass(frozen=True)
class PostStub:
    """A post on the page before its card: enough to find the card in the cache."""

    id: int
    version: int
    author_id: int
    supported: bool  # by this viewer (always False for anonymous readers)


@dataclass(frozen=True)
class StubPage:
    items: list[PostStub]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class PostCard:
    """Everything a post's card is rendered from (keyed by id and version)."""

    id: int
    version: int
    status: str
    is_opening: bool
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    support_count: int
    author_id: int
    author_name: str
    author_is_staff: bool


def thread_head(viewer: User | None, thread_id: int) -> ThreadHead:
    """The thread if the viewer may open it (else the same 404 as a missing one): one query,
    the reply count less replies by members the viewer blocked computed in it."""
    if _viewer_id(viewer) is None:
        hidden = literal(0)
    else:
        hidden = (
            select(func.count()).select_from(Post)
            .where(Post.thread_id == Thread.id, Post.is_opening.is_(False),
                   Post.status == PostStatus.PUBLISHED.value,
                   Post.author_id.in_(blocked_ids_of(viewer)))
            .scalar_subquery()
        )
    row = db.session.execute(
        select(Thread.id, Thread.title, Thread.content_warning, Thread.created_at,
               Thread.reply_count, hidden.label("hidden"), User.username, User.role,
               Category.slug, Category.name)
        .join(User, User.id == Thread.author_id)
        .join(Category, Category.id == Thread.category_id)
        .where(Thread.id == thread_id, visible_threads_filter(viewer))
    ).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return ThreadHead(
        id=row.id, title=row.title, content_warning=row.content_warning,
        created_at=row.created_at, reply_count=max(0, (row.reply_count or 0) - row.hidden),
        author_name=row.username, author_is_staff=row.role in STAFF_ROLES,
        category_slug=row.slug, category_name=row.name,
    )


def _posts_where(viewer: User | None, thread_id: int) -> list:
    """The posts of a thread this viewer sees: as forum/reading.py's thread_posts."""
    conditions = [Post.thread_id == thread_id, visible_posts_filter(viewer)]
    if _viewer_id(viewer) is not None:
        conditions.append(Post.author_id.not_in(blocked_ids_of(viewer)))
    return conditions


def _count(viewer: User | None, thread_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Post).where(*_posts_where(viewer, thread_id))
    ) or 0


def last_page(viewer: User | None, thread_id: int, per_page: int) -> int:
    return max(1, math.ceil(_count(viewer, thread_id) / per_page))


def post_stubs(viewer: User | None, thread_id: int, page: int, per_page: int) -> StubPage:
    """One page of the posts this viewer sees, as stubs, with the page count: one query (the
    total comes with the rows; a count only for a page past the end)."""
    page = max(1, page)
    viewer_id = _viewer_id(viewer)
    supported = (
        exists().where(Support.post_id == Post.id, Support.user_id == viewer_id)
        if viewer_id is not None else false()
    )
    rows = db.session.execute(
        select(Post.id, Post.version, Post.author_id, supported.label("supported"),
               func.count().over().label("total"))
        .where(*_posts_where(viewer, thread_id))
        .order_by(Post.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    # Past the end there are no rows to carry the total: count (the only case that does).
    total = rows[0].total if rows else (_count(viewer, thread_id) if page > 1 else 0)
    return StubPage(
        items=[PostStub(row.id, row.version, row.author_id, bool(row.supported)) for row in rows],
        page=page, pages=max(1, math.ceil(total / per_page)), total=total,
    )


def post_cards(viewer: User | None, thread_id: int, post_ids: list[int]) -> dict[int, PostCard]:
    """Whole rows for the cards not cached yet, under the same visibility rules."""
    if not post_ids:
        return {}
    rows = db.session.execute(
        select(Post.id, Post.version, Post.status, Post.is_opening, Post.body_html,
               Post.created_at, Post.edited_at, Post.support_count, Post.author_id,
               User.username, User.role)
        .join(User, User.id == Post.author_id)
        .where(Post.id.in_(post_ids), *_posts_where(viewer, thread_id))
    )
    return {
        row.id: PostCard(
            id=row.id, version=row.version, status=row.status, is_opening=row.is_opening,
            body_html=row.body_html, created_at=row.created_at, edited_at=row.edited_at,
            support_count=row.support_count or 0, author_id=row.author_id,
            author_name=row.username, author_is_staff=row.role in STAFF_ROLES,
        )
        for row in rows
    }
