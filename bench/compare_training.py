"""Compare community-model training recipes with k-fold cross-validation on the TRAINING data.

    .venv/bin/python bench/compare_training.py [--folds 5] [--epochs 6]
        [--configs finetune:reply frozen:reply finetune:parent frozen:parent] [--json out.json]

Takes about 30 minutes for the two default configs on ~1100 rows (2-core machine); the
parent variants roughly double the fine-tuning time.

Each config is trained on k-1 folds and scored on the held-out fold (folds stratified by
label, seeded), so every row is predicted once by a model that never saw it. The dev set
(../shared/moderation-eval/dev.jsonl) is never read here. Printed per config: per-label
precision / recall / F1 at threshold 0.5, macro F1, harmful recall, benign false-positive
rate, crisis recall, category accuracy among flagged harmful rows, and training time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moderation import training
from moderation.evaluation import stratified_folds
from moderation.types import BENIGN, COMMUNITY_LABELS, HARMFUL

THRESHOLD = 0.5


def metrics(examples, probabilities) -> dict:
    per_label = {}
    for j, label in enumerate(COMMUNITY_LABELS):
        tp = fp = fn = 0
        for example, row in zip(examples, probabilities, strict=True):
            predicted = row[j] >= THRESHOLD
            actual = example.label == label
            tp += predicted and actual
            fp += predicted and not actual
            fn += actual and not predicted
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    harmful_idx = [COMMUNITY_LABELS.index(label) for label in HARMFUL]
    harmful = [(e, r) for e, r in zip(examples, probabilities, strict=True) if e.label in HARMFUL]
    benign = [(e, r) for e, r in zip(examples, probabilities, strict=True) if e.label in BENIGN]
    crisis = [(e, r) for e, r in zip(examples, probabilities, strict=True) if e.label == "crisis"]
    flagged = [(e, r) for e, r in harmful if max(r[j] for j in harmful_idx) >= THRESHOLD]
    right_category = sum(
        1
        for e, r in flagged
        if HARMFUL[max(range(len(HARMFUL)), key=lambda k: r[harmful_idx[k]])] == e.label
    )
    crisis_j = COMMUNITY_LABELS.index("crisis")
    return {
        "per_label": per_label,
        "macro_f1": sum(v["f1"] for v in per_label.values()) / len(per_label),
        "macro_recall": sum(v["recall"] for v in per_label.values()) / len(per_label),
        "harmful_recall": len(flagged) / len(harmful) if harmful else 0.0,
        "benign_fp_rate": (
            sum(1 for _, r in benign if max(r[j] for j in harmful_idx) >= THRESHOLD) / len(benign)
            if benign
            else 0.0
        ),
        "crisis_recall": (
            sum(1 for _, r in crisis if r[crisis_j] >= THRESHOLD) / len(crisis) if crisis else 0.0
        ),
        "category_accuracy": right_category / len(flagged) if flagged else 0.0,
    }


def cross_validate(examples, mode: str, use_parent: bool, folds, epochs: int, seed: int):
    probabilities: list[list[float] | None] = [None] * len(examples)
    seconds = []
    for k, held_out in enumerate(folds, start=1):
        held = set(held_out)
        train_rows = [e for i, e in enumerate(examples) if i not in held]
        test_rows = [examples[i] for i in held_out]
        started = time.monotonic()
        model, tokenizer, _losses = training.fit(
            train_rows, mode=mode, epochs=epochs, seed=seed, use_parent=use_parent, progress=None
        )
        seconds.append(time.monotonic() - started)
        predicted = training.predict_examples(model, tokenizer, test_rows, use_parent)
        for index, row in zip(held_out, predicted, strict=True):
            probabilities[index] = row
        fold_metrics = metrics(test_rows, predicted)
        print(
            f"  fold {k}/{len(folds)}: {len(train_rows)} train / {len(test_rows)} held out, "
            f"{seconds[-1]:.0f} s, macro F1 {fold_metrics['macro_f1']:.3f}",
            flush=True,
        )
    return probabilities, seconds


def print_table(name: str, result: dict, seconds: list[float]) -> None:
    print(f"\n== {name}: mean training time per fold {sum(seconds) / len(seconds):.0f} s")
    print(f"{'label':<16}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>9}")
    for label, row in result["per_label"].items():
        print(
            f"{label:<16}{row['precision']:>10.3f}{row['recall']:>10.3f}{row['f1']:>10.3f}"
            f"{row['support']:>9}"
        )
    print(
        f"macro F1 {result['macro_f1']:.3f}  macro recall {result['macro_recall']:.3f}  "
        f"harmful recall {result['harmful_recall']:.3f}  benign FP {result['benign_fp_rate']:.3f}  "
        f"crisis recall {result['crisis_recall']:.3f}  category acc {result['category_accuracy']:.3f}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", default=[str(training.DEFAULT_DATA)])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=training.DEFAULT_EPOCHS)
    parser.add_argument("--seed", type=int, default=training.DEFAULT_SEED)
    parser.add_argument(
        "--configs",
        nargs="+",
        default=["finetune:reply", "frozen:reply"],
        help="mode:input pairs; input is reply or parent (e.g. finetune:parent)",
    )
    parser.add_argument("--lr", type=float, help="fine-tuning learning rate (encoder)")
    parser.add_argument("--pos-weight-power", type=float, help="exponent of neg/pos in pos_weight")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.lr:
        training.FINETUNE_LR = args.lr
    if args.pos_weight_power is not None:
        training.POS_WEIGHT_POWER = args.pos_weight_power

    if any("moderation-eval" in p for p in args.data):
        parser.error("cross-validation runs on training data only, never the dev set")
    examples = training.load_examples([Path(p) for p in args.data])
    folds = stratified_folds([e.label for e in examples], args.folds, args.seed)
    print(
        f"{len(examples)} rows from {', '.join(args.data)} (sha256 "
        f"{training.data_sha256(args.data)[:12]}), {args.folds} folds, {args.epochs} epochs, "
        f"seed {args.seed}, encoder lr {training.FINETUNE_LR}, "
        f"pos_weight power {training.POS_WEIGHT_POWER}",
        flush=True,
    )
    report = {}
    for config in args.configs:
        mode, _, source = config.partition(":")
        use_parent = source == "parent"
        print(f"\n{config} ...", flush=True)
        probabilities, seconds = cross_validate(
            examples, mode, use_parent, folds, args.epochs, args.seed
        )
        result = metrics(examples, probabilities)
        result["seconds_per_fold"] = sum(seconds) / len(seconds)
        report[config] = result
        print_table(config, result, seconds)

    print("\nsummary (macro F1 / harmful recall / benign FP / crisis recall / category acc):")
    for config, result in report.items():
        print(
            f"  {config:<18} {result['macro_f1']:.3f} / {result['harmful_recall']:.3f} / "
            f"{result['benign_fp_rate']:.3f} / {result['crisis_recall']:.3f} / "
            f"{result['category_accuracy']:.3f}  ({result['seconds_per_fold']:.0f} s per fold)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
