"""What every table shares: UTC timestamps, the column type that keeps them aware, the enums."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, always returns aware UTC datetimes (SQLite drops tzinfo)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Role(enum.StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"


class DigestFrequency(enum.StrEnum):
    OFF = "off"
    DAILY = "daily"
    WEEKLY = "weekly"


class PostStatus(enum.StrEnum):
    PUBLISHED = "published"
    HELD = "held"  # waiting for a moderator; visible to its author and staff only
    REJECTED = "rejected"  # a moderator declined it; kept for the record, never shown
    DELETED = "deleted"  # soft-deleted by its author
    PURGED = "purged"  # its author removed it for good: the row stays, every word is gone


class CategoryVisibility(enum.StrEnum):
    """Who may read a category's threads (forum/audience.py)."""

    EVERYONE = "everyone"  # anyone, signed in or not (and search engines)
    MEMBERS = "members"  # any signed-in member
    TRUSTED = "trusted"  # members at trust level "trusted", and moderators


class TrustLevel(enum.StrEnum):
    """How far the forum trusts a member (forum/trust.py); grows with time and published posts."""

    NEW = "new"
    MEMBER = "member"
    TRUSTED = "trusted"
