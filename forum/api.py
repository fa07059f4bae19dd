"""The JSON API at /api/v1 (SPEC §4): thin views over the reading, posting and accounts use cases.

Authentication is a bearer token only (`Authorization: Bearer <token>` from `POST /tokens`);
the session cookie is never consulted here, which is why the blueprint needs no CSRF token.
`DELETE /tokens/current` revokes the token it is sent with (and only that one).
Reading routes also answer anonymous callers, with exactly what the public pages show.

Errors are always JSON `{"error", "message"}` (forum/errorpages.py). Request bodies must be
a JSON object sent with `Content-Type: application/json`: another content type is answered
with 415 `unsupported_media_type`, a body that isn't valid JSON (or isn't an object) with 400.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from . import accounts, posting, preferences, reading
from .boundary import page_number
from .errors import InvalidInput
from .extensions import csrf
from .limits import login_limit, posting_limit, report_limit
from .models import Post, Thread, User

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# No cookies are read by this blueprint, so there is nothing for a forged request to ride on.
csrf.exempt(bp)

# Ids are 32-bit integers on PostgreSQL; larger numbers would fail in the database, not here.
ID = "int(max=2147483647)"
TOKEN_MAX_LENGTH = 200


# --- authentication -------------------------------------------------------------------------


def _unauthorized(message: str) -> Response:
    response = jsonify({"error": "unauthorized", "message": message})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="forum"'
    return response


def _bearer_token() -> str | None:
    """The token from the Authorization header; "" when the header is there but malformed."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > TOKEN_MAX_LENGTH:
        return ""
    return token


def _resolve_caller() -> Response | None:
    """Set g.api_user from the bearer token; a 401 response when a token is given but not valid."""
    g.api_user = None
    token = _bearer_token()
    if token is None:
        return None
    user = accounts.user_for_token(token) if token else None
    if user is None:
        return _unauthorized(
            "That token isn't valid (it may have expired or been signed out). "
            "Please request a new one from POST /api/v1/tokens."
        )
    g.api_user = user
    return None


def token_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        problem = _resolve_caller()
        if problem is not None:
            return problem
        if g.api_user is None:
            return _unauthorized(
                "Please sign in: send 'Authorization: Bearer <token>' "
                "(a token comes from POST /api/v1/tokens)."
            )
        return view(*args, **kwargs)

    return wrapper


def token_optional(view: Callable) -> Callable:
    """Anonymous callers are welcome; a token, when sent, must be valid."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        problem = _resolve_caller()
        if problem is not None:
            return problem
        return view(*args, **kwargs)

    return wrapper


@bp.after_request
def _no_store(response: Response) -> Response:
    # Answers depend on who asks: never cache them anywhere.
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Authorization")
    return response


# --- request parsing ------------------------------------------------------------------------


def _json_object() -> dict[str, Any]:
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


def _only_fields(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput(
            f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(sorted(allowed))}.",
            field=unknown[0],
        )


def _flag(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"'{name}' must be true or false.", field=name)
    return value


def _optional_id(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise InvalidInput(f"'{name}' must be the id of a post.", field=name)
    return value


# --- serialisation --------------------------------------------------------------------------


def _timestamp(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _thread_summary(thread: Thread, reply_count: int) -> dict[str, Any]:
    return {
        "id": thread.id,
        "title": thread.title,
        "category": thread.category.slug,
        "author": thread.author.username,
        # Replies by members the caller blocked are left out, as on the thread itself.
        "reply_count": reply_count,
        "last_activity_at": _timestamp(thread.last_activity_at),
        "content_warning": thread.content_warning,
    }


def _post(post: Post) -> dict[str, Any]:
    return {
        "id": post.id,
        "author": post.author.username,
        "body_html": post.body_html,
        "status": post.status,
        "created_at": _timestamp(post.created_at),
        "edited_at": _timestamp(post.edited_at),
        "is_opening": post.is_opening,
        "parent_id": post.parent_id,
        "support_count": post.support_count,
    }


def _outcome(outcome: posting.PostOutcome) -> dict[str, Any]:
    answer = {
        "id": outcome.thread.id,
        "thread_id": outcome.thread.id,
        "post_id": outcome.post.id,
        "status": outcome.status,
        "escalate": outcome.escalate,
    }
    if outcome.screening.unavailable:
        answer["message"] = outcome.screening.nudge
    return answer


def _settings(user: User) -> dict[str, Any]:
    # The email address is deliberately left out: tokens may be handed to other tools, and
    # the address is the one thing here that could tie a pseudonym to a person.
    return {
        "username": user.username,
        "role": user.role,
        "digest": user.digest_frequency,
        "muted_categories": preferences.muted_category_slugs(user),
    }


# --- routes ---------------------------------------------------------------------------------


@bp.post("/tokens")
@login_limit
def create_token():
    data = _json_object()
    user = accounts.authenticate(data.get("username"), data.get("password"))
    if user is None:
        return _unauthorized("That username and password don't match. Please try again.")
    token = accounts.issue_api_token(user, current_app.config["API_TOKEN_MAX_AGE_DAYS"])
    return jsonify({"token": token}), 201


@bp.delete("/tokens/current")
@token_required
def revoke_current_token():
    # token_required has just checked this very token, so it is present and valid here.
    accounts.revoke_api_token(_bearer_token())
    return Response(status=204)


@bp.get("/categories")
@token_optional
def categories():
    return jsonify([
        {"slug": c.slug, "name": c.name, "description": c.description}
        for c in reading.list_categories()
    ])


@bp.get("/threads")
@token_optional
def threads():
    slug = request.args.get("category")
    category = reading.get_category(slug) if slug else None
    page = reading.list_threads(
        g.api_user, category, page_number(strict=True), current_app.config["THREADS_PER_PAGE"]
    )
    return jsonify({
        "items": [_thread_summary(thread, page.replies(thread)) for thread in page.items],
        "page": page.page,
        "pages": page.pages,
        "total": page.total,
    })


@bp.post("/threads")
@token_required
@posting_limit
def create_thread():
    data = _json_object()
    _only_fields(data, {"category", "title", "body", "content_warning", "acknowledge_nudge"})
    outcome = posting.create_thread(
        g.api_user,
        data.get("category"),
        data.get("title"),
        data.get("body"),
        content_warning=data.get("content_warning"),
        acknowledge_nudge=_flag(data, "acknowledge_nudge"),
    )
    return jsonify(_outcome(outcome)), 201


@bp.get(f"/threads/<{ID}:thread_id>")
@token_optional
def thread(thread_id: int):
    viewer = g.api_user
    found = reading.get_thread(viewer, thread_id)
    page = reading.thread_posts(viewer, found, page_number(strict=True), current_app.config["POSTS_PER_PAGE"])
    return jsonify({
        "id": found.id,
        "title": found.title,
        "category": found.category.slug,
        "author": found.author.username,
        "content_warning": found.content_warning,
        "reply_count": reading.visible_reply_count(viewer, found),
        "posts": [_post(post) for post in page.items],
        "page": page.page,
        "pages": page.pages,
    })


@bp.post(f"/threads/<{ID}:thread_id>/posts")
@token_required
@posting_limit
def create_reply(thread_id: int):
    data = _json_object()
    _only_fields(data, {"body", "acknowledge_nudge", "parent_id"})
    outcome = posting.reply(
        g.api_user,
        thread_id,
        data.get("body"),
        parent_post_id=_optional_id(data, "parent_id"),
        acknowledge_nudge=_flag(data, "acknowledge_nudge"),
    )
    return jsonify(_outcome(outcome)), 201


@bp.patch(f"/posts/<{ID}:post_id>")
@token_required
@posting_limit
def edit_post(post_id: int):
    data = _json_object()
    _only_fields(data, {"body", "acknowledge_nudge"})
    outcome = posting.edit_post(
        g.api_user, post_id, data.get("body"), acknowledge_nudge=_flag(data, "acknowledge_nudge")
    )
    # The post as it now is (its "status" says whether the edit was published or held).
    return jsonify({
        **_post(outcome.post),
        "post_id": outcome.post.id,
        "thread_id": outcome.thread.id,
        "escalate": outcome.escalate,
    })


@bp.post(f"/posts/<{ID}:post_id>/reports")
@token_required
@report_limit
def report_post(post_id: int):
    data = _json_object()
    _only_fields(data, {"reason"})
    report = posting.report_post(g.api_user, post_id, data.get("reason"))
    return jsonify({
        "id": report.id,
        "post_id": report.post_id,
        "message": "Thank you for telling us. A moderator will look at it soon.",
    }), 201


@bp.post("/users/<string(maxlength=64):username>/block")
@token_required
def block(username: str):
    posting.block_member(g.api_user, username)
    return Response(status=204)


@bp.delete("/users/<string(maxlength=64):username>/block")
@token_required
def unblock(username: str):
    posting.unblock_member(g.api_user, username)
    return Response(status=204)


@bp.get("/me")
@token_required
def me():
    return jsonify(_settings(g.api_user))


@bp.patch("/me")
@token_required
def update_me():
    data = _json_object()
    _only_fields(data, {"digest", "muted_categories"})
    user = g.api_user
    muted = data.get("muted_categories")
    if "muted_categories" in data and not isinstance(muted, list):
        raise InvalidInput("'muted_categories' must be a list of category slugs.",
                           field="muted_categories")
    # Both settings are checked before either is written: one answer, one transaction.
    if "digest" in data and muted is not None:
        preferences.save_digest_settings(user, data["digest"], muted)
    elif "digest" in data:
        accounts.set_digest_frequency(user, data["digest"])
    elif muted is not None:
        preferences.set_muted_categories(user, muted)
    return jsonify(_settings(user))
