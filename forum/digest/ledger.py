"""Sending each digest exactly once: the delivery ledger (see forum/digest/__init__.py)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, func, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..mailer import MailServerUnavailable, MessageRejected, SmtpTransport
from ..models import DigestDelivery, User, utcnow
from .compose import Digest, PeriodActivity, Recipient, compose_batch
from .message import build_message, new_message_id
from .periods import Period, period_before, periods_to_catch_up

BATCH_SIZE = 500  # members composed together: a constant number of queries per batch
CLAIM_CHUNK = 50  # rows claimed at a time, so a claim is always fresh when its mail goes out
ABANDONED_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 5  # a digest the server refused this often is left as 'failed'


class LedgerStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class SendReport:
    frequency: str
    period: Period
    total: int = 0  # members due when the run started
    sent: int = 0
    skipped: int = 0  # nothing new for them
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    aborted: str | None = None  # the mail server became unusable; the rest waits for the next run

    @property
    def done(self) -> int:
        return self.sent + self.skipped + self.failed

    @property
    def ok(self) -> bool:
        return self.aborted is None and self.failed == 0


def _claimable(now: datetime):
    return or_(
        DigestDelivery.status == LedgerStatus.PENDING.value,
        and_(DigestDelivery.status == LedgerStatus.FAILED.value,
             DigestDelivery.attempts < MAX_ATTEMPTS),
        and_(DigestDelivery.status == LedgerStatus.SENDING.value,
             DigestDelivery.claimed_at < now - ABANDONED_AFTER),
    )


def _due_recipients(period: Period):
    """Members on this frequency, not suspended, with no settled ledger row for the period."""
    settled = exists().where(
        DigestDelivery.user_id == User.id,
        DigestDelivery.frequency == period.frequency,
        DigestDelivery.period_start == period.start,
        not_(_claimable(utcnow())),
    )
    return select(User.id, User.username, User.email).where(
        User.digest_frequency == period.frequency,
        User.suspended_at.is_(None),
        User.created_at < period.end,
        ~settled,
    )


def count_due(period: Period) -> int:
    return db.session.scalar(select(func.count()).select_from(_due_recipients(period).subquery()))


def _ensure_rows(recipients: Iterable[Recipient], period: Period) -> None:
    values = [
        {"user_id": r.id, "frequency": period.frequency, "period_start": period.start,
         "period_end": period.end, "status": LedgerStatus.PENDING.value, "attempts": 0}
        for r in recipients
    ]
    if not values:
        return
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(DigestDelivery).values(values).on_conflict_do_nothing(
            index_elements=["user_id", "frequency", "period_start"]
        )
    )
    db.session.commit()


@dataclass(frozen=True)
class _Claim:
    row_id: int
    user_id: int
    message_id: str


def _claim(user_ids: Sequence[int], period: Period) -> list[_Claim]:
    """Claim the claimable rows of these members; rows another sender holds are skipped."""
    now = utcnow()
    candidates = db.session.scalars(
        select(DigestDelivery.id)
        .where(
            DigestDelivery.user_id.in_(user_ids),
            DigestDelivery.frequency == period.frequency,
            DigestDelivery.period_start == period.start,
            _claimable(now),
        )
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serialises writers anyway
    ).all()
    if not candidates:
        db.session.commit()
        return []
    # Conditional: a row claimed by someone else between our SELECT and UPDATE (SQLite) is left.
    claimed = db.session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.id.in_(candidates), _claimable(now))
        .values(status=LedgerStatus.SENDING.value, claimed_at=now,
                attempts=DigestDelivery.attempts + 1, error=None)
        .returning(DigestDelivery.id, DigestDelivery.user_id, DigestDelivery.message_id)
        .execution_options(synchronize_session=False)
    ).all()
    # One Message-ID per ledger row, kept across retries.
    fresh = [{"id": row_id, "message_id": new_message_id()}
             for row_id, _, message_id in claimed if not message_id]
    if fresh:
        db.session.execute(update(DigestDelivery), fresh)
    db.session.commit()
    ids = {item["id"]: item["message_id"] for item in fresh}
    return [_Claim(row_id, user_id, message_id or ids[row_id])
            for row_id, user_id, message_id in claimed]


def _set_status(row_ids: Sequence[int], status: LedgerStatus, **values: Any) -> None:
    if not row_ids:
        return
    db.session.execute(
        update(DigestDelivery)
        .where(DigestDelivery.id.in_(row_ids), DigestDelivery.status == LedgerStatus.SENDING.value)
        .values(status=status.value, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _release(row_ids: Sequence[int]) -> None:
    """Hand unsent claims back (the run stops early): not an attempt, nothing sent."""
    _set_status(row_ids, LedgerStatus.PENDING, claimed_at=None,
                attempts=DigestDelivery.attempts - 1)


def send_due(
    frequency: str,
    now: datetime,
    transport: SmtpTransport,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[SendReport], None] | None = None,
) -> SendReport:
    """Send every digest of this frequency due for the period before `now`.

    Never raises for mail problems: the report says what happened (report.ok).
    """
    period = period_before(frequency, now)
    report = SendReport(frequency, period, total=count_due(period))
    activity = PeriodActivity.load(period)
    base_url = current_app.config["BASE_URL"]
    due = _due_recipients(period).order_by(User.id).limit(batch_size)
    last_id = 0
    while True:
        recipients = [Recipient(*row) for row in db.session.execute(due.where(User.id > last_id))]
        if not recipients:
            break
        last_id = recipients[-1].id
        digests = compose_batch(recipients, activity, base_url)
        by_id = {r.id: r for r in recipients}
        if any(not d.is_empty for d in digests.values()):
            try:
                transport.open()  # an outage stops us before anything is claimed
            except MailServerUnavailable as exc:
                report.aborted = str(exc)
                return report
        _ensure_rows(recipients, period)
        for start in range(0, len(recipients), CLAIM_CHUNK):
            chunk = [r.id for r in recipients[start:start + CLAIM_CHUNK]]
            claims = _claim(chunk, period)
            empty = [c.row_id for c in claims if digests[c.user_id].is_empty]
            _set_status(empty, LedgerStatus.SKIPPED, claimed_at=None)
            report.skipped += len(empty)
            to_send = [c for c in claims if not digests[c.user_id].is_empty]
            if not _deliver(to_send, digests, by_id, transport, report):
                return report
        if progress is not None:
            progress(report)
    return report


def send_all_due(
    frequency: str,
    now: datetime,
    transport: SmtpTransport,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[SendReport], None] | None = None,
) -> list[SendReport]:
    """Send every due, unsent digest of the last few periods (DIGEST_CATCH_UP_PERIODS), oldest
    first, so a missed cron run or a mail outage is caught up; stops at a mail outage."""
    count = current_app.config.get("DIGEST_CATCH_UP_PERIODS", {}).get(frequency, 1)
    reports = []
    for period in periods_to_catch_up(frequency, now, count):
        report = send_due(frequency, period.end, transport, batch_size=batch_size,
                          progress=progress)
        reports.append(report)
        if report.aborted:
            break
    return reports


def _deliver(
    claims: list[_Claim], digests: dict[int, Digest], recipients: dict[int, Recipient],
    transport: SmtpTransport, report: SendReport,
) -> bool:
    """Send claimed digests one by one; False when the mail server became unusable.

    A permanent refusal (5xx for this recipient) is recorded against that member. A transient
    failure (4xx, a dropped connection) is not the member's: after one reconnect and retry
    (servers that limit messages per connection), the run stops and hands back every unsent
    claim uncounted, for the next run.
    """
    for index, claim in enumerate(claims):
        message = build_message(digests[claim.user_id], recipients[claim.user_id].email,
                                claim.message_id)
        try:
            transport.send_with_one_retry(message)
        except MessageRejected as exc:
            _set_status([claim.row_id], LedgerStatus.FAILED, error=str(exc)[:2000])
            report.failed += 1
            report.errors.append(f"member #{claim.user_id}: {exc}")
            continue
        except MailServerUnavailable as exc:
            _release([c.row_id for c in claims[index:]])
            report.aborted = str(exc)
            return False
        except BaseException:
            _release([c.row_id for c in claims[index:]])
            raise
        _set_status([claim.row_id], LedgerStatus.SENT, sent_at=utcnow(), error=None)
        report.sent += 1
    return True

