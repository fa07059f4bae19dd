"""What goes in a digest, for many members at once (see forum/digest/__init__.py).

`PeriodActivity.load` reads everything published in the period once (2 queries);
`compose_batch` then shapes each member's digest with 2 more queries (blocks, mutes) whatever
the batch size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from .. import audience, trust
from ..extensions import db
from ..links import path_for
from ..markup import plain_excerpt
from ..models import Block, Category, CategoryMute, Post, PostStatus, Thread, User, utcnow
from .periods import Period

MAX_ITEMS = 20
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class Recipient:
    id: int
    username: str
    email: str


@dataclass(frozen=True)
class DigestItem:
    thread_id: int
    title: str
    category: str
    author: str  # a username, never an email address
    is_new: bool
    new_replies: int
    excerpt: str | None
    content_warning: str | None
    url: str


@dataclass(frozen=True)
class Digest:
    user_id: int
    username: str
    period: Period
    items: tuple[DigestItem, ...]
    more: int = 0  # threads left out to keep the email short

    @property
    def thread_count(self) -> int:
        return len(self.items) + self.more

    @property
    def is_empty(self) -> bool:
        return self.thread_count == 0


@dataclass
class _ThreadActivity:
    id: int
    title: str
    category_id: int
    category: str
    author_id: int
    author: str
    content_warning: str | None
    excerpt: str | None
    visibility: str = "members"  # its category's (forum/audience.py)
    opened_in_period: bool = False
    replies_by_author: dict[int, int] = field(default_factory=dict)
    latest_by_author: dict[int, datetime] = field(default_factory=dict)
    total_replies: int = 0
    latest: datetime | None = None


class PeriodActivity:
    """Everything published in one period, loaded once (2 queries) and shared by all members.

    Threads are ranked once for a reader who is not involved; each member's digest then only
    re-ranks the few threads their blocks, mutes or own posts change (fast for 10,000s).
    """

    def __init__(self, period: Period, threads: list[_ThreadActivity]) -> None:
        self.period = period
        self.threads = {t.id: t for t in threads}
        self.ranked = sorted(threads, key=lambda t: rank_key(t.opened_in_period,
                                                             t.total_replies,
                                                             t.latest, t.id))
        self.touched_by: dict[int, set[int]] = defaultdict(set)  # member → threads they shape
        self.count_by_category: dict[int, int] = defaultdict(int)
        # Categories with news that only trusted members may read (usually none).
        self.trusted_only = {t.category_id for t in threads if t.visibility == audience.TRUSTED}
        for thread in threads:
            self.count_by_category[thread.category_id] += 1
            self.touched_by[thread.author_id].add(thread.id)
            for author_id in thread.latest_by_author:
                self.touched_by[author_id].add(thread.id)

    @classmethod
    def load(cls, period: Period) -> PeriodActivity:
        in_period = and_(
            Post.status == PostStatus.PUBLISHED.value,
            Post.published_at >= period.start,
            Post.published_at < period.end,
        )
        opening = aliased(Post)
        thread_rows = db.session.execute(
            select(
                Thread.id, Thread.title, Thread.content_warning, Thread.category_id,
                Category.name, Thread.author_id, User.username, opening.body_html,
                Category.visibility,
            )
            .join(Category, Category.id == Thread.category_id)
            .join(User, User.id == Thread.author_id)
            .join(opening, and_(opening.thread_id == Thread.id, opening.is_opening.is_(True)))
            .where(
                Thread.deleted_at.is_(None),
                Thread.is_visible.is_(True),
                opening.status == PostStatus.PUBLISHED.value,
                Thread.id.in_(select(Post.thread_id).where(in_period)),
            )
        ).all()
        threads: dict[int, _ThreadActivity] = {}
        for (tid, title, warning, category_id, category, author_id, author, body_html,
             visibility) in thread_rows:
            threads[tid] = _ThreadActivity(
                id=tid, title=title, category_id=category_id, category=category,
                author_id=author_id, author=author, content_warning=warning, visibility=visibility,
                # Computed once per thread, not per member; a warning hides the text.
                excerpt=None if warning else (plain_excerpt(body_html, EXCERPT_CHARS) or None),
            )
        activity_rows = db.session.execute(
            select(
                Post.thread_id, Post.author_id, Post.is_opening,
                func.count(Post.id), func.max(Post.published_at),
            )
            .where(in_period)
            .group_by(Post.thread_id, Post.author_id, Post.is_opening)
        ).all()
        for tid, author_id, is_opening, count, latest in activity_rows:
            thread = threads.get(tid)
            if thread is None:
                continue
            if is_opening:
                thread.opened_in_period = True
            else:
                thread.replies_by_author[author_id] = thread.replies_by_author.get(author_id, 0) + count
                thread.total_replies += count
            previous = thread.latest_by_author.get(author_id)
            if previous is None or latest > previous:
                thread.latest_by_author[author_id] = latest
            if thread.latest is None or latest > thread.latest:
                thread.latest = latest
        return cls(period, list(threads.values()))


def rank_key(is_new: bool, replies: int, latest: datetime | None, thread_id: int) -> tuple:
    """New threads first, then the most new activity, then the most recent."""
    stamp = latest.timestamp() if latest is not None else 0.0
    return (not is_new, -(replies + is_new), -stamp, -thread_id)


def _rank_for(thread: _ThreadActivity, me: int, blocked: set[int]):
    """(key, is_new, replies) as this member sees the thread, or None when nothing is news."""
    if thread.author_id in blocked:
        return None
    hidden = blocked | {me}
    replies = sum(n for a, n in thread.replies_by_author.items() if a not in hidden)
    is_new = thread.opened_in_period and thread.author_id != me
    if not is_new and replies == 0:
        return None
    stamps = [t for a, t in thread.latest_by_author.items() if a not in hidden]
    return rank_key(is_new, replies, max(stamps) if stamps else None, thread.id), is_new, replies


def compose_batch(
    recipients: Sequence[Recipient], activity: PeriodActivity, base_url: str
) -> dict[int, Digest]:
    """Digests for many members at once: 2 queries (blocks, mutes) whatever the batch size."""
    ids = [r.id for r in recipients]
    blocked: dict[int, set[int]] = defaultdict(set)
    muted: dict[int, set[int]] = defaultdict(set)
    if ids and activity.threads:
        for blocker_id, blocked_id in db.session.execute(
            select(Block.blocker_id, Block.blocked_id).where(Block.blocker_id.in_(ids))
        ):
            blocked[blocker_id].add(blocked_id)
        for user_id, category_id in db.session.execute(
            select(CategoryMute.user_id, CategoryMute.category_id).where(CategoryMute.user_id.in_(ids))
        ):
            muted[user_id].add(category_id)
    # Categories a recipient may not read are left out like muted ones (forum/audience.py).
    for user_id, closed in _unreadable_categories(ids, activity).items():
        muted[user_id] |= closed
    # Each thread's link is built from the URL map once per batch, not once per recipient.
    links = {tid: f"{base_url}{path_for('board.thread', thread_id=tid)}"
             for tid in activity.threads}
    return {
        r.id: _compose_one(r, activity, blocked.get(r.id, set()), muted.get(r.id, set()), links)
        for r in recipients
    }


def _unreadable_categories(ids: list[int], activity: PeriodActivity) -> dict[int, set[int]]:
    """Per recipient, the categories with news in this period that they may not read.

    Every recipient is a signed-in member, so only `trusted` categories can be closed to one;
    no query at all when the period has no news there, else two for the whole batch."""
    closed = activity.trusted_only
    if not ids or not closed:
        return {}
    members = db.session.execute(
        select(User.id, User.created_at, User.trust_level_override, User.role)
        .where(User.id.in_(ids))
    ).all()
    trusted = trust.trusted_ids_among([tuple(row) for row in members], utcnow())
    return {user_id: set(closed) for user_id in ids if user_id not in trusted}


def _compose_one(
    recipient: Recipient, activity: PeriodActivity, blocked: set[int], muted: set[int],
    links: dict[int, str],
) -> Digest:
    me = recipient.id
    # Threads this member's own posts or blocks change are ranked for them alone ...
    affected: set[int] = set(activity.touched_by.get(me, ()))
    for other in blocked:
        affected |= activity.touched_by.get(other, set())
    chosen: list[tuple[tuple, _ThreadActivity, bool, int]] = []
    affected_listed = 0
    for tid in affected:
        thread = activity.threads[tid]
        if thread.category_id in muted:
            continue
        ranked = _rank_for(thread, me, blocked)
        if ranked is not None:
            chosen.append((ranked[0], thread, ranked[1], ranked[2]))
            affected_listed += 1
    # ... every other thread keeps the shared ranking: only the top MAX_ITEMS are needed.
    taken = 0
    for thread in activity.ranked:
        if taken == MAX_ITEMS:
            break
        if thread.id in affected or thread.category_id in muted:
            continue
        key = rank_key(thread.opened_in_period, thread.total_replies, thread.latest, thread.id)
        chosen.append((key, thread, thread.opened_in_period, thread.total_replies))
        taken += 1
    unaffected_total = (
        len(activity.threads)
        - sum(activity.count_by_category.get(c, 0) for c in muted)
        - sum(1 for tid in affected if activity.threads[tid].category_id not in muted)
    )
    total = unaffected_total + affected_listed
    chosen.sort(key=lambda entry: entry[0])
    items = tuple(
        DigestItem(
            thread_id=thread.id, title=thread.title, category=thread.category,
            author=thread.author, is_new=is_new, new_replies=replies,
            excerpt=thread.excerpt, content_warning=thread.content_warning,
            url=links[thread.id],
        )
        for _, thread, is_new, replies in chosen[:MAX_ITEMS]
    )
    return Digest(recipient.id, recipient.username, activity.period, items,
                  more=total - len(items))


def compose_digest(user: User, period: Period) -> Digest:
    """One member's digest (the preview page)."""
    recipient = Recipient(user.id, user.username, user.email)
    base_url = current_app.config["BASE_URL"]
    return compose_batch([recipient], PeriodActivity.load(period), base_url)[user.id]
