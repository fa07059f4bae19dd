"""Small helpers the page blueprints share: who is asking."""

from __future__ import annotations

from flask_login import current_user

from ..models import User


def viewer() -> User | None:
    """The signed-in member, or None for an anonymous visitor (what the read queries take)."""
    return current_user._get_current_object() if current_user.is_authenticated else None


def member() -> User:
    """The signed-in member, on routes that require one (login_required or a staff check)."""
    return current_user._get_current_object()
