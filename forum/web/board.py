"""The forum pages: index, categories, threads, writing, and a member's safety actions.

Views stay thin: parse the form, call a use case (posting / reading / preferences), then
render or redirect. Every write route checks the signed-in member on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from .. import audience, blocks, history, listing_reading, posting, preferences, purge, reading
from ..boundary import page_number
from ..errors import Conflict, Forbidden, InvalidInput, ModerationNudge, PrivacyNudge
from ..limits import lookup_limit, posting_limit
from ..models import PostStatus
from . import page_cache, thread_page
from .forms import ActionForm, EditPostForm, ReplyForm, ReportForm, ThreadForm, apply_error
from .helpers import viewer as _viewer
from .redirects import safe_next_url

bp = Blueprint("board", __name__)

LATEST_ON_INDEX = 10
HELD_NOTE = "Thanks — a moderator will look at it soon; only you can see it until then."


@dataclass(frozen=True)
class _Attempt:
    outcome: posting.PostOutcome | None = None
    nudge: dict[str, Any] | None = None  # what the author sees instead of a stored post
    status: int = 422  # when there is no outcome


def _attempt(form, write: Callable[[], posting.PostOutcome]) -> _Attempt:
    """Run a posting use case for a form: its outcome, a nudge for the author, or the use
    case's error put on the form (the one way the writing pages handle its answers)."""
    try:
        return _Attempt(outcome=write())
    except PrivacyNudge as error:
        # Nothing is stored; the form comes back with the text and "Edit" / "Post anyway".
        return _Attempt(nudge={
            "message": error.message,
            "privacy": error.details.get("privacy", []),
            "kinds": error.details.get("kinds", []),
        })
    except ModerationNudge as error:
        return _Attempt(nudge={
            "message": error.message,
            "decision": error.details.get("decision"),
            "category": error.details.get("category"),
        })
    except (InvalidInput, Forbidden) as error:
        apply_error(form, error)
        return _Attempt(status=error.status)


def _after_posting(outcome: posting.PostOutcome, published_note: str) -> None:
    if outcome.status == PostStatus.HELD.value:
        flash(outcome.screening.nudge if outcome.screening.unavailable else HELD_NOTE, "held")
    else:
        flash(published_note, "success")
    if outcome.escalate:
        flash("crisis", "crisis")


def _back(default: str) -> str:
    return safe_next_url(request.form.get("next"), default)


# --- reading --------------------------------------------------------------------------------


@bp.route("/")
def index():
    # Kept whole, keyed by every row it shows and rendered from those rows
    # (forum/listing_reading.py).
    viewer = _viewer()
    categories = listing_reading.categories()
    latest = listing_reading.threads(viewer, None, 1, LATEST_ON_INDEX)
    return page_cache.kept_page_for(
        viewer, ("index", request.full_path, categories, latest),
        lambda: render_template(
            "board/index.html", categories=categories,
            latest=listing_reading.as_thread_page(latest, 1, LATEST_ON_INDEX)),
    )


@bp.route("/about")
def about():
    return render_template("board/about.html", categories=reading.list_categories())


def _category_page(slug: str) -> str:
    category = reading.get_category(slug)
    if not audience.may_read(_viewer(), category):
        # The category is no secret (it is listed); its threads are, titles included.
        return render_template("board/category.html", category=category, threads=None,
                               closed=audience.closed_message(_viewer(), category))
    threads = reading.list_threads(_viewer(), category, page_number(),
                                   current_app.config["THREADS_PER_PAGE"])
    return render_template("board/category.html", category=category, threads=threads)


@bp.route("/c/<slug>")
def category(slug: str):
    found = listing_reading.category(slug)
    if found is None:  # the usual 404 page
        return _category_page(slug)
    # Kept whole, keyed by every row it shows and rendered from those rows (forum/
    # listing_reading.py). Whether the reader may open the category is part of the key: a
    # closed one shows a message, no titles.
    viewer = _viewer()
    page, per_page = page_number(), current_app.config["THREADS_PER_PAGE"]
    if not audience.may_read(viewer, found):
        return page_cache.kept_page_for(
            viewer, ("category", request.full_path, found, False),
            lambda: render_template("board/category.html", category=found, threads=None,
                                    closed=audience.closed_message(viewer, found)))
    threads = listing_reading.threads(viewer, found.id, page, per_page)
    if not threads and page > 1:  # past the end: no row carries the page count
        return _category_page(slug)
    return page_cache.kept_page_for(
        viewer, ("category", request.full_path, found, True, threads),
        lambda: render_template("board/category.html", category=found,
                                threads=listing_reading.as_thread_page(threads, page, per_page)))


@bp.route("/t/<int:thread_id>")
def thread(thread_id: int):
    page = "last" if request.args.get("page") == "last" else page_number()
    return thread_page.thread_page(thread_id, page)


@bp.route("/p/<int:post_id>/history")
def post_history(post_id: int):
    # No login_required: anonymous readers get the same 404 as everyone else who may not look.
    found = history.post_history(_viewer(), post_id)
    return render_template("board/post_history.html", history=found)


# --- writing --------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@login_required
@posting_limit
def new_thread():
    form = ThreadForm()
    form.category.choices = [
        SelectChoice("", "Choose a category…"),
        *(SelectChoice(c.slug, c.name) for c in reading.list_categories()
          if audience.may_read(_viewer(), c)),
    ]
    if request.method == "GET":
        form.category.data = request.args.get("category", "")
    attempt = _Attempt()
    if form.validate_on_submit():
        attempt = _attempt(form, lambda: posting.create_thread(
            _viewer(), form.category.data, form.title.data, form.body.data,
            content_warning=form.content_warning.data or None,
            acknowledge_nudge=form.acknowledged, privacy_acknowledged=form.privacy_kinds,
        ))
        if attempt.outcome is not None:
            _after_posting(attempt.outcome, "Your thread is up. Thank you for sharing it here.")
            return redirect(url_for("board.thread", thread_id=attempt.outcome.thread.id))
    nudge = attempt.nudge
    status = 422 if (form.errors or nudge) else 200
    return render_template("board/new_thread.html", form=form, nudge=nudge), status


@bp.route("/t/<int:thread_id>/reply", methods=["POST"])
@login_required
@posting_limit
def reply(thread_id: int):
    viewer = _viewer()
    thread = reading.get_thread(viewer, thread_id)
    form = ReplyForm()
    attempt = _Attempt()
    if form.validate_on_submit():
        parent_id = int(form.parent_id.data) if (form.parent_id.data or "").isdigit() else None
        attempt = _attempt(form, lambda: posting.reply(
            viewer, thread.id, form.body.data, parent_post_id=parent_id,
            acknowledge_nudge=form.acknowledged, privacy_acknowledged=form.privacy_kinds,
        ))
        if attempt.outcome is not None:
            _after_posting(attempt.outcome, "Your reply is up. Thank you for being here.")
            return redirect(url_for(
                "board.thread", thread_id=thread.id, page="last",
                _anchor=f"post-{attempt.outcome.post.id}",
            ))
    return thread_page.thread_page(thread.id, "last", form, nudge=attempt.nudge,
                                   status=attempt.status)


def _own_post_for_editing(post_id: int):
    post = reading.get_post(_viewer(), post_id)
    if post.author_id != current_user.id:
        abort(403, "You can only change your own posts.")
    return post


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = _own_post_for_editing(post_id)
    form = EditPostForm()
    if request.method == "GET":
        form.body.data = post.body_markdown
    attempt = _Attempt()
    if form.validate_on_submit():
        attempt = _attempt(form, lambda: posting.edit_post(
            _viewer(), post.id, form.body.data, acknowledge_nudge=form.acknowledged,
            privacy_acknowledged=form.privacy_kinds,
        ))
        if attempt.outcome is not None:
            _after_posting(attempt.outcome, "Your changes are saved. The earlier version is kept.")
            return redirect(url_for(
                "board.thread", thread_id=post.thread_id, _anchor=f"post-{post.id}"
            ))
    nudge = attempt.nudge
    status = attempt.status if (form.errors or nudge) else 200
    return render_template("board/edit_post.html", form=form, post=post, nudge=nudge), status


@bp.route("/p/<int:post_id>/delete", methods=["POST"])
@login_required
def delete_post(post_id: int):
    post = posting.delete_post(_viewer(), post_id)
    if post.is_opening:
        flash("Your thread is deleted.", "info")
        return redirect(url_for("board.category", slug=post.thread.category.slug))
    flash("Your post is deleted.", "info")
    return redirect(_back(url_for("board.thread", thread_id=post.thread_id)))


@bp.route("/p/<int:post_id>/purge", methods=["GET", "POST"])
@login_required
def purge_post(post_id: int):
    """Remove a post and its earlier versions for good: a confirmation page, then the POST."""
    found = purge.preview(_viewer(), post_id)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        post = purge.purge_post(_viewer(), found.post.id)
        flash("It's gone for good: the post and every earlier version. Take care of yourself.",
              "success")
        if post.is_opening:
            return redirect(url_for("board.index"))
        return redirect(url_for("board.thread", thread_id=post.thread_id))
    return render_template("board/purge_confirm.html", preview=found, form=form), (
        400 if request.method == "POST" else 200)


@bp.route("/p/<int:post_id>/report", methods=["POST"])
@login_required
def report_post(post_id: int):
    form = ReportForm()
    post = reading.get_post(_viewer(), post_id)
    back = _back(url_for("board.thread", thread_id=post.thread_id))
    if not form.validate_on_submit():
        flash("Please say briefly what's wrong, so a moderator can help.", "error")
        return redirect(back)
    try:
        posting.report_post(_viewer(), post.id, form.reason.data)
    except (InvalidInput, Conflict, Forbidden) as error:
        flash(error.message, "info")
    else:
        flash("Thank you for telling us. A moderator will look at it.", "success")
    return redirect(back)


@bp.route("/p/<int:post_id>/support", methods=["POST"])
@login_required
def support_post(post_id: int):
    try:
        post = posting.toggle_support(_viewer(), post_id)
    except (InvalidInput, Forbidden) as error:
        flash(error.message, "info")
        post = reading.get_post(_viewer(), post_id)
    return redirect(_back(url_for("board.thread", thread_id=post.thread_id)) + f"#post-{post.id}")


# --- member safety --------------------------------------------------------------------------


@bp.route("/members/<username>/block", methods=["POST"])
@login_required
@lookup_limit
def block_member(username: str):
    try:
        name = blocks.block_member(_viewer(), username)
    except InvalidInput as error:
        flash(error.message, "info")
        return redirect(_back(url_for("board.index")))
    flash(
        f"You've blocked {name}. You won't see their posts, and they can't reply "
        "to your threads. They aren't told.",
        "success",
    )
    return redirect(_back(url_for("board.index")))


@bp.route("/members/<username>/unblock", methods=["POST"])
@login_required
@lookup_limit
def unblock_member(username: str):
    name = blocks.unblock_member(_viewer(), username)
    flash(f"You've unblocked {name}.", "info")
    return redirect(_back(url_for("board.blocked")))


@bp.route("/blocked")
@login_required
def blocked():
    members = preferences.blocked_members(_viewer())
    return render_template(
        "board/blocked.html", members=members, action_form=ActionForm(formdata=None)
    )
