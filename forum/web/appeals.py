"""A member asks for another look at a moderator's decision (blueprint `appeals`).

* /account/decisions      the decisions about you (declined posts, warnings, read-only
                          periods) and where each appeal stands
* /appeal/post/ID         "Ask for another look" at a declined post
* /appeal/sanction/ID     … at a warning or a read-only period
* /appeal/suspended       a suspended member, who cannot sign in, reaches this one page after
                          giving the right password: their suspension and its appeal, nothing else

Views stay thin: the use cases in forum/review/appeals.py decide who may appeal what.
"""

from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import login_required
from sqlalchemy import select

from .. import review
from ..errors import ForumError, InvalidInput
from ..extensions import db
from ..models import Sanction, SanctionKind, User
from .forms import AppealForm
from .helpers import member

bp = Blueprint("appeals", __name__)

# A suspended member's sign-in lets them reach the appeal page for this long, in this browser.
SUSPENDED_KEY = "_suspended_member"
SUSPENDED_SECONDS = 30 * 60
THANKS = ("Thank you for telling us. A different moderator from the one who decided will read "
          "your note and look again; you'll see their answer on this page.")


def remember_suspended(user: User) -> None:
    """Called by the sign-in page when the password is right but the account is suspended."""
    session[SUSPENDED_KEY] = {"id": user.id, "v": user.session_version, "at": int(time.time())}


def _suspended_member() -> User | None:
    held = session.get(SUSPENDED_KEY)
    if not isinstance(held, dict) or time.time() - held.get("at", 0) > SUSPENDED_SECONDS:
        return None
    user = db.session.get(User, held.get("id"))
    if user is None or user.session_version != held.get("v"):
        return None
    return user


@bp.route("/account/decisions")
@login_required
def decisions():
    return render_template("appeals/decisions.html", decisions=review.member_decisions(member()))


def _appeal_page(template: str, load, submit, **context):
    """GET shows the decision and the form; POST appeals (once) and goes back to the list."""
    form = AppealForm()
    try:
        found = load()
    except ForumError as error:
        return render_template("error.html", status=error.status, message=error.message), \
            error.status
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            submit(form.note.data)
        except InvalidInput as error:
            form.note.errors = [*form.note.errors, error.message]
            status = error.status
        except ForumError as error:  # e.g. already appealed: the page shows where it stands
            flash(error.message, "error")
            found, status = load(), error.status
        else:
            flash(THANKS, "success")
            return redirect(context.pop("done_url", url_for("appeals.decisions")))
    elif request.method == "POST":
        status = 422
    return render_template(template, form=form, found=found, **context), status


@bp.route("/appeal/post/<int:post_id>", methods=["GET", "POST"])
@login_required
def appeal_post(post_id: int):
    me = member()

    def load():
        post, case = review.post_decision(me, post_id)
        return {"post": post, "case": case, "appeal": review.appeal_for_case(case.id)}

    return _appeal_page("appeals/post.html", load,
                        lambda note: review.appeal_post(me, post_id, note))


@bp.route("/appeal/sanction/<int:sanction_id>", methods=["GET", "POST"])
@login_required
def appeal_sanction(sanction_id: int):
    me = member()

    def load():
        sanction = review.sanction_decision(me, sanction_id)
        return {"sanction": sanction, "appeal": review.appeal_for_sanction(sanction.id)}

    return _appeal_page("appeals/sanction.html", load,
                        lambda note: review.appeal_sanction(me, sanction_id, note))


def _standing_suspension(user: User) -> Sanction | None:
    return db.session.scalar(
        select(Sanction).where(Sanction.user_id == user.id,
                               Sanction.kind == SanctionKind.SUSPEND.value)
        .order_by(Sanction.created_at.desc(), Sanction.id.desc()).limit(1))


@bp.route("/appeal/suspended", methods=["GET", "POST"])
def suspended():
    user = _suspended_member()
    if user is None:
        flash("Please sign in to continue.", "info")
        return redirect(url_for("auth.login"))
    if user.is_active:
        session.pop(SUSPENDED_KEY, None)
        flash("Your account is open again. Please sign in.", "success")
        return redirect(url_for("auth.login"))
    sanction = _standing_suspension(user)

    def load():
        appeal = review.appeal_for_sanction(sanction.id) if sanction is not None else None
        return {"sanction": sanction, "appeal": appeal, "user": user}

    def submit(note):
        if sanction is None:
            raise ForumError("There is no suspension on record to appeal.")
        review.appeal_sanction(user, sanction.id, note)

    return _appeal_page("appeals/suspended.html", load, submit,
                        done_url=url_for("appeals.suspended"))
