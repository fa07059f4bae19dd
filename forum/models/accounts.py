"""What keeps an account safe: one-use email links and server-side sign-ins.

Secrets are never stored: only their sha256, so a database leak hands out no working link,
session or remember-me cookie.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

__all__ = ["EmailToken", "EmailTokenPurpose", "SignIn"]


class EmailTokenPurpose(enum.StrEnum):
    VERIFY = "verify"  # confirms that the address belongs to the person who registered it
    RESET = "reset"  # lets the owner of the address choose a new password


class EmailToken(db.Model):
    """A link mailed to a member: random, stored hashed, expiring, good for one use."""

    __tablename__ = "email_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignIn(db.Model):
    """One sign-in on one device: the page session and, when asked, its remember-me cookie.

    The session cookie carries a random secret whose hash is `session_hash`; deleting the row
    ends that session wherever its cookie has been copied. `remember_hash` is replaced each
    time the remember-me cookie restores a session (rotation).
    """

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    remember_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The member's session_version when signed in: a password change or a suspension bumps it.
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "Firefox on Linux": enough for a member to recognise their devices, nothing more.
    device: Mapped[str] = mapped_column(String(64), default="")
