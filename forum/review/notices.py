"""Messages from the moderators to one member (a rejected or edited post, a warning).

Written by the review use cases in their own transaction; shown once per browser session on the
member's next page view (forum/web/notices.py); the rows stay as the record.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select

from ..extensions import db
from ..models import Notice, User, utcnow

NOTICE_MAX_AGE = timedelta(days=30)


def notify(user_id: int, kind: str, message: str, post_id: int | None, now: datetime) -> None:
    """Add a notice to the caller's transaction."""
    db.session.add(Notice(user_id=user_id, kind=kind, message=message, post_id=post_id,
                          created_at=now))


# The newest notice of the member in the enclosing query, as a column: the sign-in check on
# every request reads it (forum/sign_ins.py), so a page view asks for notices only when there is
# one the browser session has not seen.
NEWEST_NOTICE_ID = (
    select(func.max(Notice.id)).where(Notice.user_id == User.id).correlate(User).scalar_subquery()
)


# Read on every signed-in page view: built once (building a statement costs more than running it).
_RECENT = (
    select(Notice)
    .where(Notice.user_id == bindparam("user_id"), Notice.created_at >= bindparam("since"))
    .order_by(Notice.id.desc()).limit(bindparam("limit"))
)


def recent_notices(user: User, limit: int = 20) -> list[Notice]:
    """The member's notices from the last 30 days, oldest first."""
    rows = db.session.scalars(_RECENT, {
        "user_id": user.id, "since": utcnow() - NOTICE_MAX_AGE, "limit": limit,
    }).all()
    return list(reversed(rows))
