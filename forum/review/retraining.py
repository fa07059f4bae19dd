"""Retraining: re-screen held posts after a model or rules change, export moderators'
decisions as training rows, and build the community model (for `flask moderation ...`).

Training itself is moderation's (`moderation.train_community_model`,
`moderation.ensure_community_model`); this module only hands it the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

import moderation

from .. import screening, visibility
from ..extensions import db
from ..models import CaseStatus, Lane, ModerationCase, Post, PostStatus, utcnow
from .audit import audit
from .cases import open_case_for, record, resolve
from .decisions import HARMFUL_CATEGORIES


@dataclass(frozen=True)
class RescoreResult:
    screened: int
    published: int
    still_held: int


def rescore_held(limit: int | None = None, *, unavailable_only: bool = False) -> RescoreResult:
    """Screen held posts again (after a model or rules change); publish those that now pass.

    ``unavailable_only``: only posts held because screening could not run (an open case
    marked unavailable), e.g. while `make run` was still building the model.
    The automatic screener is the actor in the audit log. Escalated posts stay in the urgent
    lane even when published.
    """
    query = (
        select(Post)
        .options(joinedload(Post.thread), joinedload(Post.parent))
        .where(Post.status == PostStatus.HELD.value)
        .order_by(Post.id)
    )
    if unavailable_only:
        query = query.where(Post.id.in_(
            select(ModerationCase.post_id).where(
                ModerationCase.status == CaseStatus.OPEN.value,
                ModerationCase.unavailable.is_(True),
            )
        ))
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
        record(post, verdict, source="rescore")
        if verdict.decision == "publish":
            case = open_case_for(post.id)
            if case is not None and case.lane == Lane.HELD.value:
                resolve(case, None, CaseStatus.APPROVED.value,
                         "Re-screened after a model or rules change; it now passes.", now)
                audit("auto_approved", post_id=post.id, case_id=case.id,
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


def default_training_data() -> Path:
    """The repository's own labelled training data (moderation/data/train.jsonl)."""
    return Path(moderation.DEFAULT_TRAINING_DATA)


def build_community_model(out_path: Path, data_paths: list[Path], *, if_stale: bool,
                          progress: Callable[[str], None], **options: Any) -> Path:
    """Train the community model; with `if_stale`, only when it is missing or out of date."""
    if if_stale:
        return Path(moderation.ensure_community_model(out_path, data_paths, progress=progress,
                                                      **options))
    report = moderation.train_community_model(data_paths, out_path, progress=progress, **options)
    return Path(getattr(report, "out_path", out_path))
