"""What the JSON API reads and writes: request bodies checked strictly, models as JSON.

A request body must be a JSON object sent with `Content-Type: application/json`: another
content type is answered with 415 `unsupported_media_type`, a body that isn't valid JSON (or
isn't an object) with 400, an unknown field or a value of the wrong type with 422 `invalid`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from .. import posting, preferences
from ..boundary import ID_MAX
from ..errors import InvalidInput
from ..models import APPEALS_LANE, Appeal, BlockedAttempt, ModerationCase, Post, Thread, User

# --- request parsing ------------------------------------------------------------------------


def json_object() -> dict[str, Any]:
    if not request.is_json:
        raise UnsupportedMediaType(
            "Please send a JSON object with the header 'Content-Type: application/json'."
        )
    try:
        data = request.get_json()
    except (BadRequest, RecursionError):
        raise BadRequest("The request body isn't valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object, like {\"body\": \"...\"}.")
    return data


def only_fields(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput(
            f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}.",
            field=unknown[0],
        )


def flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"'{name}' must be true or false.", field=name)
    return value


def optional_id(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
        raise InvalidInput(f"'{name}' must be the id of a post.", field=name)
    return value


# --- serialisation --------------------------------------------------------------------------


def timestamp(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def thread_summary(thread: Thread, reply_count: int) -> dict[str, Any]:
    return {
        "id": thread.id,
        "title": thread.title,
        "category": thread.category.slug,
        "author": thread.author.username,
        # Replies by members the caller blocked are left out, as on the thread itself.
        "reply_count": reply_count,
        "last_activity_at": timestamp(thread.last_activity_at),
        "content_warning": thread.content_warning,
    }


def post_json(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "author": post.author.username,
        # From the author's role on the server, never from anything a member can type.
        "staff": post.author.is_staff,
        "body_html": post.body_html,
        "status": post.status,
        "created_at": timestamp(post.created_at),
        "edited_at": timestamp(post.edited_at),
        "is_opening": post.is_opening,
        "parent_id": post.parent_id,
        "support_count": post.support_count,
    }


def outcome_json(outcome: posting.PostOutcome) -> dict[str, Any]:
    answer = {
        "id": outcome.thread_id,
        "thread_id": outcome.thread_id,
        "post_id": outcome.post_id,
        "status": outcome.status,
        "escalate": outcome.escalate,
        # Kind warnings about identifying details (names, addresses, ...); never blocking.
        "privacy": list(outcome.privacy),
    }
    if outcome.screening.unavailable:
        answer["message"] = outcome.screening.nudge
    return answer


def settings_json(user: User) -> dict[str, Any]:
    # The email address is deliberately left out: tokens may be handed to other tools, and
    # the address is the one thing here that could tie a pseudonym to a person.
    return {
        "username": user.username,
        "role": user.role,
        "digest": user.digest_frequency,
        "muted_categories": preferences.muted_category_slugs(user),
        # The caller's own choice of crisis lines (null: not set); private to them.
        "crisis_region": user.crisis_region,
    }


def case_json(case: ModerationCase) -> dict[str, Any]:
    """A moderation case with what moderators need to decide it (rules, scores, reports)."""
    post = case.post
    return {
        "case_id": case.id,
        "post_id": post.id,
        "thread_id": post.thread_id,
        "lane": case.lane,
        "status": case.status,
        "category": case.category,
        "escalate": case.escalate,
        "reasons": list(case.reasons or []),
        "scores": dict(case.scores or {}),
        "report_count": case.report_count,
        "author": post.author.username,
        "author_flagged": post.author.attempts_flagged_at is not None,
        "body_html": post.body_html,
        "post_status": post.status,
        "created_at": timestamp(case.created_at),
    }


def attempt_json(attempt: BlockedAttempt) -> dict[str, Any]:
    """A blocked attempt, for moderators only: the text as it was tried, and why it was blocked."""
    return {
        "attempt_id": attempt.id,
        "lane": "urgent",
        "status": attempt.status,
        "target": attempt.target,
        "thread_id": attempt.thread_id,
        "post_id": attempt.post_id,
        "parent_id": attempt.parent_id,
        "author": attempt.author.username,
        "author_flagged": attempt.author.attempts_flagged_at is not None,
        "text": attempt.text,
        "category": attempt.category,
        "reasons": list(attempt.reasons or []),
        "scores": dict(attempt.scores or {}),
        "created_at": timestamp(attempt.created_at),
    }


def appeal_json(appeal: Appeal) -> dict[str, Any]:
    """An appeal as its member sees it (their own note is theirs to see)."""
    return {
        "appeal_id": appeal.id,
        "kind": appeal.kind,
        "decision": appeal.decision,
        "post_id": appeal.post_id,
        "sanction_id": appeal.sanction_id,
        "status": appeal.status,
        "note": appeal.note,
        "answer": appeal.resolution_reason,
        "created_at": timestamp(appeal.created_at),
        "resolved_at": timestamp(appeal.resolved_at),
    }


def appeal_queue_json(appeal: Appeal) -> dict[str, Any]:
    """An appeal in the moderators' queue: the decision, who made it and why, the post, the
    member's note (the fields of a case where they apply)."""
    post = appeal.post
    return {
        **appeal_json(appeal),
        "lane": APPEALS_LANE,
        "case_id": appeal.case_id,
        "thread_id": post.thread_id if post is not None else None,
        "author": appeal.member.username,
        "decided_by": appeal.decided_by.username if appeal.decided_by else None,
        "decision_reason": appeal.decision_reason,
        "body_html": post.body_html if post is not None else None,
        "content_warning": post.thread.content_warning if post is not None else None,
        "sanction_until": timestamp(appeal.sanction.until) if appeal.sanction else None,
        "resolved_by": appeal.resolved_by.username if appeal.resolved_by else None,
    }
