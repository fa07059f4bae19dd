"""Private staff notes on members: moderators' memory of a person across cases.

Shown on the member's cases (queue and case page); never to the member, never in mail. Adding
one is audited without its text (the note itself is the record)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..errors import InvalidInput
from ..extensions import db
from ..models import MemberNote, User, utcnow
from ..reading import one_or_not_found
from .audit import audit

NOTE_MAX = 2000
NOTES_SHOWN = 10


def add_note(moderator: User, member_id: int, body: str) -> MemberNote:
    member = one_or_not_found(select(User).where(User.id == member_id), "There is no such member.")
    if not isinstance(body, str) or not body.strip():
        raise InvalidInput("Write the note first.", field="body")
    if len(body) > NOTE_MAX:
        raise InvalidInput(f"A note can be at most {NOTE_MAX} characters.", field="body")
    note = MemberNote(member_id=member.id, author_id=moderator.id, body=body.strip(),
                      created_at=utcnow())
    db.session.add(note)
    db.session.flush()
    audit("member_note_added", actor_id=moderator.id, user_id=member.id, note_id=note.id)
    db.session.commit()
    return note


def notes_for(member_ids: Iterable[int]) -> dict[int, list[MemberNote]]:
    """The newest notes per member (one query), newest first."""
    ids = set(member_ids)
    if not ids:
        return {}
    notes = db.session.scalars(
        select(MemberNote).options(joinedload(MemberNote.author))
        .where(MemberNote.member_id.in_(ids))
        .order_by(MemberNote.created_at.desc(), MemberNote.id.desc())
    ).all()
    grouped: dict[int, list[MemberNote]] = defaultdict(list)
    for note in notes:
        if len(grouped[note.member_id]) < NOTES_SHOWN:
            grouped[note.member_id].append(note)
    return dict(grouped)
