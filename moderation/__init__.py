"""Screening pipeline for forum posts: rules + community model + Detoxify.

Outsiders import only the names re-exported here. Only the standard library is imported
at module level; the models load lazily inside functions.
"""

from moderation.pipeline import Pipeline
from moderation.types import (
    BENIGN,
    COMMUNITY_LABELS,
    CRISIS,
    HARMFUL,
    TRAINING_LABELS,
    Action,
    Decision,
    Item,
    RuleHit,
    Verdict,
)

__all__ = [
    "BENIGN",
    "COMMUNITY_LABELS",
    "CRISIS",
    "HARMFUL",
    "TRAINING_LABELS",
    "Action",
    "Decision",
    "Item",
    "Pipeline",
    "RuleHit",
    "Verdict",
]
