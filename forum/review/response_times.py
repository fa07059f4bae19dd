"""How long cases wait for a person: the queue's waiting times and response-time panel.

Time to first action = from the case's opening (for urgent cases, from when it became urgent)
to the first audit entry a moderator wrote about it (a claim, a decision, a note). Cases
nobody has acted on yet are counted as waiting, not left out silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditEntry, ModerationCase, utcnow
from .queue import LANES

WINDOWS = (7, 30)  # days


@dataclass(frozen=True)
class LaneTimes:
    acted_on: int
    waiting: int
    median: timedelta | None
    p90: timedelta | None


def _percentile(values: list[timedelta], q: float) -> timedelta | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def response_times(now: datetime | None = None) -> dict[int, dict[str, LaneTimes]]:
    """{days: {lane: LaneTimes}} for the cases opened in the last 7 and 30 days."""
    now = now or utcnow()
    first_action = (
        select(AuditEntry.case_id, func.min(AuditEntry.created_at).label("acted_at"))
        .where(AuditEntry.actor_id.is_not(None), AuditEntry.case_id.is_not(None))
        .group_by(AuditEntry.case_id)
        .subquery()
    )
    rows = db.session.execute(
        select(ModerationCase.lane, ModerationCase.created_at, ModerationCase.urgent_since,
               first_action.c.acted_at)
        .outerjoin(first_action, first_action.c.case_id == ModerationCase.id)
        .where(ModerationCase.created_at >= now - timedelta(days=max(WINDOWS)))
    ).all()
    result: dict[int, dict[str, LaneTimes]] = {}
    for days in WINDOWS:
        since = now - timedelta(days=days)
        by_lane: dict[str, LaneTimes] = {}
        for lane in LANES:
            durations, waiting = [], 0
            for row_lane, created_at, urgent_since, acted_at in rows:
                if row_lane != lane or created_at < since:
                    continue
                if acted_at is None:
                    waiting += 1
                    continue
                start = urgent_since if lane == "urgent" and urgent_since else created_at
                durations.append(max(acted_at - start, timedelta(0)))
            by_lane[lane] = LaneTimes(len(durations), waiting, _percentile(durations, 0.5),
                                      _percentile(durations, 0.9))
        result[days] = by_lane
    return result
