"""On-call alerts: a person hears about an urgent case at once, not when they next open /mod.

When a case enters the urgent lane (crisis, a blocked threat or doxxing attempt), every
moderator marked on call gets a mail at the next pass of the jobs worker (every few seconds).
If nobody has claimed the case ``ALERT_ESCALATE_AFTER_MINUTES`` later, every moderator gets
one. With nobody on call, everyone is alerted at once. The mail carries a link to the case and
its kind only: never the post's text, nor anything about the member.

The outbox (``AlertOutbox``) makes each alert exist once: rows are inserted with
insert-or-ignore on (case, step, moderator), claimed before the SMTP call and marked sent
after it. A mail server that is away (4xx, no connection) hands the claims back uncounted for
the next pass; a mail the server refuses for good (5xx) is retried up to ``MAX_ATTEMPTS``.
A claim left by a worker that died is taken again after ``ABANDONED_AFTER``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..links import site_url
from ..mailer import MailServerUnavailable, MessageRejected, SmtpTransport
from ..models import AlertOutbox, CaseStatus, Lane, ModerationCase, Role, User, utcnow

ON_CALL = "on_call"
EVERYONE = "everyone"
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
DEFAULT_ESCALATE_AFTER_MINUTES = 10
ABANDONED_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 5
CLAIM_CHUNK = 20
STAFF_ROLES = (Role.MODERATOR.value, Role.ADMIN.value)
KIND_WORDS = {
    "crisis": "someone may be in danger (a crisis post)",
    "toxic": "a threat or an attempt to expose someone's details",
}


@dataclass
class AlertPass:
    queued: int = 0
    sent: int = 0
    failed: int = 0
    aborted: str | None = None
    errors: list[str] = field(default_factory=list)


def run_once(now: datetime | None = None, transport: SmtpTransport | None = None) -> AlertPass:
    """One pass: queue the alerts that are due, then send what the outbox holds."""
    now = now or utcnow()
    result = AlertPass(queued=enqueue_due_alerts(now))
    own = transport is None
    transport = transport or SmtpTransport.from_config(current_app.config)
    try:
        send_pending_alerts(transport, result, now)
    finally:
        if own:
            transport.close()
    return result


# -- what is due -------------------------------------------------------------------------------


def _queued(step: str):
    """Whether this case already has its alerts for ``step`` in the outbox."""
    return exists().where(AlertOutbox.case_id == ModerationCase.id, AlertOutbox.step == step)


def _unclaimed_urgent_cases():
    """Open, unclaimed urgent cases with a step still to queue: a pass every few seconds
    looks only at those, instead of re-inserting what the outbox already holds."""
    return select(
        ModerationCase.id, ModerationCase.urgent_since, ModerationCase.created_at,
        _queued(ON_CALL), _queued(EVERYONE),
    ).where(
        ModerationCase.lane == Lane.URGENT.value,
        ModerationCase.status == CaseStatus.OPEN.value,
        ModerationCase.claimed_by_id.is_(None),
        ~(_queued(ON_CALL) & _queued(EVERYONE)),
    )


def enqueue_due_alerts(now: datetime) -> int:
    """Write the alerts that are due to the outbox (each at most once); how many are new."""
    escalate_after = timedelta(
        minutes=float(
            current_app.config.get("ALERT_ESCALATE_AFTER_MINUTES", DEFAULT_ESCALATE_AFTER_MINUTES)
        )
    )
    staff = db.session.execute(
        select(User.id, User.on_call).where(User.role.in_(STAFF_ROLES), User.suspended_at.is_(None))
    ).all()
    on_call = [user_id for user_id, is_on_call in staff if is_on_call]
    everyone = [user_id for user_id, _ in staff]
    rows = []
    cases = db.session.execute(_unclaimed_urgent_cases()).all()
    for case_id, urgent_since, created_at, on_call_queued, everyone_queued in cases:
        since = urgent_since or created_at
        if on_call and not on_call_queued:
            rows += [(case_id, ON_CALL, user_id) for user_id in on_call]
        if not everyone_queued and (not on_call or now - since >= escalate_after):
            rows += [(case_id, EVERYONE, user_id) for user_id in everyone]
    if not rows:
        db.session.commit()
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = db.session.scalars(
        insert(AlertOutbox)
        .values([{"case_id": c, "step": s, "recipient_id": r, "status": PENDING, "attempts": 0,
                  "created_at": now} for c, s, r in rows])
        .on_conflict_do_nothing(index_elements=["case_id", "step", "recipient_id"])
        .returning(AlertOutbox.id)
    ).all()
    db.session.commit()
    return len(inserted)


# -- sending ------------------------------------------------------------------------------------


def _claimable(now: datetime):
    return or_(
        AlertOutbox.status == PENDING,
        and_(AlertOutbox.status == SENDING, AlertOutbox.claimed_at < now - ABANDONED_AFTER),
    )


def _claim(now: datetime) -> list[int]:
    candidates = db.session.scalars(
        select(AlertOutbox.id)
        .where(_claimable(now))
        .order_by(AlertOutbox.id)
        .limit(CLAIM_CHUNK)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        db.session.commit()
        return []
    claimed = db.session.scalars(
        update(AlertOutbox)
        .where(AlertOutbox.id.in_(candidates), _claimable(now))
        .values(status=SENDING, claimed_at=now, attempts=AlertOutbox.attempts + 1)
        .returning(AlertOutbox.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    return list(claimed)


def _set(row_ids: list[int], **values) -> None:
    if row_ids:
        db.session.execute(
            update(AlertOutbox)
            .where(AlertOutbox.id.in_(row_ids), AlertOutbox.status == SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def send_pending_alerts(transport: SmtpTransport, result: AlertPass, now: datetime) -> None:
    """Send claimed alerts until the outbox is empty or the mail server is away."""
    while True:
        claimed = _claim(now)
        if not claimed:
            return
        rows = db.session.execute(
            select(AlertOutbox, ModerationCase.category, User.email)
            .join(ModerationCase, ModerationCase.id == AlertOutbox.case_id)
            .join(User, User.id == AlertOutbox.recipient_id)
            .where(AlertOutbox.id.in_(claimed))
            .order_by(AlertOutbox.id)
        ).all()
        for index, (alert, category, email) in enumerate(rows):
            message = alert_message(alert, category, email)
            try:
                transport.send_with_one_retry(message)
            except MessageRejected as exc:
                gave_up = alert.attempts >= MAX_ATTEMPTS
                _set([alert.id], status=FAILED if gave_up else PENDING, error=str(exc)[:2000])
                result.failed += gave_up
                result.errors.append(f"alert #{alert.id}: {exc}")
                continue
            except MailServerUnavailable as exc:
                later = [row[0].id for row in rows[index:]]
                _set(later, status=PENDING, claimed_at=None, attempts=AlertOutbox.attempts - 1)
                result.aborted = str(exc)
                return
            except BaseException:
                later = [row[0].id for row in rows[index:]]
                _set(later, status=PENDING, claimed_at=None, attempts=AlertOutbox.attempts - 1)
                raise
            _set(
                [alert.id],
                status=SENT,
                sent_at=utcnow(),
                error=None,
                message_id=message["Message-ID"],
            )
            result.sent += 1


def alert_message(alert: AlertOutbox, category: str | None, to: str) -> EmailMessage:
    """The alert mail: what kind of case and where; never the post's text or its author."""
    config = current_app.config
    link = site_url("moderator.case", case_id=alert.case_id)
    kind = KIND_WORDS.get(category or "", "a post that needs a person now")
    waiting = (
        ""
        if alert.step == ON_CALL
        else ("Nobody has picked it up yet, so every moderator is getting this.\n\n")
    )
    message = EmailMessage()
    message["Subject"] = "Urgent case waiting on the forum"
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Message-ID"] = alert.message_id or make_msgid(idstring="alert")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"An urgent case is waiting: {kind}.\n\n{waiting}"
        f"Open it here (sign in as a moderator): {link}\n\n"
        "This mail leaves out the post and its author on purpose. Thank you for looking.\n"
    )
    return message


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(AlertOutbox.status, func.count()).group_by(AlertOutbox.status)
    ).all()
    return {status: count for status, count in rows}
