"""Command line: ``python -m moderation classify|evaluate|train|status`` (SPEC §3).

classify  JSON lines {"id", "text", "parent"} on stdin → one verdict line per input on
          stdout, same order. The model loads once; inputs are screened in batches of 64 and
          each batch is flushed as soon as it is done. A line that is not a JSON object with
          a string "text" gets {"id", "error"} instead, and the run continues.
evaluate  figures for a labelled JSONL file (see moderation.evaluation).
train     build the community model (moderation.training); --if-stale skips it when the
          checkpoint is up to date with the data.
tune      suggest per-label thresholds from k-fold cross-validation on the training data.
status    what is loaded, as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from moderation.pipeline import Pipeline, default_model_path
from moderation.types import Item

BATCH_SIZE = 64


def _pipeline(args: argparse.Namespace) -> Pipeline:
    return Pipeline(
        community_model_path=args.model,
        toxicity_model=args.toxicity_model,
        rules_path=args.rules,
    )


def parse_line(raw: bytes | str, number: int) -> Item | dict[str, Any]:
    """An Item, or an error object {"id", "error"} for a malformed line."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        return {"id": None, "error": f"line {number}: not valid JSON ({message})"}
    if not isinstance(data, dict):
        return {"id": None, "error": f"line {number}: expected a JSON object"}
    raw_id = data.get("id")
    item_id = (
        str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    )
    if item_id is None:
        return {"id": None, "error": f"line {number}: 'id' must be a string or number"}
    if not isinstance(data.get("text"), str):
        return {"id": item_id, "error": f"line {number}: 'text' must be a string"}
    parent = data.get("parent")
    if parent is not None and not isinstance(parent, str):
        return {"id": item_id, "error": f"line {number}: 'parent' must be a string or null"}
    return Item(id=item_id, text=data["text"], parent=parent)


def _batches(lines: Iterable[bytes], size: int) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        batch.append((number, line))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def classify(pipeline: Pipeline, lines: Iterable[bytes], out: TextIO, err: TextIO) -> int:
    pipeline.warm()
    status = pipeline.status()
    if not status["community_model"]["loaded"]:
        err.write(
            "warning: community model unavailable "
            f"({status['community_model']['error']}); every post will be held for review\n"
        )
    for batch in _batches(lines, BATCH_SIZE):
        parsed = [parse_line(line, number) for number, line in batch]
        items = [entry for entry in parsed if isinstance(entry, Item)]
        verdicts = iter(pipeline.screen(items))
        for entry in parsed:
            record = next(verdicts).to_dict() if isinstance(entry, Item) else entry
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    out = sys.stdout
    return classify(_pipeline(args), sys.stdin.buffer, out, sys.stderr)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from moderation.evaluation import evaluate_file

    pipeline = _pipeline(args)
    pipeline.warm()
    status = pipeline.status()
    if not status["community_model"]["loaded"]:
        print(
            f"error: community model unavailable: {status['community_model']['error']}\n"
            "Build it with: python -m moderation train",
            file=sys.stderr,
        )
        return 2
    try:
        result = evaluate_file(args.file, pipeline, show_errors=args.show_errors)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from moderation import calibration, training

    out = Path(args.out) if args.out else default_model_path()
    data = [Path(p) for p in args.data] if args.data else [training.DEFAULT_DATA]
    options: dict[str, Any] = {}
    if args.mode:
        options["mode"] = args.mode
    if args.epochs:
        options["epochs"] = args.epochs
    if args.seed is not None:
        options["seed"] = args.seed
    if args.use_parent:
        options["use_parent"] = True
    if not args.no_calibration:
        options["validation_paths"] = calibration.default_validation_paths()
    try:
        if args.if_stale:
            training.ensure_community_model(out, data, **options)
        else:
            training.train(data, out, **options)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    """Suggest per-label thresholds from cross-validation on the training data."""
    from moderation import evaluation, training

    data = [Path(p) for p in args.data] if args.data else [training.DEFAULT_DATA]
    if any("moderation-eval" in str(p) for p in data):
        print(
            "error: thresholds are tuned on training data only, never the dev set", file=sys.stderr
        )
        return 2
    if args.validation:
        return _tune_on_validation(args)
    rows = [row for path in data for row in evaluation.load_rows(path)]
    cache = Path(args.scores) if args.scores else None
    if cache and cache.is_file():
        scores = json.loads(cache.read_text(encoding="utf-8"))
        if len(scores) != len(rows):
            print(f"error: {cache} has {len(scores)} rows, data has {len(rows)}", file=sys.stderr)
            return 2
    else:
        scores = evaluation.out_of_fold_scores(
            rows, folds=args.folds, mode=args.mode, epochs=args.epochs
        )
        if cache:
            cache.write_text(json.dumps(scores), encoding="utf-8")
    suggested = evaluation.tune_thresholds(rows, scores, per_label=args.per_label)
    print(json.dumps(suggested, indent=2))
    return 0


def _tune_on_validation(args: argparse.Namespace) -> int:
    """Thresholds for a trained model, from its scores on the blind validation sets."""
    from moderation import calibration
    from moderation.models import ModelUnavailable, load_community_model

    paths = [Path(p) for p in args.validation]
    if any("moderation-eval" in str(path) for path in paths):
        print("error: thresholds are never tuned on the dev sets", file=sys.stderr)
        return 2
    try:
        model = load_community_model(args.model or default_model_path())
    except ModelUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        suggested = calibration.tune_for(model, paths, per_label=args.per_label)
    except (OSError, ValueError) as exc:  # a missing or malformed validation file
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(suggested, indent=2))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    pipeline = _pipeline(args)
    pipeline.warm()
    status = pipeline.status()
    print(json.dumps(status, indent=2))
    return 0 if status["ready"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m moderation", description="Screen forum posts for the No Contact forum."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def model_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--model",
            help="community model checkpoint (default: $MODERATION_MODEL or "
            "instance/moderation/community.ckpt)",
        )
        sub.add_argument(
            "--toxicity-model",
            help="Detoxify general model name, checkpoint path or 'none' "
            "(default: $MODERATION_TOXICITY_MODEL or original-small)",
        )
        sub.add_argument("--rules", help="rules TOML file (default: the packaged rules.toml)")

    sub = commands.add_parser("classify", help="JSON lines on stdin -> verdict lines on stdout")
    model_options(sub)
    sub.set_defaults(func=cmd_classify)

    sub = commands.add_parser("evaluate", help="figures for a labelled JSONL file")
    sub.add_argument("file")
    model_options(sub)
    sub.add_argument("--json", metavar="PATH", help="also write the figures as JSON here")
    sub.add_argument(
        "--show-errors", action="store_true", help="list every row the pipeline got wrong"
    )
    sub.set_defaults(func=cmd_evaluate)

    sub = commands.add_parser("train", help="build the community model")
    sub.add_argument("--out", help="checkpoint path (default: $MODERATION_MODEL or ...)")
    sub.add_argument("--data", nargs="+", help="training JSONL files (default: the repo's)")
    sub.add_argument("--mode", choices=("finetune", "frozen"))
    sub.add_argument("--epochs", type=int)
    sub.add_argument("--seed", type=int)
    sub.add_argument(
        "--use-parent", action="store_true",
        help="train with the parent post as a second segment (its first 48 tokens)",
    )
    sub.add_argument(
        "--if-stale", action="store_true", help="only train when missing or the data changed"
    )
    sub.add_argument(
        "--no-calibration", action="store_true",
        help="keep the built-in thresholds instead of tuning them for this build on "
        "moderation/data/validation*.jsonl",
    )
    sub.set_defaults(func=cmd_train)

    sub = commands.add_parser("tune", help="suggest thresholds by cross-validation (training data)")
    sub.add_argument("--data", nargs="+", help="training JSONL files (default: the repo's)")
    sub.add_argument("--folds", type=int, default=5)
    sub.add_argument("--mode", choices=("finetune", "frozen"))
    sub.add_argument("--epochs", type=int)
    sub.add_argument("--scores", help="cache file for the out-of-fold scores (JSON)")
    sub.add_argument(
        "--validation",
        metavar="FILE",
        nargs="+",
        help="tune on a trained model's scores for these labelled files (the blind "
        "validation sets, moderation/data/validation*.jsonl) instead of "
        "cross-validation",
    )
    sub.add_argument("--model", help="checkpoint for --validation (default: $MODERATION_MODEL)")
    sub.add_argument(
        "--per-label", action="store_true",
        help="a threshold per harmful label (default: one shared by all six)",
    )
    sub.set_defaults(func=cmd_tune)

    sub = commands.add_parser("status", help="what is loaded, as JSON")
    model_options(sub)
    sub.set_defaults(func=cmd_status)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(levelname)s: %(message)s")
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
