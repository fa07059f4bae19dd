"""The members' JSON API at /api/v1 (SPEC §4): thin views over the reading, posting and
accounts use cases.

Authentication is a bearer token (forum/api/auth.py); `DELETE /tokens/current` revokes the
token it is sent with (and only that one). Reading routes also answer anonymous callers, with
exactly what the public pages show. Errors are always JSON `{"error", "message"}`
(forum/web/errors.py); request bodies are checked by forum/api/schemas.py.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request

from .. import (
    accounts,
    audience,
    blocks,
    crisis_resources,
    posting,
    preferences,
    privacy,
    purge,
    reading,
    review,
)
from ..boundary import page_number
from ..errors import Forbidden, InvalidInput
from ..extensions import csrf
from ..limits import (
    MISMATCH,
    login_limit,
    lookup_limit,
    posting_limit,
    report_limit,
    sign_in_attempt,
    too_many_attempts,
)
from .auth import bearer_token, no_store, token_optional, token_required, unauthorized
from .schemas import (
    appeal_json,
    flag,
    json_object,
    only_fields,
    optional_id,
    outcome_json,
    post_json,
    settings_json,
    thread_summary,
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# No cookies are read by this blueprint, so there is nothing for a forged request to ride on.
csrf.exempt(bp)
bp.after_request(no_store)

# A title and a post at their longest, with room to spare.
PRIVACY_CHECK_MAX = posting.BODY_MAX + posting.TITLE_MAX + 100
# Ids are 32-bit integers on PostgreSQL; larger numbers would fail in the database, not here.
ID = "int(max=2147483647)"


@bp.post("/tokens")
@login_limit
def create_token():
    data = json_object()
    wait_minutes = sign_in_attempt(data.get("username"))
    if wait_minutes is not None:
        # Answered like a wrong password, for names that exist and names that don't.
        accounts.spend_hashing_time(data.get("password"))
        return unauthorized(f"{MISMATCH} {too_many_attempts(wait_minutes)}")
    user = accounts.authenticate(data.get("username"), data.get("password"))
    if user is None:
        return unauthorized(MISMATCH)
    token = accounts.issue_api_token(user, current_app.config["API_TOKEN_MAX_AGE_DAYS"])
    return jsonify({"token": token}), 201


@bp.delete("/tokens/current")
@token_required
def revoke_current_token():
    # token_required has just checked this very token, so it is present and valid here.
    accounts.revoke_api_token(bearer_token())
    return Response(status=204)


@bp.get("/categories")
@token_optional
def categories():
    return jsonify([
        {"slug": c.slug, "name": c.name, "description": c.description,
         "visibility": c.visibility, "readable": audience.may_read(g.api_user, c)}
        for c in reading.list_categories()
    ])


@bp.get("/threads")
@token_optional
def threads():
    slug = request.args.get("category")
    category = reading.get_category(slug) if slug else None
    if category is not None and not audience.may_read(g.api_user, category):
        raise Forbidden(audience.closed_message(g.api_user, category))
    page = reading.list_threads(
        g.api_user, category, page_number(strict=True), current_app.config["THREADS_PER_PAGE"]
    )
    return jsonify({
        "items": [thread_summary(thread, page.replies(thread)) for thread in page.items],
        "page": page.page,
        "pages": page.pages,
        "total": page.total,
    })


@bp.post("/threads")
@token_required
@posting_limit
def create_thread():
    data = json_object()
    only_fields(data, {"category", "title", "body", "content_warning", "acknowledge_nudge"})
    outcome = posting.create_thread(
        g.api_user,
        data.get("category"),
        data.get("title"),
        data.get("body"),
        content_warning=data.get("content_warning"),
        acknowledge_nudge=flag(data, "acknowledge_nudge"),
    )
    return jsonify(outcome_json(outcome)), 201


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
        "author_staff": found.author.is_staff,
        "content_warning": found.content_warning,
        "reply_count": reading.visible_reply_count(viewer, found),
        "posts": [post_json(post) for post in page.items],
        "page": page.page,
        "pages": page.pages,
    })


@bp.post(f"/threads/<{ID}:thread_id>/posts")
@token_required
@posting_limit
def create_reply(thread_id: int):
    data = json_object()
    only_fields(data, {"body", "acknowledge_nudge", "parent_id"})
    outcome = posting.reply(
        g.api_user,
        thread_id,
        data.get("body"),
        parent_post_id=optional_id(data, "parent_id"),
        acknowledge_nudge=flag(data, "acknowledge_nudge"),
    )
    return jsonify(outcome_json(outcome)), 201


@bp.patch(f"/posts/<{ID}:post_id>")
@token_required
@posting_limit
def edit_post(post_id: int):
    data = json_object()
    only_fields(data, {"body", "acknowledge_nudge"})
    outcome = posting.edit_post(
        g.api_user, post_id, data.get("body"), acknowledge_nudge=flag(data, "acknowledge_nudge")
    )
    # The post as it now is (its "status" says whether the edit was published or held).
    return jsonify({
        **post_json(outcome.post),
        "post_id": outcome.post.id,
        "thread_id": outcome.thread.id,
        "escalate": outcome.escalate,
        "privacy": list(outcome.privacy),
    })


@bp.post(f"/posts/<{ID}:post_id>/purge")
@token_required
def purge_post(post_id: int):
    """The author removes a post and every earlier version for good; {"confirm": true} needed."""
    data = json_object()
    only_fields(data, {"confirm"})
    found = purge.preview(g.api_user, post_id)  # 404/403 before asking for the confirmation
    if not flag(data, "confirm"):
        raise InvalidInput(
            f"This removes the post and its {found.earlier_versions} earlier version(s) for good; "
            "send {\"confirm\": true} to go ahead.", field="confirm")
    post = purge.purge_post(g.api_user, found.post.id)
    return jsonify({"post_id": post.id, "thread_id": post.thread_id, "status": post.status})


@bp.post(f"/posts/<{ID}:post_id>/appeal")
@token_required
def appeal_post(post_id: int):
    """The author of a rejected post asks for another look, once: {"note"} → 201."""
    data = json_object()
    only_fields(data, {"note"})
    return jsonify(appeal_json(review.appeal_post(g.api_user, post_id, data.get("note")))), 201


@bp.post(f"/sanctions/<{ID}:sanction_id>/appeal")
@token_required
def appeal_sanction(sanction_id: int):
    """A warned or silenced member asks for another look, once: {"note"} → 201."""
    data = json_object()
    only_fields(data, {"note"})
    appeal = review.appeal_sanction(g.api_user, sanction_id, data.get("note"))
    return jsonify(appeal_json(appeal)), 201


@bp.get("/me/decisions")
@token_required
def my_decisions():
    """Moderators' decisions about the caller (rejected posts, sanctions) and their appeals."""
    return jsonify({"items": [
        {"kind": d.kind, "id": d.id, "decision": d.what, "reason": d.reason,
         "decided_at": d.decided_at.isoformat() if d.decided_at else None,
         "until": d.until.isoformat() if d.until else None,
         "appeal": appeal_json(d.appeal) if d.appeal else None}
        for d in review.member_decisions(g.api_user)
    ]})


@bp.post("/privacy-check")
@token_required
def privacy_check():
    """The privacy nudge before posting: kind warnings for a draft, nothing stored."""
    data = json_object()
    only_fields(data, {"text"})
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("'text' must be the draft to check, as a string.", field="text")
    if len(text) > PRIVACY_CHECK_MAX:
        raise InvalidInput(f"'text' can be at most {PRIVACY_CHECK_MAX:,} characters.", field="text")
    kinds = privacy.detail_kinds(text)
    return jsonify({"privacy": [privacy.MESSAGES[kind] for kind in kinds], "kinds": kinds})


@bp.post(f"/posts/<{ID}:post_id>/reports")
@token_required
@report_limit
def report_post(post_id: int):
    data = json_object()
    only_fields(data, {"reason"})
    report = posting.report_post(g.api_user, post_id, data.get("reason"))
    return jsonify({
        "id": report.id,
        "post_id": report.post_id,
        "message": "Thank you for telling us. A moderator will look at it soon.",
    }), 201


@bp.post("/users/<string(maxlength=64):username>/block")
@token_required
@lookup_limit
def block(username: str):
    blocks.block_member(g.api_user, username)
    return Response(status=204)


@bp.delete("/users/<string(maxlength=64):username>/block")
@token_required
@lookup_limit
def unblock(username: str):
    blocks.unblock_member(g.api_user, username)
    return Response(status=204)


@bp.get("/me")
@token_required
def me():
    return jsonify(settings_json(g.api_user))


@bp.patch("/me")
@token_required
def update_me():
    data = json_object()
    only_fields(data, {"digest", "muted_categories", "crisis_region"})
    user = g.api_user
    muted = data.get("muted_categories")
    if "muted_categories" in data and not isinstance(muted, list):
        raise InvalidInput("'muted_categories' must be a list of category slugs.",
                           field="muted_categories")
    # Every setting is checked before any is written.
    region = crisis_resources.checked_region(data.get("crisis_region"))
    if "digest" in data and muted is not None:
        preferences.save_digest_settings(user, data["digest"], muted)
    elif "digest" in data:
        accounts.set_digest_frequency(user, data["digest"])
    elif muted is not None:
        preferences.set_muted_categories(user, muted)
    if "crisis_region" in data:
        crisis_resources.set_region(user, region)
    return jsonify(settings_json(user))
