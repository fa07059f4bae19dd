"""Fakes for the pure moderation tests: scoring models that need no torch.

``KeywordModel`` gives each label a high score when one of its trigger words is in the
text, so a test can say exactly which scores a post gets. It records every call, so tests
can check batching (one predict call per screen) and what text the models were shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from moderation import COMMUNITY_LABELS, Item, Pipeline
from tests.moderation.model_fixtures import TINY_ROWS

LOW = 0.02
# Fixed thresholds for the tests, so tuning the real defaults never breaks them.
TEST_THRESHOLDS = {
    "nc_shaming": 0.5,
    "victim_blaming": 0.5,
    "guilt_tripping": 0.5,
    "darvo": 0.5,
    "invalidation": 0.5,
    "toxic": 0.5,
    "crisis": 0.5,
    "crisis_embedding": 0.5,
    "guarded": 0.85,
    "rule_floor": 0.0,  # every rule hit counts here; tests/moderation/test_policy.py tries the floor
    "toxicity_alone": 0.97,
    "toxicity_support": 0.7,
    "support_margin": 0.6,
    "parent_crisis_factor": 0.7,
}


class KeywordModel:
    """A stand-in for models.ScoringModel: label -> score when a trigger word appears."""

    def __init__(
        self,
        triggers: Mapping[str, Mapping[str, float]] | None = None,
        labels: tuple[str, ...] = COMMUNITY_LABELS,
        name: str = "fake",
        version: str = "0000",
    ) -> None:
        self.triggers = {word.lower(): dict(scores) for word, scores in (triggers or {}).items()}
        self.labels = labels
        self.name = name
        self.version = version
        self.calls: list[list[str]] = []

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        assert isinstance(texts, list), "models are always called with a list"
        self.calls.append(list(texts))
        out = []
        for text in texts:
            scores = dict.fromkeys(self.labels, LOW)
            lowered = text.lower()
            for word, overrides in self.triggers.items():
                if word in lowered:
                    for label, value in overrides.items():
                        scores[label] = max(scores[label], value)
            out.append(scores)
        return out


class BrokenModel:
    name = "broken"
    version = "x"

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        raise RuntimeError("out of memory")


GENERAL_LABELS = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")


@pytest.fixture(scope="module")
def offline_hub():
    """For tests that load real models: the Hugging Face hub stays offline, so a test can never
    reach the network; encoders and tokenizers come from local folders."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


@pytest.fixture
def community():
    return KeywordModel(
        {
            "zzshame": {"nc_shaming": 0.91},
            "zzblame": {"victim_blaming": 0.88},
            "zzguilt": {"guilt_tripping": 0.77},
            "zzdarvo": {"darvo": 0.81},
            "zzminimise": {"invalidation": 0.72},
            "zztoxic": {"toxic": 0.95},
            "zzborderline": {"toxic": 0.35},
            "zzcrisis": {"crisis": 0.9},
        }
    )


@pytest.fixture
def general():
    return KeywordModel({"idiot": {"toxicity": 0.99, "insult": 0.98}}, labels=GENERAL_LABELS)


@pytest.fixture
def make_pipeline(community, general):
    def make(**kwargs) -> Pipeline:
        kwargs.setdefault("community_model", community)
        kwargs.setdefault("toxicity_model", general)
        kwargs.setdefault("thresholds", TEST_THRESHOLDS)
        return Pipeline(**kwargs)

    return make


def screen_one(pipeline: Pipeline, text, parent=None, item_id: str = "t1"):
    return pipeline.screen([Item(item_id, text, parent)])[0]


@pytest.fixture
def subset_data(tmp_path) -> Path:
    """16 rows of tests/moderation/model_fixtures.TINY_ROWS: two of each harmful label and
    crisis, two benign (for training a checkpoint quickly)."""
    path = tmp_path / "subset.jsonl"
    seen: dict[str, int] = {}
    with path.open("w", encoding="utf-8") as handle:
        for number, (parent, text, label) in enumerate(TINY_ROWS):
            if seen.get(label, 0) >= 2:
                continue
            seen[label] = seen.get(label, 0) + 1
            row = {"id": f"s{number}", "parent": parent, "text": text, "label": label, "note": ""}
            handle.write(json.dumps(row) + "\n")
    return path
