"""python -m moderation: the classify/evaluate/status contract of SPEC §3.

Most tests drive the CLI functions in-process with a fake model; the subprocess tests run
the real command (one with a missing checkpoint, and - marked ``model`` - one with a real
tiny community checkpoint trained here).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moderation import Pipeline
from moderation.__main__ import BATCH_SIZE, build_parser, classify, parse_line
from moderation.types import COMMUNITY_LABELS
from tests.moderation.model_fixtures import write_tiny_training_set

ROOT = Path(__file__).resolve().parents[2]
SPEC_KEYS = ["id", "decision", "category", "escalate", "scores", "reasons"]
CATEGORIES = {None, *COMMUNITY_LABELS}


class CountingOut(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes: list[int] = []

    def flush(self) -> None:
        self.flushes.append(self.getvalue().count("\n"))
        super().flush()


def run_classify(pipeline: Pipeline, lines: list[bytes]):
    out, err = CountingOut(), io.StringIO()
    code = classify(pipeline, lines, out, err)
    return code, [json.loads(line) for line in out.getvalue().splitlines()], out, err


def jl(**row) -> bytes:
    return (json.dumps(row) + "\n").encode()


def test_classify_writes_one_spec_line_per_input_in_order(make_pipeline):
    lines = [
        jl(id="a", text="Proud of you.", parent=None),
        jl(id="b", text="You made your bed.", parent="I broke NC."),
        jl(id="c", text="I know where you live."),
        jl(id="d", text="I can't go on anymore."),
    ]
    code, rows, _, _ = run_classify(make_pipeline(), lines)
    assert code == 0
    assert [row["id"] for row in rows] == ["a", "b", "c", "d"]
    for row in rows:
        assert list(row) == SPEC_KEYS
        assert row["decision"] in {"publish", "hold", "block"}
        assert row["category"] in CATEGORIES
        assert isinstance(row["escalate"], bool)
        assert all(isinstance(v, float) for v in row["scores"].values())
        assert row["reasons"] and all(isinstance(r, str) for r in row["reasons"])
    assert [row["decision"] for row in rows] == ["publish", "hold", "block", "publish"]
    assert rows[3]["escalate"] is True and rows[3]["category"] == "crisis"


def test_malformed_lines_get_an_error_object_and_the_run_continues(make_pipeline):
    lines = [
        b"not json\n",
        jl(id="ok1", text="hello"),
        b"[1, 2]\n",
        jl(id="no-text"),
        jl(id="bad-parent", text="hi", parent=5),
        jl(text="no id"),
        b"\n",
        b'{"id": "bytes", "text": "caf\xff\xfe"}\n',
        jl(id=7, text="numeric id"),
    ]
    _, rows, _, _ = run_classify(make_pipeline(), lines)
    assert rows[0] == {"id": None, "error": "line 1: not valid JSON (Expecting value)"}
    assert rows[1]["id"] == "ok1" and rows[1]["decision"] == "publish"
    assert rows[2] == {"id": None, "error": "line 3: expected a JSON object"}
    assert rows[3] == {"id": "no-text", "error": "line 4: 'text' must be a string"}
    assert rows[4]["error"] == "line 5: 'parent' must be a string or null"
    assert rows[5]["error"] == "line 6: 'id' must be a string or number"
    assert rows[6]["id"] == "bytes" and rows[6]["decision"] in {"publish", "hold"}
    assert rows[7]["id"] == "7"
    assert len(rows) == 8  # the blank line is skipped


def test_batches_of_64_one_model_call_and_one_flush_each(make_pipeline, community):
    lines = [jl(id=str(i), text=f"post {i}") for i in range(BATCH_SIZE * 2 + 5)]
    _, rows, out, _ = run_classify(make_pipeline(), lines)
    assert len(rows) == len(lines)
    assert [len(call) for call in community.calls] == [64, 64, 5]
    assert out.flushes == [64, 128, 133]


def test_parse_line_accepts_bytes_and_str():
    assert parse_line(b'{"id": "x", "text": "t"}', 1).id == "x"
    assert parse_line('{"id": "x", "text": "t", "parent": null}', 1).parent is None


def test_parser_knows_the_four_commands():
    parser = build_parser()
    assert parser.parse_args(["classify", "--model", "m.ckpt"]).model == "m.ckpt"
    assert parser.parse_args(["evaluate", "f.jsonl"]).file == "f.jsonl"
    args = parser.parse_args(["train", "--if-stale", "--epochs", "2", "--mode", "frozen"])
    assert args.if_stale and args.epochs == 2 and args.mode == "frozen"
    assert parser.parse_args(["status"]).command == "status"
    with pytest.raises(SystemExit):
        parser.parse_args(["explode"])


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", MODERATION_TOXICITY_MODEL="none")
    env.update(extra)
    return env


def _run(args: list[str], stdin: bytes = b"", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "moderation", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env=_env(**env),
        timeout=600,
        check=False,
    )


def test_classify_without_a_checkpoint_holds_everything(tmp_path):
    stdin = jl(id="a", text="Lovely day.") + jl(id="b", text="kys")
    result = _run(["classify", "--model", str(tmp_path / "missing.ckpt")], stdin)
    assert result.returncode == 0
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert rows[0]["decision"] == "hold"
    assert rows[0]["reasons"][0].startswith("screening unavailable: community model:")
    assert rows[1]["decision"] == "block"
    assert b"community model unavailable" in result.stderr


def test_evaluate_without_a_checkpoint_exits_with_a_clear_error(tmp_path):
    data = write_tiny_training_set(tmp_path / "eval.jsonl")
    result = _run(["evaluate", str(data), "--model", str(tmp_path / "missing.ckpt")])
    assert result.returncode == 2
    assert b"community model unavailable" in result.stderr
    assert b"python -m moderation train" in result.stderr


def test_status_without_a_checkpoint_says_not_ready(tmp_path):
    result = _run(["status"], MODERATION_MODEL=str(tmp_path / "missing.ckpt"))
    assert result.returncode == 1
    status = json.loads(result.stdout)
    assert status["ready"] is False
    assert status["toxicity_model"]["error"].startswith("disabled")


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory) -> Path:
    from moderation import training

    folder = tmp_path_factory.mktemp("cli_model")
    data = write_tiny_training_set(folder / "tiny.jsonl")
    out = folder / "community.ckpt"
    training.train([data], out, mode="frozen", epochs=1, seed=5, progress=None)
    return out


@pytest.mark.model
def test_real_classify_with_a_tiny_checkpoint(tiny_checkpoint):
    stdin = b"".join(
        [
            jl(id="a", text="You deserve peace.", parent="I went NC."),
            b"garbage\n",
            jl(id="b", text="I know where you live."),
            jl(id="c", text="x " * 3000),
        ]
    )
    result = _run(["classify", "--model", str(tiny_checkpoint)], stdin)
    assert result.returncode == 0, result.stderr.decode()
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [row.get("id") for row in rows] == ["a", None, "b", "c"]
    assert "error" in rows[1]
    assert rows[2]["decision"] == "block"
    for row in (rows[0], rows[2], rows[3]):
        assert list(row) == SPEC_KEYS
        assert set(row["scores"]) >= set(COMMUNITY_LABELS)
        assert all(0.0 <= value <= 1.0 for value in row["scores"].values())


@pytest.mark.model
def test_real_evaluate_prints_the_figures_and_table(tiny_checkpoint, tmp_path):
    data = write_tiny_training_set(tmp_path / "eval.jsonl")
    result = _run(
        ["evaluate", str(data), "--model", str(tiny_checkpoint), "--json", str(tmp_path / "f.json")]
    )
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    for needle in (
        "harmful recall",
        "benign false-positive rate",
        "crisis recall",
        "category accuracy",
        "label",
        "correct category",
        "escalated",
        "Detoxify general model alone: not available",
    ):
        assert needle in out
    figures = json.loads((tmp_path / "f.json").read_text())
    assert 0.0 <= figures["pipeline"]["harmful_recall"] <= 1.0
    assert figures["pipeline"]["per_label"]["crisis"]["n"] == 4


@pytest.mark.model
def test_real_status_reports_the_loaded_checkpoint(tiny_checkpoint):
    result = _run(["status", "--model", str(tiny_checkpoint)])
    assert result.returncode == 0, result.stderr.decode()
    status = json.loads(result.stdout)
    assert status["community_model"]["loaded"] is True
    assert status["community_model"]["name"] == "community.ckpt"
    assert len(status["community_model"]["version"]) == 12


# --- evaluate figures, computed in-process with the fake model -----------------------------


def _write_rows(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for number, (label, text) in enumerate(rows, start=1):
            row = {"id": f"e-{number}", "parent": None, "text": text, "label": label, "note": ""}
            handle.write(json.dumps(row) + "\n")
    return path


def test_evaluate_figures_and_table(make_pipeline, tmp_path):
    from moderation.evaluation import evaluate_file

    data = _write_rows(
        tmp_path / "eval.jsonl",
        [
            ("supportive", "Proud of you."),
            ("supportive", "zzblame oops a false positive"),
            ("neutral", "Settings, then privacy, then block."),
            ("neutral", "Any book tips?"),
            ("nc_shaming", "You made your bed."),
            ("nc_shaming", "A subtle one the fake model misses."),
            ("victim_blaming", "zzdarvo flagged but as the wrong category"),
            ("toxic", "zztoxic"),
            ("crisis", "I want to die."),
            ("crisis", "Quiet one nobody catches."),
        ],
    )
    printed: list[str] = []
    figures = evaluate_file(data, make_pipeline(), say=printed.append)
    pipeline_figures = figures["pipeline"]
    assert pipeline_figures["harmful_recall"] == pytest.approx(3 / 4)
    assert pipeline_figures["benign_false_positive_rate"] == pytest.approx(1 / 4)
    assert pipeline_figures["crisis_recall"] == pytest.approx(1 / 2)
    assert pipeline_figures["category_accuracy"] == pytest.approx(2 / 3)
    assert pipeline_figures["per_label"]["nc_shaming"] == {
        "n": 2,
        "flagged": 1,
        "correct": 1,
        "escalated": 0,
    }
    text = "\n".join(printed)
    assert "harmful recall                          0.750   (target >= 0.90: NOT met)" in text
    assert "benign false-positive rate              0.250" in text
    assert "crisis recall                           0.500" in text
    assert "category accuracy (flagged harmful)     0.667" in text
    assert "victim_blaming      1        1                 0          0" in text
    # the fake general model is "available", so Detoxify-alone figures are printed too
    assert "Detoxify general model alone" in text
    alone = figures["detoxify_alone"]
    assert alone["crisis_recall"] is None
    assert alone["harmful_recall"] == 0.0


def test_evaluate_rejects_a_bad_file(tmp_path):
    from moderation.evaluation import load_rows

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "t", "label": "rude"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.jsonl:1: unknown label 'rude'"):
        load_rows(bad)


def test_tune_refuses_the_dev_sets(tmp_path):
    """Refused by where the file lives (an evaluation-set folder), before anything is read."""
    from moderation.__main__ import main

    dev = tmp_path / "moderation-eval" / "dev.jsonl"
    dev.parent.mkdir()
    dev.write_text('{"id": "d1", "parent": null, "text": "hi", "label": "neutral", "note": "-"}\n',
                   encoding="utf-8")
    assert main(["tune", "--data", str(dev)]) == 2
    assert main(["tune", "--validation", str(dev)]) == 2


def test_tune_on_validation_without_a_model_says_why(tmp_path, capsys):
    from moderation.__main__ import main

    rows = tmp_path / "validation.jsonl"
    rows.write_text('{"id": "v1", "parent": null, "text": "hi", "label": "neutral", "note": "-"}\n',
                    encoding="utf-8")
    missing = tmp_path / "none.ckpt"
    assert main(["tune", "--validation", str(rows), "--model", str(missing)]) == 2
    assert f"error: checkpoint not found: {missing}" in capsys.readouterr().err


def test_tune_thresholds_on_out_of_fold_scores_keeps_false_positives_low():
    from moderation.evaluation import Row, tune_thresholds

    rows, scores = [], []
    for i in range(40):
        label = ["supportive", "neutral", "darvo", "toxic", "crisis"][i % 5]
        rows.append(Row(f"r{i}", f"plain words number {i}", None, label))
        row_scores = dict.fromkeys(COMMUNITY_LABELS, 0.05)
        if label in ("darvo", "toxic", "crisis"):
            row_scores[label] = 0.62
        if label == "supportive" and i % 10 == 0:
            row_scores["darvo"] = 0.45  # a benign row that a low darvo threshold would flag
        scores.append(row_scores)
    for per_label in (False, True):
        tuned = tune_thresholds(rows, scores, per_label=per_label, rounds=2,
                                say=lambda _line: None)
        assert 0.45 < tuned["darvo"] <= 0.62
        assert tuned["toxic"] <= 0.62
        assert tuned["crisis"] <= 0.62


def test_the_default_tuning_shares_one_threshold_and_per_label_may_differ():
    from moderation.evaluation import Row, tune_thresholds
    from moderation.types import HARMFUL

    rows, scores = [], []
    for i in range(60):
        label = ["supportive", "neutral", "darvo", "toxic"][i % 4]
        rows.append(Row(f"r{i}", f"plain words number {i}", None, label))
        row_scores = dict.fromkeys(COMMUNITY_LABELS, 0.05)
        if label in ("darvo", "toxic"):
            row_scores[label] = 0.85 if label == "darvo" else 0.3
        if label == "supportive" and i % 8 == 0:
            row_scores["darvo"] = 0.6  # darvo alone would be best with a high threshold
        scores.append(row_scores)
    shared = tune_thresholds(rows, scores, say=lambda _line: None)
    assert len({shared[label] for label in HARMFUL}) == 1
    assert shared["guarded"] >= shared["toxic"]
    per_label = tune_thresholds(rows, scores, per_label=True, say=lambda _line: None)
    assert per_label["darvo"] > 0.6 and per_label["toxic"] <= 0.3


def test_stratified_folds_spread_every_label_and_cover_each_row_once():
    from moderation.evaluation import stratified_folds

    labels = ["toxic"] * 9 + ["supportive"] * 6 + ["crisis"] * 3
    folds = stratified_folds(labels, 3, seed=13)
    assert sorted(i for fold in folds for i in fold) == list(range(len(labels)))
    for fold in folds:
        assert [labels[i] for i in fold].count("toxic") == 3
        assert [labels[i] for i in fold].count("crisis") == 1
    assert folds == stratified_folds(labels, 3, seed=13)
