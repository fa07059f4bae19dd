"""Digest periods: yesterday (UTC) for the daily digest, the last ISO week for the weekly one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from ..models import DigestFrequency, utcnow

FREQUENCIES = (DigestFrequency.DAILY.value, DigestFrequency.WEEKLY.value)


@dataclass(frozen=True)
class Period:
    frequency: str
    start: datetime
    end: datetime

    def describe(self) -> str:
        """'on Tuesday 4 March 2025' or 'in the week of 3–9 March 2025' (UTC)."""
        if self.frequency == DigestFrequency.DAILY.value:
            return f"on {_day(self.start, weekday=True)}"
        last = self.start + timedelta(days=6)
        if last.month == self.start.month:
            return f"in the week of {self.start.day}–{_day(last)}"
        return f"in the week of {_day(self.start)} – {_day(last)}"


def _day(value: datetime, weekday: bool = False) -> str:
    text = f"{value.day} {value:%B %Y}"
    return f"{value:%A} {text}" if weekday else text


def parse_now(text: str | None) -> datetime:
    """An ISO date-time (naive means UTC); None means the current time."""
    if not text:
        return utcnow()
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _period_start(frequency: str, moment: datetime) -> datetime:
    midnight = datetime.combine(moment.astimezone(UTC).date(), time(0), tzinfo=UTC)
    if frequency == DigestFrequency.DAILY.value:
        return midnight
    if frequency == DigestFrequency.WEEKLY.value:
        return midnight - timedelta(days=midnight.weekday())  # ISO weeks start on Monday
    raise ValueError(f"unknown digest frequency {frequency!r}")


def _length(frequency: str) -> timedelta:
    return timedelta(days=1) if frequency == DigestFrequency.DAILY.value else timedelta(days=7)


def period_before(frequency: str, now: datetime) -> Period:
    """The last complete period before `now`: yesterday (UTC), or last ISO week."""
    end = _period_start(frequency, now)
    return Period(frequency, end - _length(frequency), end)


def periods_to_catch_up(frequency: str, now: datetime, count: int) -> list[Period]:
    """The last ``count`` complete periods before ``now``, oldest first."""
    latest = period_before(frequency, now)
    step = _length(frequency)
    return [Period(frequency, latest.start - step * back, latest.end - step * back)
            for back in range(max(1, count) - 1, -1, -1)]


def period_in_progress(frequency: str, now: datetime) -> Period:
    """The period the member's next digest will cover, up to now (for the preview)."""
    return Period(frequency, _period_start(frequency, now), now)
