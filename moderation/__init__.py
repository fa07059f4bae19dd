"""Screening pipeline for forum posts: rules + community model + Detoxify.

Outsiders import only the names re-exported here (the forum: the pipeline and its types, the
authors' nudge wording, and the training entry points its CLI calls). Only the standard library
is imported at module level; the models load lazily inside functions.
"""

from moderation.batching import ScreeningBatcher, ScreeningTimeout
from moderation.pipeline import Pipeline
from moderation.policy import NUDGES
from moderation.training import DEFAULT_DATA as DEFAULT_TRAINING_DATA
from moderation.training import ensure_community_model
from moderation.training import train as train_community_model
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
    "DEFAULT_TRAINING_DATA",
    "HARMFUL",
    "NUDGES",
    "TRAINING_LABELS",
    "Action",
    "Decision",
    "Item",
    "Pipeline",
    "RuleHit",
    "ScreeningBatcher",
    "ScreeningTimeout",
    "Verdict",
    "ensure_community_model",
    "train_community_model",
]
