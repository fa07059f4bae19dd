"""Reaching out: a moderator sends the author of a crisis post a private, warm message.

Admins edit the response templates (``/mod/templates``); until they save their own, the
built-in ones below are offered. The moderator can change the words before sending. The
message reaches the member as a private notice (never public, never by email to anyone
else); the audit log records that it was sent, not its words. ``{resources}`` in a message
becomes the crisis lines of the member's own region as it is sent (forum/crisis_resources.py),
so the moderator never learns where the member lives.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .. import crisis_resources
from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..models import ResponseTemplate, Role, User, utcnow
from ..reading import one_or_not_found
from .audit import audit
from .cases import get_case
from .notices import notify

TITLE_MAX = 120
BODY_MAX = 4000


@dataclass(frozen=True)
class Template:
    title: str
    body: str
    id: int | None = None  # None: built in, not yet saved by an admin


BUILT_IN = (
    Template(
        "Checking in after a hard post",
        "Hi {name}, I'm one of the moderators here. I read your post and I wanted to check in "
        "with you directly, because it sounded like things are really heavy right now. You "
        "matter here, and you don't have to carry this by yourself tonight.\n\n"
        "If you are thinking about ending your life or you're in danger, please contact a "
        "crisis line or your local emergency number now. These can talk with you straight "
        "away:\n\n{resources}\n\nIf you'd like, reply in the thread or tell us what would help.",
    ),
    Template(
        "Immediate danger",
        "Hi {name}, this is a moderator. Your safety comes first: if you are in immediate "
        "danger, please call your local emergency number now, or go somewhere you are safe. "
        "These crisis lines can talk with you right now, day or night:\n\n{resources}\n\n"
        "We're glad you told us, and we're still here.",
    ),
)


def templates() -> list[Template]:
    """The admins' templates, or the built-in ones while there are none."""
    rows = db.session.scalars(select(ResponseTemplate).order_by(ResponseTemplate.title)).all()
    if not rows:
        return list(BUILT_IN)
    return [Template(row.title, row.body, row.id) for row in rows]


def _clean(title: object, body: object) -> tuple[str, str]:
    if not isinstance(title, str) or not title.strip() or len(title.strip()) > TITLE_MAX:
        raise InvalidInput(f"A template needs a title of at most {TITLE_MAX} characters.",
                           field="title")
    if not isinstance(body, str) or not body.strip() or len(body) > BODY_MAX:
        raise InvalidInput(f"A template needs words, at most {BODY_MAX} characters.",
                           field="body")
    return title.strip(), body.strip()


def save_template(admin: User, title: object, body: object,
                  template_id: int | None = None) -> ResponseTemplate:
    """Add or change a template (admins only). Saving the first one replaces the built-ins,
    so those are saved alongside it: nothing an admin did not delete disappears."""
    if admin.role != Role.ADMIN.value:
        raise Forbidden("Only admins can edit the response templates.")
    title, body = _clean(title, body)
    now = utcnow()
    if not db.session.scalar(select(ResponseTemplate.id).limit(1)):
        for built_in in BUILT_IN:
            if built_in.title != title:
                db.session.add(ResponseTemplate(title=built_in.title, body=built_in.body,
                                                updated_by_id=admin.id, updated_at=now))
    if template_id is None:
        row = db.session.scalar(select(ResponseTemplate).where(ResponseTemplate.title == title))
        row = row or ResponseTemplate(title=title)
        db.session.add(row)
    else:
        row = one_or_not_found(select(ResponseTemplate).where(ResponseTemplate.id == template_id),
                               "There is no such template.")
        row.title = title
    row.body, row.updated_by_id, row.updated_at = body, admin.id, now
    db.session.flush()
    audit("response_template_saved", actor_id=admin.id, template_id=row.id, title=title)
    db.session.commit()
    return row


def reach_out(moderator: User, case_id: int, message: object) -> None:
    """Send the case's author a private message from the moderators."""
    case = get_case(case_id)
    if not isinstance(message, str) or not message.strip():
        raise InvalidInput("Write the message first.", field="message")
    if len(message) > BODY_MAX:
        raise InvalidInput(f"A message can be at most {BODY_MAX} characters.", field="message")
    now = utcnow()
    words = crisis_resources.fill_placeholder(message.strip(), case.post.author)
    notify(case.post.author_id, "outreach", words, case.post_id, now)
    audit("outreach_sent", actor_id=moderator.id, case_id=case.id, user_id=case.post.author_id,
          post_id=case.post_id)
    db.session.commit()
