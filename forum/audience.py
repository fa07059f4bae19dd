"""Who may read a category's threads: its visibility (everyone, members, trusted) and the reader.

The one owner of that rule. `readable_categories` is SQL that the reading queries (pages, API,
post history), the digest and the category listings all use, so a thread in a category the
reader may not open is simply not found: it answers exactly like a missing one (404), and
outsiders learn nothing, not even that it exists.

* everyone — anyone, signed in or not.
* members  — any signed-in member, whatever their trust level.
* trusted  — members at trust level `trusted` (forum/trust.py), and moderators.
Moderators read everything. A member always sees their own threads (they wrote them), even in
a category that was closed to them later.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true

from . import trust
from .models import Category, CategoryVisibility, TrustLevel, User

EVERYONE = CategoryVisibility.EVERYONE.value
MEMBERS = CategoryVisibility.MEMBERS.value
TRUSTED = CategoryVisibility.TRUSTED.value
VISIBILITIES: tuple[str, ...] = tuple(value.value for value in CategoryVisibility)

LABELS = {
    EVERYONE: "Everyone, including visitors who aren't signed in",
    MEMBERS: "Signed-in members only",
    TRUSTED: "Trusted members only",
}


def _signed_in(viewer: User | None) -> bool:
    return viewer is not None and viewer.is_authenticated


def category_condition(viewer: User | None) -> ColumnElement[bool]:
    """SQL on `Category`: the categories ``viewer`` may read."""
    if not _signed_in(viewer):
        return Category.visibility == EVERYONE
    if viewer.is_staff:
        return true()
    return or_(
        Category.visibility.in_((EVERYONE, MEMBERS)),
        (Category.visibility == TRUSTED) & trust.is_trusted_condition(viewer),
    )


def readable_category_ids(viewer: User | None):
    """A subquery of the ids of categories ``viewer`` may read."""
    return select(Category.id).where(category_condition(viewer))


def may_read(viewer: User | None, category: Category) -> bool:
    """The same rule in Python, for one category already loaded."""
    if category.visibility == EVERYONE:
        return True
    if not _signed_in(viewer):
        return False
    if viewer.is_staff or category.visibility == MEMBERS:
        return True
    return trust.level_of(viewer) == TrustLevel.TRUSTED.value


def closed_message(viewer: User | None, category: Category) -> str:
    """What a reader who may not open a category is told (kindly; nothing about its threads)."""
    if not _signed_in(viewer):
        return ("Threads here are for signed-in members, so that people's stories stay within "
                "the community. Please sign in or join to read them.")
    return ("Threads here open up to members who have been part of the forum for a little "
            "while. Thank you for your patience; it helps keep everyone here safe.")
