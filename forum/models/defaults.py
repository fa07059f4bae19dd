"""The forum's standing categories, created on first run (and by the first migration)."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .base import CategoryVisibility
from .community import Category

DEFAULT_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("introductions", "Introductions", "New here? Say hello, share as much or as little as you like."),
    ("going-no-contact", "Going No Contact", "Deciding, planning and taking the step."),
    ("breaking-or-keeping-nc", "Breaking or keeping No Contact",
     "Hoovers, slips, going back, holding the line. No judgement here."),
    ("low-contact", "Low Contact", "Boundaries, gray rock and limited contact."),
    ("holidays-and-family-events", "Holidays and family events",
     "Birthdays, weddings, funerals and the seasons that are hard."),
    ("flying-monkeys", "Flying monkeys and smear campaigns",
     "When others carry messages or spread stories."),
    ("healing-and-self-care", "Healing and self-care", "Therapy, rest, small wins, rebuilding."),
)

# Members tell their stories in every category but this one: those are for signed-in members
# only, so someone searching for a member's story finds nothing (a moderator can change it).
PUBLIC_CATEGORIES: frozenset[str] = frozenset({"healing-and-self-care"})


def default_visibility(slug: str) -> str:
    if slug in PUBLIC_CATEGORIES:
        return CategoryVisibility.EVERYONE.value
    return CategoryVisibility.MEMBERS.value


def ensure_default_categories() -> int:
    """Insert missing default categories; returns how many were added. Caller commits."""
    existing = set(db.session.scalars(select(Category.slug)))
    added = 0
    for position, (slug, name, description) in enumerate(DEFAULT_CATEGORIES):
        if slug not in existing:
            db.session.add(Category(slug=slug, name=name, description=description,
                                    position=position, visibility=default_visibility(slug)))
            added += 1
    return added
