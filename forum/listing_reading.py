"""Column-level reads of what the front and category pages list, as rows.

They are the keys under which those pages are kept (forum/web/page_cache.py): every value a
listing renders is in these rows — titles, content warnings, authors, categories, the reply
count this reader sees (less replies by members they blocked), activity times, the total for
the pagination — so a change anywhere (a new reply, a title, a held opening post, a category's
visibility, a block) makes a new key. The rules are forum/reading.py's own filters, built once
per viewer shape (building a statement costs more than running it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from flask import current_app
from sqlalchemy import Row, Select, bindparam, func, literal, select

from .extensions import db
from .models import Category, Thread, User
from .reading import ThreadPage, hidden_replies_per_thread, visible_threads_filter
from .render_cache import RenderCache
from .thread_reading import STATEMENT_CACHE_SIZE, STATEMENT_COST, viewer_shape


@cache
def _categories() -> Select:
    return select(Category.id, Category.slug, Category.name, Category.description,
                  Category.visibility).order_by(Category.position, Category.name)


@cache
def _category() -> Select:
    return select(Category.id, Category.slug, Category.name, Category.description,
                  Category.visibility).where(Category.slug == bindparam("slug"))


def _build_threads(viewer: User | None, in_one_category: bool) -> Select:
    if viewer is None or not viewer.is_authenticated:
        hidden = literal(0)
    else:
        hidden = hidden_replies_per_thread(viewer)
    query = (
        select(Thread.id, Thread.title, Thread.content_warning, Thread.is_visible,
               Thread.reply_count, hidden.label("hidden"), Thread.last_activity_at,
               User.username, Category.slug, Category.name, func.count().over().label("total"))
        .join(User, User.id == Thread.author_id)
        .join(Category, Category.id == Thread.category_id)
        .where(visible_threads_filter(viewer))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(bindparam("limit")).offset(bindparam("offset"))
    )
    if in_one_category:
        query = query.where(Thread.category_id == bindparam("category_id"))
    return query


def _threads(viewer: User | None, in_one_category: bool) -> Select:
    kept: RenderCache = current_app.extensions.setdefault(
        "listing_statements", RenderCache(STATEMENT_CACHE_SIZE))
    key = (viewer_shape(viewer), in_one_category)
    found = kept.get(key)
    if found is None:
        found = _build_threads(viewer, in_one_category)
        kept.put(key, found, size=STATEMENT_COST // 3)
    return found


@dataclass(frozen=True)
class _Named:
    username: str = ""
    slug: str = ""
    name: str = ""


@dataclass(frozen=True)
class ListedThread:
    """A listed thread, made from a row: what templates/_macros.html's thread_list reads."""

    id: int
    title: str
    content_warning: str | None
    is_visible: bool
    last_activity_at: datetime
    reply_count: int  # as this reader sees it: less replies by members they blocked
    author: _Named
    category: _Named


def as_thread_page(rows: tuple[Row, ...], page: int, per_page: int) -> ThreadPage:
    """The rows as the page object the templates take. Pages are rendered from the very rows
    they are kept under, so a kept page can never show what its key does not say."""
    total = rows[0].total if rows else 0
    items = [
        ListedThread(row.id, row.title, row.content_warning, row.is_visible,
                     row.last_activity_at, max(0, (row.reply_count or 0) - row.hidden),
                     _Named(username=row.username), _Named(slug=row.slug, name=row.name))
        for row in rows
    ]
    return ThreadPage(
        items=items, page=max(1, page), pages=max(1, math.ceil(total / per_page)),
        total=total, reply_counts={item.id: item.reply_count for item in items},
    )


def category(slug: str) -> Row | None:
    return db.session.connection().execute(_category(), {"slug": slug}).first()


def categories() -> tuple[Row, ...]:
    return tuple(db.session.connection().execute(_categories()))


def threads(viewer: User | None, category_id: int | None, page: int,
            per_page: int) -> tuple[Row, ...]:
    """One page of the threads ``viewer`` sees (each row carries the total), newest first."""
    params = {"limit": per_page, "offset": (max(1, page) - 1) * per_page}
    if category_id is not None:
        params["category_id"] = category_id
    return tuple(db.session.connection().execute(_threads(viewer, category_id is not None),
                                                  params))
