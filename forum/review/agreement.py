"""How well screening agrees with moderators, per week and category: where to retrain.

* holds: automatic holds that moderators approved (screening was wrong) or rejected (right);
  precision as moderators see it = rejected / (approved + rejected)
* misses: published posts that members reported and moderators removed
* nudges: nudges shown, and how many the author followed with a rewrite that passed
* escalations: posts sent to the urgent lane, and how many a moderator has acted on

Weeks are ISO weeks (Monday 00:00 UTC). Rows are aggregated here, not in SQL, so SQLite and
PostgreSQL count alike; a constant number of queries whatever the volume.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import CaseStatus, Lane, ModerationCase, NudgeEvent, utcnow

DEFAULT_WEEKS = 8
NO_CATEGORY = "none"


@dataclass
class AgreementRow:
    week: date
    category: str
    holds_approved: int = 0
    holds_rejected: int = 0
    misses: int = 0
    nudges: int = 0
    nudges_revised: int = 0
    escalations: int = 0
    escalations_handled: int = 0

    @property
    def precision(self) -> float | None:
        decided = self.holds_approved + self.holds_rejected
        return self.holds_rejected / decided if decided else None


def _week(moment: datetime) -> date:
    day = moment.date()
    return day - timedelta(days=day.weekday())


def agreement(weeks: int = DEFAULT_WEEKS, now: datetime | None = None) -> list[AgreementRow]:
    """Rows per (week, category) over the last ``weeks`` ISO weeks, newest week first."""
    now = now or utcnow()
    first_week = _week(now) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_week, datetime.min.time(), tzinfo=now.tzinfo)
    rows: dict[tuple[date, str], AgreementRow] = {}

    def row(moment: datetime, category: str | None) -> AgreementRow:
        key = (_week(moment), category or NO_CATEGORY)
        if key not in rows:
            rows[key] = AgreementRow(*key)
        return rows[key]

    cases = db.session.execute(
        select(
            ModerationCase.lane,
            ModerationCase.status,
            ModerationCase.category,
            ModerationCase.resolution_category,
            ModerationCase.escalate,
            ModerationCase.created_at,
            ModerationCase.resolved_at,
            ModerationCase.resolved_by_id,
            ModerationCase.claimed_by_id,
        ).where(ModerationCase.created_at >= since)
    ).all()
    for (
        lane,
        status,
        category,
        resolution_category,
        escalate,
        created_at,
        resolved_at,
        resolved_by,
        claimed_by,
    ) in cases:
        by_moderator = resolved_by is not None
        if lane == Lane.HELD.value and by_moderator:
            target = row(created_at, category)
            if status == CaseStatus.APPROVED.value:
                target.holds_approved += 1
            elif status == CaseStatus.REJECTED.value:
                target.holds_rejected += 1
        if lane == Lane.REPORTED.value and status == CaseStatus.REJECTED.value and by_moderator:
            row(resolved_at or created_at, resolution_category or category).misses += 1
        if escalate:
            target = row(created_at, "crisis")
            target.escalations += 1
            target.escalations_handled += by_moderator or claimed_by is not None
    nudges = db.session.execute(
        select(NudgeEvent.category, NudgeEvent.outcome, NudgeEvent.created_at).where(
            NudgeEvent.created_at >= since, NudgeEvent.outcome.is_distinct_from("renudged")
        )
    ).all()
    for category, outcome, created_at in nudges:
        target = row(created_at, category)
        target.nudges += 1
        target.nudges_revised += outcome == "revised"
    return sorted(rows.values(), key=lambda r: (-r.week.toordinal(), r.category))


def weekly_totals(rows: list[AgreementRow]) -> list[AgreementRow]:
    """The same figures summed over categories, one row per week (oldest first, for charts)."""
    totals: dict[date, AgreementRow] = defaultdict(lambda: AgreementRow(date.min, "all"))
    for item in rows:
        total = totals[item.week]
        total.week = item.week
        for field in fields(AgreementRow)[2:]:
            setattr(total, field.name, getattr(total, field.name) + getattr(item, field.name))
    return [totals[week] for week in sorted(totals)]


def agreement_csv(rows: list[AgreementRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    names = [field.name for field in fields(AgreementRow)]
    writer.writerow([*names, "precision"])
    for item in rows:
        precision = item.precision
        writer.writerow(
            [
                *(getattr(item, name) for name in names),
                "" if precision is None else f"{precision:.3f}",
            ]
        )
    return out.getvalue()
