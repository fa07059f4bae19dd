"""The community's tables: members, categories, threads, posts and what members do with them.

Moderated content is soft-hidden through `Post.status`; nothing here deletes a post row.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import CategoryVisibility, DigestFrequency, PostStatus, Role, UTCDateTime, utcnow

__all__ = [
    "ApiToken",
    "Block",
    "Category",
    "CategoryMute",
    "Post",
    "PostRevision",
    "Report",
    "Support",
    "Thread",
    "User",
]


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # Lower-cased copy: usernames are unique regardless of case.
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    # Private: never rendered on any page, API answer or email to other members.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.value)
    digest_frequency: Mapped[str] = mapped_column(String(8), default=DigestFrequency.WEEKLY.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    silenced_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change and suspension: signs out every session and API token.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # When the member confirmed their address by the emailed link; until then they can read
    # and sign in, but not post, and no digest is mailed to the address.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The secret of the sign-in this object was loaded for (see forum/sign_ins.py); not stored.
    sign_in_secret = None
    # The id of the member's newest notice, read in the same query as the sign-in
    # (forum/sign_ins.py) so most page views need no query for notices; None: they have none;
    # NOT_READ: this object was loaded another way (forum/web/notices.py then asks).
    NOT_READ = -1
    newest_notice_id: int | None = NOT_READ
    # Set when screening blocked this member's texts REPEATED_BLOCKS times within a day
    # (forum/review/attempts.py); moderators see the flag and clear it.
    attempts_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The random value a digest's unsubscribe link carries (signed), instead of the user id;
    # replacing it revokes every earlier link (forum/digest/message.py).
    unsubscribe_key: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: secrets.token_urlsafe(24)
    )
    unsubscribe_key_previous: Mapped[str | None] = mapped_column(String(64))
    unsubscribe_key_replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moderators on call get an email as soon as a case enters the urgent lane.
    on_call: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Set by a moderator: overrides the trust level computed from time and posts (None: computed).
    trust_level_override: Mapped[str | None] = mapped_column(String(16))
    # Where the member wants crisis lines from (forum/crisis_resources.py); None: not set, the
    # international list. Private: shown to nobody else, in no answer about anyone else.
    crisis_region: Mapped[str | None] = mapped_column(String(16))

    def set_password(self, password: str) -> None:
        # scrypt by default; the test suite configures a cheaper method to stay fast.
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        # Flask-Login's "alternative id": the session names one server-side sign-in, so
        # signing out (deleting that row) ends the session even where its cookie was copied.
        return f"{self.id}:{self.sign_in_secret or ''}"

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.MODERATOR.value, Role.ADMIN.value)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value

    @property
    def is_active(self) -> bool:
        return self.suspended_at is None

    def is_silenced(self, now: datetime | None = None) -> bool:
        return self.silenced_until is not None and self.silenced_until > (now or utcnow())

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Who may read its threads; members-only unless a moderator opens it (forum/audience.py).
    visibility: Mapped[str] = mapped_column(
        String(16), default=CategoryVisibility.MEMBERS.value,
        server_default=CategoryVisibility.MEMBERS.value,
    )


class Thread(db.Model):
    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_category_activity", "category_id", "last_activity_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(160))
    content_warning: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Time of the newest *published* post; drives listing order and the digest.
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Published replies (the opening post not counted).
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    # False while the opening post is held: the thread is listed only for its author and staff.
    is_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    category: Mapped[Category] = relationship()
    author: Mapped[User] = relationship()
    posts: Mapped[list[Post]] = relationship(
        back_populates="thread", order_by="Post.id", foreign_keys="Post.thread_id"
    )


class Post(db.Model):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_thread_status", "thread_id", "status", "id"),
        # A member's published posts, counted for their trust level (forum/trust.py).
        Index("ix_posts_author_published", "author_id", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The post this one answers (context for screening); None for an opening post.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"))
    is_opening: Mapped[bool] = mapped_column(Boolean, default=False)
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PostStatus.PUBLISHED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When it became visible to everyone (publish or approval); the digest uses this.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    support_count: Mapped[int] = mapped_column(Integer, default=0)
    # Raised by the database itself on every UPDATE of the row (triggers below), whoever writes
    # it: rendered copies of the post are kept by (id, version), so an edit, a moderator's
    # decision, a redaction, a purge or a new support count is seen at once with no code having
    # to remember to forget a cached copy.
    version: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1", server_onupdate=FetchedValue()
    )

    thread: Mapped[Thread] = relationship(back_populates="posts", foreign_keys=[thread_id])
    author: Mapped[User] = relationship()
    parent: Mapped[Post | None] = relationship(remote_side=[id])
    revisions: Mapped[list[PostRevision]] = relationship(
        back_populates="post", order_by="PostRevision.id"
    )

    @property
    def is_published(self) -> bool:
        return self.status == PostStatus.PUBLISHED.value


class PostRevision(db.Model):
    """A previous version of a post, kept when its author edits it."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    body_markdown: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship(back_populates="revisions")


class Support(db.Model):
    """A "support" reaction: a quiet way to say "I hear you", instead of likes."""

    __tablename__ = "supports"

    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Block(db.Model):
    """blocker no longer sees blocked's posts; blocked cannot reply in blocker's threads."""

    __tablename__ = "blocks"

    blocker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CategoryMute(db.Model):
    """Categories a member leaves out of their digest."""

    __tablename__ = "category_mutes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), primary_key=True)


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # sha256 of the token: a database leak does not hand out working tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Report(db.Model):
    """A member's report of a post. Reports on one post merge into one moderation case."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("post_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship()
    reporter: Mapped[User] = relationship()


_POST_VERSION_TRIGGERS_SQLITE = (
    # SQLite cannot change NEW in a trigger: bump the row again (not recursive: the WHEN clause
    # is false for the bump itself, and SQLite's recursive triggers are off).
    "CREATE TRIGGER posts_bump_version AFTER UPDATE ON posts "
    "WHEN NEW.version = OLD.version "
    "BEGIN UPDATE posts SET version = OLD.version + 1 WHERE id = NEW.id; END",
)
_POST_VERSION_TRIGGERS_POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION posts_bump_version() RETURNS trigger AS $$ "
    "BEGIN NEW.version := OLD.version + 1; RETURN NEW; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER posts_bump_version BEFORE UPDATE ON posts "
    "FOR EACH ROW EXECUTE FUNCTION posts_bump_version()",
)


def post_version_trigger_statements(dialect_name: str) -> tuple[str, ...]:
    """The SQL that raises posts.version on every update (also used by the migration)."""
    if dialect_name == "sqlite":
        return _POST_VERSION_TRIGGERS_SQLITE
    if dialect_name == "postgresql":
        return _POST_VERSION_TRIGGERS_POSTGRESQL
    return ()


@event.listens_for(Post.__table__, "after_create")
def _add_post_version_triggers(table, connection, **kw) -> None:
    for statement in post_version_trigger_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
