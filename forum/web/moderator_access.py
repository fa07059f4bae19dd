"""Moderators' page for who reads what (/mod/access): categories' visibility, members' trust.

Routes on the moderators' blueprint, so its staff check (and fresh login) guards them too.
Thin views over forum/access_settings.py; every form carries its CSRF token.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from .. import access_settings, audience, trust
from ..errors import ForumError, NotFound
from .forms import CategoryVisibilityForm, TrustLevelForm
from .helpers import member
from .moderator import bp

LEVEL_CHOICES = [(level, level) for level in (*trust.LEVELS, access_settings.AUTOMATIC)]


def _visibility_form() -> CategoryVisibilityForm:
    form = CategoryVisibilityForm()
    form.visibility.choices = [(value, audience.LABELS[value]) for value in audience.VISIBILITIES]
    return form


def _trust_form() -> TrustLevelForm:
    form = TrustLevelForm()
    form.level.choices = LEVEL_CHOICES
    return form


@bp.route("/access")
def access():
    moderator = member()
    looked_up = None
    name = (request.args.get("member") or "").strip()[:64]
    if name:
        try:
            looked_up = access_settings.member_standing(moderator, name)
        except NotFound:
            flash(f"There is no member called {name!r}.", "error")
    trust_form = _trust_form()
    if looked_up is not None:
        trust_form.username.data = looked_up[0].username
        trust_form.level.data = looked_up[1].override or access_settings.AUTOMATIC
    return render_template(
        "moderator/access.html",
        categories=access_settings.categories_for_moderators(moderator),
        overrides=access_settings.members_with_override(moderator),
        visibility_form=_visibility_form(), trust_form=trust_form, looked_up=looked_up,
        labels=audience.LABELS, visibilities=audience.VISIBILITIES,
    )


@bp.post("/access/categories/<slug>")
def set_category_visibility(slug: str):
    form = _visibility_form()
    if not form.validate_on_submit():
        flash("Please choose who can read the category.", "error")
        return redirect(url_for("moderator.access")), 303
    try:
        category = access_settings.set_category_visibility(member(), slug, form.visibility.data)
    except ForumError as error:
        flash(error.message, "error")
        return redirect(url_for("moderator.access")), 303
    flash(f"{category.name}: {audience.LABELS[category.visibility].lower()}.", "success")
    return redirect(url_for("moderator.access")), 303


@bp.post("/access/members")
def set_trust_level():
    form = _trust_form()
    if not form.validate_on_submit():
        flash("Please give a member's username and a trust level.", "error")
        return redirect(url_for("moderator.access")), 303
    try:
        target, standing = access_settings.set_trust_level(
            member(), form.username.data, form.level.data
        )
    except ForumError as error:
        flash(error.message, "error")
        return redirect(url_for("moderator.access")), 303
    flash(f"{target.username} is now at trust level {standing.level!r}"
          f"{' (set by a moderator)' if standing.override else ' (from time and posts)'}.",
          "success")
    return redirect(url_for("moderator.access", member=target.username)), 303
