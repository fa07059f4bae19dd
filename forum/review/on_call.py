"""Who is on call: moderators who get an email as soon as a case becomes urgent
(forum/jobs/alerts.py sends them)."""

from __future__ import annotations

from sqlalchemy import select, update

from ..errors import InvalidInput
from ..extensions import db
from ..models import Role, User
from .audit import audit

STAFF_ROLES = (Role.MODERATOR.value, Role.ADMIN.value)


def set_on_call(username: str, on_call: bool, actor: User | None = None) -> User:
    """Mark a moderator on call (or off); one transaction, audited."""
    user = db.session.scalar(select(User).where(User.username_key == (username or "").lower()))
    if user is None or user.role not in STAFF_ROLES:
        raise InvalidInput("Only moderators can be on call.", field="username")
    db.session.execute(update(User).where(User.id == user.id).values(on_call=on_call))
    audit("on_call_changed", actor_id=actor.id if actor else None, user_id=user.id, on_call=on_call)
    db.session.commit()
    db.session.refresh(user)
    return user


def on_call_moderators() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.on_call.is_(True), User.role.in_(STAFF_ROLES)).order_by(User.id)
        )
    )
