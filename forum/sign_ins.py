"""Sign-ins kept on the server: a session ends when its row is deleted, wherever its cookie is.

* `start` makes a row for a new sign-in: a random session secret (the page session names it)
  and, with "keep me signed in", a random remember-me token; both stored as sha256.
* `for_session` is the check on every request; `restore` turns a remember-me token into a new
  session and rotates the token (the old one stops working).
* `end` (sign out here), `end_everywhere` (sign out on every device: also bumps the member's
  session_version, which signs out API tokens), `keep_only` (after a password change).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, select, update

from .extensions import db
from .models import SignIn, User, utcnow
from .review.notices import NEWEST_NOTICE_ID

SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True)
class Restored:
    user: User
    remember_token: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(days=current_app.config["REMEMBER_DAYS"])


def device_summary(user_agent: str | None) -> str:
    """"Firefox on Linux": a rough name a member recognises; the full header is not kept."""
    agent = user_agent or ""
    browsers = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
    systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
               ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
               ("Linux", "Linux"))
    browser = next((name for marker, name in browsers if marker in agent), "A browser")
    system = next((name for marker, name in systems if marker in agent), "")
    return f"{browser} on {system}" if system else browser


def start(user: User, remember: bool, user_agent: str | None) -> str | None:
    """Record a new sign-in for `user` (sets user.sign_in_secret). Commits.

    Returns the remember-me token when `remember`, else None.
    """
    secret = secrets.token_urlsafe(32)
    token = secrets.token_urlsafe(32) if remember else None
    now = utcnow()
    # Tidy up as we go: this member's sign-ins that have run out are of no use to anyone.
    db.session.execute(delete(SignIn).where(SignIn.user_id == user.id, SignIn.expires_at <= now))
    db.session.add(SignIn(
        user_id=user.id, session_hash=_hash(secret), remember_hash=_hash(token) if token else None,
        session_version=user.session_version, created_at=now, last_used_at=now,
        expires_at=now + _lifetime(), device=device_summary(user_agent),
    ))
    db.session.commit()
    user.sign_in_secret = secret
    return token


def _parse(session_id: object) -> tuple[int, str] | None:
    if not isinstance(session_id, str):
        return None
    raw_id, _, secret = session_id.partition(":")
    if not raw_id.isdigit() or len(raw_id) > 10 or not SECRET_SHAPE.match(secret):
        return None
    return int(raw_id), secret


# The check every signed-in request makes: built once (building a statement costs more than
# running it). The member's newest notice id comes along, so page views seldom need another query.
_LIVE_SIGN_IN = select(User, NEWEST_NOTICE_ID).join(SignIn, SignIn.user_id == User.id).where(
    User.id == bindparam("user_id"), SignIn.session_hash == bindparam("session_hash"),
    SignIn.session_version == User.session_version, SignIn.expires_at > bindparam("now"),
)


def for_session(session_id: object) -> User | None:
    """The member whose live sign-in the session names ("<user id>:<secret>"), or None."""
    parsed = _parse(session_id)
    if parsed is None:
        return None
    user_id, secret = parsed
    row = db.session.execute(_LIVE_SIGN_IN, {
        "user_id": user_id, "session_hash": _hash(secret), "now": utcnow(),
    }).first()
    if row is None or not row[0].is_active:
        return None
    user, user.newest_notice_id = row
    user.sign_in_secret = secret
    return user


def restore(remember_token: object, user_agent: str | None) -> Restored | None:
    """A new session for a valid remember-me token, and a new token in its place. Commits.

    The rotation is one conditional UPDATE: of two requests racing with the same token, one
    wins and the other is treated as signed out.
    """
    if not isinstance(remember_token, str) or not SECRET_SHAPE.match(remember_token):
        return None
    now = utcnow()
    row = db.session.scalar(select(SignIn).where(
        SignIn.remember_hash == _hash(remember_token), SignIn.expires_at > now))
    user = db.session.get(User, row.user_id) if row is not None else None
    if user is None or not user.is_active or row.session_version != user.session_version:
        db.session.rollback()
        return None
    secret, token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    result = db.session.execute(
        update(SignIn).where(SignIn.id == row.id, SignIn.remember_hash == _hash(remember_token))
        .values(session_hash=_hash(secret), remember_hash=_hash(token), last_used_at=now,
                expires_at=now + _lifetime(), device=device_summary(user_agent))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return None
    db.session.commit()
    user.sign_in_secret = secret
    return Restored(user, token)


def end(user: User) -> None:
    """Sign out the sign-in this request belongs to. Commits."""
    if user.sign_in_secret:
        db.session.execute(delete(SignIn).where(
            SignIn.user_id == user.id, SignIn.session_hash == _hash(user.sign_in_secret)))
        db.session.commit()


def end_everywhere(user: User, commit: bool = True) -> None:
    """Every session, remember-me cookie and API token of `user` stops working."""
    db.session.execute(delete(SignIn).where(SignIn.user_id == user.id))
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    if commit:
        db.session.commit()
    db.session.refresh(user)


def keep_only(user: User) -> None:
    """After a password change: this sign-in stays, every other one ends. Commits.

    Expects the member's session_version to have been bumped already (API tokens end there).
    """
    db.session.execute(delete(SignIn).where(
        SignIn.user_id == user.id, SignIn.session_hash != _hash(user.sign_in_secret or "")))
    db.session.execute(update(SignIn).where(SignIn.user_id == user.id)
                       .values(session_version=user.session_version))
    db.session.commit()


def active(user: User) -> list[SignIn]:
    return list(db.session.scalars(
        select(SignIn).where(SignIn.user_id == user.id, SignIn.expires_at > utcnow())
        .order_by(SignIn.last_used_at.desc())
    ))


def is_current(user: User, row: SignIn) -> bool:
    return bool(user.sign_in_secret) and row.session_hash == _hash(user.sign_in_secret)
