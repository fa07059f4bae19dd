"""Use cases for members' writing: threads, replies, edits, deletes, reports, blocks, support.

Each public function is one transaction: it validates, screens, writes and commits once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from . import audience, privacy, review, screening, trust, visibility
from .blocks import NOT_POSTED, ensure_may_write
from .errors import (
    Conflict,
    EmailNotVerified,
    Forbidden,
    InvalidInput,
    ModerationNudge,
    NotFound,
    PrivacyNudge,
)
from .extensions import db
from .markup import render_markdown
from .models import (
    Post,
    PostRevision,
    PostStatus,
    Report,
    Support,
    Thread,
    User,
    utcnow,
)
from .reading import get_category, get_post, get_thread

TITLE_MIN, TITLE_MAX = 3, 160
BODY_MAX = 20_000
CONTENT_WARNING_MAX = 120
REPORT_REASON_MAX = 500


@dataclass(frozen=True)
class PostOutcome:
    post: Post
    thread: Thread
    screening: screening.Screening
    privacy: tuple[str, ...] = ()  # kind warnings about identifying details (never blocking)
    # As stored by the use case's commit (read before it, so answering needs no query).
    post_id: int = 0
    thread_id: int = 0
    stored_status: str = ""

    @property
    def status(self) -> str:
        return self.stored_status or self.post.status

    @property
    def escalate(self) -> bool:
        return self.screening.escalate


def _clean_body(body: object) -> str:
    if not isinstance(body, str):
        raise InvalidInput("The post needs some text.", field="body")
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise InvalidInput("The post needs some text.", field="body")
    if len(body) > BODY_MAX:
        raise InvalidInput(
            f"That post is {len(body):,} characters; the limit is {BODY_MAX:,}. "
            "Could you split it into a few replies?",
            field="body",
        )
    if "\x00" in body:
        raise InvalidInput("The post contains characters that can't be stored.", field="body")
    return body


def _clean_title(title: object) -> str:
    if not isinstance(title, str) or len(title.strip()) < TITLE_MIN:
        raise InvalidInput(f"A title needs at least {TITLE_MIN} characters.", field="title")
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"Titles can be at most {TITLE_MAX} characters.", field="title")
    return title


def _clean_content_warning(content_warning: object) -> str | None:
    if content_warning is None:
        return None
    if not isinstance(content_warning, str):
        raise InvalidInput("The content warning must be text.", field="content_warning")
    content_warning = " ".join(content_warning.split())
    if len(content_warning) > CONTENT_WARNING_MAX:
        raise InvalidInput(
            f"Content warnings can be at most {CONTENT_WARNING_MAX} characters.",
            field="content_warning",
        )
    return content_warning or None


def _ensure_can_write(author: User) -> None:
    if not author.is_verified:
        raise EmailNotVerified(
            "Please confirm your email address first: open the link we emailed you (you can "
            "ask for a new one in your settings). Until then you can read and support others."
        )
    if author.is_silenced():
        until = author.silenced_until.strftime("%d %b %Y")
        raise Forbidden(
            f"Your account is read-only until {until}. You can still read and support others."
        )


def _privacy(text: str, acknowledged: Collection[str] | None) -> tuple[str, ...]:
    """Kind warnings about identifying details in the writer's text. When the caller confirms
    first (``acknowledged`` not None: the pages), details of a kind the writer has not yet
    said "post anyway" to stop the write (nothing stored) with a PrivacyNudge."""
    kinds = privacy.detail_kinds(text)
    warnings = tuple(privacy.MESSAGES[kind] for kind in kinds)
    if acknowledged is not None and set(kinds) - set(acknowledged):
        raise PrivacyNudge(
            "Before this goes up: it may include details that could help someone find you or "
            "someone you write about. You can edit them out, or post it as it is.",
            privacy=list(warnings), kinds=kinds,
        )
    return warnings


def _screen(
    body: str, parent_text: str | None, acknowledge_nudge: bool, author: User, target: str,
    warnings: tuple[str, ...] = (),
    **where: int | None,
) -> screening.Screening:
    """Screen a text; a nudge (hold or block) is raised instead of storing it.

    ``where``: thread_id, parent_id and post_id of the attempt, kept with a blocked text.
    """
    verdict = screening.screen_text(body, parent_text)
    if trust.level_of(author) == trust.TrustLevel.NEW.value:
        verdict = screening.hold_if_unsure(verdict)  # a new account's borderline posts: review
    if verdict.unavailable:
        # Nothing to rephrase: the post is stored held (fail closed, never lost) and the
        # answer says so; it is checked when screening is back or by a moderator.
        return verdict
    if verdict.decision == "block":
        # Never published, whatever the author acknowledges; moderators see the attempt in
        # the urgent lane (own commit), and the author only the kind nudge below.
        review.record_blocked_attempt(author, target, body, verdict, **where)
    if verdict.decision == "block" or (verdict.decision == "hold" and not acknowledge_nudge):
        # Remembered (own small commit) to measure how often nudged authors revise.
        review.record_nudge(author, target, verdict)
        raise ModerationNudge(
            verdict.nudge or screening.DEFAULT_NUDGE,
            decision=verdict.decision,
            category=verdict.category,
            **({"privacy": list(warnings)} if warnings else {}),
        )  # never the rule ids, matched phrases or scores: they would teach evasion
    return verdict


def _settle(post: Post, thread: Thread, verdict: screening.Screening, *,
            now: datetime | None = None, edited: bool = False,
            warnings: tuple[str, ...] = ()) -> PostOutcome:
    """The last steps of every write: the post (stored held) goes public when screening passed
    it, an edited one that did not pass goes back to the queue; the verdict is recorded, and
    the use case's one commit follows."""
    db.session.flush()
    if verdict.decision == "publish":
        visibility.publish(post, now or utcnow())  # no change when it was already published
    elif edited:
        # Hidden again until a moderator looks; the reply count follows what others see.
        visibility.hold_again(post)
    review.record(post, verdict)
    stored = {"post_id": post.id, "thread_id": post.thread_id, "stored_status": post.status}
    db.session.commit()
    return PostOutcome(post=post, thread=thread, screening=verdict, privacy=warnings, **stored)


def create_thread(
    author: User,
    category_slug: str,
    title: str,
    body: str,
    content_warning: str | None = None,
    acknowledge_nudge: bool = False,
    privacy_acknowledged: Collection[str] | None = None,
) -> PostOutcome:
    _ensure_can_write(author)
    try:
        category = get_category(category_slug) if isinstance(category_slug, str) else None
    except NotFound:  # an unknown category is a bad field (422), not a missing page
        category = None
    if category is None or not audience.may_read(author, category):
        # A category the member may not read is, to them, one that does not exist.
        raise InvalidInput("Please choose a category.", field="category")
    title = _clean_title(title)
    body = _clean_body(body)
    content_warning = _clean_content_warning(content_warning)
    warnings = _privacy(f"{title}\n\n{body}", privacy_acknowledged)
    verdict = _screen(f"{title}\n\n{body}", None, acknowledge_nudge, author,
                      review.nudge_target("thread"), warnings, thread_id=None)

    now = utcnow()
    thread = Thread(
        category=category, author=author, title=title, content_warning=content_warning,
        created_at=now, last_activity_at=now, reply_count=0, is_visible=False,
    )
    post = Post(
        thread=thread, author=author, is_opening=True, body_markdown=body,
        body_html=render_markdown(body), status=PostStatus.HELD.value, created_at=now,
    )
    db.session.add_all([thread, post])
    return _settle(post, thread, verdict, now=now, warnings=warnings)


def reply(
    author: User,
    thread_id: int,
    body: str,
    parent_post_id: int | None = None,
    acknowledge_nudge: bool = False,
    privacy_acknowledged: Collection[str] | None = None,
) -> PostOutcome:
    _ensure_can_write(author)
    thread = get_thread(author, thread_id)
    body = _clean_body(body)
    parent = _reply_parent(author, thread, parent_post_id)
    # Not in the blocker's thread, nor to the blocker's post in anyone's thread; the member
    # is not told why (forum/blocks.py).
    ensure_may_write(author, thread.author_id, parent.author_id if parent else None)
    warnings = _privacy(body, privacy_acknowledged)
    verdict = _screen(body, parent.body_markdown if parent else None, acknowledge_nudge, author,
                      review.nudge_target("reply", thread.id), warnings, thread_id=thread.id,
                      parent_id=parent.id if parent else None)

    post = Post(
        thread=thread, author=author, parent=parent, is_opening=False, body_markdown=body,
        body_html=render_markdown(body), status=PostStatus.HELD.value, created_at=utcnow(),
    )
    db.session.add(post)
    return _settle(post, thread, verdict, warnings=warnings)


def _reply_parent(viewer: User, thread: Thread, parent_post_id: int | None) -> Post | None:
    if parent_post_id is not None:
        try:
            parent = get_post(viewer, parent_post_id)
        except NotFound:
            # Deleted or hidden since the page was loaded: the same neutral answer as a block.
            raise Forbidden(NOT_POSTED) from None
        if parent.thread_id != thread.id:
            raise InvalidInput("You can only reply to a post in the same thread.", field="parent")
        return parent
    return db.session.scalar(
        select(Post).where(Post.thread_id == thread.id, Post.is_opening.is_(True))
    )


def _own_post(user: User, post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or post.status in (PostStatus.DELETED.value, PostStatus.REJECTED.value,
                                       PostStatus.PURGED.value):
        raise NotFound("That post doesn't exist or isn't visible to you.")
    if post.author_id != user.id:
        if post.status != PostStatus.PUBLISHED.value and not user.is_staff:
            raise NotFound("That post doesn't exist or isn't visible to you.")
        raise Forbidden("You can only change your own posts.")
    return post


def edit_post(user: User, post_id: int, body: str, acknowledge_nudge: bool = False,
              privacy_acknowledged: Collection[str] | None = None) -> PostOutcome:
    """The author's edit: the old text is kept as a revision, the new one is screened again."""
    _ensure_can_write(user)
    post = _own_post(user, post_id)
    body = _clean_body(body)
    thread = post.thread
    ensure_may_write(user, thread.author_id, post.parent.author_id if post.parent else None)
    parent_text = post.parent.body_markdown if post.parent is not None else None
    screened_text = f"{thread.title}\n\n{body}" if post.is_opening else body
    warnings = _privacy(body, privacy_acknowledged)
    verdict = _screen(screened_text, parent_text, acknowledge_nudge, user,
                      review.nudge_target("edit", post.id), warnings, thread_id=thread.id,
                      post_id=post.id, parent_id=post.parent_id)

    db.session.add(PostRevision(post=post, body_markdown=post.body_markdown, created_at=utcnow()))
    post.body_markdown = body
    post.body_html = render_markdown(body)
    post.edited_at = utcnow()
    return _settle(post, thread, verdict, edited=True, warnings=warnings)


def delete_post(user: User, post_id: int) -> Post:
    """Soft delete by the author. Deleting the opening post removes the thread from listings."""
    post = _own_post(user, post_id)
    visibility.delete(post, utcnow())
    db.session.commit()
    return post


def report_post(reporter: User, post_id: int, reason: str) -> Report:
    post = get_post(reporter, post_id)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("Please say briefly what's wrong, so a moderator can help.", field="reason")
    reason = reason.strip()[:REPORT_REASON_MAX]
    if post.author_id == reporter.id:
        raise InvalidInput("You can't report your own post; you can edit or delete it instead.")
    ensure_may_write(reporter, post.author_id)
    existing = db.session.scalar(
        select(Report).where(Report.post_id == post.id, Report.reporter_id == reporter.id)
    )
    if existing is not None:
        raise Conflict("You've already reported this post. A moderator will look at it.")
    report = Report(post=post, reporter=reporter, reason=reason, created_at=utcnow())
    db.session.add(report)
    db.session.flush()
    review.record_report(post, report)
    db.session.commit()
    return report


def toggle_support(user: User, post_id: int) -> Post:
    """Add or withdraw a "support" reaction; returns the post with its new count."""
    post = get_post(user, post_id)
    if not post.is_published:
        raise InvalidInput("You can support a post once it's visible to everyone.")
    ensure_may_write(user, post.author_id)
    existing = db.session.get(Support, (post.id, user.id))
    if existing is None:
        try:
            db.session.add(Support(post_id=post.id, user_id=user.id, created_at=utcnow()))
            db.session.flush()
        except IntegrityError:
            # The same member's other click added it a moment ago: that one counts.
            db.session.rollback()
            return db.session.get(Post, post_id)
        visibility.adjust_support(post.id, +1)
    else:
        removed = db.session.execute(
            delete(Support).where(Support.post_id == post.id, Support.user_id == user.id)
        ).rowcount
        if removed:
            visibility.adjust_support(post.id, -1)
    db.session.commit()
    return post
