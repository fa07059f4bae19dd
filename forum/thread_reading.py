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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from flask import current_app
from sqlalchemy import Select, bindparam, exists, false, func, literal, select

from . import trust
from .errors import NotFound
from .extensions import db
from .models import Category, Post, Role, Support, Thread, User
from .reading import (
    blocked_ids_of,
    hidden_replies_per_thread,
    visible_posts_filter,
    visible_threads_filter,
)
from .render_cache import RenderCache

STAFF_ROLES = (Role.MODERATOR.value, Role.ADMIN.value)
NOT_FOUND = "That thread doesn't exist or isn't visible to you."
# Statements kept per viewer shape (below): about 90 KB each (measured with tracemalloc), so
# the 256 most recent readers' take at most ~23 MB per worker; a reader beyond them costs a
# rebuild (about 1 ms).
STATEMENT_COST = 90_000
STATEMENT_CACHE_SIZE = 256 * STATEMENT_COST


def _run(statement: Select, params: dict):
    """Core execution in the request's transaction: these are column reads, no ORM objects."""
    return db.session.connection().execute(statement, params)


def _viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer is not None and viewer.is_authenticated else None


class ThreadHead(NamedTuple):
    """What the page shows about the thread itself, with the reply count this viewer sees
    (a tuple: it is its own cache key)."""

    id: int
    title: str
    content_warning: str | None
    created_at: datetime
    reply_count: int
    author_name: str
    author_is_staff: bool
    category_slug: str
    category_name: str
    # (how many posts, the sum of their versions, the newest id), over all the thread's posts
    # whatever their state: a new post raises the count, any change to one raises the sum
    # (versions only go up, and post rows are never deleted: they are hidden by status). So
    # a page that shows nothing but the thread and its posts can be kept under this alone.
    posts_state: tuple[int, int, int]


class PostStub(Protocol):
    """A post on the page before its card (a row): enough to find the card in the cache."""

    id: int
    version: int
    author_id: int
    supported: bool  # by this viewer (always false for anonymous readers)


@dataclass(frozen=True)
class StubPage:
    items: Sequence[PostStub]
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


@dataclass(frozen=True)
class _Statements:
    """The page's queries for one kind of viewer, built once (building and keying a statement
    costs ten times what SQLite takes to run it); thread, page and ids are bound parameters."""

    head: Select
    count: Select
    stubs: Select
    cards: Select


def viewer_shape(viewer: User | None) -> tuple:
    """Everything of the viewer that forum/reading.py's filters build their SQL from: the id
    (their own held posts and threads, their blocks, their supports), staff or not, and the
    trust rule (forum/trust.py). Equal shapes, equal statements."""
    viewer_id = _viewer_id(viewer)
    if viewer_id is None:
        return ("anonymous",)
    return (viewer_id, viewer.is_staff, trust.trusted_rule(viewer))


def _build(viewer: User | None) -> _Statements:
    viewer_id = _viewer_id(viewer)
    posts_where = [Post.thread_id == bindparam("thread_id"), visible_posts_filter(viewer)]
    if viewer_id is None:
        hidden = literal(0)
        supported = false()
    else:
        posts_where.append(Post.author_id.not_in(blocked_ids_of(viewer)))
        hidden = hidden_replies_per_thread(viewer)
        supported = exists().where(Support.post_id == Post.id, Support.user_id == viewer_id)
    every_post = select(func.count(), func.coalesce(func.sum(Post.version), 0),
                        func.coalesce(func.max(Post.id), 0)).where(Post.thread_id == Thread.id)
    head = (
        select(Thread.id, Thread.title, Thread.content_warning, Thread.created_at,
               Thread.reply_count, hidden.label("hidden"), User.username, User.role,
               Category.slug, Category.name,
               every_post.with_only_columns(func.count()).scalar_subquery().label("posts"),
               every_post.with_only_columns(func.coalesce(func.sum(Post.version), 0))
               .scalar_subquery().label("versions"),
               every_post.with_only_columns(func.coalesce(func.max(Post.id), 0))
               .scalar_subquery().label("newest"))
        .join(User, User.id == Thread.author_id)
        .join(Category, Category.id == Thread.category_id)
        .where(Thread.id == bindparam("thread_id"), visible_threads_filter(viewer))
    )
    stubs = (
        select(Post.id, Post.version, Post.author_id, supported.label("supported"),
               func.count().over().label("total"))
        .where(*posts_where)
        .order_by(Post.id)
        .limit(bindparam("limit")).offset(bindparam("offset"))
    )
    cards = (
        select(Post.id, Post.version, Post.status, Post.is_opening, Post.body_html,
               Post.created_at, Post.edited_at, Post.support_count, Post.author_id,
               User.username, User.role)
        .join(User, User.id == Post.author_id)
        .where(Post.id.in_(bindparam("post_ids", expanding=True)), *posts_where)
    )
    count = select(func.count()).select_from(Post).where(*posts_where)
    return _Statements(head=head, count=count, stubs=stubs, cards=cards)


def _statements(viewer: User | None) -> _Statements:
    kept: RenderCache = current_app.extensions.setdefault(
        "thread_statements", RenderCache(STATEMENT_CACHE_SIZE))
    shape = viewer_shape(viewer)
    found = kept.get(shape)
    if found is None:
        found = _build(viewer)
        kept.put(shape, found, size=STATEMENT_COST)
    return found


def thread_head(viewer: User | None, thread_id: int) -> ThreadHead:
    """The thread if the viewer may open it (else the same 404 as a missing one): one query,
    the reply count less replies by members the viewer blocked computed in it."""
    row = _run(_statements(viewer).head, {"thread_id": thread_id}).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return ThreadHead(
        id=row.id, title=row.title, content_warning=row.content_warning,
        created_at=row.created_at, reply_count=max(0, (row.reply_count or 0) - row.hidden),
        author_name=row.username, author_is_staff=row.role in STAFF_ROLES,
        category_slug=row.slug, category_name=row.name,
        posts_state=(row.posts, row.versions, row.newest),
    )


def _count(viewer: User | None, thread_id: int) -> int:
    return _run(_statements(viewer).count, {"thread_id": thread_id}).scalar() or 0


def last_page(viewer: User | None, thread_id: int, per_page: int) -> int:
    return max(1, math.ceil(_count(viewer, thread_id) / per_page))


def post_stubs(viewer: User | None, thread_id: int, page: int, per_page: int) -> StubPage:
    """One page of the posts this viewer sees, as stubs, with the page count: one query (the
    total comes with the rows)."""
    page = max(1, page)
    rows = _run(_statements(viewer).stubs, {
        "thread_id": thread_id, "limit": per_page, "offset": (page - 1) * per_page,
    }).all()
    # Past the end there are no rows to carry the total: count (the only case that does).
    total = rows[0].total if rows else (_count(viewer, thread_id) if page > 1 else 0)
    return StubPage(
        items=rows,
        page=page, pages=max(1, math.ceil(total / per_page)), total=total,
    )


def post_cards(viewer: User | None, thread_id: int, post_ids: list[int]) -> dict[int, PostCard]:
    """Whole rows for the cards not cached yet, under the same visibility rules."""
    if not post_ids:
        return {}
    rows = _run(_statements(viewer).cards,
                              {"thread_id": thread_id, "post_ids": list(post_ids)})
    return {
        row.id: PostCard(
            id=row.id, version=row.version, status=row.status, is_opening=row.is_opening,
            body_html=row.body_html, created_at=row.created_at, edited_at=row.edited_at,
            support_count=row.support_count or 0, author_id=row.author_id,
            author_name=row.username, author_is_staff=row.role in STAFF_ROLES,
        )
        for row in rows
    }
