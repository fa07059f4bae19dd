"""A member's settings page: digest frequency, categories muted from the digest, where crisis
lines are shown for (private), password.

The blueprint keeps its name, `account` (url_for("account.settings")).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required
from wtforms import SelectChoice

from .. import accounts, crisis_resources, digest, preferences, reading, sign_ins
from ..errors import InvalidInput
from .auth import end_browser_session
from .forms import (
    ActionForm,
    CrisisRegionForm,
    DigestSettingsForm,
    PasswordChangeForm,
    apply_error,
)
from .helpers import member as _member

bp = Blueprint("account", __name__, url_prefix="/account")


def _region_form(formdata=None) -> CrisisRegionForm:
    kwargs = {} if formdata is not None else {"formdata": None}
    form = CrisisRegionForm(prefix="region", **kwargs)
    form.region.choices = [("", "Not set: the international list"), *crisis_resources.regions()]
    if formdata is None:
        form.region.data = _member().crisis_region or ""
    return form


def _render(digest_form: DigestSettingsForm, password_form: PasswordChangeForm, status: int = 200,
            region_form: CrisisRegionForm | None = None):
    me = _member()
    sign_in_list = [
        {"device": row.device, "remember_hash": row.remember_hash, "created_at": row.created_at,
         "current": sign_ins.is_current(me, row)}
        for row in sign_ins.active(me)
    ]
    return render_template(
        "account/settings.html", digest_form=digest_form, password_form=password_form,
        sign_in_list=sign_in_list,
        action_form=ActionForm(formdata=None),
        region_form=region_form or _region_form(),
    ), status


def _digest_form(formdata=None) -> DigestSettingsForm:
    kwargs = {} if formdata is not None else {"formdata": None}
    form = DigestSettingsForm(prefix="digest", **kwargs)
    form.muted.choices = [SelectChoice(c.slug, c.name) for c in reading.list_categories()]
    if formdata is None:
        form.digest.data = _member().digest_frequency
        form.muted.data = preferences.muted_category_slugs(_member())
    return form


@bp.route("/settings")
@login_required
def settings():
    return _render(_digest_form(), PasswordChangeForm(prefix="password", formdata=None))


@bp.route("/settings/digest", methods=["POST"])
@login_required
def save_digest():
    form = _digest_form(request.form)
    if form.validate_on_submit():
        try:
            preferences.save_digest_settings(_member(), form.digest.data, form.muted.data or [])
        except InvalidInput as error:
            apply_error(form, error)
        else:
            flash("Your digest settings are saved.", "success")
            return redirect(url_for("account.settings"))
    return _render(form, PasswordChangeForm(prefix="password", formdata=None), 422)


@bp.route("/settings/region", methods=["POST"])
@login_required
def save_region():
    form = _region_form(request.form)
    if form.validate_on_submit():
        try:
            crisis_resources.set_region(_member(), form.region.data)
        except InvalidInput as error:
            form.region.errors = [error.message]
        else:
            flash("Saved. The crisis lines at the bottom of each page are for where you are now; "
                  "only you can see this choice.", "success")
            return redirect(url_for("account.settings"))
    return _render(_digest_form(), PasswordChangeForm(prefix="password", formdata=None), 422,
                   region_form=form)


@bp.route("/settings/password", methods=["POST"])
@login_required
def change_password():
    form = PasswordChangeForm(prefix="password")
    if form.validate_on_submit():
        try:
            accounts.change_password(_member(), form.current_password.data, form.password.data)
        except InvalidInput as error:
            apply_error(form, error)
        else:
            flash("Your password is changed. Any other devices are signed out.", "success")
            return redirect(url_for("account.settings"))
    return _render(_digest_form(), form, 422)


@bp.route("/settings/sign-out-everywhere", methods=["POST"])
@login_required
def sign_out_everywhere():
    if not ActionForm().validate_on_submit():  # CSRFProtect already refused a missing token
        return redirect(url_for("account.settings"))
    sign_ins.end_everywhere(_member())
    end_browser_session()
    flash("You're signed out on every device, including this one.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/settings/unsubscribe-links", methods=["POST"])
@login_required
def replace_unsubscribe_links():
    """Revoke the unsubscribe links in digests sent so far (say, one was forwarded)."""
    if ActionForm().validate_on_submit():
        digest.replace_unsubscribe_links(_member())
        flash("Done: the unsubscribe links in earlier digests no longer work. "
              "New digests carry a new one.", "success")
    return redirect(url_for("account.settings"))
