"""Appeals: a member asks for another look at a moderator's decision about them.

One appeal per decision: a rejected post's case (`case_id`) or a sanction (`sanction_id`), each
unique, so two appeals sent at the same moment make exactly one row. The decision as it stood
when the member appealed is copied onto the appeal (who decided, why), because overturning a
rejection changes the case it came from. Models never commit; forum/review/appeals.py does.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .community import Post, User
from .moderation import ModerationCase, Sanction

__all__ = ["APPEALS_LANE", "Appeal", "AppealKind", "AppealStatus"]

# The queue's lane for open appeals (beside urgent, held and reported).
APPEALS_LANE = "appeals"


class AppealKind(enum.StrEnum):
    POST = "post"  # a moderator rejected the member's post
    SANCTION = "sanction"  # a warning, a read-only period or a suspension


class AppealStatus(enum.StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the decision stands
    OVERTURNED = "overturned"  # the post is published again / the sanction is lifted


class Appeal(db.Model):
    __tablename__ = "appeals"
    __table_args__ = (Index("ix_appeals_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Exactly one of these two names the decision; each can be appealed once.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_cases.id"), unique=True)
    sanction_id: Mapped[int | None] = mapped_column(ForeignKey("sanctions.id"), unique=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    # The decision when appealed: "rejected", or the sanction's kind (warn, silence, suspend).
    decision: Mapped[str] = mapped_column(String(16))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The member's words to the moderators (moderators only; never in the audit log).
    note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.OPEN.value)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    case: Mapped[ModerationCase | None] = relationship(foreign_keys=[case_id])
    sanction: Mapped[Sanction | None] = relationship(foreign_keys=[sanction_id])
    post: Mapped[Post | None] = relationship(foreign_keys=[post_id])

    @property
    def is_open(self) -> bool:
        return self.status == AppealStatus.OPEN.value
