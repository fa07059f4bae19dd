"""Sanctions on a member: a warning, read-only for some days (silence), or suspension.

Only an admin can sanction a moderator, nobody themselves. Each is one transaction with its
audit entry; a warned or silenced member gets a notice, a suspended one is signed out
everywhere (the session version moves on).
"""

from __future__ import annotations

from datetime import timedelta

from ..errors import Forbidden, InvalidInput, NotFound
from ..extensions import db
from ..models import Sanction, SanctionKind, User, utcnow
from .audit import audit
from .decisions import clean_reason, require_staff
from .notices import notify

SILENCE_DAYS_MAX = 365


def _sanction_target(moderator: User, user_id: int) -> User:
    require_staff(moderator)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such member.")
    if user.id == moderator.id:
        raise InvalidInput("You can't sanction yourself.")
    if user.is_staff and not moderator.is_admin:
        raise Forbidden("Only an admin can sanction a moderator.")
    return user


def _case_id_or_none(case_id: object) -> int | None:
    if case_id in (None, ""):
        return None
    try:
        return int(case_id)
    except (TypeError, ValueError):
        raise InvalidInput("Unknown case.", field="case_id") from None


def warn(moderator: User, user_id: int, reason: str, case_id: int | None = None) -> Sanction:
    user = _sanction_target(moderator, user_id)
    reason = clean_reason(reason, required=True)
    now = utcnow()
    sanction = Sanction(user_id=user.id, kind=SanctionKind.WARN.value, reason=reason,
                        moderator_id=moderator.id, case_id=_case_id_or_none(case_id),
                        created_at=now)
    db.session.add(sanction)
    notify(user.id, "warning",
            f"A note from the moderators: {reason} "
            "We want this to be a safe place for everyone, you included.", None, now)
    db.session.flush()
    audit("warned", actor_id=moderator.id, case_id=sanction.case_id, user_id=user.id,
                    reason=reason, sanction_id=sanction.id)
    db.session.commit()
    return sanction


def silence(moderator: User, user_id: int, days: object, reason: str,
            case_id: int | None = None) -> Sanction:
    user = _sanction_target(moderator, user_id)
    reason = clean_reason(reason, required=True)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise InvalidInput("Please give a number of days.", field="days") from None
    if not 1 <= days <= SILENCE_DAYS_MAX:
        raise InvalidInput(f"Silence for 1 to {SILENCE_DAYS_MAX} days.", field="days")
    now = utcnow()
    until = now + timedelta(days=days)
    user.silenced_until = until
    sanction = Sanction(user_id=user.id, kind=SanctionKind.SILENCE.value, until=until,
                        reason=reason, moderator_id=moderator.id,
                        case_id=_case_id_or_none(case_id), created_at=now)
    db.session.add(sanction)
    notify(user.id, "silenced",
            f"Your account is read-only for {days} day{'s' if days != 1 else ''} "
            f"(until {until:%d %b %Y}). The moderators' reason: {reason} "
            "You can still read and support others.", None, now)
    db.session.flush()
    audit("silenced", actor_id=moderator.id, case_id=sanction.case_id, user_id=user.id,
                    reason=reason, days=days, until=until.isoformat(), sanction_id=sanction.id)
    db.session.commit()
    return sanction


def suspend(moderator: User, user_id: int, reason: str, case_id: int | None = None) -> Sanction:
    user = _sanction_target(moderator, user_id)
    reason = clean_reason(reason, required=True)
    now = utcnow()
    user.suspended_at = now
    # Signs the member out of every session and API token at once.
    user.session_version = (user.session_version or 1) + 1
    sanction = Sanction(user_id=user.id, kind=SanctionKind.SUSPEND.value, reason=reason,
                        moderator_id=moderator.id, case_id=_case_id_or_none(case_id),
                        created_at=now)
    db.session.add(sanction)
    db.session.flush()
    audit("suspended", actor_id=moderator.id, case_id=sanction.case_id,
                    user_id=user.id, reason=reason, sanction_id=sanction.id)
    db.session.commit()
    return sanction
