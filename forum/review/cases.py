"""Cases: a post a moderator should look at, at most one open case per post.

`record` stores every automatic verdict with its post (a `PostScreening` row) and opens or
updates the post's case when it is held or escalated; `record_report` merges members' reports on
one post into one case with a count. Both write the audit entry and leave the commit to the use
case that called them (posting, retraining). `resolve` closes a case for the decisions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (
    LANE_ORDER,
    CaseStatus,
    Lane,
    ModerationCase,
    Post,
    PostScreening,
    PostStatus,
    Report,
    Thread,
    User,
    utcnow,
)
from ..reading import one_or_not_found
from ..screening import Screening, screening_off
from .audit import audit
from .nudges import follow_up

LANE_RANK = {lane: rank for rank, lane in enumerate(LANE_ORDER)}


def _lane_for(verdict: Screening) -> str | None:
    if verdict.escalate:
        return Lane.URGENT.value
    if verdict.decision == "hold":
        return Lane.HELD.value
    return None


def open_case_for(post_id: int) -> ModerationCase | None:
    return db.session.scalar(
        select(ModerationCase).where(
            ModerationCase.post_id == post_id, ModerationCase.status == CaseStatus.OPEN.value
        )
    )


def get_case(case_id: int) -> ModerationCase:
    """A case with everything its page shows, loaded up front."""
    return one_or_not_found(
        select(ModerationCase)
        .options(
            joinedload(ModerationCase.post).joinedload(Post.author),
            joinedload(ModerationCase.post).joinedload(Post.thread).joinedload(Thread.category),
            joinedload(ModerationCase.post).joinedload(Post.parent).joinedload(Post.author),
            joinedload(ModerationCase.claimed_by),
            joinedload(ModerationCase.resolved_by),
            selectinload(ModerationCase.reports).joinedload(Report.reporter),
        )
        .where(ModerationCase.id == case_id),
        "There is no such case.",
    )


def record(post: Post, verdict: Screening, source: str | None = None) -> ModerationCase | None:
    """Store the verdict with the post; open or update its case when held or escalated.

    Called by the use cases after the post is flushed (it has an id), before their commit.
    Returns the open case, if there is one.
    """
    if screening_off():
        return None
    source = source or ("edit" if post.edited_at is not None else "create")
    nudged = follow_up(post, verdict) if source != "rescore" else False
    db.session.add(PostScreening(
        post_id=post.id, source=source, decision=verdict.decision, category=verdict.category,
        escalate=verdict.escalate, scores=dict(verdict.scores), reasons=list(verdict.reasons),
        rule_hits=[dict(hit) for hit in verdict.rule_hits], model_version=verdict.model_version,
        unavailable=verdict.unavailable, nudged=nudged, created_at=utcnow(),
    ))

    # A post written in this very transaction cannot have a case yet.
    case = open_case_for(post.id) if source != "create" else None
    lane = _lane_for(verdict)
    now = utcnow()
    if lane is not None:
        if case is None:
            case = ModerationCase(post_id=post.id, lane=lane, status=CaseStatus.OPEN.value,
                                  report_count=0, created_at=now)
            db.session.add(case)
        elif LANE_RANK[lane] < LANE_RANK.get(case.lane, len(LANE_ORDER)):
            case.lane = lane
        if case.lane == Lane.URGENT.value and case.urgent_since is None:
            case.urgent_since = now
        case.category = verdict.category
        case.reasons = list(verdict.reasons)
        case.scores = dict(verdict.scores)
        case.rule_hits = [dict(hit) for hit in verdict.rule_hits]
        case.model_version = verdict.model_version
        case.escalate = case.escalate or verdict.escalate
        case.unavailable = verdict.unavailable
        case.nudged = case.nudged or nudged
        case.updated_at = now
    elif (source != "rescore" and case is not None and case.lane == Lane.HELD.value
          and post.status == PostStatus.PUBLISHED.value):
        # The author revised a held post and the new text passed: nothing left to review.
        case.status = CaseStatus.SUPERSEDED.value
        case.resolved_at = now
        case.resolution_reason = "The author revised the post and the new text passed screening."
        case.updated_at = now
    db.session.flush()
    audit(
        "screened", post_id=post.id, case_id=case.id if case is not None else None,
        user_id=post.author_id, source=source, decision=verdict.decision,
        category=verdict.category, escalate=verdict.escalate,
        # Rule ids, not the reasons: those quote the matched words, and the append-only log
        # must never hold a post's text (a purge could not remove it). Cases keep the reasons.
        rules=sorted({str(hit.get("rule_id", "")) for hit in verdict.rule_hits} - {""}),
        model_version=verdict.model_version, post_status=post.status, nudged=nudged,
    )
    return case


def record_report(post: Post, report: Any) -> ModerationCase:
    """Reports on one post merge into its open case (the reported lane if it had none)."""
    now = utcnow()
    case = open_case_for(post.id)
    if case is None:
        case = ModerationCase(
            post_id=post.id, lane=Lane.REPORTED.value, status=CaseStatus.OPEN.value,
            category=None, reasons=[], scores={}, rule_hits=[], report_count=0, created_at=now,
        )
        latest = db.session.scalar(
            select(PostScreening).where(PostScreening.post_id == post.id)
            .order_by(PostScreening.id.desc()).limit(1)
        )
        if latest is not None:
            case.scores = dict(latest.scores or {})
            case.model_version = latest.model_version
        try:
            # Another report may open the case at the same moment: one open case per post.
            with db.session.begin_nested():
                db.session.add(case)
                db.session.flush()
        except IntegrityError:
            case = open_case_for(post.id)
            if case is None:
                raise
    db.session.flush()
    db.session.execute(
        update(ModerationCase).where(ModerationCase.id == case.id)
        .values(report_count=ModerationCase.report_count + 1, updated_at=now)
    )
    db.session.refresh(case)
    audit("reported", actor_id=report.reporter_id, post_id=post.id, case_id=case.id,
          user_id=post.author_id, reason=report.reason, report_count=case.report_count)
    return case


def resolve(case: ModerationCase, moderator: User | None, status: str, reason: str | None,
            now: datetime) -> None:
    """Close the case (None: the automatic screener); the caller writes the audit entry."""
    case.status = status
    case.resolved_by_id = moderator.id if moderator is not None else None
    case.resolved_at = now
    case.resolution_reason = reason
    case.claimed_by_id = None
    case.claimed_at = None
    case.updated_at = now
