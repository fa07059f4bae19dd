"""The email digest: what goes in it (composition) and sending it exactly once (the ledger).

No request globals: everything here runs from the CLI (`flask digest send`) inside an app
context, and from the preview page.

Composition, for one member and one period
  threads with new *published* activity in the period (Post.status 'published' and
  published_at inside it), on live, visible threads whose opening post is published;
  minus muted categories, threads started by members the recipient blocked, and posts
  written by them (a thread whose only new activity is theirs drops out). The recipient's
  own posts are not news to them and don't count as activity either. New threads first,
  then the most active. A content warning replaces the excerpt.

Delivery ledger (DigestDelivery, one row per member, frequency and period_start)
  pending → sending (claimed, committed BEFORE the SMTP call) → sent (committed right after)
                                    ↘ failed (server refused it; retried by the next run)
  skipped = nothing new for this member in this period (kept so re-runs don't recompute).
  Claims use SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL plus a conditional
  UPDATE … RETURNING, so several senders at once never claim the same row.
  A 'sending' row claimed more than ABANDONED_AFTER ago belongs to a sender that died; it is
  claimed again. Trade-off, chosen on purpose: at-least-once. A crash in the short window
  between the server accepting a message and the 'sent' commit (or a connection that drops
  after the server accepted the data) can send that one digest a second time; the retry
  reuses the stored Message-ID so mail systems can fold the two. The alternative
  (at-most-once) would silently drop digests after any crash.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import and_, exists, func, not_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from .accounts import set_digest_frequency
from .errors import NotFound
from .extensions import db
from .links import path_for, site_url
from .mailer import MailServerUnavailable, MessageRejected, SmtpTransport
from .markup import plain_excerpt
from .models import (
    Block,
    Category,
    CategoryMute,
    DigestDelivery,
    DigestFrequency,
    Post,
    PostStatus,
    Thread,
    User,
    utcnow,
)

SITE_NAME = "No Contact Forum"
FREQUENCIES = (DigestFrequency.DAILY.value, DigestFrequency.WEEKLY.value)
BATCH_SIZE = 500  # members composed together: a constant number of queries per batch
CLAIM_CHUNK = 50  # rows claimed at a time, so a claim is always fresh when its mail goes out
ABANDONED_AFTER = timedelta(minutes=15)
MAX_ATTEMPTS = 5  # a digest the server refused this often is left as 'failed'
MAX_ITEMS = 20
EXCERPT_CHARS = 200
UNSUBSCRIBE_SALT = "forum.digest.unsubscribe"
UNSUBSCRIBE_MAX_AGE = timedelta(days=60)


class LedgerStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


# ---------------------------------------------------------------- periods


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


# ---------------------------------------------------------------- composition


@dataclass(frozen=True)
class Recipient:
    id: int
    username: str
    email: str


@dataclass(frozen=True)
class DigestItem:
    thread_id: int
    title: str
    category: str
    author: str  # a username, never an email address
    is_new: bool
    new_replies: int
    excerpt: str | None
    content_warning: str | None
    url: str


@dataclass(frozen=True)
class Digest:
    user_id: int
    username: str
    period: Period
    items: tuple[DigestItem, ...]
    more: int = 0  # threads left out to keep the email short

    @property
    def thread_count(self) -> int:
        return len(self.items) + self.more

    @property
    def is_empty(self) -> bool:
        return self.thread_count == 0


@dataclass
class _ThreadActivity:
    id: int
    title: str
    category_id: int
    category: str
    author_id: int
    author: str
    content_warning: str | None
    excerpt: str | None
    opened_in_period: bool = False
    replies_by_author: dict[int, int] = field(default_factory=dict)
    latest_by_author: dict[int, datetime] = field(default_factory=dict)
    total_replies: int = 0
    latest: datetime | None = None


class PeriodActivity:
    """Everything published in one period, loaded once (2 queries) and shared by all members.

    Threads are ranked once for a reader who is not involved; each member's digest then only
    re-ranks the few threads their blocks, mutes or own posts change (fast for 10,000s).
    """

    def __init__(self, period: Period, threads: list[_ThreadActivity]) -> None:
        self.period = period
        self.threads = {t.id: t for t in threads}
        self.ranked = sorted(threads, key=lambda t: _rank_key(t.opened_in_period, t.total_replies,
                                                             t.latest, t.id))
        self.touched_by: dict[int, set[int]] = defaultdict(set)  # member → threads they shape
        self.count_by_category: dict[int, int] = defaultdict(int)
        for thread in threads:
            self.count_by_category[thread.category_id] += 1
            self.touched_by[thread.author_id].add(thread.id)
            for author_id in thread.latest_by_author:
                self.touched_by[author_id].add(thread.id)

    @classmethod
    def load(cls, period: Period) -> PeriodActivity:
        in_period = and_(
            Post.status == PostStatus.PUBLISHED.value,
            Post.published_at >= period.start,
            Post.published_at < period.end,
        )
        opening = aliased(Post)
        thread_rows = db.session.execute(
            select(
                Thread.id, Thread.title, Thread.content_warning, Thread.category_id,
                Category.name, Thread.author_id, User.username, opening.body_html,
            )
            .join(Category, Category.id == Thread.category_id)
            .join(User, User.id == Thread.author_id)
            .join(opening, and_(opening.thread_id == Thread.id, opening.is_opening.is_(True)))
            .where(
                Thread.deleted_at.is_(None),
                Thread.is_visible.is_(True),
                opening.status == PostStatus.PUBLISHED.value,
                Thread.id.in_(select(Post.thread_id).where(in_period)),
            )
        ).all()
        threads: dict[int, _ThreadActivity] = {}
        for tid, title, warning, category_id, category, author_id, author, body_html in thread_rows:
            threads[tid] = _ThreadActivity(
                id=tid, title=title, category_id=category_id, category=category,
                author_id=author_id, author=author, content_warning=warning,
                # Computed once per thread, not per member; a warning hides the text.
                excerpt=None if warning else (plain_excerpt(body_html, EXCERPT_CHARS) or None),
            )
        activity_rows = db.session.execute(
            select(
                Post.thread_id, Post.author_id, Post.is_opening,
                func.count(Post.id), func.max(Post.published_at),
            )
            .where(in_period)
            .group_by(Post.thread_id, Post.author_id, Post.is_opening)
        ).all()
        for tid, author_id, is_opening, count, latest in activity_rows:
            thread = threads.get(tid)
            if thread is None:
                continue
            if is_opening:
                thread.opened_in_period = True
            else:
                thread.replies_by_author[author_id] = thread.replies_by_author.get(author_id, 0) + count
                thread.total_replies += count
            previous = thread.latest_by_author.get(author_id)
            if previous is None or latest > previous:
                thread.latest_by_author[author_id] = latest
            if thread.latest is None or latest > thread.latest:
                thread.latest = latest
        return cls(period, list(threads.values()))


def _rank_key(is_new: bool, replies: int, latest: datetime | None, thread_id: int) -> tuple:
    """New threads first, then the most new activity, then the most recent."""
    stamp = latest.timestamp() if latest is not None else 0.0
    return (not is_new, -(replies + is_new), -stamp, -thread_id)


def _rank_for(thread: _ThreadActivity, me: int, blocked: set[int]):
    """(key, is_new, replies) as this member sees the thread, or None when nothing is news."""
    if thread.author_id in blocked:
        return None
    hidden = blocked | {me}
    replies = sum(n for a, n in thread.replies_by_author.items() if a not in hidden)
    is_new = thread.opened_in_period and thread.author_id != me
    if not is_new and replies == 0:
        return None
    stamps = [t for a, t in thread.latest_by_author.items() if a not in hidden]
    return _rank_key(is_new, replies, max(stamps) if stamps else None, thread.id), is_new, replies


def compose_batch(
    recipients: Sequence[Recipient], activity: PeriodActivity, base_url: str
) -> dict[int, Digest]:
    """Digests for many members at once: 2 queries (blocks, mutes) whatever the batch size."""
    ids = [r.id for r in recipients]
    blocked: dict[int, set[int]] = defaultdict(set)
    muted: dict[int, set[int]] = defaultdict(set)
    if ids and activity.threads:
        for blocker_id, blocked_id in db.session.execute(
            select(Block.blocker_id, Block.blocked_id).where(Block.blocker_id.in_(ids))
        ):
            blocked[blocker_id].add(blocked_id)
        for user_id, category_id in db.session.execute(
            select(CategoryMute.user_id, CategoryMute.category_id).where(CategoryMute.user_id.in_(ids))
        ):
            muted[user_id].add(category_id)
    # Each thread's link is built from the URL map once per batch, not once per recipient.
    links = {tid: f"{base_url}{path_for('board.thread', thread_id=tid)}"
             for tid in activity.threads}
    return {
        r.id: _compose_one(r, activity, blocked.get(r.id, set()), muted.get(r.id, set()), links)
        for r in recipients
    }


def _compose_one(
    recipient: Recipient, activity: PeriodActivity, blocked: set[int], muted: set[int],
    links: dict[int, str],
) -> Digest:
    me = recipient.id
    # Threads this member's own posts or blocks change are ranked for them alone ...
    affected: set[int] = set(activity.touched_by.get(me, ()))
    for other in blocked:
        affected |= activity.touched_by.get(other, set())
    chosen: list[tuple[tuple, _ThreadActivity, bool, int]] = []
    affected_listed = 0
    for tid in affected:
        thread = activity.threads[tid]
        if thread.category_id in muted:
            continue
        ranked = _rank_for(thread, me, blocked)
        if ranked is not None:
            chosen.append((ranked[0], thread, ranked[1], ranked[2]))
            affected_listed += 1
    # ... every other thread keeps the shared ranking: only the top MAX_ITEMS are needed.
    taken = 0
    for thread in activity.ranked:
        if taken == MAX_ITEMS:
            break
        if thread.id in affected or thread.category_id in muted:
            continue
        key = _rank_key(thread.opened_in_period, thread.total_replies, thread.latest, thread.id)
        chosen.append((key, thread, thread.opened_in_period, thread.total_replies))
        taken += 1
    unaffected_total = (
        len(activity.threads)
        - sum(activity.count_by_category.get(c, 0) for c in muted)
        - sum(1 for tid in affected if activity.threads[tid].category_id not in muted)
    )
    total = unaffected_total + affected_listed
    chosen.sort(key=lambda entry: entry[0])
    items = tuple(
        DigestItem(
            thread_id=thread.id, title=thread.title, category=thread.category,
            author=thread.author, is_new=is_new, new_replies=replies,
            excerpt=thread.excerpt, content_warning=thread.content_warning,
            url=links[thread.id],
        )
        for _, thread, is_new, replies in chosen[:MAX_ITEMS]
    )
    return Digest(recipient.id, recipient.username, activity.period, items,
                  more=total - len(items))


def compose_digest(user: User, period: Period) -> Digest:
    """One member's digest (the preview page)."""
    recipient = Recipient(user.id, user.username, user.email)
    base_url = current_app.config["BASE_URL"]
    return compose_batch([recipient], PeriodActivity.load(period), base_url)[user.id]


# ---------------------------------------------------------------- the message


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=UNSUBSCRIBE_SALT)


def make_unsubscribe_token(user_id: int, secret: str | None = None) -> str:
    """Signed, session-independent: still works after a password change or sign-out."""
    return _serializer(secret or current_app.config["SECRET_KEY"]).dumps({"u": user_id})


class UnsubscribeTokenError(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def read_unsubscribe_token(
    token: str, secret: str | None = None, max_age: timedelta = UNSUBSCRIBE_MAX_AGE
) -> int:
    serializer = _serializer(secret or current_app.config["SECRET_KEY"])
    try:
        payload = serializer.loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired as exc:
        raise UnsubscribeTokenError(expired=True) from exc
    except BadSignature as exc:
        raise UnsubscribeTokenError(expired=False) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise UnsubscribeTokenError(expired=False)
    return payload["u"]


def unsubscribe_url(user_id: int) -> str:
    return site_url("unsubscribe.confirm", token=make_unsubscribe_token(user_id))


def unsubscribe(user_id: int) -> User:
    """Turn a member's digest off (the one-click link). Commits once; repeating is harmless."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("That account no longer exists, so there is nothing to unsubscribe.")
    if user.digest_frequency != DigestFrequency.OFF.value:
        set_digest_frequency(user, DigestFrequency.OFF.value)
    return user


def settings_url() -> str:
    return site_url("account.settings")


def subject_for(digest: Digest) -> str:
    n = digest.thread_count
    noun = "thread" if n == 1 else "threads"
    return f"Your {digest.period.frequency} {SITE_NAME} digest: {n} {noun}"


def render_bodies(digest: Digest, unsubscribe_link: str) -> tuple[str, str]:
    context: dict[str, Any] = {
        "digest": digest,
        "site_name": SITE_NAME,
        "base_url": current_app.config["BASE_URL"],
        "settings_url": settings_url(),
        "unsubscribe_url": unsubscribe_link,
        "period_text": digest.period.describe(),
        "subject": subject_for(digest),
    }
    return (render_template("email/digest.txt", **context),
            render_template("email/digest.html", **context))


def message_domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


def new_message_id() -> str:
    return make_msgid(idstring="digest", domain=message_domain())


def build_message(digest: Digest, to: str, message_id: str | None = None) -> EmailMessage:
    config = current_app.config
    link = unsubscribe_url(digest.user_id)
    text, html = render_bodies(digest, link)
    message = EmailMessage()
    message["Subject"] = subject_for(digest)
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id or new_message_id()
    message["List-Unsubscribe"] = f"<{link}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


# ---------------------------------------------------------------- delivery


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
            _send_with_one_retry(transport, message)
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


def _send_with_one_retry(transport: SmtpTransport, message: EmailMessage) -> None:
    try:
        transport.send(message)
    except MailServerUnavailable:
        transport.close()
        transport.open()  # raises MailServerUnavailable when the server is still away
        transport.send(message)


def member_for_unsubscribe(user_id: int) -> User | None:
    return db.session.get(User, user_id)
