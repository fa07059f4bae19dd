"""Pages behind the links we email: confirm an address, choose a new password; and asking
for them (a new confirmation link, a password reset).

Opening a link only shows a page with a button (a GET never changes anything, so mail
scanners that open links don't use them up). A link that is expired, already used or not one
of ours gets a kind page saying so and what to do next, with a 4xx status.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from .. import accounts, email_links
from ..email_links import Link, LinkState
from ..errors import InvalidInput
from ..limits import email_limit, email_recipient_limit, resend_limit
from ..models import EmailTokenPurpose
from .forms import ActionForm, NewPasswordForm, ResetRequestForm, apply_error
from .helpers import member

bp = Blueprint("email_links", __name__)

LINK_STATUS = {LinkState.EXPIRED: 410, LinkState.USED: 409, LinkState.UNKNOWN: 404}
RESET_SENT = ("Thank you. If that address belongs to an account, we've sent it a link to "
              "choose a new password. It works for the next hour; check your spam folder too.")


def _problem(link: Link, purpose: EmailTokenPurpose):
    return render_template(
        "auth/link_problem.html", state=link.state.value, purpose=purpose.value,
        form=ActionForm(),
    ), LINK_STATUS[link.state]


@bp.get("/check-email")
def check_email():
    return render_template("auth/check_email.html")


@bp.route("/verify/<token>", methods=["GET", "POST"])
def verify(token: str):
    form = ActionForm()
    if not form.validate_on_submit():
        link = email_links.look_up(token, EmailTokenPurpose.VERIFY)
        if link.state is not LinkState.OK:
            return _problem(link, EmailTokenPurpose.VERIFY)
        return render_template("auth/verify.html", form=form, token=token)
    link = email_links.verify(token)
    if link.state is not LinkState.OK:
        return _problem(link, EmailTokenPurpose.VERIFY)
    flash("Thank you: your address is confirmed. You can post now.", "success")
    if current_user.is_authenticated:
        return redirect(url_for("board.index"))
    return redirect(url_for("auth.login"))


@bp.post("/verify/resend")
@login_required
@resend_limit
def resend_verification():
    form = ActionForm()
    if form.validate_on_submit() and not member().is_verified:
        email_links.send_verification(member())
        flash("We've sent a new link to your email address. It works for the next 48 hours.",
              "success")
    return redirect(url_for("account.settings"))


@bp.route("/reset", methods=["GET", "POST"])
@email_limit
@email_recipient_limit
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            email = accounts.validate_email(form.email.data)
        except InvalidInput as error:
            apply_error(form, error)
        else:
            email_links.request_reset(email)
            flash(RESET_SENT, "success")
            return redirect(url_for("email_links.check_email"))
    status = 422 if form.errors else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    link = email_links.look_up(token, EmailTokenPurpose.RESET)
    if link.state is not LinkState.OK:
        return _problem(link, EmailTokenPurpose.RESET)
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            link = email_links.reset_password(token, form.password.data)
        except InvalidInput as error:
            apply_error(form, error)
        else:
            if link.state is not LinkState.OK:
                return _problem(link, EmailTokenPurpose.RESET)
            flash("Your new password is set, and every device has been signed out. "
                  "Please sign in with it.", "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/reset_password.html", form=form, token=token), status
