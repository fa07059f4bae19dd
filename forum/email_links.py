"""One-use links mailed to a member: confirm the address, choose a new password.

Random tokens stored as sha256 (not signed tokens such as itsdangerous'): a link must work
once (a second click, or a leaked old reset link, must fail), be withdrawn when a newer one is
asked for, and carry nothing about the account in the URL. A signed token can do none of
these without a table anyway. The link's state tells its page what to say: good, expired,
already used, or unknown (mistyped or tampered with).
"""

from __future__ import annotations

import enum
import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update

from . import account_mail, passwords, sign_ins
from .after_response import defer
from .extensions import db
from .models import EmailToken, EmailTokenPurpose, User, utcnow

log = logging.getLogger(__name__)

# token_urlsafe(32) gives 43 characters; anything else is not one of ours.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class LinkState(enum.StrEnum):
    OK = "ok"
    EXPIRED = "expired"
    USED = "used"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Link:
    state: LinkState
    user: User | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(purpose: EmailTokenPurpose) -> timedelta:
    config = current_app.config
    if purpose is EmailTokenPurpose.VERIFY:
        return timedelta(hours=config["VERIFY_LINK_HOURS"])
    return timedelta(minutes=config["RESET_LINK_MINUTES"])


def issue(user: User, purpose: EmailTokenPurpose) -> str:
    """A new link for `user`; earlier unused links of the same kind stop working. Commits."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(delete(EmailToken).where(
        EmailToken.user_id == user.id, EmailToken.purpose == purpose.value,
        EmailToken.used_at.is_(None),
    ))
    db.session.add(EmailToken(user_id=user.id, purpose=purpose.value, token_hash=_hash(token),
                              created_at=now, expires_at=now + _lifetime(purpose)))
    db.session.commit()
    return token


def look_up(token: object, purpose: EmailTokenPurpose) -> Link:
    if not isinstance(token, str) or not TOKEN_SHAPE.match(token):
        return Link(LinkState.UNKNOWN)
    row = db.session.scalar(select(EmailToken).where(
        EmailToken.token_hash == _hash(token), EmailToken.purpose == purpose.value))
    if row is None:
        return Link(LinkState.UNKNOWN)
    user = db.session.get(User, row.user_id)
    if user is None:
        return Link(LinkState.UNKNOWN)
    if row.used_at is not None:
        return Link(LinkState.USED, user)
    if row.expires_at <= utcnow():
        return Link(LinkState.EXPIRED, user)
    return Link(LinkState.OK, user)


def _use(token: str, purpose: EmailTokenPurpose) -> bool:
    """Mark the link used, once: of two clicks at the same moment only one wins."""
    result = db.session.execute(update(EmailToken).where(
        EmailToken.token_hash == _hash(token), EmailToken.purpose == purpose.value,
        EmailToken.used_at.is_(None), EmailToken.expires_at > utcnow(),
    ).values(used_at=utcnow()))
    return result.rowcount == 1


# --- confirming an address --------------------------------------------------------------

def send_verification(user: User) -> None:
    """Mail `user` a fresh confirmation link, after the answer is sent."""
    user_id = user.id

    def work() -> None:
        member = db.session.get(User, user_id)
        if member is None:
            # The account was just made; not finding it means the mail a person is waiting
            # for will not come (seen rarely in the browser tests): say so.
            log.warning("confirmation mail not sent: member %s not found", user_id)
            return
        if member.is_verified:
            return
        token = issue(member, EmailTokenPurpose.VERIFY)
        account_mail.send(account_mail.verification(
            member.email, member.username, token, current_app.config["VERIFY_LINK_HOURS"]))

    defer(work)


def verify(token: str) -> Link:
    """Confirm the address the link was sent to. Commits; the answer says what happened."""
    link = look_up(token, EmailTokenPurpose.VERIFY)
    if link.state is not LinkState.OK or not _use(token, EmailTokenPurpose.VERIFY):
        db.session.rollback()
        return link if link.state is not LinkState.OK else Link(LinkState.USED, link.user)
    db.session.execute(update(User).where(User.id == link.user.id, User.email_verified_at.is_(None))
                       .values(email_verified_at=utcnow()))
    db.session.commit()
    return link


# --- choosing a new password -------------------------------------------------------------

def request_reset(email: str) -> None:
    """Mail a reset link if `email` has an account; nothing otherwise.

    All of it, the look-up included, happens after the answer: the page cannot differ, in
    content or in time, between an address that has an account and one that doesn't.
    """

    def work() -> None:
        member = db.session.scalar(select(User).where(User.email == email))
        if member is None or not member.is_active:
            return
        token = issue(member, EmailTokenPurpose.RESET)
        account_mail.send(account_mail.password_reset(
            member.email, member.username, token, current_app.config["RESET_LINK_MINUTES"]))

    defer(work)


def reset_password(token: str, new_password: str) -> Link:
    """Set a new password through a reset link. Commits once.

    The password is checked first (InvalidInput keeps the link usable for another try); then
    the link is used up, every session and API token is signed out, and the address counts
    as confirmed (the link reached it).
    """
    link = look_up(token, EmailTokenPurpose.RESET)
    if link.state is not LinkState.OK:
        return link
    user = link.user
    passwords.check_password(new_password, user.username, user.email)
    if not _use(token, EmailTokenPurpose.RESET):
        db.session.rollback()
        return Link(LinkState.USED, user)
    sign_ins.end_everywhere(user, commit=False)
    user.set_password(new_password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.session.commit()
    return link
