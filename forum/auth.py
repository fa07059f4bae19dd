"""Sign-up, sign-in and sign-out pages; the login manager's user loader."""

from __future__ import annotations

from flask import Blueprint, Flask

from .extensions import db, login_manager
from .models import User

bp = Blueprint("auth", __name__)


def configure_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    # ids carry the session version: changing the password or suspending signs out everywhere.
    raw_id, _, version = user_id.partition(":")
    if not raw_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or user.session_version != int(version) or not user.is_active:
        return None
    return user
