"""moderation.calibration: every build tunes its own thresholds on the validation sets, keeps
them in its checkpoint, and the pipeline screens with them (explicit thresholds still win)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation import calibration, models, training
from moderation.pipeline import Pipeline
from moderation.policy import DEFAULT_THRESHOLDS
from moderation.types import Decision, Item
from tests.moderation.conftest import KeywordModel
from tests.moderation.model_fixtures import TINY_ROWS

pytestmark = pytest.mark.usefixtures("offline_hub")

CALIBRATED = {**dict.fromkeys(("nc_shaming", "victim_blaming", "guilt_tripping", "darvo",
                               "invalidation", "toxic"), 0.95), "crisis": 0.3}


def _meta(thresholds, version=calibration.CALIBRATION_VERSION, sha="x") -> dict:
    return {calibration.META_KEY: {"version": version, "thresholds": thresholds,
                                   "validation_sha256": sha}}


def test_thresholds_are_read_from_the_metadata_only_when_every_value_is_usable():
    assert calibration.thresholds_from_meta(_meta(CALIBRATED)) == CALIBRATED
    assert calibration.thresholds_from_meta({}) is None
    assert calibration.thresholds_from_meta(None) is None
    assert calibration.thresholds_from_meta(_meta(CALIBRATED, version=0)) is None
    for bad in ({"toxic": float("nan")}, {"toxic": 1.5}, {"toxic": -0.1}, {"toxic": True},
                {"toxic": "0.5"}, {"not_a_threshold": 0.5}, {}):
        assert calibration.thresholds_from_meta(_meta(bad)) is None, bad


def test_calibration_is_current_only_for_the_same_validation_files(tmp_path):
    first = tmp_path / "validation.jsonl"
    first.write_text('{"id": "v1", "text": "Proud of you.", "label": "supportive"}\n')
    meta = {calibration.META_KEY: calibration.entry_for(CALIBRATED, [first])}
    assert calibration.is_current(meta, [first])
    first.write_text('{"id": "v1", "text": "Proud of you!", "label": "supportive"}\n')
    assert not calibration.is_current(meta, [first])
    assert not calibration.is_current({}, [first])


def _scored(thresholds=None, calibrated=None) -> Pipeline:
    model = KeywordModel({"drama": {"toxic": 0.9}})
    model.thresholds = calibrated
    return Pipeline(community_model=model, toxicity_model="none", thresholds=thresholds)


def test_the_pipeline_screens_with_the_models_own_thresholds():
    reply = Item("r1", "Such drama over a phone call.")
    built_in = _scored()
    assert built_in.screen_one(reply).decision is Decision.HOLD  # 0.9 >= the built-in 0.75
    assert built_in.status()["thresholds_source"] == "built-in"

    calibrated = _scored(calibrated=CALIBRATED)
    assert calibrated.screen_one(reply).decision is Decision.PUBLISH  # 0.9 < 0.95
    assert calibrated.thresholds["toxic"] == 0.95
    assert calibrated.thresholds["rule_floor"] == DEFAULT_THRESHOLDS["rule_floor"]
    assert calibrated.status()["thresholds_source"] == "calibrated"

    given = _scored(thresholds={"toxic": 0.5}, calibrated=CALIBRATED)
    assert given.screen_one(reply).decision is Decision.HOLD
    assert given.thresholds["toxic"] == 0.5 and given.thresholds["crisis"] == 0.3
    assert given.status()["thresholds_source"] == "given"


def test_unknown_thresholds_are_refused_when_the_pipeline_is_made():
    with pytest.raises(ValueError, match="unknown threshold"):
        Pipeline(community_model=KeywordModel(), toxicity_model="none",
                 thresholds={"toxicity_everything": 0.5})


def _validation_file(path: Path) -> Path:
    rows = [{"id": f"v{number}", "parent": parent, "text": text, "label": label}
            for number, (parent, text, label) in enumerate(TINY_ROWS)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.mark.model
def test_a_build_keeps_thresholds_tuned_for_itself(tmp_path, subset_data):
    validation = _validation_file(tmp_path / "validation.jsonl")
    out = tmp_path / "community.ckpt"
    messages: list[str] = []
    training.ensure_community_model(out, [subset_data], epochs=1, validation_paths=[validation],
                                    progress=messages.append)
    assert any("calibrating thresholds" in m for m in messages)
    assert not list(tmp_path.glob(".community.ckpt*"))  # nothing left half-made
    meta = training.checkpoint_meta(out)
    stored = calibration.thresholds_from_meta(meta)
    assert stored is not None and set(stored) <= set(DEFAULT_THRESHOLDS)
    assert calibration.is_current(meta, [validation])
    models.clear_cache()
    model = models.load_community_model(out)
    assert model.thresholds == stored
    pipeline = Pipeline(community_model=model, toxicity_model="none")
    pipeline.warm()
    assert pipeline.thresholds == {**DEFAULT_THRESHOLDS, **stored}

    # Up to date: neither trained nor calibrated again.
    messages.clear()
    built = out.stat().st_mtime_ns
    training.ensure_community_model(out, [subset_data], epochs=1, validation_paths=[validation],
                                    progress=messages.append)
    assert out.stat().st_mtime_ns == built
    assert not any("calibrating" in m or "building" in m for m in messages)

    # New validation rows: calibrated again, not retrained.
    with validation.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "v-new", "text": "Proud of you.", "label": "supportive"})
                     + "\n")
    messages.clear()
    training.ensure_community_model(out, [subset_data], epochs=1, validation_paths=[validation],
                                    progress=messages.append)
    assert any("calibrating" in m for m in messages)
    assert not any("building" in m for m in messages)
    assert calibration.is_current(training.checkpoint_meta(out), [validation])

    # A refitted crisis head makes the thresholds stale.
    training.add_crisis_head(out, [subset_data], progress=None)
    assert calibration.thresholds_from_meta(training.checkpoint_meta(out)) is None
