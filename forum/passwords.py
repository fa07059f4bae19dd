"""What makes a password acceptable: length, not a common password, not the member's own name.

The list of common passwords is Django's (forum/data/SOURCE.md): 19,640 passwords seen most
often in breaches, lower-cased. It is read once per process, on first use.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from .errors import InvalidInput

PASSWORD_MIN, PASSWORD_MAX = 10, 256
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"
# A name shorter than this inside a password is coincidence more often than a weakness.
SHORTEST_NAME_CHECKED = 3


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip() for line in handle if line.strip())


def is_common(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def check_password(password: object, username: str | None = None, email: str | None = None) -> str:
    """The password when it is acceptable; otherwise InvalidInput with a kind, specific message."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise InvalidInput(
            f"Passwords need at least {PASSWORD_MIN} characters. "
            "A few unrelated words make a long one that is easy to remember.",
            field="password",
        )
    if len(password) > PASSWORD_MAX:
        raise InvalidInput(
            f"Passwords can be at most {PASSWORD_MAX} characters.", field="password"
        )
    if is_common(password):
        raise InvalidInput(
            "That password is one of the most common ones, so it is among the first that "
            "anyone guessing would try. Please choose another — a few unrelated words work well.",
            field="password",
        )
    lowered = password.lower()
    local_part = email.partition("@")[0] if email else ""
    for name in (username or "", local_part):
        if len(name) >= SHORTEST_NAME_CHECKED and name.lower() in lowered:
            raise InvalidInput(
                "Please choose a password that doesn't contain your username or email "
                "address: those are the first things someone who knows you would try.",
                field="password",
            )
    return password
