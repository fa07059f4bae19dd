"""Messages from the moderators to one member — a rejected post, an edit, a warning.

They are shown on the member's next page view as flash messages (which base.html already
shows), once per browser session; the Notice rows stay as the record. Reading them is a
single indexed query for signed-in members on page views; nothing is written on GET.
"""

from __future__ import annotations

from flask import Flask, flash, request, session
from flask_login import current_user

from .. import review

SHOWN_KEY = "_notices_shown"
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
    shown = list(session.get(SHOWN_KEY, []))
    fresh = [n for n in review.recent_notices(current_user) if n.id not in shown]
    for notice in fresh:
        flash(notice.message, APPEALABLE.get(notice.kind, NOTICE_CATEGORY))
        shown.append(notice.id)
    if fresh:
        session[SHOWN_KEY] = shown[-50:]


def register(app: Flask) -> None:
    app.before_request(flash_new_notices)
