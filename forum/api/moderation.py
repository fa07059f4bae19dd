"""The moderators' JSON API (SPEC §4): /api/v1/moderation/queue, /api/v1/moderation/cases/ID and
/api/v1/moderation/appeals/ID.

Bearer tokens only, checked like the members' API (forum/api/auth.py): 401 with
`WWW-Authenticate` without a valid token, 403 JSON for members. Request bodies are checked
like the members' API too (forum/api/schemas.py: 415 for another content type, 400 for a body
that isn't a JSON object, 422 for a bad field).
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from .. import review
from ..boundary import page_number
from ..errors import InvalidInput
from ..extensions import csrf
from .auth import no_store, require_staff
from .schemas import (
    appeal_queue_json,
    attempt_json,
    case_json,
    json_object,
    only_fields,
)

bp = Blueprint("api_moderation", __name__, url_prefix="/api/v1/moderation")
csrf.exempt(bp)
bp.before_request(require_staff)
bp.after_request(no_store)


@bp.get("/queue")
def queue():
    lane = request.args.get("lane", "all")
    page = page_number(strict=True)
    if lane == "appeals":
        appeals = review.open_appeals(page, per_page=100)
        return jsonify({"items": [appeal_queue_json(appeal) for appeal in appeals.items],
                        "page": appeals.page, "pages": appeals.pages, "lane": lane,
                        "blocked_attempts": []})
    cases = review.open_cases(lane, page, per_page=100)
    # Blocked attempts are urgent cases without a post: listed beside the items.
    attempts = review.open_attempts() if lane in ("all", "urgent") and page == 1 else []
    return jsonify({"items": [case_json(case) for case in cases.items], "page": cases.page,
                    "pages": cases.pages, "lane": lane,
                    "blocked_attempts": [attempt_json(attempt) for attempt in attempts]})


@bp.post("/cases/<int:case_id>")
def act_on_case(case_id: int):
    data = json_object()
    only_fields(data, {"action", "reason", "category"})
    action = data.get("action")
    reason = data.get("reason")
    if action == "approve":
        case = review.approve(g.api_user, case_id, reason)
    elif action == "reject":
        case = review.reject(g.api_user, case_id, reason, data.get("category"))
    else:
        raise InvalidInput("action must be 'approve' or 'reject'.", field="action")
    return jsonify(case_json(review.get_case(case.id)))


@bp.post("/attempts/<int:attempt_id>")
def act_on_attempt(attempt_id: int):
    data = json_object()
    only_fields(data, {"action", "reason"})
    if data.get("action") != "close":
        raise InvalidInput("action must be 'close'.", field="action")
    attempt = review.close_attempt(g.api_user, attempt_id, data.get("reason"))
    return jsonify(attempt_json(review.get_attempt(attempt.id)))


@bp.delete("/users/<int:user_id>/flag")
def clear_flag(user_id: int):
    data = json_object() if request.content_length else {}
    only_fields(data, {"reason"})
    review.clear_flag(g.api_user, user_id, data.get("reason"))
    return Response(status=204)


@bp.post("/posts/<int(max=2147483647):post_id>/redact")
def redact(post_id: int):
    """{"version": "current" | earlier version id, "text"?: exact text (absent: whole version)}"""
    data = json_object()
    only_fields(data, {"version", "text"})
    done = review.redact(g.api_user, post_id, data.get("version"), data.get("text"))
    return jsonify({"post_id": done.post.id, "version": done.version, "whole": done.whole,
                    "occurrences": done.occurrences})


@bp.post("/appeals/<int:appeal_id>")
def answer_appeal(appeal_id: int):
    """{"outcome": "uphold" | "overturn", "reason"}: another moderator than the one who
    decided (403 otherwise, unless they are the only one)."""
    data = json_object()
    only_fields(data, {"outcome", "reason"})
    appeal = review.decide_appeal(g.api_user, appeal_id, data.get("outcome"), data.get("reason"))
    return jsonify(appeal_queue_json(review.get_appeal(appeal.id)))
