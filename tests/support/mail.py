"""A stand-in for the SMTP transport that keeps account emails in a list (MAIL_TRANSPORT).

tests/smtp/ sends the same emails through a real SMTP server.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

LINK = re.compile(r"https?://\S+")


class Outbox(list):
    """Call it with the app config to get a transport; sent messages land in the list."""

    def __call__(self, config) -> Outbox:
        return self

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def send(self, message: EmailMessage) -> None:
        self.append(message)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self if m["To"] == address]


def body(message: EmailMessage) -> str:
    return message.get_content()


def link_in(message: EmailMessage, path_part: str) -> str:
    """The path (and token) of the first link in the message containing `path_part`."""
    for url in LINK.findall(body(message)):
        if path_part in url:
            return "/" + url.split("/", 3)[3]
    raise AssertionError(f"no link with {path_part!r} in: {body(message)}")
