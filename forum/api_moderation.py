"""The moderators' JSON API (SPEC §4): /api/v1/moderation/queue and /api/v1/moderation/cases/ID.

Bearer tokens only (no cookies, so no CSRF); moderators only: 401 without a valid token, 403
JSON for members. Errors use the API's {"error", "message"} shape (forum/errorpages.py).
"""

from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request

from . import review
from .accounts import user_for_token
from .boundary import page_number
from .errors import InvalidInput
from .extensions import csrf
from .models import ModerationCase

bp = Blueprint("api_moderation", __name__, url_prefix="/api/v1/moderation")
csrf.exempt(bp)


def _bearer_user():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return user_for_token(token.strip())


@bp.before_request
def require_moderator():
    user = _bearer_user()
    if user is None:
        abort(401, description="Please sign in: send 'Authorization: Bearer <token>'.")
    if not user.is_staff:
        abort(403, description="This is for moderators.")
    g.moderator = user


def _case_json(case: ModerationCase) -> dict:
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
        "body_html": post.body_html,
        "post_status": post.status,
        "created_at": case.created_at.isoformat(),
    }


@bp.get("/queue")
def queue():
    lane = request.args.get("lane", "all")
    page = page_number(strict=True)
    cases = review.open_cases(lane, page, per_page=100)
    return jsonify({"items": [_case_json(case) for case in cases.items], "page": cases.page,
                    "pages": cases.pages, "lane": lane})


@bp.post("/cases/<int:case_id>")
def act_on_case(case_id: int):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InvalidInput("Send a JSON object: {\"action\": \"approve\"|\"reject\", \"reason\"}.")
    action = data.get("action")
    reason = data.get("reason")
    if action == "approve":
        case = review.approve(g.moderator, case_id, reason)
    elif action == "reject":
        case = review.reject(g.moderator, case_id, reason, data.get("category"))
    else:
        raise InvalidInput("action must be 'approve' or 'reject'.", field="action")
    return jsonify(_case_json(review.get_case(case.id)))
