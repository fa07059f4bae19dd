"""The emails an account gets: confirm your address, you already have an account, reset.

Plain text, sent through the same SMTP settings as the digest (forum/mailer.py). Sending is
deferred until after the answer (forum/after_response.py), so the answer and its timing are the
same whichever email goes out, and a slow or absent mail server never slows a page.
`MAIL_TRANSPORT` in the config (a callable taking the config) replaces SMTP in tests.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template

from .links import site_url
from .mailer import MailError, SmtpTransport

log = logging.getLogger(__name__)
SITE_NAME = "No Contact Forum"


def _message(to: str, subject: str, template: str, **context: Any) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = urlsplit(config["BASE_URL"]).hostname or "localhost"
    message["Message-ID"] = make_msgid(idstring="account", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_template(template, site_name=SITE_NAME, **context))
    return message


def send(message: EmailMessage) -> None:
    """Deliver one message now; a failure is logged (the member can ask for another)."""
    config = current_app.config
    factory = config.get("MAIL_TRANSPORT")
    if factory is None:
        factory = SmtpTransport.from_config
    try:
        with factory(config) as transport:
            transport.send(message)
    except MailError as error:
        log.warning("account email to a member could not be sent: %s", error)


def verification(to: str, username: str, token: str, hours: int) -> EmailMessage:
    return _message(
        to, f"Please confirm your address for {SITE_NAME}", "email/account_verify.txt",
        username=username, link=site_url("email_links.verify", token=token), hours=hours,
    )


def already_registered(to: str) -> EmailMessage:
    return _message(
        to, f"You already have a {SITE_NAME} account", "email/account_exists.txt",
        login_link=site_url("auth.login"), reset_link=site_url("email_links.reset_request"),
    )


def password_reset(to: str, username: str, token: str, minutes: int) -> EmailMessage:
    return _message(
        to, f"Choosing a new password for {SITE_NAME}", "email/account_reset.txt",
        username=username, link=site_url("email_links.reset_password", token=token),
        minutes=minutes,
    )
