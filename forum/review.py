"""Use cases for moderators: the queue, decisions on cases, sanctions, claims, the audit log.

Each public function that changes something is one transaction and writes an audit entry for
every step. The queue and the audit log load everything their pages show up front (a constant
number of queries whatever the queue length).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from moderation import HARMFUL

from . import screening, visibility
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .extensions import db
from .markup import render_markdown
from .models import (
    AuditEntry,
    CaseStatus,
    Lane,
    ModerationCase,
    Notice,
    NudgeEvent,
    Post,
    PostRevision,
    PostScreening,
    PostStatus,
    Report,
    Sanction,
    SanctionKind,
    Thread,
    User,
    utcnow,
)
from .reading import Page

LANES = ("all", Lane.URGENT.value, Lane.HELD.value, Lane.REPORTED.value)
HARMFUL_CATEGORIES: tuple[str, ...] = HARMFUL
REASON_MAX = 1000
SILENCE_DAYS_MAX = 365
# A claim older than this no longer keeps other moderators away from a case.
CLAIM_TIMEOUT = timedelta(minutes=30)
HISTORY_SIZE = 5


@dataclass(frozen=True)
class QueueEntry:
    case: ModerationCase
    history: list[Post]  # the author's most recent other posts, newest first
    prior_sanctions: int


@dataclass(frozen=True)
class Queue:
    page: Page[QueueEntry]
    lane: str
    counts: dict[str, int]  # open cases per lane, plus "all"


# ---------------------------------------------------------------- reading

def _open_cases_filter():
    # A case whose post its author deleted has nothing left to review.
    return (ModerationCase.status == CaseStatus.OPEN.value) & (
        Post.status != PostStatus.DELETED.value
    )


def lane_counts() -> dict[str, int]:
    rows = db.session.execute(
        select(ModerationCase.lane, func.count())
        .join(Post, Post.id == ModerationCase.post_id)
        .where(_open_cases_filter())
        .group_by(ModerationCase.lane)
    ).all()
    counts = {lane: 0 for lane in LANES}
    for lane, count in rows:
        counts[lane] = count
    counts["all"] = sum(count for _, count in rows)
    return counts


def _lane_rank():
    return sql_case(
        (ModerationCase.lane == Lane.URGENT.value, 0),
        (ModerationCase.lane == Lane.HELD.value, 1),
        else_=2,
    )


def _check_lane(lane: str) -> str:
    if lane not in LANES:
        raise InvalidInput(f"Unknown lane {lane!r}; use one of: {', '.join(LANES)}.", field="lane")
    return lane


def open_cases(lane: str = "all", page: int = 1, per_page: int = 50) -> Page[ModerationCase]:
    """Open cases, urgent first, then held, then reported; oldest first within a lane."""
    _check_lane(lane)
    query = (
        select(ModerationCase)
        .join(Post, Post.id == ModerationCase.post_id)
        .options(
            joinedload(ModerationCase.post).joinedload(Post.author),
            joinedload(ModerationCase.post).joinedload(Post.thread).joinedload(Thread.category),
            joinedload(ModerationCase.post).joinedload(Post.parent).joinedload(Post.author),
            joinedload(ModerationCase.claimed_by),
            selectinload(ModerationCase.reports).joinedload(Report.reporter),
        )
        .where(_open_cases_filter())
        .order_by(_lane_rank(), ModerationCase.created_at, ModerationCase.id)
    )
    if lane != "all":
        query = query.where(ModerationCase.lane == lane)
    page = max(1, page)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    return Page(items=list(result.items), page=page, pages=max(1, result.pages), total=result.total)


def _recent_history(author_ids: set[int], exclude_post_ids: set[int]) -> dict[int, list[Post]]:
    """Each author's latest posts in one query (a window function, no query per author)."""
    if not author_ids:
        return {}
    numbered = (
        select(
            Post.id.label("post_id"),
            func.row_number().over(
                partition_by=Post.author_id, order_by=(Post.created_at.desc(), Post.id.desc())
            ).label("n"),
        )
        .where(Post.author_id.in_(author_ids), Post.id.not_in(exclude_post_ids or {0}))
        .subquery()
    )
    posts = db.session.scalars(
        select(Post)
        .join(numbered, numbered.c.post_id == Post.id)
        .options(joinedload(Post.thread))
        .where(numbered.c.n <= HISTORY_SIZE)
        .order_by(Post.created_at.desc(), Post.id.desc())
    ).all()
    history: dict[int, list[Post]] = defaultdict(list)
    for post in posts:
        history[post.author_id].append(post)
    return history


def _sanction_counts(author_ids: set[int]) -> dict[int, int]:
    if not author_ids:
        return {}
    rows = db.session.execute(
        select(Sanction.user_id, func.count()).where(Sanction.user_id.in_(author_ids))
        .group_by(Sanction.user_id)
    ).all()
    return dict(rows)


def queue(lane: str = "all", page: int = 1, per_page: int = 50) -> Queue:
    cases = open_cases(lane, page, per_page)
    author_ids = {case.post.author_id for case in cases.items}
    history = _recent_history(author_ids, {case.post_id for case in cases.items})
    sanctions = _sanction_counts(author_ids)
    entries = [
        QueueEntry(case=case, history=history.get(case.post.author_id, []),
                   prior_sanctions=sanctions.get(case.post.author_id, 0))
        for case in cases.items
    ]
    return Queue(
        page=Page(items=entries, page=cases.page, pages=cases.pages, total=cases.total),
        lane=lane, counts=lane_counts(),
    )


def get_case(case_id: int) -> ModerationCase:
    case = db.session.scalar(
        select(ModerationCase)
        .options(
            joinedload(ModerationCase.post).joinedload(Post.author),
            joinedload(ModerationCase.post).joinedload(Post.thread).joinedload(Thread.category),
            joinedload(ModerationCase.post).joinedload(Post.parent).joinedload(Post.author),
            joinedload(ModerationCase.claimed_by),
            joinedload(ModerationCase.resolved_by),
            selectinload(ModerationCase.reports).joinedload(Report.reporter),
        )
        .where(ModerationCase.id == case_id)
    )
    if case is None:
        raise NotFound("There is no such case.")
    return case


def case_entry(case_id: int) -> QueueEntry:
    case = get_case(case_id)
    history = _recent_history({case.post.author_id}, {case.post_id})
    sanctions = _sanction_counts({case.post.author_id})
    return QueueEntry(case=case, history=history.get(case.post.author_id, []),
                      prior_sanctions=sanctions.get(case.post.author_id, 0))


AUDIT_VIEWS = ("all", "moderators", "screening")


def audit_log(page: int = 1, per_page: int = 50, who: str = "all") -> Page[AuditEntry]:
    """Newest first; `who`: everything, only people's actions, or only automatic verdicts."""
    query = (
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor), joinedload(AuditEntry.subject))
        .order_by(AuditEntry.id.desc())
    )
    if who == "moderators":
        query = query.where(AuditEntry.actor_id.is_not(None))
    elif who == "screening":
        query = query.where(AuditEntry.actor_id.is_(None))
    page = max(1, page)
    result = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    return Page(items=list(result.items), page=page, pages=max(1, result.pages), total=result.total)


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


@dataclass(frozen=True)
class ScreeningHealth:
    available: bool
    message: str | None
    held_unavailable: int  # open cases held only because screening could not run


def screening_health() -> ScreeningHealth:
    """Is automatic screening working? From this process's pipeline and the latest verdict."""
    held = db.session.scalar(
        select(func.count()).select_from(ModerationCase)
        .where(ModerationCase.status == CaseStatus.OPEN.value, ModerationCase.unavailable.is_(True))
    ) or 0
    latest = db.session.scalar(
        select(PostScreening).order_by(PostScreening.id.desc()).limit(1)
    )
    if latest is not None and latest.unavailable:
        why = next((r for r in latest.reasons or [] if r.startswith(screening.UNAVAILABLE_PREFIX)),
                   screening.UNAVAILABLE_PREFIX)
        return ScreeningHealth(False, why, held)
    status = screening.pipeline_status()
    community = status.get("community") or status.get("community_model") or {}
    error = status.get("error") or (community.get("error") if isinstance(community, dict) else None)
    if error:
        return ScreeningHealth(False, f"{screening.UNAVAILABLE_PREFIX}: {error}", held)
    return ScreeningHealth(True, None, held)


# ---------------------------------------------------------------- deciding cases

def _clean_reason(reason: object, required: bool, what: str = "reason") -> str | None:
    if reason is None or (isinstance(reason, str) and not reason.strip()):
        if required:
            raise InvalidInput(f"Please give a {what}; the member will read it.", field="reason")
        return None
    if not isinstance(reason, str):
        raise InvalidInput("The reason must be text.", field="reason")
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"Please keep the reason under {REASON_MAX} characters.", field="reason")
    return reason


def _require_staff(moderator: User) -> None:
    if moderator is None or not getattr(moderator, "is_staff", False):
        raise Forbidden("Only moderators can do that.")


def _claimed_by_other(case: ModerationCase, moderator: User, now: datetime) -> bool:
    return (
        case.claimed_by_id is not None and case.claimed_by_id != moderator.id
        and case.claimed_at is not None and case.claimed_at > now - CLAIM_TIMEOUT
    )


def _open_case_for_action(moderator: User, case_id: int, now: datetime) -> ModerationCase:
    _require_staff(moderator)
    case = get_case(case_id)
    if not case.is_open:
        raise Conflict("This case has already been resolved.", case_id=case.id, status=case.status)
    if _claimed_by_other(case, moderator, now):
        name = case.claimed_by.username if case.claimed_by else "another moderator"
        raise Conflict(f"{name} is working on this case.", case_id=case.id)
    if case.post.status == PostStatus.DELETED.value:
        raise Conflict("The author deleted this post; there is nothing left to decide.",
                       case_id=case.id)
    return case


def _resolve(case: ModerationCase, moderator: User | None, status: str, reason: str | None,
             now: datetime) -> None:
    case.status = status
    case.resolved_by_id = moderator.id if moderator is not None else None
    case.resolved_at = now
    case.resolution_reason = reason
    case.claimed_by_id = None
    case.claimed_at = None
    case.updated_at = now


def _notify(user_id: int, kind: str, message: str, post_id: int | None, now: datetime) -> None:
    db.session.add(Notice(user_id=user_id, kind=kind, message=message, post_id=post_id,
                          created_at=now))


def _thread_title(post: Post) -> str:
    return post.thread.title


def _approve(moderator: User, case: ModerationCase, reason: str | None, now: datetime) -> None:
    post = case.post
    was = post.status
    visibility.publish(post, now)
    _resolve(case, moderator, CaseStatus.APPROVED.value, reason, now)
    screening.audit("approved", actor_id=moderator.id, post_id=post.id, case_id=case.id,
                    user_id=post.author_id, lane=case.lane, reason=reason,
                    post_status_before=was, post_status=post.status)


def _reject(moderator: User, case: ModerationCase, reason: str, category: str | None,
            now: datetime) -> None:
    post = case.post
    was = post.status
    visibility.reject(post)
    _resolve(case, moderator, CaseStatus.REJECTED.value, reason, now)
    case.resolution_category = category
    _notify(
        post.author_id, "post_rejected",
        f"A moderator didn't publish your post in “{_thread_title(post)}”. "
        f"Their reason: {reason} "
        "You're still welcome here — if you'd like, you can say it again in a different way.",
        post.id, now,
    )
    screening.audit("rejected", actor_id=moderator.id, post_id=post.id, case_id=case.id,
                    user_id=post.author_id, lane=case.lane, reason=reason, category=category,
                    post_status_before=was, post_status=post.status)


def _clean_category(category: object, case: ModerationCase) -> str | None:
    if category in (None, ""):
        return case.category if case.category in HARMFUL_CATEGORIES else None
    if category not in HARMFUL_CATEGORIES:
        raise InvalidInput(f"Unknown category {category!r}.", field="category")
    return str(category)


def approve(moderator: User, case_id: int, reason: str | None = None) -> ModerationCase:
    now = utcnow()
    case = _open_case_for_action(moderator, case_id, now)
    _approve(moderator, case, _clean_reason(reason, required=False), now)
    db.session.commit()
    return case


def reject(moderator: User, case_id: int, reason: str, category: str | None = None) -> ModerationCase:
    now = utcnow()
    case = _open_case_for_action(moderator, case_id, now)
    reason = _clean_reason(reason, required=True)
    _reject(moderator, case, reason, _clean_category(category, case), now)
    db.session.commit()
    return case


def edit_and_approve(moderator: User, case_id: int, body: str, reason: str) -> ModerationCase:
    """A moderator fixes a post (e.g. removes a name) and publishes it; the author is told."""
    now = utcnow()
    case = _open_case_for_action(moderator, case_id, now)
    reason = _clean_reason(reason, required=True, what="short note on what you changed")
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("The edited post needs some text.", field="body")
    body = body.replace("\r\n", "\n").strip()
    post = case.post
    revision = PostRevision(post=post, body_markdown=post.body_markdown, created_at=now)
    db.session.add(revision)
    post.body_markdown = body
    post.body_html = render_markdown(body)
    post.edited_at = now
    db.session.flush()
    _notify(
        post.author_id, "post_edited",
        f"A moderator made a small change to your post in “{_thread_title(post)}” before "
        f"publishing it: {reason}",
        post.id, now,
    )
    screening.audit("edited", actor_id=moderator.id, post_id=post.id, case_id=case.id,
                    user_id=post.author_id, reason=reason, revision_id=revision.id)
    _approve(moderator, case, reason, now)
    db.session.commit()
    return case


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    skipped: dict[int, str]  # case id → why


def bulk(moderator: User, case_ids: list[int], action: str, reason: str | None = None,
         category: str | None = None) -> BulkResult:
    """Approve or reject several cases at once; cases claimed by others or closed are skipped."""
    _require_staff(moderator)
    if action not in ("approve", "reject"):
        raise InvalidInput("Bulk actions are approve or reject.", field="action")
    reason = _clean_reason(reason, required=action == "reject")
    ids = sorted({int(case_id) for case_id in case_ids})
    if not ids:
        raise InvalidInput("Please select at least one case.", field="case_ids")
    now = utcnow()
    cases = db.session.scalars(
        select(ModerationCase)
        .options(joinedload(ModerationCase.post).joinedload(Post.thread),
                 joinedload(ModerationCase.claimed_by))
        .where(ModerationCase.id.in_(ids))
    ).unique().all()
    found = {case.id: case for case in cases}
    done: list[int] = []
    skipped: dict[int, str] = {}
    for case_id in ids:
        case = found.get(case_id)
        if case is None:
            skipped[case_id] = "no such case"
        elif not case.is_open:
            skipped[case_id] = "already resolved"
        elif _claimed_by_other(case, moderator, now):
            skipped[case_id] = "claimed by another moderator"
        elif case.post.status == PostStatus.DELETED.value:
            skipped[case_id] = "deleted by its author"
        elif action == "approve":
            _approve(moderator, case, reason, now)
            done.append(case_id)
        else:
            _reject(moderator, case, reason, _clean_category(category, case), now)
            done.append(case_id)
    screening.audit("bulk_" + action, actor_id=moderator.id, cases=done,
                    skipped={str(k): v for k, v in skipped.items()}, reason=reason)
    db.session.commit()
    return BulkResult(done=done, skipped=skipped)


def claim(moderator: User, case_id: int) -> ModerationCase:
    now = utcnow()
    case = _open_case_for_action(moderator, case_id, now)
    case.claimed_by_id = moderator.id
    case.claimed_at = now
    screening.audit("claimed", actor_id=moderator.id, post_id=case.post_id, case_id=case.id)
    db.session.commit()
    return case


def unclaim(moderator: User, case_id: int) -> ModerationCase:
    _require_staff(moderator)
    case = get_case(case_id)
    if case.claimed_by_id is None:
        return case
    if case.claimed_by_id != moderator.id and not moderator.is_admin:
        raise Forbidden("Only the moderator who claimed this case (or an admin) can release it.")
    case.claimed_by_id = None
    case.claimed_at = None
    screening.audit("unclaimed", actor_id=moderator.id, post_id=case.post_id, case_id=case.id)
    db.session.commit()
    return case


# ---------------------------------------------------------------- sanctions

def _sanction_target(moderator: User, user_id: int) -> User:
    _require_staff(moderator)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("There is no such member.")
    if user.id == moderator.id:
        raise InvalidInput("You can't sanction yourself.")
    if user.is_staff and not moderator.is_admin:
        raise Forbidden("Only an admin can sanction a moderator.")
    return user


def _case_id_or_none(case_id: object) -> int | None:
    if case_id in (None, ""):
        return None
    try:
        return int(case_id)
    except (TypeError, ValueError):
        raise InvalidInput("Unknown case.", field="case_id") from None


def warn(moderator: User, user_id: int, reason: str, case_id: int | None = None) -> Sanction:
    user = _sanction_target(moderator, user_id)
    reason = _clean_reason(reason, required=True)
    now = utcnow()
    sanction = Sanction(user_id=user.id, kind=SanctionKind.WARN.value, reason=reason,
                        moderator_id=moderator.id, case_id=_case_id_or_none(case_id),
                        created_at=now)
    db.session.add(sanction)
    _notify(user.id, "warning",
            f"A note from the moderators: {reason} "
            "We want this to be a safe place for everyone, you included.", None, now)
    db.session.flush()
    screening.audit("warned", actor_id=moderator.id, case_id=sanction.case_id, user_id=user.id,
                    reason=reason, sanction_id=sanction.id)
    db.session.commit()
    return sanction


def silence(moderator: User, user_id: int, days: object, reason: str,
            case_id: int | None = None) -> Sanction:
    user = _sanction_target(moderator, user_id)
    reason = _clean_reason(reason, required=True)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise InvalidInput("Please give a number of days.", field="days") from None
    if not 1 <= days <= SILENCE_DAYS_MAX:
        raise InvalidInput(f"Silence for 1 to {SILENCE_DAYS_MAX} days.", field="days")
    now = utcnow()
    until = now + timedelta(days=days)
    user.silenced_until = until
    sanction = Sanction(user_id=user.id, kind=SanctionKind.SILENCE.value, until=until,
                        reason=reason, moderator_id=moderator.id,
                        case_id=_case_id_or_none(case_id), created_at=now)
    db.session.add(sanction)
    _notify(user.id, "silenced",
            f"Your account is read-only for {days} day{'s' if days != 1 else ''} "
            f"(until {until:%d %b %Y}). The moderators' reason: {reason} "
            "You can still read and support others.", None, now)
    db.session.flush()
    screening.audit("silenced", actor_id=moderator.id, case_id=sanction.case_id, user_id=user.id,
                    reason=reason, days=days, until=until.isoformat(), sanction_id=sanction.id)
    db.session.commit()
    return sanction


def suspend(moderator: User, user_id: int, reason: str, case_id: int | None = None) -> Sanction:
    user = _sanction_target(moderator, user_id)
    reason = _clean_reason(reason, required=True)
    now = utcnow()
    user.suspended_at = now
    # Signs the member out of every session and API token at once.
    user.session_version = (user.session_version or 1) + 1
    sanction = Sanction(user_id=user.id, kind=SanctionKind.SUSPEND.value, reason=reason,
                        moderator_id=moderator.id, case_id=_case_id_or_none(case_id),
                        created_at=now)
    db.session.add(sanction)
    db.session.flush()
    screening.audit("suspended", actor_id=moderator.id, case_id=sanction.case_id,
                    user_id=user.id, reason=reason, sanction_id=sanction.id)
    db.session.commit()
    return sanction


# ---------------------------------------------------------------- notices for members

NOTICE_MAX_AGE = timedelta(days=30)


def recent_notices(user: User, limit: int = 20) -> list[Notice]:
    """The member's notices from the last 30 days, oldest first."""
    rows = db.session.scalars(
        select(Notice).where(Notice.user_id == user.id,
                             Notice.created_at >= utcnow() - NOTICE_MAX_AGE)
        .order_by(Notice.id.desc()).limit(limit)
    ).all()
    return list(reversed(rows))


# ---------------------------------------------------------------- re-screening and labels

@dataclass(frozen=True)
class RescoreResult:
    screened: int
    published: int
    still_held: int


def rescore_held(limit: int | None = None) -> RescoreResult:
    """Screen held posts again (after a model or rules change); publish those that now pass.

    The automatic screener is the actor in the audit log. Escalated posts stay in the urgent
    lane even when published.
    """
    query = (
        select(Post)
        .options(joinedload(Post.thread), joinedload(Post.parent))
        .where(Post.status == PostStatus.HELD.value)
        .order_by(Post.id)
    )
    if limit:
        query = query.limit(limit)
    posts = db.session.scalars(query).unique().all()
    verdicts = screening.screen_many([screening.screened_text_of(post) for post in posts])
    now = utcnow()
    published = 0
    for post, verdict in zip(posts, verdicts, strict=True):
        if verdict.decision == "publish":
            visibility.publish(post, now)
            published += 1
        screening.record(post, verdict, source="rescore")
        if verdict.decision == "publish":
            case = screening.open_case_for(post.id)
            if case is not None and case.lane == Lane.HELD.value:
                _resolve(case, None, CaseStatus.APPROVED.value,
                         "Re-screened after a model or rules change; it now passes.", now)
                screening.audit("auto_approved", post_id=post.id, case_id=case.id,
                                user_id=post.author_id, model_version=verdict.model_version)
    db.session.commit()
    return RescoreResult(screened=len(posts), published=published,
                         still_held=len(posts) - published)


def export_labels() -> list[dict[str, Any]]:
    """Moderators' decisions as training rows: {"id","parent","text","label","note"}.

    approved → "crisis" when the case was escalated (a moderator confirmed it was safe to
    show, not that it wasn't crisis), otherwise "neutral" (the all-zero target; we don't know
    whether it was supportive); rejected → the category the moderator chose (or the case's
    harmful category); cases without a usable label are left out.
    """
    cases = db.session.scalars(
        select(ModerationCase)
        .options(joinedload(ModerationCase.post).joinedload(Post.thread),
                 joinedload(ModerationCase.post).joinedload(Post.parent))
        .where(ModerationCase.status.in_([CaseStatus.APPROVED.value, CaseStatus.REJECTED.value]),
               ModerationCase.resolved_by_id.is_not(None))
        .order_by(ModerationCase.id)
    ).unique().all()
    rows: list[dict[str, Any]] = []
    for case in cases:
        if case.status == CaseStatus.APPROVED.value:
            label = "crisis" if case.escalate or case.category == "crisis" else "neutral"
        else:
            label = case.resolution_category or (
                case.category if case.category in HARMFUL_CATEGORIES else None
            )
        if label is None:
            continue
        text, parent = screening.screened_text_of(case.post)
        note = f"moderator {case.status} ({case.lane} lane)"
        if case.resolution_reason:
            note += f": {case.resolution_reason}"
        rows.append({"id": f"mod-{case.id}", "parent": parent, "text": text, "label": label,
                     "note": note})
    return rows
