"""The digest email: subject, text and HTML bodies, headers, and the signed one-click
unsubscribe link (RFC 8058) with what it does.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..accounts import set_digest_frequency
from ..errors import NotFound
from ..extensions import db
from ..links import site_url
from ..models import DigestFrequency, User
from .compose import Digest

SITE_NAME = "No Contact Forum"
UNSUBSCRIBE_SALT = "forum.digest.unsubscribe"
UNSUBSCRIBE_MAX_AGE = timedelta(days=60)


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=UNSUBSCRIBE_SALT)


def make_unsubscribe_token(user_id: int, secret: str | None = None) -> str:
    """Signed, session-independent: still works after a password change or sign-out."""
    return _serializer(secret or current_app.config["SECRET_KEY"]).dumps({"u": user_id})


class UnsubscribeTokenError(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def read_unsubscribe_token(
    token: str, secret: str | None = None, max_age: timedelta = UNSUBSCRIBE_MAX_AGE
) -> int:
    serializer = _serializer(secret or current_app.config["SECRET_KEY"])
    try:
        payload = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise UnsubscribeTokenError(expired=True) from exc
    except BadSignature as exc:
        raise UnsubscribeTokenError(expired=False) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise UnsubscribeTokenError(expired=False)
    return payload["u"]


def unsubscribe_url(user_id: int) -> str:
    return site_url("unsubscribe.confirm", token=make_unsubscribe_token(user_id))


def unsubscribe(user_id: int) -> User:
    """Turn a member's digest off (the one-click link). Commits once; repeating is harmless."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("That account no longer exists, so there is nothing to unsubscribe.")
    if user.digest_frequency != DigestFrequency.OFF.value:
        set_digest_frequency(user, DigestFrequency.OFF.value)
    return user


def member_for_unsubscribe(user_id: int) -> User | None:
    return db.session.get(User, user_id)


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
