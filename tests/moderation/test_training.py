"""moderation.training: data checks, reproducibility, checkpoint format, the data-hash cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation import models, training
from moderation.types import COMMUNITY_LABELS, CRISIS_EMBEDDING
from tests.moderation.model_fixtures import TINY_ROWS, write_tiny_training_set

PROBE = [
    "You only get one mother, call her.",
    "So proud of you for holding your boundary.",
    "I keep giving my things away.",
    "What did you do to make him so angry?",
]


pytestmark = pytest.mark.usefixtures("offline_hub")


@pytest.fixture
def tiny_data(tmp_path) -> Path:
    return write_tiny_training_set(tmp_path / "tiny.jsonl")


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# -- data -------------------------------------------------------------------------------------


def test_examples_are_read_with_their_parents(tiny_data):
    examples = training.load_examples([tiny_data])
    assert len(examples) == len(TINY_ROWS)
    assert examples[0].parent == TINY_ROWS[0][0]
    assert examples[1].parent is None


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("not json", "not JSON"),
        ('{"id": "x", "text": "hi", "label": "rude"}', "unknown label"),
        ('{"id": "x", "text": "", "label": "toxic"}', "non-empty"),
        ('{"id": "x", "text": "hi", "parent": 3, "label": "toxic"}', "parent"),
        ("[1, 2]", "object"),
    ],
)
def test_bad_rows_are_reported_with_file_and_line(tmp_path, line, problem):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "ok", "text": "fine", "label": "neutral"}\n\n' + line + "\n")
    with pytest.raises(ValueError, match=problem) as caught:
        training.load_examples([path])
    assert f"{path}:3" in str(caught.value)


def test_empty_data_is_refused(tmp_path):
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(ValueError, match="no training rows"):
        training.load_examples([tmp_path / "empty.jsonl"])


def test_repeated_ids_across_files_count_once(tmp_path):
    row = {"id": "mod-7", "parent": None, "text": "Stop whining.", "label": "toxic"}
    first = write_rows(tmp_path / "a.jsonl", [row])
    second = write_rows(tmp_path / "b.jsonl", [row, {**row, "id": "mod-8"}])
    assert [e.id for e in training.load_examples([first, second])] == ["mod-7", "mod-8"]


def test_benign_rows_are_the_all_zero_target(tiny_data):
    examples = training.load_examples([tiny_data])
    rows = training.targets(examples)
    for example, row in zip(examples, rows, strict=True):
        if example.label in ("supportive", "neutral"):
            assert row == [0.0] * len(COMMUNITY_LABELS)
        else:
            assert row[COMMUNITY_LABELS.index(example.label)] == 1.0 and sum(row) == 1.0


def test_rare_labels_weigh_more():
    import torch

    labels = torch.tensor([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    weight = training._pos_weight(labels)
    # negatives/positives is 1.5 and 4.0; the recipe takes its square root
    assert training.POS_WEIGHT_POWER == 0.5
    assert weight.tolist() == pytest.approx([1.5 ** 0.5, 2.0])


def test_data_hash_follows_content(tmp_path, tiny_data):
    first = training.data_sha256([tiny_data])
    assert training.data_sha256([tiny_data]) == first
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(tiny_data.read_bytes())
    assert training.data_sha256([copy]) == first
    copy.write_text(tiny_data.read_text() + "\n")
    assert training.data_sha256([copy]) != first


def test_unknown_mode_is_refused(tiny_data):
    examples = training.load_examples([tiny_data])
    with pytest.raises(ValueError, match="mode"):
        training.fit(examples, mode="magic", epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        training.fit(examples, epochs=0)


# -- training ---------------------------------------------------------------------------------


@pytest.mark.model
def test_same_data_and_seed_give_identical_predictions(tmp_path, subset_data):
    paths = [
        training.train([subset_data], tmp_path / f"{name}.ckpt", epochs=1, seed=seed, progress=None)
        for name, seed in (("a", 5), ("b", 5), ("c", 6))
    ]
    models.clear_cache()
    a, b, c = (models.load_community_model(p.out_path).predict(PROBE) for p in paths)
    assert a == b  # exactly equal, not merely close
    assert a != c
    assert paths[0].epoch_losses == paths[1].epoch_losses


@pytest.mark.model
def test_checkpoint_is_in_detoxify_format_with_our_metadata(tmp_path, tiny_data):
    import torch
    from detoxify import Detoxify

    messages: list[str] = []
    out = tmp_path / "models" / "community.ckpt"
    report = training.train([tiny_data], out, epochs=1, seed=2, progress=messages.append)
    assert report.out_path == out and report.rows == len(TINY_ROWS)
    assert report.label_counts["crisis"] == 4
    assert any(m.startswith("epoch 1/1: loss") for m in messages)
    assert any("saved" in m for m in messages)
    # Atomic write: only the checkpoint is left in the folder.
    assert sorted(p.name for p in out.parent.iterdir()) == ["community.ckpt"]

    checkpoint = torch.load(out, weights_only=True)
    args = checkpoint["config"]["arch"]["args"]
    assert args["model_name"] == "BertForSequenceClassification"
    assert args["num_classes"] == len(COMMUNITY_LABELS)
    assert Path(args["model_type"]) == training.encoder_dir()
    assert checkpoint["config"]["dataset"]["args"]["classes"] == list(COMMUNITY_LABELS)
    meta = checkpoint["nocontact"]
    assert meta["data_sha256"] == training.data_sha256([tiny_data])
    assert (meta["mode"], meta["epochs"], meta["seed"]) == ("finetune", 1, 2)
    assert meta["input"] == "reply"
    assert meta["created"].endswith("+00:00")

    detox = Detoxify(checkpoint=str(out))
    assert len(detox.class_names) == len(COMMUNITY_LABELS)
    raw = detox.predict(["one", "two"])
    assert all(len(v) == 2 for v in raw.values())


@pytest.mark.model
def test_frozen_mode_trains_only_the_head(tmp_path, subset_data):
    import torch

    base, _tokenizer = training._fresh_model()
    out = tmp_path / "frozen.ckpt"
    report = training.train([subset_data], out, mode="frozen", epochs=1, progress=None)
    assert report.mode == "frozen" and len(report.epoch_losses) == 1
    state = torch.load(out, weights_only=True)["state_dict"]
    encoder_key = "bert.encoder.layer.0.attention.self.query.weight"
    assert torch.equal(state[encoder_key], base.state_dict()[encoder_key])
    assert torch.equal(
        state["bert.pooler.dense.weight"], base.state_dict()["bert.pooler.dense.weight"]
    )
    models.clear_cache()
    model = models.load_community_model(out)
    assert model.labels == COMMUNITY_LABELS


@pytest.mark.model
def test_parent_as_second_segment_is_recorded_and_used(tmp_path, subset_data):
    out = tmp_path / "pair.ckpt"
    training.train([subset_data], out, epochs=1, use_parent=True, progress=None)
    models.clear_cache()
    model = models.load_community_model(out)
    assert model.uses_parent
    reply = "Good for you."
    with_parent = model.predict([reply], ["I finally went no contact with my father."])
    other_parent = model.predict([reply], ["My mother died last week and I wasn't there."])
    without = model.predict([reply])
    assert with_parent != other_parent  # the parent reaches the model
    assert without == model.predict([reply], [None])
    # A reply near the model's limit still leaves room for its parent: no error, no cut.
    long_reply = " ".join(["boundary"] * 505)
    (scores,) = model.predict([long_reply], [" ".join(["mother"] * 600)])
    assert set(scores) == {*COMMUNITY_LABELS, CRISIS_EMBEDDING}
    assert len(model.chunks(long_reply)) == 2


@pytest.mark.model
def test_ensure_trains_once_and_again_only_when_the_data_changes(
    tmp_path, subset_data, monkeypatch
):
    out = tmp_path / "community.ckpt"
    messages: list[str] = []
    assert (
        training.ensure_community_model(out, [subset_data], epochs=1, progress=messages.append)
        == out
    )
    assert out.is_file() and any("building" in m for m in messages)
    built = out.stat().st_mtime_ns

    calls: list[tuple] = []

    def record(*args, **kwargs):
        calls.append((args, kwargs))

    monkeypatch.setattr(training, "train", record)
    messages.clear()
    training.ensure_community_model(out, [subset_data], epochs=1, progress=messages.append)
    assert calls == [] and out.stat().st_mtime_ns == built
    assert any("up to date" in m for m in messages)

    # Other settings or other data: rebuild.
    training.ensure_community_model(out, [subset_data], epochs=2, progress=None)
    assert len(calls) == 1
    with subset_data.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "new", "text": "Just leave.", "label": "toxic"}) + "\n")
    training.ensure_community_model(out, [subset_data], epochs=1, progress=None)
    assert len(calls) == 2


def test_ensure_rebuilds_an_unreadable_checkpoint(tmp_path, subset_data, monkeypatch):
    out = tmp_path / "community.ckpt"
    out.write_bytes(b"not a checkpoint")
    calls: list[Path] = []
    monkeypatch.setattr(training, "train", lambda paths, path, **kw: calls.append(path))
    training.ensure_community_model(out, [subset_data], progress=None)
    assert calls == [out]


def test_default_model_path_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("MODERATION_MODEL", raising=False)
    assert training.default_model_path() == Path("instance/moderation/community.ckpt")
    monkeypatch.setenv("MODERATION_MODEL", str(tmp_path / "m.ckpt"))
    assert training.default_model_path() == tmp_path / "m.ckpt"


def test_a_parent_is_cut_to_its_opening_and_the_reply_is_the_plain_text_scored_later():
    from transformers import BertTokenizer

    from moderation.dataset import Row
    from moderation.text import to_plain_text

    tokenizer = BertTokenizer.from_pretrained(str(training.encoder_dir()))
    ids, types = models.encode_pair(tokenizer, "Good for you.", "mother " * 200, 256)
    assert sum(types) == models.PARENT_TOKENS + 1  # the parent's opening and its [SEP]
    ids, types = models.encode_pair(tokenizer, "boundary " * 400, "I went no contact.", 256)
    assert len(ids) == 256 and tokenizer.decode(ids).endswith("i went no contact. [SEP]")
    # Training sees the reply as the pipeline shows it to the model: its plain text.
    row = Row(id="p1", text="**Proud** of you &amp; [your boundary](https://example.test).",
              parent="_Day one_ of no contact.", label="supportive")
    encoded = training._encode(tokenizer, row, use_parent=True)
    expected, _ = models.encode_pair(
        tokenizer, to_plain_text(row.text), to_plain_text(row.parent), training.MAX_TRAIN_TOKENS)
    assert encoded["input_ids"] == expected
    assert "**" not in tokenizer.decode(encoded["input_ids"])
