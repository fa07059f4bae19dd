"""What a member reads when their appeal has been answered: warm, specific, never shaming.

An overturned decision says what changed and says sorry; an upheld one says what stays, the
moderator's words, and what happens next (this was the one review of that decision).
"""

from __future__ import annotations

from ..models import Appeal, AppealStatus

_WHAT = {
    "rejected": "your post",
    "warn": "the warning you were given",
    "silence": "the read-only period on your account",
    "suspend": "the suspension of your account",
}

_OVERTURNED = {
    "rejected": "It's published again, for everyone to read.",
    "warn": "The warning is withdrawn and no longer counts on your record.",
    "silence": "The read-only period is lifted: you can post and reply again now.",
    "suspend": "Your account is open again, and you can sign in as before. Welcome back.",
}

_UPHELD_NEXT = {
    "rejected": ("The post stays down, but nothing else changes: you're still welcome here, "
                 "and if you'd like, you can say it again in a different way."),
    "warn": "Nothing else changes: you can keep reading, posting and supporting others as before.",
    "silence": ("When the read-only period ends you can post again as before; until then you "
                "can still read and support others."),
    "suspend": "Your account stays suspended.",
}


def _subject(appeal: Appeal) -> str:
    what = _WHAT.get(appeal.decision, "the decision")
    if appeal.decision == "rejected" and appeal.post is not None:
        return f"{what} in “{appeal.post.thread.title}”"
    return what


def outcome_message(appeal: Appeal, status: str, reason: str) -> str:
    subject = _subject(appeal)
    if status == AppealStatus.OVERTURNED.value:
        return (f"Thank you for asking us to look again. A second moderator read {subject} and "
                f"your note, and agreed with you. {_OVERTURNED.get(appeal.decision, '')} "
                f"Their words: {reason} We're sorry for the trouble this caused you.")
    return (f"Thank you for asking us to look again. A second moderator read {subject} and your "
            f"note carefully, and decided the decision stands. Their words: {reason} "
            f"{_UPHELD_NEXT.get(appeal.decision, '')} This was the one review of this "
            "decision, so it can't be appealed again. We know that may be hard to hear, and "
            "we're glad you told us how you saw it.")
