"""The moderators' area at /mod: the queue, one case in full, sanctions, the audit log.

Staff-only at blueprint level: anonymous visitors go to sign-in, members get 403, and a
session restored from a "remember me" cookie must sign in again first. Views stay thin:
they parse the form, call a use case in forum/review/, flash what happened and redirect.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_fresh, login_user

from .. import review
from ..boundary import page_number
from ..errors import ForumError
from ..extensions import limiter, login_manager
from . import charts as charts_svg
from .helpers import member
from .redirects import safe_mod_path

bp = Blueprint("moderator", __name__, url_prefix="/mod")


@bp.before_request
def require_staff():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403, description="This area is for moderators.")
    if not login_fresh() and request.endpoint != "moderator.confirm":
        # A session restored from "remember me" confirms the password before acting on
        # other people's posts.
        return redirect(url_for("moderator.confirm", next=request.full_path.rstrip("?")))
    return None


@bp.route("/confirm", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def confirm():
    target = safe_mod_path(request.values.get("next"), url_for("moderator.queue"))
    error = None
    if request.method == "POST":
        user = member()
        if user.check_password(request.form.get("password") or ""):
            login_user(user, fresh=True)
            return redirect(target)
        error = "That password doesn't match. Please try again."
    return render_template("moderator/confirm.html", next=target, error=error), (
        401 if error else 200
    )


def _back(default_lane: str = "all") -> str:
    return safe_mod_path(request.form.get("next"), url_for("moderator.queue", lane=default_lane))


def _run(action, success: str):
    """Run a review use case; a domain error becomes a flash message on the page we return to."""
    try:
        action()
    except ForumError as error:
        flash(error.message, "error")
    else:
        flash(success, "success")
    return redirect(_back())


@bp.route("/")
def queue():
    lane = request.args.get("lane", "all")
    if lane not in review.LANES:
        lane = "all"
    data = review.queue(lane, page_number())
    return render_template(
        "moderator/queue.html", queue=data, lanes=review.LANES,
        health=review.screening_health(), nudges=review.nudge_stats(),
        times=review.response_times(),
        categories=review.HARMFUL_CATEGORIES,
    )


@bp.route("/cases/<int:case_id>")
def case(case_id: int):
    entry = review.case_entry(case_id)
    return render_template(
        "moderator/case.html", entry=entry, case=entry.case,
        response_templates=review.templates(),
        categories=review.HARMFUL_CATEGORIES, health=review.screening_health(),
    )


@bp.post("/cases/<int:case_id>/approve")
def approve(case_id: int):
    return _run(lambda: review.approve(member(), case_id, request.form.get("reason")),
                f"Case {case_id} approved.")


@bp.post("/cases/<int:case_id>/reject")
def reject(case_id: int):
    return _run(
        lambda: review.reject(member(), case_id, request.form.get("reason", ""),
                              request.form.get("category") or None),
        f"Case {case_id} rejected; the author has been told, kindly.",
    )


@bp.post("/cases/<int:case_id>/edit")
def edit_and_approve(case_id: int):
    return _run(
        lambda: review.edit_and_approve(member(), case_id, request.form.get("body", ""),
                                        request.form.get("reason", "")),
        f"Case {case_id} edited and approved.",
    )


@bp.post("/cases/<int:case_id>/claim")
def claim(case_id: int):
    return _run(lambda: review.claim(member(), case_id),
                f"You're working on case {case_id}.")


@bp.post("/cases/<int:case_id>/unclaim")
def unclaim(case_id: int):
    return _run(lambda: review.unclaim(member(), case_id), f"Case {case_id} released.")


@bp.post("/bulk")
def bulk():
    action = request.form.get("action", "")
    case_ids = [value for value in request.form.getlist("case_id") if value.isdigit()]

    def run():
        result = review.bulk(member(), [int(v) for v in case_ids], action,
                             request.form.get("reason"), request.form.get("category") or None)
        if result.skipped:
            skipped = ", ".join(f"{case_id} ({why})" for case_id, why in result.skipped.items())
            flash(f"Skipped: {skipped}.", "error")
        flash(f"{len(result.done)} case(s): {action} done.", "success")

    try:
        run()
    except ForumError as error:
        flash(error.message, "error")
    return redirect(_back())


@bp.post("/users/<int:user_id>/notes")
def add_note(user_id: int):
    return _run(lambda: review.add_note(member(), user_id, request.form.get("body", "")),
                "Note added. Only staff can see it.")


@bp.post("/users/<int:user_id>/warn")
def warn(user_id: int):
    return _run(
        lambda: review.warn(member(), user_id, request.form.get("reason", ""),
                            request.form.get("case_id")),
        "Warning sent.",
    )


@bp.post("/users/<int:user_id>/silence")
def silence(user_id: int):
    return _run(
        lambda: review.silence(member(), user_id, request.form.get("days"),
                               request.form.get("reason", ""), request.form.get("case_id")),
        "The member is read-only for now.",
    )


@bp.post("/users/<int:user_id>/suspend")
def suspend(user_id: int):
    return _run(
        lambda: review.suspend(member(), user_id, request.form.get("reason", ""),
                               request.form.get("case_id")),
        "The member is suspended and signed out everywhere.",
    )


@bp.route("/audit")
def audit():
    who = request.args.get("who", "all")
    if who not in review.AUDIT_VIEWS:
        who = "all"
    entries = review.audit_log(page_number(), who=who)
    return render_template("moderator/audit.html", entries=entries, who=who,
                           views=review.AUDIT_VIEWS)


@bp.route("/agreement")
def agreement():
    rows = review.agreement()
    weeks = review.weekly_totals(rows)
    labels = [week.week.strftime("%d %b") for week in weeks]
    charts = {
        "holds": ("Automatic holds", charts_svg.stacked_bars(
            "chart-holds", "Automatic holds per week: rejected (screening was right) and "
            "approved (screening was wrong)", labels,
            [("rejected", [w.holds_rejected for w in weeks], "chart__bar--right"),
             ("approved", [w.holds_approved for w in weeks], "chart__bar--wrong")])),
        "misses": ("Misses", charts_svg.stacked_bars(
            "chart-misses", "Published posts later reported and removed, per week", labels,
            [("removed after a report", [w.misses for w in weeks], "chart__bar--wrong")])),
        "nudges": ("Nudges", charts_svg.stacked_bars(
            "chart-nudges", "Nudges per week: rewritten and published, or not", labels,
            [("rewritten", [w.nudges_revised for w in weeks], "chart__bar--right"),
             ("not rewritten", [w.nudges - w.nudges_revised for w in weeks],
              "chart__bar--other")])),
    }
    return render_template("moderator/agreement.html", rows=rows, weeks=weeks, charts=charts)


@bp.route("/agreement.csv")
def agreement_csv():
    body = review.agreement_csv(review.agreement())
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=screening-agreement.csv"})


@bp.post("/cases/<int:case_id>/outreach")
def reach_out(case_id: int):
    return _run(lambda: review.reach_out(member(), case_id, request.form.get("message", "")),
                "Your message was sent. They will see it on their next page.")


@bp.route("/templates", methods=["GET", "POST"])
def response_templates():
    if request.method == "POST":
        template_id = request.form.get("template_id", "")
        return _run(
            lambda: review.save_template(
                member(), request.form.get("title", ""), request.form.get("body", ""),
                int(template_id) if template_id.isdigit() else None),
            "Template saved.",
        )
    return render_template("moderator/templates.html", templates=review.templates())
