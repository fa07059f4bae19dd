"""Use cases for accounts: registration, sign-in checks, API tokens, settings."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .errors import Conflict, InvalidInput
from .extensions import db
from .models import ApiToken, DigestFrequency, Role, User, utcnow
from .names import check_new_name

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,30}[A-Za-z0-9_]$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PASSWORD_MIN, PASSWORD_MAX = 10, 256


def validate_username(username: object) -> str:
    if not isinstance(username, str) or not USERNAME_PATTERN.match(username.strip()):
        raise InvalidInput(
            "Usernames are 3–32 letters, digits, '.', '_' or '-'. "
            "Pick something that doesn't identify you offline.",
            field="username",
        )
    return username.strip()


def validate_email(email: object) -> str:
    if not isinstance(email, str) or not EMAIL_PATTERN.match(email.strip()) or len(email) > 254:
        raise InvalidInput("Please give a valid email address (it stays private).", field="email")
    return email.strip().lower()


def validate_password(password: object) -> str:
    if not isinstance(password, str) or not (PASSWORD_MIN <= len(password) <= PASSWORD_MAX):
        raise InvalidInput(
            f"Passwords need at least {PASSWORD_MIN} characters.", field="password"
        )
    return password


def create_user(
    username: str, email: str, password: str, role: str = Role.MEMBER.value,
    allow_reserved: bool = False,
) -> User:
    """Create a member (registration, the CLI, the demo data). Commits once."""
    username = validate_username(username)
    email = validate_email(email)
    password = validate_password(password)
    if role not in {r.value for r in Role}:
        raise InvalidInput(f"Unknown role {role!r}; use member, moderator or admin.", field="role")
    key = username.lower()
    if db.session.scalar(select(User.id).where(User.username_key == key)) is not None:
        raise Conflict("That username is taken. Please pick another.", field="username")
    if not allow_reserved:
        check_new_name(username, role)  # reserved words and look-alikes of staff names
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        # Deliberately the same shape as other errors, without confirming whose address it is.
        raise Conflict("That email address can't be used. Try another, or sign in.", field="email")
    user = User(username=username, username_key=key, email=email, role=role,
                digest_frequency=DigestFrequency.WEEKLY.value, created_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:  # a concurrent registration won the race
        db.session.rollback()
        raise Conflict("That username or email can't be used. Please pick another.") from exc
    return user


def authenticate(username: object, password: object) -> User | None:
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    user = db.session.scalar(select(User).where(User.username_key == username.strip().lower()))
    if user is None:
        # Spend the same hashing time as a real check, so timing doesn't reveal usernames.
        User(password_hash="").set_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    return user


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(user: User, max_age_days: int) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(
        user_id=user.id, token_hash=_hash_token(token), session_version=user.session_version,
        created_at=utcnow(), expires_at=utcnow() + timedelta(days=max_age_days),
    ))
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active or user.session_version != row.session_version:
        return None
    return user


def revoke_api_token(token: str) -> bool:
    """Withdraw one token (the caller's own); the member's other tokens keep working.

    The row is deleted rather than flagged: a revoked token and one never issued look the same.
    """
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    if row is None:
        return False
    db.session.delete(row)
    db.session.commit()
    return True


def checked_digest_frequency(frequency: object) -> str:
    """``frequency`` if it names a digest frequency; otherwise a clear InvalidInput."""
    if not isinstance(frequency, str) or frequency not in {f.value for f in DigestFrequency}:
        raise InvalidInput("Digest must be one of: off, daily, weekly.", field="digest")
    return frequency


def set_digest_frequency(user: User, frequency: object) -> User:
    user.digest_frequency = checked_digest_frequency(frequency)
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current or ""):
        raise InvalidInput("Your current password doesn't match.", field="current_password")
    user.set_password(validate_password(new))
    user.session_version += 1
    db.session.commit()
