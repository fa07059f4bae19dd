"""Moderators' use cases for who reads what: a category's visibility, a member's trust level.

Each is one transaction with an audit entry (forum/review/audit.py). Pages (/mod/access) and
the CLI (`flask categories visibility`, `flask trust set`) are thin callers of these.
"""

from __future__ import annotations

from sqlalchemy import select

from . import audience, trust
from .errors import InvalidInput
from .extensions import db
from .models import Category, User
from .reading import get_category, list_categories, user_by_username
from .review.audit import audit
from .review.decisions import require_staff

AUTOMATIC = "auto"  # a moderator's choice to drop their override: time and posts decide again


def set_category_visibility(moderator: User, slug: object, visibility: object) -> Category:
    require_staff(moderator)
    if not isinstance(visibility, str) or visibility not in audience.VISIBILITIES:
        raise InvalidInput(
            f"Visibility must be one of: {', '.join(audience.VISIBILITIES)}.", field="visibility"
        )
    if not isinstance(slug, str) or not slug.strip():
        raise InvalidInput("Which category? Please give its slug.", field="category")
    category = get_category(slug.strip())
    before = category.visibility
    if before != visibility:
        category.visibility = visibility
        audit("category_visibility_set", actor_id=moderator.id, category=category.slug,
              before=before, after=visibility)
        db.session.commit()
    return category


def set_trust_level(moderator: User, username: object, level: object) -> tuple[User, trust.Standing]:
    """Set a member's trust level, or "auto" to let time and published posts decide again."""
    require_staff(moderator)
    choices = (*trust.LEVELS, AUTOMATIC)
    if not isinstance(level, str) or level not in choices:
        raise InvalidInput(f"The trust level must be one of: {', '.join(choices)}.", field="level")
    if not isinstance(username, str) or not username.strip():
        raise InvalidInput("Which member? Please give a username.", field="username")
    member = user_by_username(username)
    before = member.trust_level_override or AUTOMATIC
    member.trust_level_override = None if level == AUTOMATIC else level
    if before != level:
        audit("trust_level_set", actor_id=moderator.id, user_id=member.id, before=before,
              after=level)
    db.session.commit()
    return member, trust.standing(member)


def member_standing(moderator: User, username: object) -> tuple[User, trust.Standing]:
    require_staff(moderator)
    if not isinstance(username, str) or not username.strip():
        raise InvalidInput("Which member? Please give a username.", field="username")
    member = user_by_username(username)
    return member, trust.standing(member)


def categories_for_moderators(moderator: User) -> list[Category]:
    require_staff(moderator)
    return list_categories()


def members_with_override(moderator: User) -> list[User]:
    """Members whose level a moderator has set (for the moderators' page)."""
    require_staff(moderator)
    return list(db.session.scalars(
        select(User).where(User.trust_level_override.is_not(None)).order_by(User.username_key)
    ))
