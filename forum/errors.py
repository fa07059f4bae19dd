"""Typed domain errors. Use cases raise them; one handler per area turns them into HTTP."""

from __future__ import annotations

from typing import Any


class ForumError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.details}


class InvalidInput(ForumError):
    status = 422
    code = "invalid"


class NotFound(ForumError):
    status = 404
    code = "not_found"


class Forbidden(ForumError):
    status = 403
    code = "forbidden"


class EmailNotVerified(Forbidden):
    """The member has not confirmed their email address yet, so they cannot post."""

    code = "email_unverified"


class Conflict(ForumError):
    status = 409
    code = "conflict"


class ModerationNudge(ForumError):
    """Screening would hold or block the text: the author sees why, keeps the text, decides.

    details: decision ("hold"|"block") and category; the message is the kind nudge. Never rule
    ids, matched phrases or scores: authors would learn how to get around screening (moderators
    see those in the queue).
    """

    status = 422
    code = "moderation"


class PrivacyNudge(ForumError):
    """The text seems to hold details that could identify someone (forum/privacy.py).

    Only raised when the caller asked to confirm first (the pages' confirm step); it never
    blocks for good: the writer can edit, or post anyway. details: "privacy" (the kind
    warnings) and "kinds" (what the writer acknowledges by posting anyway).
    """

    status = 422
    code = "privacy"
