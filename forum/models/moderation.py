"""Tables of the moderation side: screenings, cases, the audit log, sanctions, notices, nudges.

forum/models/__init__.py imports them with the others, so every importer of the models
(create_all, Alembic) sees these tables too. Models never commit; the use cases in forum/review/
do.

The audit log is append-only: the ORM refuses to update or delete an entry (see the guards at
the bottom), and the migration adds database triggers that refuse it as well.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, foreign, mapped_column, relationship
from sqlalchemy.sql import Delete, Update

from ..extensions import db
from .base import UTCDateTime, utcnow
from .community import Post, Report, Thread, User

__all__ = [
    "LANE_ORDER",
    "AuditEntry",
    "AuditLogIsAppendOnly",
    "BlockedAttempt",
    "CaseStatus",
    "Lane",
    "MemberNote",
    "ModerationCase",
    "Notice",
    "NudgeEvent",
    "PostScreening",
    "ResponseTemplate",
    "Sanction",
    "SanctionKind",
]


class Lane(enum.StrEnum):
    URGENT = "urgent"  # crisis: a person may be in danger; at the top of the queue
    HELD = "held"  # screening held it; not visible to others until approved
    REPORTED = "reported"  # members reported a visible post


# Queue order: urgent first, then held, then reported.
LANE_ORDER = (Lane.URGENT.value, Lane.HELD.value, Lane.REPORTED.value)


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    # Closed without a moderator: the author revised the post and the new text passed
    # screening, or deleted it.
    SUPERSEDED = "superseded"


class SanctionKind(enum.StrEnum):
    WARN = "warn"
    SILENCE = "silence"
    SUSPEND = "suspend"


class PostScreening(db.Model):
    """One automatic verdict on one version of a post, kept for review and retraining."""

    __tablename__ = "post_screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    # create | edit | rescore
    source: Mapped[str] = mapped_column(String(16), default="create")
    decision: Mapped[str] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(32))
    escalate: Mapped[bool] = mapped_column(Boolean, default=False)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    rule_hits: Mapped[list] = mapped_column(JSON, default=list)
    model_version: Mapped[str] = mapped_column(String(64), default="")
    # True when the community model could not run and the post was held for that reason.
    unavailable: Mapped[bool] = mapped_column(Boolean, default=False)
    # The author saw a nudge for this text and chose to submit it anyway.
    nudged: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()


class ModerationCase(db.Model):
    """A post a moderator should look at. At most one open case per post."""

    __tablename__ = "moderation_cases"
    __table_args__ = (
        Index("ix_moderation_cases_status_lane_created", "status", "lane", "created_at"),
        Index(
            "uq_moderation_cases_open_post", "post_id", unique=True,
            sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    lane: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN.value)
    category: Mapped[str | None] = mapped_column(String(32))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    rule_hits: Mapped[list] = mapped_column(JSON, default=list)
    model_version: Mapped[str] = mapped_column(String(64), default="")
    escalate: Mapped[bool] = mapped_column(Boolean, default=False)
    unavailable: Mapped[bool] = mapped_column(Boolean, default=False)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    # The author saw a nudge and acknowledged it ("submit for review anyway").
    nudged: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the case entered the urgent lane (the on-call alert clock starts here).
    urgent_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    # The harmful category a moderator chose when rejecting (used by export-labels).
    resolution_category: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    reports: Mapped[list[Report]] = relationship(
        primaryjoin=lambda: foreign(Report.post_id) == ModerationCase.post_id,
        order_by=lambda: Report.id,
        viewonly=True,
    )

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN.value


class BlockedAttempt(db.Model):
    """A text screening blocked (threats, doxxing): never published, kept for moderators.

    It is a case of the urgent lane of its own (not a ModerationCase: there is no post), so
    moderators see who tried to post an address or a threat, and what exactly.
    """

    __tablename__ = "blocked_attempts"
    __table_args__ = (
        Index("ix_blocked_attempts_user_created", "user_id", "created_at"),
        Index("ix_blocked_attempts_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # What the author was writing: "thread:new", "reply:<thread id>", "edit:<post id>".
    target: Mapped[str] = mapped_column(String(40))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))  # the post being edited
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    # The attempted text as screening saw it (a thread's title first). Moderators only.
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(32))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    rule_hits: Mapped[list] = mapped_column(JSON, default=list)
    scores: Mapped[dict] = mapped_column(JSON, default=dict)
    model_version: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN.value)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[user_id])
    thread: Mapped[Thread | None] = relationship(foreign_keys=[thread_id])
    parent: Mapped[Post | None] = relationship(foreign_keys=[parent_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN.value


class AuditEntry(db.Model):
    """Who did what, when and why. Append-only."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: the automatic screener.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    post_id: Mapped[int | None] = mapped_column(Integer, index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The member the action concerns (a post's author, a sanctioned member).
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    subject: Mapped[User | None] = relationship(
        primaryjoin=lambda: foreign(AuditEntry.user_id) == User.id, viewonly=True
    )


class Sanction(db.Model):
    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    moderator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when another moderator overturned it on appeal (forum/review/appeals.py).
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    moderator: Mapped[User] = relationship(foreign_keys=[moderator_id])


class Notice(db.Model):
    """A message for one member (a rejected post, a warning), shown on their next page view.

    forum/web/notices.py flashes it once per browser session; the row stays as the record.
    """

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # post_rejected | post_edited | warning | silenced
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NudgeEvent(db.Model):
    """An author was shown a nudge before posting; what they did next.

    outcome: None while pending; "revised" (a changed text was then published),
    "submitted" (sent for review anyway), "renudged" (the revision was flagged again; the
    newer event carries the final outcome).
    """

    __tablename__ = "nudge_events"
    __table_args__ = (Index("ix_nudge_events_user_target", "user_id", "target", "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # What the author was writing: "thread:new", "reply:<thread id>", "edit:<post id>".
    target: Mapped[str] = mapped_column(String(40))
    decision: Mapped[str] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str | None] = mapped_column(String(16))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditLogIsAppendOnly(RuntimeError):
    """Raised on any attempt to change or remove an audit entry."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_audit_update(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be changed")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_audit_delete(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly(f"audit entry {target.id} cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state) -> None:
    # Bulk update()/delete() statements skip the mapper events above.
    statement = state.statement
    if isinstance(statement, Update | Delete) and (
        getattr(statement.table, "name", None) == AuditEntry.__tablename__
    ):
        raise AuditLogIsAppendOnly("the audit log cannot be changed")


# Database-level guard as well, so raw SQL cannot rewrite history either.
_AUDIT_TRIGGERS_SQLITE = (
    "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)
_AUDIT_TRIGGERS_POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
    "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()",
)


def audit_trigger_statements(dialect_name: str) -> tuple[str, ...]:
    """The SQL that makes audit_entries append-only in the database (also used by migrations)."""
    if dialect_name == "sqlite":
        return _AUDIT_TRIGGERS_SQLITE
    if dialect_name == "postgresql":
        return _AUDIT_TRIGGERS_POSTGRESQL
    return ()


@event.listens_for(AuditEntry.__table__, "after_create")
def _add_audit_triggers(table, connection, **kw) -> None:
    for statement in audit_trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


class MemberNote(db.Model):
    """A private staff note about a member: shown on their cases, never to the member."""

    __tablename__ = "member_notes"
    __table_args__ = (Index("ix_member_notes_member_created", "member_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])


class ResponseTemplate(db.Model):
    """A crisis response a moderator can send to a member, edited by admins
    (forum/review/outreach.py keeps the built-in ones used until an admin saves their own)."""

    __tablename__ = "response_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120), unique=True)
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
