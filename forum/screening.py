"""The one bridge between the forum and the `moderation` package.

* `screen_text` runs a text (with the post it answers, as context) through `moderation.Pipeline`
  and turns the verdict into a `Screening`. The pipeline is built lazily, once per process
  and configuration — never at import time or in create_app — so starting the app stays fast
  and a missing model never stops the forum from serving pages.
* `record` stores every verdict with its post (a `PostScreening` row), opens or updates a
  moderation case when the post is held or escalated, and writes the audit entry.
* `record_report` merges members' reports on one post into one case with a count.
* `record_nudge` remembers that an author was shown a nudge, to measure how often they revise.

Fail closed: if the pipeline cannot be built or raises, the text is held with the reason
"screening unavailable: …" — never published unscreened, never lost.

Tests may inject any object with `screen(items) -> list[Verdict]` (and optionally `status()`)
as ``app.extensions["moderation_pipeline"]`` or ``app.config["MODERATION_PIPELINE"]``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import (
    AuditEntry,
    CaseStatus,
    Lane,
    ModerationCase,
    NudgeEvent,
    Post,
    PostScreening,
    PostStatus,
    utcnow,
)

log = logging.getLogger(__name__)

UNAVAILABLE_PREFIX = "screening unavailable"
# A nudge counts as followed up by the author's next post on the same target within this time.
NUDGE_FOLLOW_UP = timedelta(hours=6)

# Kind, specific words for an author whose text screening would hold. Shown with the text kept.
NUDGES: dict[str, str] = {
    "nc_shaming": (
        "This may read as shaming them for how they handle contact — for going back, or for "
        "not managing to stay away. Slips are common here. Would you like to rephrase it?"
    ),
    "victim_blaming": (
        "This may read as blaming them for what was done to them. "
        "Would you like to rephrase it?"
    ),
    "guilt_tripping": (
        "This may read as pressuring them to reconnect or making them feel guilty for "
        "protecting themselves. Would you like to rephrase it?"
    ),
    "darvo": (
        "This may read as casting the person who was hurt as the one doing harm. "
        "Would you like to rephrase it?"
    ),
    "invalidation": (
        "This may read as brushing off what they went through. "
        "Would you like to rephrase it?"
    ),
    "toxic": "This may read as an attack on someone here. Would you like to rephrase it?",
}
DEFAULT_NUDGE = (
    "This may hurt someone who is already having a hard time. Would you like to rephrase it?"
)
UNAVAILABLE_NUDGE = (
    "Our automatic screening isn't running right now, so your post is saved and waiting: "
    "a moderator, or the screening as soon as it is back, will check it before others see it. "
    "You don't need to send it again; only you can see it until then."
)
BLOCK_NUDGE = (
    "This can't be posted as it is (for example threats, or someone's private details). "
    "Your text is kept below so you can change it."
)


@dataclass(frozen=True)
class Screening:
    decision: str  # "publish" | "hold" | "block"
    category: str | None = None
    escalate: bool = False
    reasons: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    nudge: str | None = None
    rule_hits: tuple[dict[str, Any], ...] = ()
    model_version: str = "none"

    @property
    def unavailable(self) -> bool:
        return any(reason.startswith(UNAVAILABLE_PREFIX) for reason in self.reasons)


# ---------------------------------------------------------------- the pipeline, once per process

_pipelines: dict[tuple[str, str], Any] = {}
_pipelines_lock = threading.Lock()


def _configured_pipeline() -> Any:
    """The injected pipeline (tests) or the process-wide one for this configuration."""
    app = current_app
    injected = app.extensions.get("moderation_pipeline") or app.config.get("MODERATION_PIPELINE")
    if injected is not None:
        return injected
    key = (str(app.config.get("MODERATION_MODEL") or ""),
           str(app.config.get("MODERATION_TOXICITY_MODEL") or "none"))
    pipeline = _pipelines.get(key)
    if pipeline is None:
        with _pipelines_lock:
            pipeline = _pipelines.get(key)
            if pipeline is None:
                from moderation import Pipeline

                pipeline = Pipeline(community_model_path=key[0] or None, toxicity_model=key[1])
                _pipelines[key] = pipeline
    return pipeline


def warm_in_background(app: Any) -> threading.Thread | None:
    """Load this process's pipeline (rules and models) in a background thread, now.

    Called by each gunicorn worker as it starts (gunicorn.conf.py), so the worker answers
    pages at once while the model loads, and the first post does not pay the load alone: a
    post that arrives meanwhile waits on the same load (the pipeline's lock) instead of
    starting another. Returns the thread (None when screening is off).
    """
    with app.app_context():
        if screening_off():
            return None

    def warm() -> None:
        with app.app_context():
            try:
                pipeline = _configured_pipeline()
                warm_up = getattr(pipeline, "warm", None)
                if warm_up is not None:
                    warm_up()
            except Exception:  # a failed load is retried by the first post; never crash
                log.exception("warming the screening pipeline failed")

    thread = threading.Thread(target=warm, name="screening-warm-up", daemon=True)
    thread.start()
    return thread


def current_pipeline() -> Any | None:
    """The pipeline this process uses, if screening is on and it could be built."""
    if screening_off():
        return None
    try:
        return _configured_pipeline()
    except Exception:
        return None


def screening_off() -> bool:
    return current_app.config.get("MODERATION_SCREENING", "pipeline") == "off"


def pipeline_status() -> dict[str, Any]:
    """What the pipeline says about its models (for `moderation status` and the queue banner)."""
    if screening_off():
        return {"screening": "off"}
    try:
        pipeline = _configured_pipeline()
    except Exception as exc:
        return {"screening": "pipeline", "error": f"{type(exc).__name__}: {exc}"}
    status = getattr(pipeline, "status", None)
    if status is None:
        return {"screening": "pipeline"}
    try:
        return {"screening": "pipeline", **status()}
    except Exception as exc:
        return {"screening": "pipeline", "error": f"{type(exc).__name__}: {exc}"}


def _unavailable(why: str) -> Screening:
    return Screening(
        decision="hold", reasons=(f"{UNAVAILABLE_PREFIX}: {why}",), nudge=UNAVAILABLE_NUDGE,
        model_version="unavailable",
    )


def _nudge_for(decision: str, category: str | None, reasons: tuple[str, ...]) -> str:
    if decision == "block":
        return BLOCK_NUDGE
    if any(reason.startswith(UNAVAILABLE_PREFIX) for reason in reasons):
        return UNAVAILABLE_NUDGE
    return NUDGES.get(category or "", DEFAULT_NUDGE)


def _rule_hit_dict(hit: Any) -> dict[str, Any]:
    return {
        "rule_id": str(getattr(hit, "rule_id", "")),
        "category": getattr(hit, "category", None),
        "action": str(getattr(hit, "action", "")),
        "phrase": str(getattr(hit, "phrase", "")),
        "why": str(getattr(hit, "why", "")),
    }


def from_verdict(verdict: Any) -> Screening:
    """Map a `moderation.Verdict` to the forum's `Screening`."""
    decision = str(getattr(verdict.decision, "value", verdict.decision))
    if decision not in {"publish", "hold", "block"}:
        return _unavailable(f"unknown decision {decision!r}")
    reasons = tuple(str(reason) for reason in verdict.reasons)
    nudge = verdict.nudge if decision != "publish" else None
    if any(reason.startswith(UNAVAILABLE_PREFIX) for reason in reasons):
        nudge = UNAVAILABLE_NUDGE  # the forum's own words: the post is stored, not bounced
    elif decision != "publish" and not nudge:
        nudge = _nudge_for(decision, verdict.category, reasons)
    return Screening(
        decision=decision,
        category=verdict.category,
        escalate=bool(verdict.escalate),
        reasons=reasons,
        scores={str(label): round(float(score), 4) for label, score in verdict.scores.items()},
        nudge=nudge,
        rule_hits=tuple(_rule_hit_dict(hit) for hit in verdict.rule_hits),
        model_version=str(verdict.model_version or "unknown"),
    )


def screen_text(text: str, parent_text: str | None) -> Screening:
    """Screen one text written in answer to `parent_text` (None for an opening post)."""
    if screening_off():
        return Screening(decision="publish", model_version="off")
    try:
        from moderation import Item

        pipeline = _configured_pipeline()
        verdicts = pipeline.screen([Item(id="post", text=text, parent=parent_text)])
        return from_verdict(verdicts[0])
    except Exception as exc:
        # Fail closed: hold for a moderator rather than publish unscreened.
        log.exception("screening failed; holding the post")
        return _unavailable(f"{type(exc).__name__}: {exc}")


def screen_many(texts: list[tuple[str, str | None]]) -> list[Screening]:
    """Screen several (text, parent) pairs in one batch (for `moderation rescore`)."""
    if screening_off():
        return [Screening(decision="publish", model_version="off") for _ in texts]
    try:
        from moderation import Item

        pipeline = _configured_pipeline()
        items = [Item(id=str(n), text=text, parent=parent) for n, (text, parent) in enumerate(texts)]
        return [from_verdict(verdict) for verdict in pipeline.screen(items)] if items else []
    except Exception as exc:
        log.exception("screening failed; keeping posts held")
        return [_unavailable(f"{type(exc).__name__}: {exc}") for _ in texts]


def screened_text_of(post: Post) -> tuple[str, str | None]:
    """The text screening sees for a post, and its parent's text (context)."""
    text = f"{post.thread.title}\n\n{post.body_markdown}" if post.is_opening else post.body_markdown
    parent = post.parent.body_markdown if post.parent is not None else None
    return text, parent


# ---------------------------------------------------------------- training (for the CLI)

def default_training_data() -> Path:
    """The repository's own labelled training data (moderation/data/train.jsonl)."""
    from moderation import training

    return Path(training.DEFAULT_DATA)


def build_community_model(out_path: Path, data_paths: list[Path], *, if_stale: bool,
                          progress: Callable[[str], None], **options: Any) -> Path:
    """Train the community model (moderation.training); with `if_stale`, only when needed."""
    from moderation import training

    if if_stale:
        return Path(training.ensure_community_model(out_path, data_paths, progress=progress,
                                                    **options))
    report = training.train(data_paths, out_path, progress=progress, **options)
    return Path(getattr(report, "out_path", out_path))


# ---------------------------------------------------------------- nudges

def nudge_target(kind: str, ident: int | None = None) -> str:
    """What an author is writing: ("thread",) → "thread:new"; ("reply", 5) → "reply:5"."""
    return f"{kind}:{'new' if ident is None else ident}"


def _target_of(post: Post) -> str:
    if post.edited_at is not None:
        return nudge_target("edit", post.id)
    if post.is_opening:
        return nudge_target("thread")
    return nudge_target("reply", post.thread_id)


def record_nudge(author: Any, target: str, verdict: Screening) -> None:
    """The author is about to see a nudge instead of a stored post. Commits its own row.

    Nothing else is pending in the session at this point: the use case has only read.
    """
    if author is None or screening_off():
        return
    now = utcnow()
    db.session.execute(
        update(NudgeEvent)
        .where(NudgeEvent.user_id == author.id, NudgeEvent.target == target,
               NudgeEvent.outcome.is_(None))
        .values(outcome="renudged", resolved_at=now)
    )
    db.session.add(NudgeEvent(
        user_id=author.id, target=target, decision=verdict.decision, category=verdict.category,
        created_at=now,
    ))
    db.session.commit()


def _follow_up_nudge(post: Post, verdict: Screening) -> bool:
    """Close the author's pending nudge for this target; True if they submitted anyway."""
    now = utcnow()
    pending = db.session.scalar(
        select(NudgeEvent)
        .where(NudgeEvent.user_id == post.author_id, NudgeEvent.target == _target_of(post),
               NudgeEvent.outcome.is_(None), NudgeEvent.created_at >= now - NUDGE_FOLLOW_UP)
        .order_by(NudgeEvent.id.desc())
        .limit(1)
    )
    if pending is None:
        return False
    submitted_anyway = verdict.decision != "publish"
    pending.outcome = "submitted" if submitted_anyway else "revised"
    pending.post_id = post.id
    pending.resolved_at = now
    return submitted_anyway


# ---------------------------------------------------------------- recording verdicts and reports

def _lane_for(verdict: Screening) -> str | None:
    if verdict.escalate:
        return Lane.URGENT.value
    if verdict.decision == "hold":
        return Lane.HELD.value
    return None


_LANE_RANK = {Lane.URGENT.value: 0, Lane.HELD.value: 1, Lane.REPORTED.value: 2}


def open_case_for(post_id: int) -> ModerationCase | None:
    return db.session.scalar(
        select(ModerationCase).where(
            ModerationCase.post_id == post_id, ModerationCase.status == CaseStatus.OPEN.value
        )
    )


def audit(action: str, *, actor_id: int | None = None, post_id: int | None = None,
          case_id: int | None = None, user_id: int | None = None, **details: Any) -> AuditEntry:
    entry = AuditEntry(actor_id=actor_id, action=action, post_id=post_id, case_id=case_id,
                       user_id=user_id, details=details, created_at=utcnow())
    db.session.add(entry)
    return entry


def record(post: Post, verdict: Screening, source: str | None = None) -> ModerationCase | None:
    """Store the verdict with the post; open or update its case when held or escalated.

    Called by the use cases after the post is flushed (it has an id), before their commit.
    Returns the open case, if there is one.
    """
    if screening_off():
        return None
    source = source or ("edit" if post.edited_at is not None else "create")
    nudged = _follow_up_nudge(post, verdict) if source != "rescore" else False
    db.session.add(PostScreening(
        post_id=post.id, source=source, decision=verdict.decision, category=verdict.category,
        escalate=verdict.escalate, scores=dict(verdict.scores), reasons=list(verdict.reasons),
        rule_hits=[dict(hit) for hit in verdict.rule_hits], model_version=verdict.model_version,
        unavailable=verdict.unavailable, nudged=nudged, created_at=utcnow(),
    ))

    case = open_case_for(post.id)
    lane = _lane_for(verdict)
    now = utcnow()
    if lane is not None:
        if case is None:
            case = ModerationCase(post_id=post.id, lane=lane, status=CaseStatus.OPEN.value,
                                  report_count=0, created_at=now)
            db.session.add(case)
        elif _LANE_RANK[lane] < _LANE_RANK.get(case.lane, 9):
            case.lane = lane
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
        category=verdict.category, escalate=verdict.escalate, reasons=list(verdict.reasons),
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
