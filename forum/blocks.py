"""Private blocks: who blocked whom, and the one check every write path makes.

A member who blocks someone stops seeing their posts and threads; the blocked member can no
longer write to them: no reply in the blocker's threads, no reply to the blocker's posts
anywhere (`parent_id`), no edit of an earlier reply in the blocker's thread or to the blocker's
post, no report and no support reaction on the blocker's posts — on the pages and in the API.

The blocked member is never told. Their view of the thread stays as it was (the reply form,
reply links, support and report buttons), and a refused write gets `NOT_POSTED`, the same
neutral answer the forum gives when a post can no longer be answered (its parent was deleted
or hidden since the page was loaded): nothing in the words, the status (403) or the page says
"blocked".

Blocking and unblocking by name answer the same for a name that does not exist, so these
routes don't tell anyone who is a member (they are rate-limited as lookups too).
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from .errors import Forbidden, InvalidInput
from .extensions import db
from .models import Block, User, utcnow

# One neutral sentence for every write a block refuses (and for a reply whose parent is gone).
NOT_POSTED = "Sorry — that couldn't go through right now. Your words are still here if you'd like to keep them."


def blocked_by_any(user: User, owner_ids: set[int | None]) -> bool:
    """Whether any of these members (other than ``user``) has blocked ``user``. One query."""
    others = {owner for owner in owner_ids if owner is not None and owner != user.id}
    if not others:
        return False
    return db.session.scalar(
        select(func.count()).select_from(Block).where(
            Block.blocker_id.in_(others), Block.blocked_id == user.id
        )
    ) > 0


def ensure_may_write(user: User, *owner_ids: int | None) -> None:
    """Refuse, neutrally, a write that reaches a member who blocked ``user``."""
    if blocked_by_any(user, set(owner_ids)):
        raise Forbidden(NOT_POSTED)


def _member_named(username: object) -> User | None:
    if not isinstance(username, str) or not username.strip():
        return None
    return db.session.scalar(select(User).where(User.username_key == username.strip().lower()))


def block_member(blocker: User, username: str) -> str:
    """Block a member by name; returns the name as given (not as stored). Commits once.

    An unknown name answers exactly like a known one (nothing is stored): the answer must not
    tell anyone whether an account exists.
    """
    target = _member_named(username)
    if target is not None and target.id == blocker.id:
        raise InvalidInput("You can't block yourself.")
    if target is not None and db.session.get(Block, (blocker.id, target.id)) is None:
        db.session.add(Block(blocker_id=blocker.id, blocked_id=target.id, created_at=utcnow()))
        db.session.commit()
    return str(username).strip()


def unblock_member(blocker: User, username: str) -> str:
    """Unblock a member by name (an unknown name, or one not blocked, changes nothing)."""
    target = _member_named(username)
    if target is not None:
        db.session.execute(
            delete(Block).where(Block.blocker_id == blocker.id, Block.blocked_id == target.id)
        )
        db.session.commit()
    return str(username).strip()
