"""A real SMTP server for tests: aiosmtpd on a free loopback port, collecting messages."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port nothing listens on right now (aiosmtpd can't be given port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps every accepted message; can refuse chosen ones."""

    def __init__(self, fail_on: set[int] | None = None, delay: float = 0.0,
                 refuse_on: set[int] | None = None, busy_from: int | None = None) -> None:
        self.fail_on = fail_on or set()  # 1-based numbers of DATA commands to answer 451 (later)
        self.refuse_on = refuse_on or set()  # ... to refuse for good (550)
        self.busy_from = busy_from  # from this DATA on, every one is answered 421 (going away)
        self.delay = delay
        self.attempts = 0
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[str] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            self.attempts += 1
            if self.attempts in self.fail_on:
                return "451 4.3.0 Temporary problem here, please try again later"
            if self.attempts in self.refuse_on:
                return "550 5.1.1 No such mailbox here"
            if self.busy_from is not None and self.attempts >= self.busy_from:
                return "421 4.3.2 Too busy, come back later"
            message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        if session.authenticated:
            self.logins.append(session.auth_data.login.decode())
        return "250 2.0.0 Message accepted"

    def recipients(self) -> list[str]:
        with self._lock:
            return [str(m["To"]) for m in self.messages]


class SmtpServer:
    def __init__(self, inbox: Inbox, port: int) -> None:
        self.inbox = inbox
        self.host = HOST
        self.port = port

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages


def accept_only(username: str, password: str):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == username and auth_data.password.decode() == password
        return AuthResult(success=ok, auth_data=auth_data)
    return authenticator


@contextmanager
def smtp_server(inbox: Inbox | None = None, **smtp_parameters) -> Iterator[SmtpServer]:
    inbox = inbox or Inbox()
    port = free_port()
    controller = Controller(inbox, hostname=HOST, port=port, **smtp_parameters)
    controller.start()
    try:
        yield SmtpServer(inbox, port)
    finally:
        controller.stop()
