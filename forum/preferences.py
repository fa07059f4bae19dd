"""A member's own settings and safety lists: digest mutes, whom they blocked, what they supported.

Writers are use cases (validate first, one commit); readers answer in one query each, so the
pages that use them keep a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from .accounts import checked_digest_frequency
from .errors import InvalidInput
from .extensions import db
from .models import Block, Category, CategoryMute, Support, Thread, User


def _categories_for(slugs: Iterable[object]) -> list[Category]:
    wanted = []
    for slug in slugs:
        if not isinstance(slug, str):
            raise InvalidInput("Categories are named by their slug.", field="muted")
        if slug not in wanted:
            wanted.append(slug)
    if not wanted:
        return []
    found = list(db.session.scalars(select(Category).where(Category.slug.in_(wanted))))
    unknown = sorted(set(wanted) - {c.slug for c in found})
    if unknown:
        raise InvalidInput(f"There is no category called {unknown[0]!r}.", field="muted")
    return found


def _replace_mutes(user: User, categories: list[Category]) -> None:
    db.session.execute(delete(CategoryMute).where(CategoryMute.user_id == user.id))
    db.session.add_all(CategoryMute(user_id=user.id, category_id=c.id) for c in categories)


def set_muted_categories(user: User, slugs: Iterable[object]) -> list[Category]:
    """Replace the categories the member leaves out of their digest. Commits once."""
    categories = _categories_for(slugs)
    _replace_mutes(user, categories)
    db.session.commit()
    return categories


def save_digest_settings(user: User, frequency: object, muted_slugs: Iterable[object]) -> None:
    """The settings page's digest form: frequency and mutes checked together, written together."""
    frequency = checked_digest_frequency(frequency)
    categories = _categories_for(muted_slugs)
    user.digest_frequency = frequency
    _replace_mutes(user, categories)
    db.session.commit()


def muted_category_slugs(user: User) -> list[str]:
    return list(db.session.scalars(
        select(Category.slug)
        .join(CategoryMute, CategoryMute.category_id == Category.id)
        .where(CategoryMute.user_id == user.id)
        .order_by(Category.position)
    ))


def blocked_members(user: User) -> list[User]:
    """Members this member has blocked, by name."""
    return list(db.session.scalars(
        select(User)
        .join(Block, Block.blocked_id == User.id)
        .where(Block.blocker_id == user.id)
        .order_by(User.username_key)
    ))


def supported_post_ids(user: User | None, post_ids: Iterable[int]) -> set[int]:
    """Which of these posts the member has already supported (for the toggle's label)."""
    ids = list(post_ids)
    if user is None or not user.is_authenticated or not ids:
        return set()
    return set(db.session.scalars(
        select(Support.post_id).where(Support.user_id == user.id, Support.post_id.in_(ids))
    ))


def may_reply(user: User | None, thread: Thread) -> bool:
    """Whether to show the reply form: signed in and not read-only.

    Blocks are deliberately left out: a blocked member's page looks the same as anyone's (the
    write itself is refused with a neutral answer, forum/blocks.py), so it can't reveal a block.
    """
    return user is not None and user.is_authenticated and not user.is_silenced()
