"""Read-side queries shared by pages, the API and the digest: what a viewer may see.

Every query eager-loads what its callers render, so templates never trigger queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import ScalarSelect, Select, false, func, or_, select
from sqlalchemy.orm import joinedload

from . import audience
from .errors import NotFound
from .extensions import db
from .models import Block, Category, Post, PostStatus, Thread, User

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    pages: int
    total: int


def blocked_ids_of(viewer: User | None) -> Select:
    """Ids of members the viewer has blocked (an empty select for anonymous viewers)."""
    if viewer is None or not viewer.is_authenticated:
        return select(Block.blocked_id).where(false())
    return select(Block.blocked_id).where(Block.blocker_id == viewer.id)


def hidden_replies_per_thread(viewer: User) -> ScalarSelect:
    """A member's count of a thread's published replies by members they blocked, correlated to
    ``Thread`` (for a select that lists threads): the thread page hides those replies."""
    return (
        select(func.count()).select_from(Post)
        .where(Post.thread_id == Thread.id, Post.is_opening.is_(False),
               Post.status == PostStatus.PUBLISHED.value,
               Post.author_id.in_(blocked_ids_of(viewer)))
        .scalar_subquery()
    )


def _viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer is not None and viewer.is_authenticated else None


def visible_posts_filter(viewer: User | None):
    """Published posts; held ones too for their author; everything not deleted for staff."""
    viewer_id = _viewer_id(viewer)
    if viewer_id is not None and viewer.is_staff:
        return Post.status.in_([PostStatus.PUBLISHED.value, PostStatus.HELD.value])
    if viewer_id is None:
        return Post.status == PostStatus.PUBLISHED.value
    return or_(
        Post.status == PostStatus.PUBLISHED.value,
        (Post.status == PostStatus.HELD.value) & (Post.author_id == viewer_id),
    )


def _in_readable_category(viewer: User | None):
    """Threads in a category the viewer may read (forum/audience.py), or their own."""
    in_category = Thread.category_id.in_(audience.readable_category_ids(viewer))
    viewer_id = _viewer_id(viewer)
    return in_category if viewer_id is None else or_(in_category, Thread.author_id == viewer_id)


def readable_thread_ids(viewer: User | None) -> Select:
    """Ids of threads in categories the viewer may read (everything for staff)."""
    if _viewer_id(viewer) is not None and viewer.is_staff:
        return select(Thread.id)
    return select(Thread.id).where(_in_readable_category(viewer))


def visible_threads_filter(viewer: User | None):
    """Live threads in categories the viewer may read (forum/audience.py); held ones for
    their author; none by members the viewer blocked. Everything live for staff."""
    viewer_id = _viewer_id(viewer)
    live = Thread.deleted_at.is_(None)
    if viewer_id is not None and viewer.is_staff:
        return live
    if viewer_id is None:
        return live & Thread.is_visible.is_(True) & _in_readable_category(viewer)
    return live & _in_readable_category(viewer) & or_(Thread.is_visible.is_(True), Thread.author_id == viewer_id) & (
        Thread.author_id.not_in(blocked_ids_of(viewer))
    )


def paginate(query: Select, page: int, per_page: int) -> Page:
    """One page of ``query`` (from 1; a page past the end is empty), with the page count."""
    page = max(1, page)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    return Page(items=list(result.items), page=page, pages=max(1, result.pages), total=result.total)


def one_or_not_found(query: Select, message: str):
    """The query's row, or NotFound(message) (a 404 page or API answer) when there is none."""
    found = db.session.scalar(query)
    if found is None:
        raise NotFound(message)
    return found


@dataclass(frozen=True)
class ThreadPage(Page[Thread]):
    """A page of threads with the reply count each one shows this viewer."""

    reply_counts: dict[int, int]

    def replies(self, thread: Thread) -> int:
        return self.reply_counts.get(thread.id, thread.reply_count)


def hidden_reply_counts(viewer: User | None, thread_ids: list[int]) -> dict[int, int]:
    """Per thread, the published replies written by members the viewer has blocked.

    One aggregate query for the whole list (none for anonymous viewers, who block nobody).
    """
    if _viewer_id(viewer) is None or not thread_ids:
        return {}
    rows = db.session.execute(
        select(Post.thread_id, func.count())
        .where(
            Post.thread_id.in_(thread_ids),
            Post.is_opening.is_(False),
            Post.status == PostStatus.PUBLISHED.value,
            Post.author_id.in_(blocked_ids_of(viewer)),
        )
        .group_by(Post.thread_id)
    )
    return {thread_id: hidden for thread_id, hidden in rows}


def visible_reply_counts(viewer: User | None, threads: list[Thread]) -> dict[int, int]:
    """Reply counts as this viewer sees them: `Thread.reply_count` (published replies) less the
    replies by members they blocked, which the thread page hides from them."""
    hidden = hidden_reply_counts(viewer, [thread.id for thread in threads])
    return {
        thread.id: max(0, (thread.reply_count or 0) - hidden.get(thread.id, 0))
        for thread in threads
    }


def visible_reply_count(viewer: User | None, thread: Thread) -> int:
    return visible_reply_counts(viewer, [thread])[thread.id]


def list_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def get_category(slug: str) -> Category:
    return one_or_not_found(select(Category).where(Category.slug == slug),
                             f"There is no category called {slug!r}.")


def list_threads(
    viewer: User | None, category: Category | None, page: int, per_page: int
) -> ThreadPage:
    query = (
        select(Thread)
        .options(joinedload(Thread.author), joinedload(Thread.category))
        .where(visible_threads_filter(viewer))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
    )
    if category is not None:
        query = query.where(Thread.category_id == category.id)
    found = paginate(query, page, per_page)
    return ThreadPage(
        items=found.items, page=found.page, pages=found.pages, total=found.total,
        reply_counts=visible_reply_counts(viewer, found.items),
    )


def get_thread(viewer: User | None, thread_id: int) -> Thread:
    return one_or_not_found(
        select(Thread)
        .options(joinedload(Thread.author), joinedload(Thread.category))
        .where(Thread.id == thread_id, visible_threads_filter(viewer)),
        "That thread doesn't exist or isn't visible to you.",
    )


def thread_posts(viewer: User | None, thread: Thread, page: int, per_page: int) -> Page[Post]:
    query = (
        select(Post)
        .options(joinedload(Post.author))
        .where(Post.thread_id == thread.id, visible_posts_filter(viewer))
        .order_by(Post.id)
    )
    if _viewer_id(viewer) is not None:
        query = query.where(Post.author_id.not_in(blocked_ids_of(viewer)))
    return paginate(query, page, per_page)


def get_post(viewer: User | None, post_id: int) -> Post:
    """A post the viewer may see, in a thread they may open (else the same 404 as a missing one)."""
    return one_or_not_found(
        select(Post)
        .options(joinedload(Post.author), joinedload(Post.thread))
        .where(
            Post.id == post_id, visible_posts_filter(viewer),
            Post.thread_id.in_(readable_thread_ids(viewer)),
        ),
        "That post doesn't exist or isn't visible to you.",
    )


def user_by_username(username: str) -> User:
    return one_or_not_found(
        select(User).where(User.username_key == username.strip().lower()),
        f"There is no member called {username!r}.",
    )
