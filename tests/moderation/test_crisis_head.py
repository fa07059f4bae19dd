"""The crisis head on frozen sentence embeddings: fitting, storing, loading, scoring."""

from __future__ import annotations

import pytest

from moderation import crisis_head, models, training
from moderation.types import COMMUNITY_LABELS, CRISIS_EMBEDDING
from tests.moderation.model_fixtures import write_tiny_training_set

pytestmark = pytest.mark.usefixtures("offline_hub")


def _toy_vectors():
    import torch

    generator = torch.Generator().manual_seed(3)
    negatives = torch.randn(40, 8, generator=generator) - 1.0
    positives = torch.randn(10, 8, generator=generator) + 1.0
    return torch.cat([negatives, positives]), [0.0] * 40 + [1.0] * 10


def test_fit_head_separates_the_classes_and_is_deterministic():
    import torch

    vectors, targets = _toy_vectors()
    first = crisis_head.fit_head(vectors, targets)
    second = crisis_head.fit_head(vectors, targets)
    assert first == second
    probabilities = torch.sigmoid(vectors @ torch.tensor(first.weights) + first.bias)
    assert probabilities[40:].min() > probabilities[:40].max()
    # A stronger penalty gives smaller weights.
    shrunk = crisis_head.fit_head(vectors, targets, l2=100.0)
    assert sum(w * w for w in shrunk.weights) < sum(w * w for w in first.weights)


def test_fit_head_needs_both_classes():
    vectors, _ = _toy_vectors()
    with pytest.raises(ValueError, match="both"):
        crisis_head.fit_head(vectors, [0.0] * len(vectors))


@pytest.mark.parametrize(
    "stored, problem",
    [
        ({"weights": [], "bias": 0.0}, "non-empty"),
        ({"weights": [0.1, "x"], "bias": 0.0}, "numbers"),
        ({"weights": [0.1, True], "bias": 0.0}, "numbers"),
        ({"weights": [0.1, 0.2], "bias": None}, "bias"),
    ],
)
def test_stored_heads_that_are_not_heads_are_refused(stored, problem):
    with pytest.raises(crisis_head.HeadError, match=problem):
        crisis_head.HeadWeights.from_dict(stored)


def test_a_head_must_fit_its_encoder():
    class ThreeDimensions:
        dimensions = 3

    weights = crisis_head.HeadWeights((0.1, 0.2), 0.0)
    with pytest.raises(crisis_head.HeadError, match="2 weights for a 3-dimensional"):
        crisis_head.CrisisHead(ThreeDimensions(), weights)


def test_stored_form_round_trips():
    weights = crisis_head.HeadWeights((0.5, -1.0, 2.0), 0.25)
    stored = weights.to_dict(rows=3)
    assert stored["encoder"] == crisis_head.ENCODER_NAME
    assert stored["recipe"] == crisis_head.HEAD_RECIPE and stored["rows"] == 3
    assert crisis_head.HeadWeights.from_dict(stored) == weights


def test_the_int8_encoder_is_quantised_and_close_to_the_fp32_one():
    import torch

    folder = training.encoder_dir()
    fp32 = crisis_head.SentenceEncoder(folder)
    int8 = crisis_head.SentenceEncoder(folder, precision="int8")
    assert not any("quantized" in type(m).__module__ for m in fp32.model.modules())
    assert any("quantized" in type(m).__module__ for m in int8.model.modules())
    texts = ["I've been giving my things away.", "Proud of you, truly.", "Day 12 of no contact"]
    a, b = fp32.embed(texts), int8.embed(texts)
    similarity = torch.nn.functional.cosine_similarity(a, b, dim=1)
    assert similarity.min() > 0.8  # close, yet not equal: hence a head per precision
    assert not torch.equal(a, b)
    assert torch.equal(int8.embed(texts), b)  # deterministic
    with pytest.raises(ValueError, match="precision"):
        crisis_head.SentenceEncoder(folder, precision="fp16")


@pytest.mark.model
def test_a_trained_checkpoint_carries_the_head_and_the_model_reports_its_score(tmp_path):
    import torch

    data = write_tiny_training_set(tmp_path / "tiny.jsonl")
    out = tmp_path / "community.ckpt"
    training.train([data], out, epochs=1, seed=2, progress=None)
    stored = torch.load(out, weights_only=True)["nocontact"][crisis_head.HEAD_KEY]
    assert len(stored["weights"]) == 384
    assert stored["data_sha256"] == training.data_sha256([data])

    models.clear_cache()
    model = models.load_community_model(out)
    # Fitted on float32 vectors, served on int8 ones (MODERATION_CRISIS_ENCODER's default).
    assert model.extra_scorers[CRISIS_EMBEDDING].encoder.precision == "int8"
    texts = ["I have been giving my things away, it feels right.", "Proud of you, truly."]
    scores = model.predict(texts)
    assert all(set(s) == {*COMMUNITY_LABELS, CRISIS_EMBEDDING} for s in scores)
    assert all(0.0 <= s[CRISIS_EMBEDDING] <= 1.0 for s in scores)
    # The head reads every window of a long post, and the post's score is the highest: crisis
    # words in the last window count even when the first windows are about the garden.
    filler = " ".join(["We talked about the garden and the weather and the dog."] * 60)
    long_post = f"{filler} {texts[0]}"
    windows = model.chunks(long_post)
    assert len(windows) > 1
    per_window = model.extra_scorers[CRISIS_EMBEDDING].scores(windows)
    assert per_window[-1] != per_window[0]  # the windows differ, so taking one would show
    (long_scores,) = model.predict([long_post])
    assert long_scores[CRISIS_EMBEDDING] == pytest.approx(max(per_window), abs=1e-6)


@pytest.mark.model
def test_ensure_adds_a_missing_head_without_retraining(tmp_path, monkeypatch):
    import torch

    data = write_tiny_training_set(tmp_path / "tiny.jsonl")
    out = tmp_path / "community.ckpt"
    training.train([data], out, epochs=1, seed=2, progress=None)
    checkpoint = torch.load(out, weights_only=True)
    del checkpoint["nocontact"][crisis_head.HEAD_KEY]
    torch.save(checkpoint, out)
    state_before = checkpoint["state_dict"]

    monkeypatch.setattr(training, "train", lambda *a, **k: pytest.fail("retrained"))
    messages: list[str] = []
    training.ensure_community_model(out, [data], epochs=1, seed=2, progress=messages.append)
    assert any("adding the crisis head" in m for m in messages)
    rewritten = torch.load(out, weights_only=True)
    assert crisis_head.HEAD_KEY in rewritten["nocontact"]
    assert all(torch.equal(state_before[k], v) for k, v in rewritten["state_dict"].items())

    messages.clear()
    training.ensure_community_model(out, [data], epochs=1, seed=2, progress=messages.append)
    assert not any("adding" in m for m in messages)


@pytest.mark.model
def test_the_crisis_encoder_runs_in_the_precision_asked_for(tmp_path, monkeypatch):
    data = write_tiny_training_set(tmp_path / "tiny.jsonl")
    out = tmp_path / "community.ckpt"
    training.train([data], out, epochs=1, seed=2, progress=None)
    monkeypatch.setenv("MODERATION_CRISIS_ENCODER", "fp32")
    models.clear_cache()
    fp32 = models.load_community_model(out)
    assert fp32.extra_scorers[CRISIS_EMBEDDING].encoder.precision == "fp32"
    monkeypatch.setenv("MODERATION_CRISIS_ENCODER", "int8")
    models.clear_cache()
    int8 = models.load_community_model(out)
    assert int8.extra_scorers[CRISIS_EMBEDDING].encoder.precision == "int8"
    text = ["I have been giving my things away, it feels right."]
    # The community model's own scores are the same; only the head's input differs.
    fp32_scores, int8_scores = fp32.predict(text)[0], int8.predict(text)[0]
    assert all(fp32_scores[label] == pytest.approx(int8_scores[label], abs=1e-5)
               for label in COMMUNITY_LABELS)
    monkeypatch.setenv("MODERATION_CRISIS_ENCODER", "fp16")
    models.clear_cache()
    with pytest.raises(models.ModelUnavailable, match="MODERATION_CRISIS_ENCODER"):
        models.load_community_model(out)
    models.clear_cache()


@pytest.mark.model
def test_a_broken_head_makes_the_model_unavailable(tmp_path):
    import torch

    data = write_tiny_training_set(tmp_path / "tiny.jsonl")
    out = tmp_path / "community.ckpt"
    training.train([data], out, epochs=1, seed=2, progress=None)
    checkpoint = torch.load(out, weights_only=True)
    checkpoint["nocontact"][crisis_head.HEAD_KEY]["weights"] = [0.1, 0.2]
    torch.save(checkpoint, out)
    models.clear_cache()
    with pytest.raises(models.ModelUnavailable, match="2 weights for a 384-dimensional"):
        models.load_community_model(out)
