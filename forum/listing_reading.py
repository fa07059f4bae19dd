"""Column-level reads of what an anonymous visitor's front and category pages show.

They are the keys under which those pages are kept whole (forum/web/page_cache.py): every
value a listing renders is in these rows, so a change anywhere (a new reply, a title, a
category's visibility) makes a new key. The rules are forum/reading.py's own filters for a
visitor, built once (building a statement costs more than running it).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Row, Select, bindparam, func, select

from .extensions import db
from .models import Category, Thread, User
from .reading import visible_threads_filter


@cache
def _categories() -> Select:
    return select(Category.id, Category.slug, Category.name, Category.description,
                  Category.visibility).order_by(Category.position, Category.name)


@cache
def _threads(in_one_category: bool) -> Select:
    query = (
        select(Thread.id, Thread.title, Thread.content_warning, Thread.is_visible,
               Thread.reply_count, Thread.last_activity_at, User.username, Category.slug,
               Category.name, func.count().over().label("total"))
        .join(User, User.id == Thread.author_id)
        .join(Category, Category.id == Thread.category_id)
        .where(visible_threads_filter(None))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(bindparam("limit")).offset(bindparam("offset"))
    )
    if in_one_category:
        query = query.where(Thread.category_id == bindparam("category_id"))
    return query


@cache
def _category() -> Select:
    return select(Category.id, Category.slug, Category.name, Category.description,
                  Category.visibility).where(Category.slug == bindparam("slug"))


def category(slug: str) -> Row | None:
    return db.session.connection().execute(_category(), {"slug": slug}).first()


def categories() -> tuple[Row, ...]:
    return tuple(db.session.connection().execute(_categories()))


def visitor_threads(category_id: int | None, page: int, per_page: int) -> tuple[Row, ...]:
    """One page of the threads a visitor sees (each row carries the total), newest first."""
    params = {"limit": per_page, "offset": (max(1, page) - 1) * per_page}
    if category_id is not None:
        params["category_id"] = category_id
    return tuple(db.session.connection().execute(_threads(category_id is not None), params))
