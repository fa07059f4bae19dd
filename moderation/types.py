"""Plain data shared by the whole moderation package: labels, input items, verdicts.

Only the standard library is imported here, so any part of the project (the forum, the
CLI, training) can use these names without pulling in torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Harmful categories, in the order the community model outputs them.
HARMFUL: tuple[str, ...] = (
    "nc_shaming",
    "victim_blaming",
    "guilt_tripping",
    "darvo",
    "invalidation",
    "toxic",
)
# The community model's output classes, in order (its checkpoint's "classes").
COMMUNITY_LABELS: tuple[str, ...] = (*HARMFUL, "crisis")
# Labels a training/eval JSONL row may carry; "supportive" and "neutral" are the
# all-zero target of the multi-label model.
BENIGN: tuple[str, ...] = ("supportive", "neutral")
TRAINING_LABELS: tuple[str, ...] = (*BENIGN, *COMMUNITY_LABELS)
CRISIS = "crisis"
# The crisis head's score on frozen sentence embeddings (moderation.crisis_head), reported
# beside the community model's own labels.
CRISIS_EMBEDDING = "crisis_embedding"


class Decision(StrEnum):
    """What happens to a post: shown now, held for a moderator, or refused outright."""

    PUBLISH = "publish"
    HOLD = "hold"
    BLOCK = "block"


class Action(StrEnum):
    """What a rule asks for when it matches."""

    HOLD = "hold"
    BLOCK = "block"
    ESCALATE = "escalate"
    PUBLISH_GUARD = "publish_guard"


@dataclass(frozen=True)
class Item:
    """One text to screen; ``parent`` is the post it replies to (context only)."""

    id: str
    text: str
    parent: str | None = None


@dataclass(frozen=True)
class RuleHit:
    """A rule that matched the writer's own words, with the phrase that matched."""

    rule_id: str
    category: str
    action: str
    phrase: str
    why: str

    def describe(self) -> str:
        return f'rule {self.rule_id}: "{self.phrase}" ({self.why})'


@dataclass(frozen=True)
class Verdict:
    """The outcome of screening one item."""

    id: str
    decision: Decision
    category: str | None
    escalate: bool
    scores: dict[str, float] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    rule_hits: tuple[RuleHit, ...] = ()
    model_version: str = ""
    nudge: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The SPEC §3 ``classify`` output line, exactly these keys."""
        return {
            "id": self.id,
            "decision": self.decision.value,
            "category": self.category,
            "escalate": self.escalate,
            "scores": {label: round(float(score), 4) for label, score in self.scores.items()},
            "reasons": list(self.reasons),
        }
