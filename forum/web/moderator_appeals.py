"""Moderators answer appeals (/mod/appeals/ID): the original decision, who made it and why, the
post (folded when content-warned or a crisis), the member's note; uphold or overturn.

Routes on the moderators' blueprint, so its staff check (and fresh login) guards them too. The
moderator who made the decision sees why they can't answer it (unless they are the only one).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from .. import review
from ..errors import ForumError
from .helpers import member
from .moderator import bp

DONE = {
    "uphold": "The decision stands; the member has been told, kindly.",
    "overturn": "Overturned: the member has been told, and the change is made.",
}


@bp.route("/appeals/<int:appeal_id>")
def appeal(appeal_id: int):
    found = review.get_appeal(appeal_id)
    return render_template("moderator/appeal.html", appeal=found,
                           refusal=review.who_may_decide(member(), found) if found.is_open else None)


@bp.post("/appeals/<int:appeal_id>/decide")
def decide_appeal(appeal_id: int):
    outcome = request.form.get("outcome", "")
    try:
        review.decide_appeal(member(), appeal_id, outcome, request.form.get("reason"))
    except ForumError as error:
        flash(error.message, "error")
        return redirect(url_for("moderator.appeal", appeal_id=appeal_id))
    flash(DONE[outcome], "success")
    return redirect(url_for("moderator.queue", lane="appeals"))
