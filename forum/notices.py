"""Messages from the moderators to one member (a rejected post, a warning), until dismissed.

`member_notices()` is a template global: base.html includes templates/moderator/_notices.html,
which calls it once per page for a signed-in member (one small indexed query).
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user, login_required

from . import review

bp = Blueprint("notices", __name__)


@bp.app_context_processor
def inject_member_notices():
    def member_notices():
        if not current_user.is_authenticated:
            return []
        return review.pending_notices(current_user)

    return {"member_notices": member_notices}


def _same_site(target: str | None) -> str:
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and all(ord(ch) >= 0x20 for ch in target)):
        return target
    return url_for("board.index")


@bp.post("/notices/<int:notice_id>/dismiss")
@login_required
def dismiss(notice_id: int):
    review.dismiss_notice(current_user._get_current_object(), notice_id)
    return redirect(_same_site(request.form.get("next")))
