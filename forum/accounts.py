"""Use cases for accounts: registration, sign-in checks, API tokens, settings.

Registration answers the same way whether or not the email address already has an account
(`register`): the password is hashed on both paths, and the email that follows (a link to
confirm the address, or "you already have an account") goes out after the answer.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from . import account_mail, email_links, passwords, sign_ins
from .after_response import defer
from .errors import Conflict, InvalidInput
from .extensions import db
from .models import ApiToken, DigestFrequency, Role, User, utcnow
from .names import check_new_name

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,30}[A-Za-z0-9_]$")
EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PASSWORD_MIN, PASSWORD_MAX = passwords.PASSWORD_MIN, passwords.PASSWORD_MAX


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


def validate_password(password: object, username: str | None = None,
                      email: str | None = None) -> str:
    return passwords.check_password(password, username, email)


def _checked_new_account(username: object, email: object, password: object, role: str,
                         allow_reserved: bool) -> tuple[str, str, str]:
    username = validate_username(username)
    email = validate_email(email)
    password = validate_password(password, username, email)
    if role not in {r.value for r in Role}:
        raise InvalidInput(f"Unknown role {role!r}; use member, moderator or admin.", field="role")
    key = username.lower()
    if db.session.scalar(select(User.id).where(User.username_key == key)) is not None:
        # Usernames are public anyway: saying it is taken tells nobody anything new.
        raise Conflict("That username is taken. Please pick another.", field="username")
    if not allow_reserved:
        check_new_name(username, role)  # reserved words and look-alikes of staff names
    return username, email, password


def _insert(username: str, email: str, password: str, role: str, verified: bool) -> User:
    user = User(username=username, username_key=username.lower(), email=email, role=role,
                digest_frequency=DigestFrequency.WEEKLY.value, created_at=utcnow(),
                email_verified_at=utcnow() if verified else None)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def create_user(
    username: str, email: str, password: str, role: str = Role.MEMBER.value,
    allow_reserved: bool = False, verified: bool = False,
) -> User:
    """Create an account directly (the CLI, the demo data, tests). Commits once.

    Unlike `register`, it says plainly when the email address is in use: the operator
    running it already knows the member list.
    """
    username, email, password = _checked_new_account(username, email, password, role,
                                                     allow_reserved)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("That email address already has an account.", field="email")
    try:
        return _insert(username, email, password, role, verified)
    except IntegrityError as exc:  # a concurrent registration won the race
        db.session.rollback()
        raise Conflict("That username or email can't be used. Please pick another.") from exc


def register(username: object, email: object, password: object) -> None:
    """Sign-up from the page: the same answer whether or not the address has an account.

    Raises InvalidInput / Conflict only for what the person typed (a bad or taken username,
    a weak password, a malformed address). Otherwise the account is created unverified and a
    confirmation link follows by email; or, when the address already has an account, nothing
    is created and its owner is told by email how to sign in or reset. Both paths hash the
    password (the slow part), so the answer does not reveal the difference by its time.
    """
    username, email, password = _checked_new_account(username, email, password,
                                                     Role.MEMBER.value, False)
    if db.session.scalar(select(User.id).where(User.email == email)) is None:
        try:
            user = _insert(username, email, password, Role.MEMBER.value, verified=False)
        except IntegrityError:
            db.session.rollback()  # a concurrent sign-up took the name or the address
            if db.session.scalar(select(User.id).where(User.username_key == username.lower())):
                raise Conflict("That username is taken. Please pick another.",
                               field="username") from None
        else:
            email_links.send_verification(user)
            return
    else:
        User(password_hash="").set_password(password)
    defer(lambda: account_mail.send(account_mail.already_registered(email)))


def mark_verified(user: User) -> None:
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.commit()


def check_credentials(username: object, password: object) -> User | None:
    """The member with this name and password, suspended or not (one password check either
    way). Only the sign-in page needs the suspended ones: to lead them to their appeal."""
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    user = db.session.scalar(select(User).where(User.username_key == username.strip().lower()))
    if user is None:
        spend_hashing_time(password)
        return None
    return user if user.check_password(password) else None


def authenticate(username: object, password: object) -> User | None:
    user = check_credentials(username, password)
    return user if user is not None and user.is_active else None


def spend_hashing_time(password: str) -> None:
    """The time of a real password check, so timing doesn't reveal which usernames exist."""
    User(password_hash="").set_password(password if isinstance(password, str) else "")


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
    """Set a new password; every other session, remember-me cookie and API token ends."""
    if not user.check_password(current or ""):
        raise InvalidInput("Your current password doesn't match.", field="current_password")
    user.set_password(validate_password(new, user.username, user.email))
    db.session.execute(update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.commit()
    db.session.refresh(user)
    sign_ins.keep_only(user)
