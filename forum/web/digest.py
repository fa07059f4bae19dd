"""The digest preview: a member sees their next digest; an admin can look at anyone's."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template, request
from flask_login import current_user, login_required

from .. import digest
from ..errors import Forbidden
from ..models import DigestFrequency, User, utcnow
from ..reading import user_by_username
from .headers import email_frame

bp = Blueprint("digest", __name__, url_prefix="/digest")

def _member() -> User:
    name = request.args.get("member", "").strip()
    if not name or name.lower() == current_user.username_key:
        return current_user
    if not current_user.is_admin:
        raise Forbidden("Only admins can preview another member's digest.")
    return user_by_username(name)


def _preview(member: User) -> tuple[digest.Digest, str, str, bool]:
    is_off = member.digest_frequency == DigestFrequency.OFF.value
    frequency = DigestFrequency.WEEKLY.value if is_off else member.digest_frequency
    composed = digest.compose_digest(member, digest.period_in_progress(frequency, utcnow()))
    if member.id == current_user.id:
        link = digest.unsubscribe_url(member.id)
    else:  # an admin's preview must not carry a working link for someone else
        link = f"{current_app.config['BASE_URL']}/unsubscribe/preview-only"
    text, html = digest.render_bodies(composed, link)
    return composed, text, html, is_off


@bp.get("/preview")
@login_required
def preview() -> str:
    member = _member()
    composed, text, _, is_off = _preview(member)
    member_param = None if member.id == current_user.id else member.username
    return render_template(
        "digest/preview.html", digest=composed, text=text, is_off=is_off,
        subject=digest.subject_for(composed), member_name=member.username,
        own=member.id == current_user.id, member_param=member_param,
    )


@bp.get("/preview/email.html")
@login_required
def preview_email() -> Response:
    member = _member()
    _, _, html, _ = _preview(member)
    return email_frame(make_response(html))
