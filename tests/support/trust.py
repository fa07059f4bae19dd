"""Members at each trust level, made the way time and published posts make them."""

from __future__ import annotations

from datetime import timedelta

from forum.extensions import db
from forum.models import User, utcnow
from tests.support.factories import PUBLIC_CATEGORY, make_thread, make_user


def joined_days_ago(user: User, days: int) -> User:
    user.created_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return user


def make_trusted(username: str) -> User:
    """A member who has been here 20 days with 5 published posts (the defaults need 14 and 5)."""
    user = make_user(username)
    joined_days_ago(user, 20)
    for n in range(5):
        make_thread(user, title=f"Small win number {n + 1}", body="Made tea and sat in the sun.",
                    category=PUBLIC_CATEGORY)
    return user
