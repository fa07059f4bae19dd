"""The on-call alert outbox (forum/jobs/alerts.py owns what its rows mean)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime, utcnow

__all__ = ["AlertOutbox"]


class AlertOutbox(db.Model):
    """One alert mail to one moderator about one urgent case at one step.

    Steps: 'on_call' (the moderators on call, as soon as the case is urgent) and 'everyone'
    (every moderator, when nobody has claimed the case in time). The unique key makes each
    alert exist once however many workers look; a row is claimed ('sending') before the SMTP
    call and marked 'sent' after it, so an outage delays an alert but never drops or repeats it.
    """

    __tablename__ = "alert_outbox"
    __table_args__ = (UniqueConstraint("case_id", "step", "recipient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("moderation_cases.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
