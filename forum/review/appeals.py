"""Appeals: a member asks for another look at a decision about them, once per decision.

What can be appealed: a post a moderator rejected (its case), and a warning, a read-only
period or a suspension (its sanction) — by the member concerned only. The appeal waits in the
queue's appeals lane. Another moderator than the one who decided answers it; the one who
decided may only when no other moderator or admin is active (the audit entry says so).
Upholding keeps the decision; overturning publishes the post again (through
forum/visibility.py) or lifts the sanction. Either way the member gets a kind notice.

Each public function that changes something is one transaction with its audit entries. The
member's note is kept on the appeal for moderators, never copied into the append-only log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from .. import visibility
from ..errors import Conflict, Forbidden, ForumError, InvalidInput, NotFound
from ..extensions import db
from ..models import (
    Appeal,
    AppealKind,
    AppealStatus,
    CaseStatus,
    ModerationCase,
    Post,
    PostStatus,
    Role,
    Sanction,
    SanctionKind,
    Thread,
    User,
    utcnow,
)
from ..reading import Page, paginate
from .appeal_messages import outcome_message
from .audit import audit
from .decisions import clean_reason, require_staff
from .notices import notify

NOTE_MAX = 2000
OUTCOMES = ("uphold", "overturn")
ALREADY = ("You've already asked for another look at this decision, and that can only happen "
           "once. A moderator will answer it; you'll see their answer here.")
NOT_YOURS_POST = "We couldn't find a decision about a post of yours there."
NOT_YOURS_SANCTION = "We couldn't find that decision on your account."


def clean_note(note: object) -> str:
    """The member's note: text, not empty, at most NOTE_MAX characters (cleaned already at the
    boundary of surrogates and control characters)."""
    if note is not None and not isinstance(note, str):
        raise InvalidInput("The note must be text.", field="note")
    note = (note or "").replace("\r\n", "\n").strip()
    if not note:
        raise InvalidInput("Please tell us in a few words why you'd like another look; "
                           "a moderator will read it.", field="note")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"Please keep your note under {NOTE_MAX:,} characters.", field="note")
    return note


# --- what a member can appeal ---------------------------------------------------------------


def rejected_case(post: Post) -> ModerationCase | None:
    """The moderator's case that rejected this post (the latest), if it is still rejected."""
    if post.status != PostStatus.REJECTED.value:
        return None
    return db.session.scalar(
        select(ModerationCase)
        .where(ModerationCase.post_id == post.id,
               ModerationCase.status == CaseStatus.REJECTED.value)
        .order_by(ModerationCase.resolved_at.desc(), ModerationCase.id.desc()).limit(1)
    )


def _own_post(member: User, post_id: object) -> Post:
    post = db.session.get(Post, post_id) if isinstance(post_id, int) else None
    if post is None or post.author_id != member.id:
        raise NotFound(NOT_YOURS_POST)
    return post


def _own_sanction(member: User, sanction_id: object) -> Sanction:
    sanction = db.session.get(Sanction, sanction_id) if isinstance(sanction_id, int) else None
    if sanction is None or sanction.user_id != member.id:
        raise NotFound(NOT_YOURS_SANCTION)
    return sanction


def post_decision(member: User, post_id: int) -> tuple[Post, ModerationCase]:
    """The member's rejected post and the case that rejected it (for the appeal form)."""
    post = _own_post(member, post_id)
    case = rejected_case(post)
    if case is None:
        raise Conflict("This post wasn't declined by a moderator, so there's nothing to "
                       "appeal.", post_id=post.id)
    return post, case


def sanction_decision(member: User, sanction_id: int) -> Sanction:
    sanction = _own_sanction(member, sanction_id)
    if sanction.lifted_at is not None:
        raise Conflict("This decision has already been withdrawn.", sanction_id=sanction.id)
    return sanction


def appeal_for_case(case_id: int) -> Appeal | None:
    return db.session.scalar(select(Appeal).where(Appeal.case_id == case_id))


def appeal_for_sanction(sanction_id: int) -> Appeal | None:
    return db.session.scalar(select(Appeal).where(Appeal.sanction_id == sanction_id))


@dataclass(frozen=True)
class MemberDecision:
    """A decision about the member, for their "Decisions about you" page."""

    kind: str  # "post" or "sanction"
    id: int  # the post's or the sanction's id (what the appeal form takes)
    what: str  # "rejected", "warn", "silence", "suspend"
    reason: str | None
    decided_at: datetime | None
    thread_title: str | None
    until: datetime | None
    appeal: Appeal | None


def member_decisions(member: User) -> list[MemberDecision]:
    """The member's rejected posts and sanctions still standing or appealed, newest first, with
    their appeal if there is one. Three queries."""
    cases = db.session.scalars(
        select(ModerationCase)
        .join(Post, Post.id == ModerationCase.post_id)
        .options(joinedload(ModerationCase.post).joinedload(Post.thread))
        .where(Post.author_id == member.id, Post.status == PostStatus.REJECTED.value,
               ModerationCase.status == CaseStatus.REJECTED.value)
        .order_by(ModerationCase.resolved_at.desc())
    ).all()
    sanctions = db.session.scalars(
        select(Sanction).where(Sanction.user_id == member.id).order_by(Sanction.created_at.desc())
    ).all()
    appeals = db.session.scalars(select(Appeal).where(Appeal.user_id == member.id)).all()
    by_case = {a.case_id: a for a in appeals if a.case_id}
    by_sanction = {a.sanction_id: a for a in appeals if a.sanction_id}
    found: list[MemberDecision] = []
    seen_posts: set[int] = set()
    for case in cases:
        if case.post_id in seen_posts:
            continue
        seen_posts.add(case.post_id)
        found.append(MemberDecision("post", case.post_id, "rejected", case.resolution_reason,
                                    case.resolved_at, case.post.thread.title, None,
                                    by_case.get(case.id)))
    for sanction in sanctions:
        appeal = by_sanction.get(sanction.id)
        if sanction.lifted_at is not None and appeal is None:
            continue
        found.append(MemberDecision("sanction", sanction.id, sanction.kind, sanction.reason,
                                    sanction.created_at, None, sanction.until, appeal))
    return sorted(found, key=lambda d: d.decided_at or utcnow(), reverse=True)


# --- appealing ------------------------------------------------------------------------------


def _open(member: User, appeal: Appeal, existing: Appeal | None) -> Appeal:
    if existing is not None:
        raise Conflict(ALREADY, appeal_id=existing.id)
    try:
        # Two appeals of one decision at the same moment: the unique constraint keeps one.
        with db.session.begin_nested():
            db.session.add(appeal)
            db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(ALREADY) from None
    audit("appeal_opened", actor_id=member.id, post_id=appeal.post_id,
          case_id=appeal.case_id, user_id=member.id, appeal_id=appeal.id, kind=appeal.kind,
          decision=appeal.decision, sanction_id=appeal.sanction_id,
          note_length=len(appeal.note))
    db.session.commit()
    return appeal


def appeal_post(member: User, post_id: int, note: object) -> Appeal:
    """The author of a rejected post asks for another look (once per rejection)."""
    post, case = post_decision(member, post_id)
    note = clean_note(note)
    appeal = Appeal(user_id=member.id, kind=AppealKind.POST.value, case_id=case.id,
                    post_id=post.id, decision="rejected", decided_by_id=case.resolved_by_id,
                    decision_reason=case.resolution_reason, note=note,
                    status=AppealStatus.OPEN.value, created_at=utcnow())
    return _open(member, appeal, appeal_for_case(case.id))


def appeal_sanction(member: User, sanction_id: int, note: object) -> Appeal:
    """A warned, silenced or suspended member asks for another look (once per sanction)."""
    sanction = sanction_decision(member, sanction_id)
    note = clean_note(note)
    case = db.session.get(ModerationCase, sanction.case_id) if sanction.case_id else None
    appeal = Appeal(user_id=member.id, kind=AppealKind.SANCTION.value, sanction_id=sanction.id,
                    post_id=case.post_id if case is not None else None,
                    decision=sanction.kind, decided_by_id=sanction.moderator_id,
                    decision_reason=sanction.reason, note=note,
                    status=AppealStatus.OPEN.value, created_at=utcnow())
    return _open(member, appeal, appeal_for_sanction(sanction.id))


# --- the moderators' side -------------------------------------------------------------------


def _with_everything(query):
    return query.options(
        joinedload(Appeal.member), joinedload(Appeal.decided_by), joinedload(Appeal.resolved_by),
        joinedload(Appeal.sanction),
        joinedload(Appeal.post).joinedload(Post.thread).joinedload(Thread.category),
        joinedload(Appeal.post).joinedload(Post.author),
    )


def get_appeal(appeal_id: int) -> Appeal:
    appeal = db.session.scalar(_with_everything(select(Appeal)).where(Appeal.id == appeal_id))
    if appeal is None:
        raise NotFound("There is no such appeal.")
    return appeal


def open_appeals(page: int = 1, per_page: int = 50) -> Page[Appeal]:
    """Open appeals, oldest first."""
    query = _with_everything(select(Appeal)).where(
        Appeal.status == AppealStatus.OPEN.value).order_by(Appeal.created_at, Appeal.id)
    return paginate(query, page, per_page)


def _other_active_staff(user_id: int | None) -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(
            User.role.in_((Role.MODERATOR.value, Role.ADMIN.value)),
            User.suspended_at.is_(None), User.id != (user_id or 0))
    ) or 0


def who_may_decide(moderator: User, appeal: Appeal) -> str | None:
    """None when this moderator may answer the appeal; otherwise why not (shown on the page)."""
    if appeal.user_id == moderator.id:
        return "This appeal is about a decision on you, so another moderator will answer it."
    if appeal.decided_by_id == moderator.id and _other_active_staff(moderator.id):
        return ("You made the original decision, so another moderator will answer this appeal: "
                "a second pair of eyes is the point of it.")
    return None


def _lift(sanction: Sanction, now: datetime) -> None:
    """Lift an overturned sanction; the member's read-only and suspended marks follow the
    sanctions still standing (computed in SQL, never read-modify-write)."""
    sanction.lifted_at = now
    db.session.flush()
    standing = (Sanction.user_id == User.id) & Sanction.lifted_at.is_(None)
    if sanction.kind == SanctionKind.SILENCE.value:
        db.session.execute(
            update(User).where(User.id == sanction.user_id)
            .values(silenced_until=select(func.max(Sanction.until)).where(
                standing, Sanction.kind == SanctionKind.SILENCE.value, Sanction.until > now)
                .scalar_subquery())
            .execution_options(synchronize_session=False))
    elif sanction.kind == SanctionKind.SUSPEND.value:
        db.session.execute(
            update(User).where(User.id == sanction.user_id)
            .values(suspended_at=select(func.max(Sanction.created_at)).where(
                standing, Sanction.kind == SanctionKind.SUSPEND.value).scalar_subquery())
            .execution_options(synchronize_session=False))
    db.session.expire(sanction.user, ["silenced_until", "suspended_at"])


def _overturn(moderator: User, appeal: Appeal, reason: str, now: datetime) -> None:
    if appeal.kind == AppealKind.POST.value:
        post = appeal.post
        if not visibility.restore(post, now):
            raise Conflict("This post can't be published again: its author removed it.",
                           appeal_id=appeal.id)
        case = db.session.get(ModerationCase, appeal.case_id)
        # The moderators' final word on the post is now "approve" (the agreement page and
        # export-labels read it); the rejection stays in the audit log and on the appeal.
        case.status = CaseStatus.APPROVED.value
        case.resolved_by_id, case.resolved_at = moderator.id, now
        case.resolution_reason = f"Overturned on appeal: {reason}"
        case.resolution_category = None
        case.updated_at = now
    else:
        _lift(appeal.sanction, now)


def decide(moderator: User, appeal_id: int, outcome: object, reason: object) -> Appeal:
    """Uphold or overturn an open appeal; the member is told kindly either way."""
    require_staff(moderator)
    appeal = get_appeal(appeal_id)
    if outcome not in OUTCOMES:
        raise InvalidInput("The outcome is 'uphold' or 'overturn'.", field="outcome")
    reason = clean_reason(reason, required=True)
    if not appeal.is_open:
        raise Conflict("This appeal has already been answered.", appeal_id=appeal.id,
                       status=appeal.status)
    refusal = who_may_decide(moderator, appeal)
    if refusal:
        raise Forbidden(refusal, appeal_id=appeal.id)
    now = utcnow()
    status = (AppealStatus.OVERTURNED if outcome == "overturn" else AppealStatus.UPHELD).value
    try:
        # Two moderators answering at once: only one moves it from open.
        claimed = db.session.execute(
            update(Appeal).where(Appeal.id == appeal.id, Appeal.status == AppealStatus.OPEN.value)
            .values(status=status, resolved_by_id=moderator.id, resolved_at=now,
                    resolution_reason=reason)
            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            raise Conflict("Another moderator has just answered this appeal.",
                           appeal_id=appeal.id)
        db.session.expire(appeal)
        if status == AppealStatus.OVERTURNED.value:
            _overturn(moderator, appeal, reason, now)
        notify(appeal.user_id, f"appeal_{status}", outcome_message(appeal, status, reason),
               appeal.post_id, now)
        audit(f"appeal_{status}", actor_id=moderator.id, post_id=appeal.post_id,
              case_id=appeal.case_id, user_id=appeal.user_id, appeal_id=appeal.id,
              kind=appeal.kind, decision=appeal.decision, sanction_id=appeal.sanction_id,
              original_decider_id=appeal.decided_by_id, reason=reason,
              sole_moderator=appeal.decided_by_id == moderator.id)
        db.session.commit()
    except ForumError:
        db.session.rollback()
        raise
    return appeal


def open_appeal_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Appeal)
                             .where(Appeal.status == AppealStatus.OPEN.value)) or 0
