"""The moderators' queue: open cases by lane, each with the author's recent posts and record.

Everything the queue and case pages show is loaded up front: a constant number of queries
whatever the queue's length. `screening_health` says whether automatic screening works (the
banner on the queue and `moderation status`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case as sql_case
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from .. import screening
from ..errors import InvalidInput
from ..extensions import db
from ..models import (
    APPEALS_LANE,
    LANE_ORDER,
    Appeal,
    AppealStatus,
    BlockedAttempt,
    CaseStatus,
    Lane,
    MemberNote,
    ModerationCase,
    Post,
    PostScreening,
    PostStatus,
    Report,
    Sanction,
    Thread,
)
from ..reading import Page, paginate
from .appeals import open_appeals
from .attempts import open_attempts
from .cases import LANE_RANK, get_case
from .member_notes import notes_for

# Appeals (forum/review/appeals.py) are a lane of their own, after the cases' lanes; "all"
# means every open case (appeals are not cases: they have their own page).
LANES = ("all", *LANE_ORDER, APPEALS_LANE)
CASE_LANES = ("all", *LANE_ORDER)
ATTEMPTS = "blocked_attempts"  # counted beside the lanes, shown in the urgent one
HISTORY_SIZE = 5


@dataclass(frozen=True)
class QueueEntry:
    case: ModerationCase
    history: list[Post]  # the author's most recent other posts, newest first
    prior_sanctions: int
    notes: list[MemberNote] = field(default_factory=list)  # staff notes on the author


@dataclass(frozen=True)
class Queue:
    page: Page[QueueEntry]
    lane: str
    counts: dict[str, int]  # open cases per lane, plus "all"
    attempts: list[BlockedAttempt]  # open blocked attempts (urgent), shown above the cases
    appeals: Page[Appeal] | None = None  # the appeals lane's page



def _open_cases_filter():
    # A case whose post its author deleted has nothing left to review.
    return (ModerationCase.status == CaseStatus.OPEN.value) & (
        Post.status.not_in([PostStatus.DELETED.value, PostStatus.PURGED.value])
    )


def lane_counts() -> dict[str, int]:
    """Open cases per lane and in all; blocked attempts (urgent cases of their own, see
    review/attempts.py) count in the urgent lane; open appeals in theirs. One query."""
    return _counts()[0]


def _counts() -> tuple[dict[str, int], int]:
    """The lane counts, and how many of the urgent ones are blocked attempts."""
    cases = (
        select(ModerationCase.lane.label("lane"), func.count().label("n"))
        .join(Post, Post.id == ModerationCase.post_id)
        .where(_open_cases_filter())
        .group_by(ModerationCase.lane)
    )
    attempts = (
        select(literal(ATTEMPTS).label("lane"), func.count().label("n"))
        .select_from(BlockedAttempt)
        .where(BlockedAttempt.status == CaseStatus.OPEN.value)
    )
    appeals = (
        select(literal(APPEALS_LANE).label("lane"), func.count().label("n"))
        .select_from(Appeal)
        .where(Appeal.status == AppealStatus.OPEN.value)
    )
    rows = db.session.execute(union_all(cases, attempts, appeals)).all()
    counts = {lane: 0 for lane in LANES}
    attempts = 0
    for lane, count in rows:
        if lane == ATTEMPTS:
            attempts = count
        else:
            counts[lane] = count
    counts[Lane.URGENT.value] += attempts
    counts["all"] = sum(count for lane, count in rows if lane != APPEALS_LANE)
    return counts, attempts


def _lane_rank():
    return sql_case(LANE_RANK, value=ModerationCase.lane, else_=len(LANE_ORDER))


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
    return paginate(query, page, per_page)



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
        # Sanctions overturned on appeal no longer count against the member.
        select(Sanction.user_id, func.count())
        .where(Sanction.user_id.in_(author_ids), Sanction.lifted_at.is_(None))
        .group_by(Sanction.user_id)
    ).all()
    return dict(rows)


def queue(lane: str = "all", page: int = 1, per_page: int = 50) -> Queue:
    _check_lane(lane)
    if lane == APPEALS_LANE:
        counts, _ = _counts()
        empty = Page(items=[], page=1, pages=1, total=0)
        return Queue(page=empty, lane=lane, counts=counts, attempts=[],
                     appeals=open_appeals(page, per_page))
    cases = open_cases(lane, page, per_page)
    author_ids = {case.post.author_id for case in cases.items}
    history = _recent_history(author_ids, {case.post_id for case in cases.items})
    sanctions = _sanction_counts(author_ids)
    notes = notes_for(author_ids)
    entries = [
        QueueEntry(case=case, history=history.get(case.post.author_id, []),
                   prior_sanctions=sanctions.get(case.post.author_id, 0),
                   notes=notes.get(case.post.author_id, []))
        for case in cases.items
    ]
    counts, attempts = _counts()
    show_attempts = lane in ("all", Lane.URGENT.value) and cases.page == 1 and attempts > 0
    return Queue(
        page=Page(items=entries, page=cases.page, pages=cases.pages, total=cases.total),
        lane=lane, counts=counts, attempts=open_attempts() if show_attempts else [],
    )



def case_entry(case_id: int) -> QueueEntry:
    case = get_case(case_id)
    history = _recent_history({case.post.author_id}, {case.post_id})
    sanctions = _sanction_counts({case.post.author_id})
    notes = notes_for({case.post.author_id})
    return QueueEntry(case=case, history=history.get(case.post.author_id, []),
                      prior_sanctions=sanctions.get(case.post.author_id, 0),
                      notes=notes.get(case.post.author_id, []))



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
