"""Test data builders that go through the real use cases."""

from __future__ import annotations

import itertools

from sqlalchemy import func, select

from forum import accounts, posting
from forum.extensions import db
from forum.models import User

_counter = itertools.count(1)
PASSWORD = "correct horse battery"


def make_user(username: str | None = None, role: str = "member", password: str = PASSWORD,
              verified: bool = True) -> User:
    """A member; verified (address confirmed) unless asked otherwise, as most tests assume."""
    n = next(_counter)
    username = username or f"member{n}"
    return accounts.create_user(username, f"{username.lower()}@example.test", password, role=role,
                                allow_reserved=True, verified=verified)


# The one category everyone may read by default (forum/models/defaults.py): tests about what
# anonymous visitors see use it; the members-only categories are tested in test_audience.py.
PUBLIC_CATEGORY = "healing-and-self-care"


def make_thread(author: User, title: str = "Day 30 of No Contact", body: str = "Some days are easier.",
                category: str = PUBLIC_CATEGORY, content_warning: str | None = None):
    return posting.create_thread(author, category, title, body, content_warning=content_warning)


def make_reply(author: User, thread_id: int, body: str = "You're not alone in this."):
    return posting.reply(author, thread_id, body)


def count(model) -> int:
    """How many rows the model's table has."""
    return db.session.scalar(select(func.count()).select_from(model))
