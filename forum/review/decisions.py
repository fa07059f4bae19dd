"""Moderators' decisions on cases: approve, reject, edit and approve, bulk, claim and release.

Each public function is one transaction and writes an audit entry for every step; a rejected
or edited post's author gets a notice. A case claimed by another moderator (within
CLAIM_TIMEOUT) or already resolved is refused with a Conflict.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

import moderation

from .. import visibility
from ..errors import Conflict, Forbidden, InvalidInput
from ..extensions import db
from ..markup import render_markdown
from ..models import CaseStatus, ModerationCase, Post, PostRevision, PostStatus, User, utcnow
from .audit import audit
from .cases import get_case, resolve
from .notices import notify

HARMFUL_CATEGORIES: tuple[str, ...] = moderation.HARMFUL
REASON_MAX = 1000
# A claim older than this no longer keeps other moderators away from a case.
CLAIM_TIMEOUT = timedelta(minutes=30)


def clean_reason(reason: object, required: bool, what: str = "reason") -> str | None:
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


def require_staff(moderator: User) -> None:
    if moderator is None or not getattr(moderator, "is_staff", False):
        raise Forbidden("Only moderators can do that.")


def _claimed_by_other(case: ModerationCase, moderator: User, now: datetime) -> bool:
    return (
        case.claimed_by_id is not None and case.claimed_by_id != moderator.id
        and case.claimed_at is not None and case.claimed_at > now - CLAIM_TIMEOUT
    )


def _open_case_for_action(moderator: User, case_id: int, now: datetime) -> ModerationCase:
    require_staff(moderator)
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


def _thread_title(post: Post) -> str:
    return post.thread.title


def _approve(moderator: User, case: ModerationCase, reason: str | None, now: datetime) -> None:
    post = case.post
    was = post.status
    visibility.publish(post, now)
    resolve(case, moderator, CaseStatus.APPROVED.value, reason, now)
    audit("approved", actor_id=moderator.id, post_id=post.id, case_id=case.id,
                    user_id=post.author_id, lane=case.lane, reason=reason,
                    post_status_before=was, post_status=post.status)


def _reject(moderator: User, case: ModerationCase, reason: str, category: str | None,
            now: datetime) -> None:
    post = case.post
    was = post.status
    visibility.reject(post)
    resolve(case, moderator, CaseStatus.REJECTED.value, reason, now)
    case.resolution_category = category
    notify(
        post.author_id, "post_rejected",
        f"A moderator didn't publish your post in “{_thread_title(post)}”. "
        f"Their reason: {reason} "
        "You're still welcome here — if you'd like, you can say it again in a different way.",
        post.id, now,
    )
    audit("rejected", actor_id=moderator.id, post_id=post.id, case_id=case.id,
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
    _approve(moderator, case, clean_reason(reason, required=False), now)
    db.session.commit()
    return case


def reject(moderator: User, case_id: int, reason: str, category: str | None = None) -> ModerationCase:
    now = utcnow()
    case = _open_case_for_action(moderator, case_id, now)
    reason = clean_reason(reason, required=True)
    _reject(moderator, case, reason, _clean_category(category, case), now)
    db.session.commit()
    return case


def edit_and_approve(moderator: User, case_id: int, body: str, reason: str) -> ModerationCase:
    """A moderator fixes a post (e.g. removes a name) and publishes it; the author is told."""
    now = utcnow()
    case = _open_case_for_action(moderator, case_id, now)
    reason = clean_reason(reason, required=True, what="short note on what you changed")
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
    notify(
        post.author_id, "post_edited",
        f"A moderator made a small change to your post in “{_thread_title(post)}” before "
        f"publishing it: {reason}",
        post.id, now,
    )
    audit("edited", actor_id=moderator.id, post_id=post.id, case_id=case.id,
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
    require_staff(moderator)
    if action not in ("approve", "reject"):
        raise InvalidInput("Bulk actions are approve or reject.", field="action")
    reason = clean_reason(reason, required=action == "reject")
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
    audit("bulk_" + action, actor_id=moderator.id, cases=done,
                    skipped={str(k): v for k, v in skipped.items()}, reason=reason)
    db.session.commit()
    return BulkResult(done=done, skipped=skipped)


def claim(moderator: User, case_id: int) -> ModerationCase:
    now = utcnow()
    case = _open_case_for_action(moderator, case_id, now)
    case.claimed_by_id = moderator.id
    case.claimed_at = now
    audit("claimed", actor_id=moderator.id, post_id=case.post_id, case_id=case.id)
    db.session.commit()
    return case


def unclaim(moderator: User, case_id: int) -> ModerationCase:
    require_staff(moderator)
    case = get_case(case_id)
    if case.claimed_by_id is None:
        return case
    if case.claimed_by_id != moderator.id and not moderator.is_admin:
        raise Forbidden("Only the moderator who claimed this case (or an admin) can release it.")
    case.claimed_by_id = None
    case.claimed_at = None
    audit("unclaimed", actor_id=moderator.id, post_id=case.post_id, case_id=case.id)
    db.session.commit()
    return case
