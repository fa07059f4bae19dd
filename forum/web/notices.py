"""Messages from the moderators to one member — a rejected post, an edit, a warning.

They are shown on the member's next page view as flash messages (which base.html already
shows), once per browser session; the Notice rows stay as the record. The sign-in check reads
the member's newest notice id (forum/sign_ins.py); only when the browser session has not seen
it is there a query for the notices themselves. Nothing is written to the database on GET.
"""

from __future__ import annotations

from flask import Flask, flash, request, session
from flask_login import current_user

from .. import review
from ..models import User

SHOWN_KEY = "_notices_shown"
CHECKED_KEY = "_notices_checked_up_to"
NOTICE_CATEGORY = "notice"
# Notices of a decision the member can appeal carry a link to "Decisions about you".
APPEALABLE = {"post_rejected": "decision", "warning": "decision", "silenced": "decision"}


def _is_page_view() -> bool:
    if request.method != "GET" or request.endpoint in (None, "static"):
        return False
    return not request.path.startswith(("/api/", "/static/"))


def flash_new_notices() -> None:
    if not _is_page_view() or not current_user.is_authenticated:
        return
    newest = current_user.newest_notice_id
    if newest is None or (newest != User.NOT_READ and newest <= session.get(CHECKED_KEY, 0)):
        return
    shown = list(session.get(SHOWN_KEY, []))
    fresh = [n for n in review.recent_notices(current_user) if n.id not in shown]
    for notice in fresh:
        flash(notice.message, APPEALABLE.get(notice.kind, NOTICE_CATEGORY))
        shown.append(notice.id)
    if fresh:
        session[SHOWN_KEY] = shown[-50:]
    if newest != User.NOT_READ:
        session[CHECKED_KEY] = newest


def register(app: Flask) -> None:
    app.before_request(flash_new_notices)
