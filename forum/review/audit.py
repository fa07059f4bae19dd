"""The audit log: who did what, when and why (append-only; see forum/models/moderation.py).

`audit` adds an entry to the caller's transaction; every step of every review use case, and
every automatic verdict, writes one. `audit_log` reads it for the moderators' page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import AuditEntry, utcnow
from ..reading import Page, paginate

AUDIT_VIEWS = ("all", "moderators", "screening")


def audit(action: str, *, actor_id: int | None = None, post_id: int | None = None,
          case_id: int | None = None, user_id: int | None = None, **details: Any) -> AuditEntry:
    """One entry; ``actor_id`` None is the automatic screener. The caller commits."""
    entry = AuditEntry(actor_id=actor_id, action=action, post_id=post_id, case_id=case_id,
                       user_id=user_id, details=details, created_at=utcnow())
    db.session.add(entry)
    return entry


def audit_log(page: int = 1, per_page: int = 50, who: str = "all") -> Page[AuditEntry]:
    """Newest first; `who`: everything, only people's actions, or only automatic verdicts."""
    query = (
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor), joinedload(AuditEntry.subject))
        .order_by(AuditEntry.id.desc())
    )
    if who == "moderators":
        query = query.where(AuditEntry.actor_id.is_not(None))
    elif who == "screening":
        query = query.where(AuditEntry.actor_id.is_(None))
    return paginate(query, page, per_page)
