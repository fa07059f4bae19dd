"""How long cases wait for a person: the queue's waiting times and response-time panel.

Time to first action = from the case's opening (for urgent cases, from when it became urgent)
to the first audit entry a moderator wrote about it (a claim, a decision, a note). Cases
nobody has acted on yet are counted as waiting, not left out silently. Appeals are a lane of
their own: from the member's appeal to a moderator's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, func, literal, null, select, union_all

from ..extensions import db
from ..models import APPEALS_LANE, Appeal, AuditEntry, ModerationCase, UTCDateTime, utcnow
from .queue import CASE_LANES

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
    oldest = now - timedelta(days=max(WINDOWS))
    cases = (
        select(ModerationCase.lane.label("lane"), ModerationCase.created_at.label("created_at"),
               ModerationCase.urgent_since.label("urgent_since"),
               first_action.c.acted_at.label("acted_at"))
        .outerjoin(first_action, first_action.c.case_id == ModerationCase.id)
        .where(ModerationCase.created_at >= oldest)
    )
    appeals = (  # answered = acted on
        select(literal(APPEALS_LANE, type_=String), Appeal.created_at,
               null().cast(UTCDateTime), Appeal.resolved_at)
        .where(Appeal.created_at >= oldest)
    )
    rows = db.session.execute(union_all(cases, appeals)).all()
    result: dict[int, dict[str, LaneTimes]] = {}
    for days in WINDOWS:
        since = now - timedelta(days=days)
        by_lane: dict[str, LaneTimes] = {}
        for lane in (*CASE_LANES, APPEALS_LANE):
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
