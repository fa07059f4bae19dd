"""Members' trust levels (Discourse-style, simpler): `new` → `member` → `trusted`.

A level is computed, never stored, from two facts the database already keeps: how long ago
the member joined, and how many of their posts were published (approved or passed screening;
`Post.published_at` is set then, and a moderator's rejection takes the post out of the count).
So nothing here is read, changed in Python and written back: there is no counter to race on.
A moderator may set a level (`User.trust_level_override`, forum/access_settings.py), which wins
over the computed one — to trust someone early, or to hold a worrying account at `new`.

What a level changes:
* `new`: a stricter screening bar (`screening.hold_if_unsure`: anything the screening is unsure
  of goes to a moderator) and a slower posting pace (`RATELIMIT_POSTING_NEW`).
* `trusted`: may read categories whose visibility is `trusted` (forum/audience.py).
Moderators are always `trusted`.

Thresholds (config, FORUM_TRUST_*): `member` after TRUST_MEMBER_DAYS days and
TRUST_MEMBER_POSTS published posts; `trusted` after TRUST_TRUSTED_DAYS and TRUST_TRUSTED_POSTS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import ColumnElement, false, func, select, true

from .extensions import db
from .models import Post, PostStatus, TrustLevel, User, utcnow

LEVELS: tuple[str, ...] = tuple(level.value for level in TrustLevel)


@dataclass(frozen=True)
class Standing:
    """A member's trust level and how it came about (for moderators' pages and the CLI)."""

    level: str
    computed: str
    override: str | None
    days: int
    published_posts: int


def _thresholds() -> dict[str, tuple[int, int]]:
    config = current_app.config
    return {
        TrustLevel.MEMBER.value: (config["TRUST_MEMBER_DAYS"], config["TRUST_MEMBER_POSTS"]),
        TrustLevel.TRUSTED.value: (config["TRUST_TRUSTED_DAYS"], config["TRUST_TRUSTED_POSTS"]),
    }


def _published_posts_query(user_id: int):
    return (
        select(func.count())
        .select_from(Post)
        .where(Post.author_id == user_id, Post.published_at.is_not(None),
               Post.status != PostStatus.REJECTED.value)
    )


def published_posts(user: User) -> int:
    return db.session.scalar(_published_posts_query(user.id)) or 0


def _days_since(joined: datetime, now: datetime) -> int:
    return max(0, (now - joined).days)


def computed_level(days: int, posts: int) -> str:
    """The level time and published posts give (pure; thresholds from the app's config)."""
    level = TrustLevel.NEW.value
    for name, (need_days, need_posts) in _thresholds().items():
        if days >= need_days and posts >= need_posts:
            level = name
    return level


def standing(user: User, now: datetime | None = None) -> Standing:
    """The member's level with its reasons. One count query."""
    days = _days_since(user.created_at, now or utcnow())
    posts = published_posts(user)
    computed = computed_level(days, posts)
    override = user.trust_level_override if user.trust_level_override in LEVELS else None
    level = TrustLevel.TRUSTED.value if user.is_staff else (override or computed)
    return Standing(level=level, computed=computed, override=override, days=days,
                    published_posts=posts)


def level_of(user: User | None, now: datetime | None = None) -> str | None:
    """The member's trust level (None for anonymous visitors). At most one count query."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_staff:
        return TrustLevel.TRUSTED.value
    if user.trust_level_override in LEVELS:
        return user.trust_level_override
    now = now or utcnow()
    if _days_since(user.created_at, now) < min(days for days, _ in _thresholds().values()):
        return TrustLevel.NEW.value  # too new for any level: no need to count posts
    return standing(user, now).computed


def trusted_rule(user: User | None, now: datetime | None = None) -> tuple:
    """Which SQL `is_trusted_condition` builds for ``user``, as a small hashable value: equal
    rules give equal SQL, so a caller may keep statements built for one rule
    (forum/thread_reading.py does)."""
    if user is None or not user.is_authenticated:
        return ("no",)
    if user.is_staff:
        return ("yes",)
    if user.trust_level_override in LEVELS:
        return ("yes",) if user.trust_level_override == TrustLevel.TRUSTED.value else ("no",)
    need_days, need_posts = _thresholds()[TrustLevel.TRUSTED.value]
    if _days_since(user.created_at, now or utcnow()) < need_days:
        return ("no",)
    return ("count", user.id, need_posts)


def is_trusted_condition(user: User | None, now: datetime | None = None) -> ColumnElement[bool]:
    """Whether ``user`` is trusted, as SQL for the reading filters (no extra round trip)."""
    rule = trusted_rule(user, now)
    if rule[0] == "count":
        _count, user_id, need_posts = rule
        return _published_posts_query(user_id).scalar_subquery() >= need_posts
    return true() if rule == ("yes",) else false()


def trusted_ids_among(users: list[tuple[int, datetime, str | None, str]],
                      now: datetime) -> set[int]:
    """Which of (id, created_at, override, role) are trusted: one grouped query for all (the
    digest composes for many members at once)."""
    need_days, need_posts = _thresholds()[TrustLevel.TRUSTED.value]
    trusted = set()
    to_count = []
    for user_id, created_at, override, role in users:
        if role in ("moderator", "admin") or override == TrustLevel.TRUSTED.value:
            trusted.add(user_id)
        elif override not in LEVELS and _days_since(created_at, now) >= need_days:
            to_count.append(user_id)
    if to_count:
        rows = db.session.execute(
            select(Post.author_id, func.count())
            .where(Post.author_id.in_(to_count), Post.published_at.is_not(None),
                   Post.status != PostStatus.REJECTED.value)
            .group_by(Post.author_id)
        )
        trusted |= {author_id for author_id, count in rows if count >= need_posts}
    return trusted
