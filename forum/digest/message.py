"""The digest email: subject, text and HTML bodies, headers, and the signed one-click
unsubscribe link (RFC 8058) with what it does.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update

from ..accounts import set_digest_frequency
from ..errors import NotFound
from ..extensions import db
from ..links import site_url
from ..models import DigestFrequency, User, utcnow
from .compose import Digest

SITE_NAME = "No Contact Forum"
# Links carry a signed random per-member key (users.unsubscribe_key), never the user id.
UNSUBSCRIBE_KEY_SALT = "forum.digest.unsubscribe.key"
# Links sent before that carried {"u": user id}: still honoured until they expire (grace), unless
# the member has replaced their links since.
UNSUBSCRIBE_SALT = "forum.digest.unsubscribe"
UNSUBSCRIBE_MAX_AGE = timedelta(days=60)


def _serializer(secret: str | None, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret or current_app.config["SECRET_KEY"], salt=salt)


def make_unsubscribe_token(user: User, secret: str | None = None) -> str:
    """Signed, session-independent (works after a password change or sign-out), and opaque:
    it carries only the member's random unsubscribe key, so it can be revoked by replacing it."""
    return _serializer(secret, UNSUBSCRIBE_KEY_SALT).dumps({"k": user.unsubscribe_key})


class UnsubscribeTokenError(Exception):
    def __init__(self, expired: bool, replaced: bool = False) -> None:
        super().__init__("replaced" if replaced else "expired" if expired else "invalid")
        self.expired = expired
        self.replaced = replaced


def _payload(token: str, secret: str | None, salt: str, max_age: timedelta) -> object:
    return _serializer(secret, salt).loads(token, max_age=int(max_age.total_seconds()))


def read_unsubscribe_token(
    token: str, secret: str | None = None, max_age: timedelta = UNSUBSCRIBE_MAX_AGE
) -> User:
    """The member an unsubscribe link is for, or UnsubscribeTokenError (expired, replaced or
    simply not valid: each gets its own clear page)."""
    try:
        payload = _payload(token, secret, UNSUBSCRIBE_KEY_SALT, max_age)
    except SignatureExpired as exc:
        raise UnsubscribeTokenError(expired=True) from exc
    except BadSignature:
        return _legacy_member(token, secret, max_age)
    key = payload.get("k") if isinstance(payload, dict) else None
    if not isinstance(key, str) or not key:
        raise UnsubscribeTokenError(expired=False)
    member = db.session.scalar(select(User).where(User.unsubscribe_key == key))
    if member is not None:
        return member
    if db.session.scalar(select(User.id).where(User.unsubscribe_key_previous == key)):
        raise UnsubscribeTokenError(expired=False, replaced=True)
    raise UnsubscribeTokenError(expired=False)


def _legacy_member(token: str, secret: str | None, max_age: timedelta) -> User:
    try:
        payload = _payload(token, secret, UNSUBSCRIBE_SALT, max_age)
    except SignatureExpired as exc:
        raise UnsubscribeTokenError(expired=True) from exc
    except BadSignature as exc:
        raise UnsubscribeTokenError(expired=False) from exc
    user_id = payload.get("u") if isinstance(payload, dict) else None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise UnsubscribeTokenError(expired=False)
    member = db.session.get(User, user_id)
    if member is None:
        raise UnsubscribeTokenError(expired=False)
    if member.unsubscribe_key_replaced_at is not None:
        raise UnsubscribeTokenError(expired=False, replaced=True)
    return member


def unsubscribe_url(user_id: int) -> str:
    member = db.session.get(User, user_id)
    if member is None:
        raise NotFound("That account no longer exists.")
    return site_url("unsubscribe.confirm", token=make_unsubscribe_token(member))


def unsubscribe(user_id: int) -> User:
    """Turn a member's digest off (the one-click link). Commits once; repeating is harmless."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("That account no longer exists, so there is nothing to unsubscribe.")
    if user.digest_frequency != DigestFrequency.OFF.value:
        set_digest_frequency(user, DigestFrequency.OFF.value)
    return user


def replace_unsubscribe_links(user: User) -> None:
    """Revoke every unsubscribe link sent so far (e.g. after forwarding a digest): a new key;
    the old links then show a clear "replaced" page. Commits once."""
    db.session.execute(
        update(User).where(User.id == user.id).values(
            unsubscribe_key_previous=User.unsubscribe_key,
            unsubscribe_key=secrets.token_urlsafe(24),
            unsubscribe_key_replaced_at=utcnow(),
        ).execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.expire(user)


def settings_url() -> str:
    return site_url("account.settings")


def subject_for(digest: Digest) -> str:
    n = digest.thread_count
    noun = "thread" if n == 1 else "threads"
    return f"Your {digest.period.frequency} {SITE_NAME} digest: {n} {noun}"


def render_bodies(digest: Digest, unsubscribe_link: str) -> tuple[str, str]:
    context: dict[str, Any] = {
        "digest": digest,
        "site_name": SITE_NAME,
        "base_url": current_app.config["BASE_URL"],
        "settings_url": settings_url(),
        "unsubscribe_url": unsubscribe_link,
        "period_text": digest.period.describe(),
        "subject": subject_for(digest),
    }
    return (render_template("email/digest.txt", **context),
            render_template("email/digest.html", **context))


def message_domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def new_message_id() -> str:
    return make_msgid(idstring="digest", domain=message_domain())


def build_message(digest: Digest, to: str, message_id: str | None = None) -> EmailMessage:
    config = current_app.config
    link = unsubscribe_url(digest.user_id)
    text, html = render_bodies(digest, link)
    message = EmailMessage()
    message["Subject"] = subject_for(digest)
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id or new_message_id()
    message["List-Unsubscribe"] = f"<{link}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
