"""The one bridge between the forum and the `moderation` package.

Foundation stage: every post is published. The moderation-in-forum work replaces
`screen_text` with the real pipeline (built lazily, once per process).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Screening:
    decision: str  # "publish" | "hold" | "block"
    category: str | None = None
    escalate: bool = False
    reasons: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    nudge: str | None = None
    rule_hits: tuple[dict[str, Any], ...] = ()
    model_version: str = "none"


def screen_text(text: str, parent_text: str | None) -> Screening:
    return Screening(decision="publish")


def record(post, verdict: Screening) -> None:
    """Store the verdict with the post (moderation-in-forum stage: a moderation case)."""


def record_report(post, report) -> None:
    """Put a reported post in the reported lane (moderation-in-forum stage)."""
