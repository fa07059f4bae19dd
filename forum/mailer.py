"""SMTP transport only: opens a connection, sends prepared messages, closes.

What to send and when is forum/digest/'s business. Two kinds of failure are kept apart so the
caller can decide: `MailServerUnavailable` (can't connect, log in, start TLS, or the connection
dropped: nothing more can be sent right now) and `MessageRejected` (the server refused this one
message; others may still go through).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any, NoReturn


class MailError(RuntimeError):
    """Base class for delivery problems."""


class MailServerUnavailable(MailError):
    """The mail server can't be reached or used right now."""


class MessageRejected(MailError):
    """The server refused one message (bad recipient, temporary failure, …)."""


class SmtpTransport:
    """One reusable SMTP connection. Use as a context manager, or call open()/close()."""

    def __init__(
        self,
        host: str,
        port: int,
        use_tls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.use_tls = use_tls
        self.username = username
        self.password = password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpTransport:
        return cls(
            host=config["MAIL_SERVER"],
            port=int(config["MAIL_PORT"]),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
            timeout=float(config.get("MAIL_TIMEOUT", 30.0)),
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def is_open(self) -> bool:
        return self._smtp is not None

    def open(self) -> None:
        """Connect (and STARTTLS, and log in) unless already connected."""
        if self._smtp is not None:
            return
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailServerUnavailable(
                f"could not connect to the mail server at {self.address}: {exc}"
            ) from exc
        try:
            smtp.ehlo()
            if self.use_tls:
                # Never fall back to plain text when TLS was asked for.
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            _quietly_close(smtp)
            raise MailServerUnavailable(
                f"the mail server at {self.address} could not be used: {exc}"
            ) from exc
        self._smtp = smtp

    def send_with_one_retry(self, message: EmailMessage) -> None:
        """Send; after a dropped connection or a busy answer, reconnect and try once more
        (servers that limit messages per connection). Raises like ``send``."""
        try:
            self.send(message)
        except MailServerUnavailable:
            self.close()
            self.open()  # raises MailServerUnavailable when the server is still away
            self.send(message)

    def send(self, message: EmailMessage) -> None:
        """Send one message; raises MessageRejected or MailServerUnavailable."""
        self.open()
        assert self._smtp is not None
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            self._raise_for_codes([code for code, _ in exc.recipients.values()], _describe(exc))
        except smtplib.SMTPSenderRefused as exc:
            # The sender address is refused: every other message would fail the same way.
            self._reset()
            raise MailServerUnavailable(
                f"the mail server at {self.address} refused the sender address: {_describe(exc)}"
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            self._raise_for_codes([exc.smtp_code], _describe(exc))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            raise MailServerUnavailable(
                f"lost the connection to the mail server at {self.address}: {exc}"
            ) from exc
        except smtplib.SMTPException as exc:
            self._reset()
            raise MessageRejected(_describe(exc)) from exc
        if refused:
            self._raise_for_codes([code for code, _ in refused.values()],
                                  f"recipient refused: {refused}")

    def _raise_for_codes(self, codes: list[int], description: str) -> NoReturn:
        """5xx is a permanent refusal of this message; anything else (4xx: try again later,
        421: the server is closing) is the server's state, not the message's."""
        if codes and all(500 <= code < 600 for code in codes):
            raise MessageRejected(description)
        self.close()
        raise MailServerUnavailable(
            f"the mail server at {self.address} asked us to try again later: {description}"
        )

    def _reset(self) -> None:
        # After a refused transaction, RSET so the next message starts clean.
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            smtp, self._smtp = self._smtp, None
            _quietly_close(smtp)

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _quietly_close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _describe(exc: smtplib.SMTPException) -> str:
    code = getattr(exc, "smtp_code", None)
    error = getattr(exc, "smtp_error", None)
    if isinstance(error, bytes):
        error = error.decode("utf-8", "replace")
    if code is not None:
        return f"{code} {error}"
    return str(exc)
