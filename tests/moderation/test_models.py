"""moderation.models: loading Detoxify checkpoints, label names, batching, chunking, failures.

The ALBERT checkpoint is built here from the real albert-base-v2 config and SentencePiece
tokenizer (random weights), laid out in a temporary Hugging Face cache as Detoxify's
"original-small" would find it; the community checkpoint is trained here for one epoch.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from moderation import models
from moderation.models import ModelUnavailable, ScoringModel
from moderation.types import COMMUNITY_LABELS, CRISIS_EMBEDDING
from tests.moderation.model_fixtures import (
    DETOXIFY_LABELS,
    build_albert_checkpoint,
    install_albert_hf_cache,
    write_tiny_training_set,
)

TEXTS = [
    "You are brave for doing this.",
    "Honestly you sound dramatic, every family fights.",
    "",
    "Thank you 💜 — I read every reply twice.",
    "Mi madre me llamó egoísta. Hoy por fin dije que no.",
    "<b>html</b> &amp; stuff\n> a quoted line",
    "short",
]


pytestmark = pytest.mark.usefixtures("offline_hub")


def long_text(words: int = 3000) -> str:
    vocabulary = ["mother", "boundary", "holiday", "letter", "therapy", "quiet", "garden", "rain"]
    return " ".join(f"{vocabulary[i % len(vocabulary)]}{i % 97}" for i in range(words))


@pytest.fixture(scope="module")
def hf_home(tmp_path_factory):
    """A private HF cache holding albert-base-v2's config and tokenizer, hub kept offline."""
    import huggingface_hub.constants as hub_constants

    home = tmp_path_factory.mktemp("hf_home")
    hub = install_albert_hf_cache(home)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HOME", str(home))
        patch.setenv("HF_HUB_CACHE", str(hub))
        patch.setattr(hub_constants, "HF_HOME", str(home))
        patch.setattr(hub_constants, "HF_HUB_CACHE", str(hub))
        patch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
        yield home


@pytest.fixture(scope="module")
def albert_path(hf_home, tmp_path_factory) -> Path:
    return build_albert_checkpoint(tmp_path_factory.mktemp("albert") / "albert.ckpt")


@pytest.fixture(scope="module")
def albert(albert_path) -> ScoringModel:
    models.clear_cache()
    model = models.load_toxicity_model(str(albert_path))
    assert model is not None
    return model


@pytest.fixture(scope="module")
def community_path(tmp_path_factory) -> Path:
    from moderation import training

    folder = tmp_path_factory.mktemp("community")
    data = write_tiny_training_set(folder / "tiny.jsonl")
    out = folder / "community.ckpt"
    training.train([data], out, epochs=1, seed=3, progress=None)
    return out


def detox_columns(detox, texts):
    """Detoxify.predict on a list, as one list of floats per class."""
    raw = detox.predict(list(texts))
    return {name: (v if isinstance(v, list) else [v]) for name, v in raw.items()}


# -- Unitary-style checkpoint (ALBERT, original classes) ------------------------------------


@pytest.mark.model
def test_albert_checkpoint_loads_through_detoxify_with_its_label_names(albert, albert_path):
    from detoxify import Detoxify

    assert isinstance(albert.detox, Detoxify)
    # Detoxify renames toxic/severe_toxic/identity_hate; the others keep their names.
    assert albert.labels == DETOXIFY_LABELS
    assert albert.name == "albert.ckpt"
    assert len(albert.version) == 12 and albert.version == models._sha256(albert_path)[:12]
    scores = albert.predict(["hello there"])[0]
    assert set(scores) == set(DETOXIFY_LABELS)
    assert all(0.0 <= s <= 1.0 for s in scores.values())


@pytest.mark.model
def test_one_item_and_many_items_match_detoxify_predict(albert):
    ours = albert.predict(TEXTS)
    theirs = detox_columns(albert.detox, TEXTS)
    for i, row in enumerate(ours):
        for label in DETOXIFY_LABELS:
            assert row[label] == pytest.approx(theirs[label][i], abs=1e-5)
    # One text at a time: Detoxify squeezes to a bare float, we still return a dict.
    for text in TEXTS[:3]:
        single = albert.detox.predict([text])
        assert isinstance(single["toxicity"], float)
        (row,) = albert.predict([text])
        for label in DETOXIFY_LABELS:
            assert row[label] == pytest.approx(single[label], abs=1e-5)


@pytest.mark.model
def test_order_is_kept_across_batches_of_mixed_lengths(albert):
    texts = [("word " * (n % 23 + 1)) + str(n) for n in range(40)]
    together = albert.predict(texts)
    assert len(together) == 40
    for i in (0, 1, 31, 32, 33, 39):
        (alone,) = albert.predict([texts[i]])
        assert together[i] == pytest.approx(alone, abs=1e-5)


def distinct_words(tokenizer, count: int) -> list[str]:
    """``count`` different lowercase words that the tokenizer reads as one token each."""
    words = []
    for piece in tokenizer.convert_ids_to_tokens(list(range(tokenizer.vocab_size))):
        word = piece.removeprefix("\u2581")
        if piece.startswith("\u2581") and word.isascii() and word.isalpha() and len(word) > 3:
            words.append(word)
    assert len(words) >= count
    return words[:count]


@pytest.mark.model
def test_a_3000_word_text_is_split_into_windows_that_fit_and_cover_it(albert):
    tokenizer = albert.detox.tokenizer
    words = distinct_words(tokenizer, 3000)
    text = " ".join(words)
    assert len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"]) > 512

    chunks = albert.chunks(text)
    assert len(chunks) >= 5
    position = 0
    for chunk in chunks:
        assert len(tokenizer(chunk)["input_ids"]) <= 512  # each window fits: no truncation
        chunk_words = chunk.split()
        start = words.index(chunk_words[0])
        assert start <= position, "windows must overlap or touch: no word is skipped"
        assert chunk_words == words[start : start + len(chunk_words)]
        position = start + len(chunk_words)
    assert position == len(words)

    (scores,) = albert.predict([text])
    assert set(scores) == set(DETOXIFY_LABELS)
    assert all(0.0 <= value <= 1.0 for value in scores.values())


@pytest.mark.model
def test_a_long_text_scores_the_maximum_over_its_windows(albert):
    text = " ".join(distinct_words(albert.detox.tokenizer, 1000))
    chunks = albert.chunks(text)
    assert len(chunks) >= 3
    (scores,) = albert.predict([text])
    per_chunk = detox_columns(albert.detox, chunks)
    for label in DETOXIFY_LABELS:
        assert scores[label] == pytest.approx(max(per_chunk[label]), abs=1e-5)
    # The windows disagree, so taking the first one (what truncation does) would differ.
    assert len({round(v, 6) for v in per_chunk["toxicity"]}) > 1


class _FakeDetoxify:
    """Detoxify's interface with a real tokenizer; "POISON" anywhere scores high."""

    class_names = ("toxicity", "insult")

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.calls: list[list[str]] = []

    def predict(self, text):
        assert isinstance(text, list), "always call Detoxify.predict with a list"
        self.calls.append(list(text))
        tox = [0.9 if "POISON" in t else 0.1 for t in text]
        ins = [0.2 for _ in text]
        if len(text) == 1:  # Detoxify squeezes a one-item batch
            return {"toxicity": tox[0], "insult": ins[0]}
        return {"toxicity": tox, "insult": ins}


@pytest.fixture(scope="module")
def minilm_tokenizer():
    from transformers import BertTokenizer

    from moderation.training import encoder_dir

    return BertTokenizer.from_pretrained(encoder_dir(), local_files_only=True)


def test_harm_at_the_end_of_a_long_post_is_not_truncated_away(minilm_tokenizer):
    fake = _FakeDetoxify(minilm_tokenizer)
    model = ScoringModel(fake, name="fake", version="0")
    text = long_text(3000) + " and then POISON at the very end"
    short = "a short reply"
    scores = model.predict([short, text, "POISON early"])
    assert scores[0] == {"toxicity": 0.1, "insult": 0.2}
    assert scores[1]["toxicity"] == 0.9
    assert scores[2]["toxicity"] == 0.9
    for batch in fake.calls:
        assert len(batch) <= models.BATCH_SIZE
        assert [len(t) for t in batch] == sorted(len(t) for t in batch)


def test_one_item_batches_are_unsqueezed(minilm_tokenizer):
    fake = _FakeDetoxify(minilm_tokenizer)
    model = ScoringModel(fake, name="fake", version="0")
    assert model.predict(["POISON"]) == [{"toxicity": 0.9, "insult": 0.2}]
    assert model.predict([]) == []
    assert fake.calls == [["POISON"]]


def test_inputs_that_are_not_text_are_scored_not_crashed_on(minilm_tokenizer):
    fake = _FakeDetoxify(minilm_tokenizer)
    model = ScoringModel(fake, name="fake", version="0")
    scores = model.predict(["", b"\xff\xfe POISON", None, "x" * 100_000])
    assert [s["toxicity"] for s in scores] == [0.1, 0.9, 0.1, 0.1]


def test_many_texts_are_batched_by_32(minilm_tokenizer):
    fake = _FakeDetoxify(minilm_tokenizer)
    model = ScoringModel(fake, name="fake", version="0")
    texts = [f"reply number {i} " * (i % 7 + 1) for i in range(100)]
    assert len(model.predict(texts)) == 100
    assert [len(c) for c in fake.calls] == [32, 32, 32, 4]


def test_missing_model_max_length_is_capped_at_the_model_limit(minilm_tokenizer):
    fake = _FakeDetoxify(minilm_tokenizer)
    minilm_tokenizer.model_max_length = int(1e30)  # what transformers 5 leaves when unset
    try:
        model = ScoringModel(fake, name="fake", version="0")
        assert minilm_tokenizer.model_max_length == 512
        assert len(model.chunks(long_text(1000))) > 1
    finally:
        minilm_tokenizer.model_max_length = 512


# -- loading, caching and failures ----------------------------------------------------------


@pytest.mark.model
def test_loaded_models_are_cached_until_the_file_changes(albert_path, hf_home):
    models.clear_cache()
    first = models.load_toxicity_model(str(albert_path))
    assert models.load_toxicity_model(str(albert_path)) is first
    os.utime(albert_path, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    assert models.load_toxicity_model(str(albert_path)) is not first


def test_none_means_no_toxicity_model():
    assert models.load_toxicity_model("none") is None
    assert models.load_toxicity_model("") is None


def test_missing_checkpoint_is_unavailable(tmp_path):
    with pytest.raises(ModelUnavailable, match="not found"):
        models.load_community_model(tmp_path / "nope.ckpt")
    with pytest.raises(ModelUnavailable, match="not found"):
        models.load_toxicity_model(str(tmp_path / "nope.ckpt"))


def test_corrupt_checkpoint_is_unavailable(tmp_path):
    bad = tmp_path / "corrupt.ckpt"
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(ModelUnavailable, match="corrupt"):
        models.load_community_model(bad)
    empty = tmp_path / "empty.ckpt"
    empty.write_bytes(b"")
    with pytest.raises(ModelUnavailable):
        models.load_community_model(empty)


def test_truncated_real_checkpoint_is_unavailable(tmp_path, community_path):
    cut = tmp_path / "cut.ckpt"
    cut.write_bytes(community_path.read_bytes()[:100_000])
    with pytest.raises(ModelUnavailable):
        models.load_community_model(cut)


@pytest.mark.parametrize(
    "content",
    [
        {"weights": [1, 2, 3]},
        {"config": {"arch": {"args": {}}}, "state_dict": {}},
        [1, 2, 3],
        {
            "config": {
                "arch": {
                    "args": {
                        "model_type": "bert-base-uncased",
                        "model_name": "BertForSequenceClassification",
                        "tokenizer_name": "BertTokenizer",
                        "num_classes": 2,
                    }
                },
                "dataset": {"args": {"classes": ["a", "b", "c"]}},
            },
            "state_dict": {"x": 1},
        },
    ],
    ids=["no-config", "empty-args", "not-a-dict", "class-count-mismatch"],
)
def test_wrong_dict_is_unavailable(tmp_path, content):
    import torch

    path = tmp_path / "wrong.ckpt"
    torch.save(content, path)
    with pytest.raises(ModelUnavailable):
        models.load_toxicity_model(str(path))


class _Payload:
    def __reduce__(self):
        return (print, ("this would run on load",))


def test_checkpoint_with_pickled_code_is_refused_before_detoxify_sees_it(tmp_path):
    import torch

    path = tmp_path / "evil.ckpt"
    torch.save({"config": _Payload(), "state_dict": {}}, path)
    with pytest.raises(ModelUnavailable, match="refusing"):
        models.load_community_model(path)


@pytest.mark.model
def test_unitary_checkpoint_is_not_accepted_as_the_community_model(albert_path, hf_home):
    with pytest.raises(ModelUnavailable, match="classes"):
        models.load_community_model(albert_path)


def test_unknown_model_name_is_unavailable():
    with pytest.raises(ModelUnavailable, match="unknown Detoxify model"):
        models.load_toxicity_model("bogus")


def test_named_model_offline_fails_fast_without_download(tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "torch-hub"))

    def no_network(*args, **kwargs):
        raise AssertionError("must not try to download when offline")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_network)
    models.clear_cache()
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="offline"):
        models.load_toxicity_model("original-small")
    assert time.monotonic() - started < 5


def test_named_model_download_failure_is_unavailable(tmp_path, monkeypatch):
    import torch

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)

    def unreachable(*args, **kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", unreachable)
    models.clear_cache()
    with pytest.raises(ModelUnavailable, match="original-small"):
        models.load_toxicity_model("original-small")


# -- the community checkpoint -----------------------------------------------------------------


@pytest.mark.model
def test_community_checkpoint_loads_through_detoxify(community_path):
    from detoxify import Detoxify

    models.clear_cache()
    model = models.load_community_model(community_path)
    assert isinstance(model.detox, Detoxify)
    assert model.labels == COMMUNITY_LABELS
    assert model.name == "community.ckpt"
    assert models.load_community_model(community_path) is model

    # Plain Detoxify loads the same file; it calls the "toxic" class "toxicity".
    plain = Detoxify(checkpoint=str(community_path))
    assert plain.class_names[COMMUNITY_LABELS.index("toxic")] == "toxicity"
    texts = ["You only get one mother.", "Proud of you.", "I want to disappear."]
    ours = model.predict(texts)
    theirs = detox_columns(plain, texts)
    for i, row in enumerate(ours):
        # The model's own labels, then the crisis head's score stored in the same file.
        assert list(row) == [*COMMUNITY_LABELS, CRISIS_EMBEDDING]
        for label, name in zip(COMMUNITY_LABELS, plain.class_names, strict=True):
            assert row[label] == pytest.approx(theirs[name][i], abs=1e-5)


@pytest.mark.model
def test_community_checkpoint_with_a_vanished_encoder_folder_is_unavailable(
    community_path, tmp_path
):
    import torch

    checkpoint = torch.load(community_path, weights_only=True)
    checkpoint["config"]["arch"]["args"]["model_type"] = str(tmp_path / "moved-venv" / "model")
    moved = tmp_path / "moved.ckpt"
    torch.save(checkpoint, moved)
    with pytest.raises(ModelUnavailable, match="encoder folder"):
        models.load_community_model(moved)


def test_model_loading_never_prints_on_stdout(capsys):
    # torch.hub announces downloads on stdout; classify's stdout must stay pure JSON lines.
    from moderation.models import _quiet_transformers

    with _quiet_transformers():
        print('Downloading: "https://example.invalid/x.ckpt"')
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Downloading" in captured.err
