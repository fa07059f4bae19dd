"""Redaction: moderators remove personal details from any version of a post, for good.

`redact` replaces a selected piece of text (every occurrence), or a whole version, with
REDACTED, in the post (current text) or in one of its earlier versions; the post's verdicts and
case lose the same words (their reasons quote matched phrases). The audit entry says who, which
version, whether it was the whole text and how many places — never the removed text. The author
gets a kind notice.

`scrub_post_records` is shared with the author's purge (forum/purge.py): the screenings and
cases of a post keep their decisions and scores but lose every quoted word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from ..errors import InvalidInput
from ..extensions import db
from ..markup import render_markdown
from ..models import (
    Appeal,
    AppealKind,
    ModerationCase,
    Post,
    PostRevision,
    PostScreening,
    PostStatus,
    Thread,
    User,
    utcnow,
)
from ..reading import one_or_not_found
from .audit import audit
from .decisions import require_staff
from .notices import notify

REDACTED = "[removed by moderators]"
CURRENT = "current"
SELECTION_MAX = 20_000


def _replace_in(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace_in(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _replace_in(item, old, new) for key, item in value.items()}
    return value


def scrub_post_records(post_id: int, remove: str | None = None, replacement: str = REDACTED) -> None:
    """Take a post's words out of its screenings and cases (reasons, rule hits), and out of its
    author's appeal notes (which may quote it).

    ``remove`` None: every reason and rule hit goes (a whole version or a purge), and the note
    of an appeal against the post's rejection; otherwise each occurrence of ``remove`` is
    replaced. Decisions, categories and scores stay.
    """
    if remove is None:
        for model in (PostScreening, ModerationCase):
            db.session.execute(
                update(model).where(model.post_id == post_id)
                .values(reasons=[], rule_hits=[]).execution_options(synchronize_session=False)
            )
        db.session.execute(
            update(Appeal).where(Appeal.post_id == post_id, Appeal.kind == AppealKind.POST.value)
            .values(note=replacement).execution_options(synchronize_session=False)
        )
        return
    for model in (PostScreening, ModerationCase):
        for row in db.session.scalars(select(model).where(model.post_id == post_id)):
            row.reasons = _replace_in(list(row.reasons or []), remove, replacement)
            row.rule_hits = _replace_in(list(row.rule_hits or []), remove, replacement)
    for appeal in db.session.scalars(select(Appeal).where(Appeal.post_id == post_id)):
        appeal.note = appeal.note.replace(remove, replacement)


@dataclass(frozen=True)
class Redaction:
    post: Post
    version: str  # "current" or the earlier version's id
    whole: bool
    occurrences: int


def _version_id(version: object) -> str | int:
    if version in (None, "", CURRENT):
        return CURRENT
    if isinstance(version, bool):
        raise InvalidInput("version must be 'current' or the id of an earlier version.",
                           field="version")
    if isinstance(version, int):
        return version
    if isinstance(version, str) and version.isdigit() and len(version) < 10:
        return int(version)
    raise InvalidInput("version must be 'current' or the id of an earlier version.",
                       field="version")


def _selection(text: object) -> str | None:
    if text is None or text == "":
        return None
    if not isinstance(text, str) or len(text) > SELECTION_MAX:
        raise InvalidInput("The text to remove must be a piece of the post, as text.", field="text")
    if not text.strip():
        raise InvalidInput("Please select some text to remove, or leave it empty to remove "
                           "the whole version.", field="text")
    return text.replace("\r\n", "\n")  # browsers send line breaks as CRLF; posts store LF


def redactable_post(moderator: User, post_id: int) -> Post:
    require_staff(moderator)
    return one_or_not_found(
        select(Post).where(Post.id == post_id, Post.status != PostStatus.PURGED.value),
        "There is no such post (or its author removed it for good).",
    )


def versions_of(moderator: User, post_id: int) -> tuple[Post, list[PostRevision]]:
    """The post (current text) and its earlier versions, newest first, for the redaction page."""
    post = redactable_post(moderator, post_id)
    revisions = list(db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id).order_by(PostRevision.id.desc())
    ))
    return post, revisions


def preview(moderator: User, post_id: int, version: object, text: object) -> Redaction:
    """What `redact` would do, without doing it (for the confirmation step)."""
    post = redactable_post(moderator, post_id)
    which, body, _ = _target(post, _version_id(version))
    selection = _selection(text)
    found = 1 if selection is None else _occurrences(post, which, body, selection)
    return Redaction(post=post, version=str(which), whole=selection is None, occurrences=found)


def _target(post: Post, which: str | int) -> tuple[str | int, str, PostRevision | None]:
    if which == CURRENT:
        return which, post.body_markdown, None
    revision = db.session.scalar(
        select(PostRevision).where(PostRevision.id == which, PostRevision.post_id == post.id)
    )
    if revision is None:
        raise InvalidInput("That post has no such earlier version.", field="version")
    return which, revision.body_markdown, revision


def _occurrences(post: Post, which: str | int, body: str, selection: str) -> int:
    found = body.count(selection)
    if which == CURRENT and post.is_opening:
        found += post.thread.title.count(selection)
    if not found:
        raise InvalidInput("That text isn't in this version. Copy it exactly as it appears.",
                           field="text")
    return found


def redact(moderator: User, post_id: int, version: object, text: object = None) -> Redaction:
    """Replace ``text`` (every occurrence; None: the whole version) with REDACTED. One commit."""
    post = redactable_post(moderator, post_id)
    which, body, revision = _target(post, _version_id(version))
    selection = _selection(text)
    now = utcnow()
    if selection is None:
        found, new_body = 1, REDACTED
    else:
        found = _occurrences(post, which, body, selection)
        new_body = body.replace(selection, REDACTED)
    if revision is not None:
        revision.body_markdown = new_body
    else:
        post.body_markdown = new_body
        post.body_html = render_markdown(new_body)
        if selection is not None and post.is_opening and selection in post.thread.title:
            db.session.execute(
                update(Thread).where(Thread.id == post.thread_id)
                .values(title=post.thread.title.replace(selection, REDACTED)[:160])
                .execution_options(synchronize_session=False)
            )
            db.session.expire(post.thread, ["title"])
    scrub_post_records(post.id, selection)
    notify(post.author_id, "post_redacted",
           "A moderator removed some personal details from one of your posts, to keep you and "
           "others safe. Nothing else changed, and you're not in trouble.", post.id, now)
    audit("redacted", actor_id=moderator.id, post_id=post.id, user_id=post.author_id,
          version=str(which), whole=selection is None, occurrences=found)
    db.session.commit()
    return Redaction(post=post, version=str(which), whole=selection is None, occurrences=found)
