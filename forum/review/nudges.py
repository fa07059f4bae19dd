"""Nudges: an author was shown kind words instead of a stored post; what did they do next?

`record_nudge` remembers the nudge (its own small commit: the use case has only read so far);
`follow_up` closes it when the author's next post on the same target arrives ("revised" when
the new text was published, "submitted" when they sent it for review anyway); `nudge_stats`
sums it up for the moderators' queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import NudgeEvent, Post, utcnow
from ..screening import Screening, screening_off

# A nudge counts as followed up by the author's next post on the same target within this time.
NUDGE_FOLLOW_UP = timedelta(hours=6)


def nudge_target(kind: str, ident: int | None = None) -> str:
    """What an author is writing: ("thread",) → "thread:new"; ("reply", 5) → "reply:5"."""
    return f"{kind}:{'new' if ident is None else ident}"


def _target_of(post: Post) -> str:
    if post.edited_at is not None:
        return nudge_target("edit", post.id)
    if post.is_opening:
        return nudge_target("thread")
    return nudge_target("reply", post.thread_id)


def record_nudge(author: Any, target: str, verdict: Screening) -> None:
    """The author is about to see a nudge instead of a stored post. Commits its own row.

    Nothing else is pending in the session at this point: the use case has only read.
    """
    if author is None or screening_off():
        return
    now = utcnow()
    db.session.execute(
        update(NudgeEvent)
        .where(NudgeEvent.user_id == author.id, NudgeEvent.target == target,
               NudgeEvent.outcome.is_(None))
        .values(outcome="renudged", resolved_at=now)
    )
    db.session.add(NudgeEvent(
        user_id=author.id, target=target, decision=verdict.decision, category=verdict.category,
        created_at=now,
    ))
    db.session.commit()


def follow_up(post: Post, verdict: Screening) -> bool:
    """Close the author's pending nudge for this target; True if they submitted anyway."""
    now = utcnow()
    pending = db.session.scalar(
        select(NudgeEvent)
        .where(NudgeEvent.user_id == post.author_id, NudgeEvent.target == _target_of(post),
               NudgeEvent.outcome.is_(None), NudgeEvent.created_at >= now - NUDGE_FOLLOW_UP)
        .order_by(NudgeEvent.id.desc())
        .limit(1)
    )
    if pending is None:
        return False
    submitted_anyway = verdict.decision != "publish"
    pending.outcome = "submitted" if submitted_anyway else "revised"
    pending.post_id = post.id
    pending.resolved_at = now
    return submitted_anyway


@dataclass(frozen=True)
class NudgeStats:
    days: int
    shown: int  # nudges whose outcome is known or still pending (re-nudges not counted twice)
    revised: int  # the author changed the text and it was published
    submitted: int  # sent for review anyway
    pending: int  # nothing posted (yet)

    @property
    def revised_rate(self) -> float | None:
        return self.revised / self.shown if self.shown else None


def nudge_stats(days: int = 30) -> NudgeStats:
    since = utcnow() - timedelta(days=days)
    rows = {
        outcome or "pending": count
        for outcome, count in db.session.execute(
            select(NudgeEvent.outcome, func.count())
            .where(NudgeEvent.created_at >= since)
            .group_by(NudgeEvent.outcome)
        ).all()
    }
    revised, submitted, pending = rows.get("revised", 0), rows.get("submitted", 0), rows.get("pending", 0)
    return NudgeStats(days=days, shown=revised + submitted + pending, revised=revised,
                      submitted=submitted, pending=pending)
