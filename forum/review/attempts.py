"""Blocked attempts: texts screening refused (threats, doxxing), seen by moderators.

Nothing blocked is ever published, and the author sees only the kind nudge. But moderators must
know that someone tried to post an address or a threat: `record_blocked_attempt` keeps the
attempted text in `blocked_attempts` (read only on the moderators' pages and API), which the
queue shows in the urgent lane, and writes an audit entry (rule ids and category, never the
text). When one account has REPEATED_BLOCKS blocked attempts within REPEATED_BLOCKS_WINDOW, the
member is flagged (`users.attempts_flagged_at`, set once in SQL, audited); the flag shows in
the queue and on the member's moderation page until a moderator clears it.

A block stays a block: nothing here exempts the author's next text from screening.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    BlockedAttempt,
    CaseStatus,
    Post,
    Sanction,
    Thread,
    User,
    utcnow,
)
from ..reading import one_or_not_found
from ..screening import Screening, screening_off
from .audit import audit
from .decisions import clean_reason, require_staff

CLOSED = "closed"  # a moderator has looked at it
REPEATED_BLOCKS = 3
REPEATED_BLOCKS_WINDOW = timedelta(hours=24)
RECENT = 20


def record_blocked_attempt(author: User, target: str, text: str, verdict: Screening, *,
                           thread_id: int | None = None, post_id: int | None = None,
                           parent_id: int | None = None) -> BlockedAttempt | None:
    """Keep a blocked text for moderators, audit it, flag repeated attempts. Commits its own
    rows (the use case has only read so far, and then refuses the post)."""
    if author is None or screening_off():
        return None
    now = utcnow()
    attempt = BlockedAttempt(
        user_id=author.id, target=target, thread_id=thread_id, post_id=post_id,
        parent_id=parent_id, text=text, category=verdict.category,
        reasons=list(verdict.reasons), rule_hits=[dict(hit) for hit in verdict.rule_hits],
        scores=dict(verdict.scores), model_version=verdict.model_version,
        status=CaseStatus.OPEN.value, created_at=now,
    )
    db.session.add(attempt)
    db.session.flush()
    # Rule ids and the category only: the audit log is append-only, so it never holds text.
    audit("blocked_attempt", user_id=author.id, post_id=post_id, attempt_id=attempt.id,
          target=target, category=verdict.category,
          rules=sorted({str(hit.get("rule_id", "")) for hit in verdict.rule_hits} - {""}))
    recent = db.session.scalar(
        select(func.count()).select_from(BlockedAttempt).where(
            BlockedAttempt.user_id == author.id,
            BlockedAttempt.created_at >= now - REPEATED_BLOCKS_WINDOW,
        )
    )
    if recent >= REPEATED_BLOCKS:
        flagged = db.session.execute(
            update(User).where(User.id == author.id, User.attempts_flagged_at.is_(None))
            .values(attempts_flagged_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if flagged:
            audit("member_flagged", user_id=author.id, attempts=recent,
                  window_hours=int(REPEATED_BLOCKS_WINDOW.total_seconds() // 3600))
    db.session.commit()
    return attempt


def _with_context(query):
    return query.options(
        joinedload(BlockedAttempt.author),
        joinedload(BlockedAttempt.thread).joinedload(Thread.category),
        joinedload(BlockedAttempt.parent).joinedload(Post.author),
        joinedload(BlockedAttempt.resolved_by),
    )


def open_attempts(limit: int = 100) -> list[BlockedAttempt]:
    """Open blocked attempts, oldest first (the urgent lane shows them above its cases)."""
    return list(db.session.scalars(
        _with_context(select(BlockedAttempt))
        .where(BlockedAttempt.status == CaseStatus.OPEN.value)
        .order_by(BlockedAttempt.created_at, BlockedAttempt.id)
        .limit(limit)
    ).unique())


def open_attempt_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(BlockedAttempt)
        .where(BlockedAttempt.status == CaseStatus.OPEN.value)
    ) or 0


def get_attempt(attempt_id: int) -> BlockedAttempt:
    return one_or_not_found(
        _with_context(select(BlockedAttempt)).where(BlockedAttempt.id == attempt_id),
        "There is no such blocked attempt.",
    )


def close_attempt(moderator: User, attempt_id: int, reason: object = None) -> BlockedAttempt:
    """A moderator has looked at a blocked attempt (the text stays, as the record)."""
    require_staff(moderator)
    attempt = get_attempt(attempt_id)
    reason = clean_reason(reason, required=False)
    now = utcnow()
    closed = db.session.execute(
        update(BlockedAttempt)
        .where(BlockedAttempt.id == attempt.id, BlockedAttempt.status == CaseStatus.OPEN.value)
        .values(status=CLOSED, resolved_by_id=moderator.id, resolved_at=now,
                resolution_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if closed:
        audit("attempt_closed", actor_id=moderator.id, user_id=attempt.user_id,
              attempt_id=attempt.id, reason=reason)
    db.session.commit()
    db.session.expire(attempt)
    return attempt


def clear_flag(moderator: User, user_id: int, reason: object = None) -> User:
    require_staff(moderator)
    member = one_or_not_found(select(User).where(User.id == user_id), "There is no such member.")
    reason = clean_reason(reason, required=False)
    cleared = db.session.execute(
        update(User).where(User.id == member.id, User.attempts_flagged_at.is_not(None))
        .values(attempts_flagged_at=None).execution_options(synchronize_session=False)
    ).rowcount
    if cleared:
        audit("flag_cleared", actor_id=moderator.id, user_id=member.id, reason=reason)
    db.session.commit()
    db.session.expire(member)
    return member


@dataclass(frozen=True)
class MemberRecord:
    member: User
    attempts: list[BlockedAttempt]  # newest first
    attempts_in_window: int
    sanctions: list[Sanction]
    posts: list[Post]  # newest first


def member_record(moderator: User, user_id: int) -> MemberRecord:
    """What a moderator sees about one member: flag, blocked attempts, sanctions, posts."""
    require_staff(moderator)
    member = one_or_not_found(select(User).where(User.id == user_id), "There is no such member.")
    attempts = list(db.session.scalars(
        _with_context(select(BlockedAttempt)).where(BlockedAttempt.user_id == member.id)
        .order_by(BlockedAttempt.id.desc()).limit(RECENT)
    ).unique())
    in_window = db.session.scalar(
        select(func.count()).select_from(BlockedAttempt).where(
            BlockedAttempt.user_id == member.id,
            BlockedAttempt.created_at >= utcnow() - REPEATED_BLOCKS_WINDOW,
        )
    ) or 0
    sanctions = list(db.session.scalars(
        select(Sanction).options(joinedload(Sanction.moderator))
        .where(Sanction.user_id == member.id).order_by(Sanction.id.desc())
    ))
    posts = list(db.session.scalars(
        select(Post).options(joinedload(Post.thread)).where(Post.author_id == member.id)
        .order_by(Post.id.desc()).limit(RECENT)
    ))
    return MemberRecord(member=member, attempts=attempts, attempts_in_window=in_window,
                        sanctions=sanctions, posts=posts)
