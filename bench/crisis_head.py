"""Choose the crisis head's L2 penalty by k-fold cross-validation on the TRAINING rows.

    .venv/bin/python bench/crisis_head.py [--folds 5] [--penalties 3.33 1 0.33 0.1 0.033]
                                          [--precision fp32 int8]

Embeds every training row once with the frozen encoder (about a minute on 2 cores), then for
each penalty fits the head on k-1 folds (``moderation.crisis_head.fit_head``) and scores the
held-out fold, so every row is scored by a head that never saw it. Printed per penalty: crisis
AUC, and the crisis recall when at most 2 % and 5 % of the other rows are escalated. The dev
sets are never read here. ``--precision`` embeds with the frozen encoder in float32 (as training
does) and/or int8, to see what a head refitted on int8 vectors would rank.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moderation import crisis_head, training
from moderation.evaluation import stratified_folds
from moderation.text import to_plain_text
from moderation.types import CRISIS


def auc(positives: list[float], negatives: list[float]) -> float:
    """Probability that a crisis row outscores another row (ties count half)."""
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, position = 0.0, 0
    while position < len(ranked):
        end = position
        while end < len(ranked) and ranked[end][0] == ranked[position][0]:
            end += 1
        average_rank = (position + end + 1) / 2
        rank_sum += average_rank * sum(label for _score, label in ranked[position:end])
        position = end
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def recall_at(positives: list[float], negatives: list[float], escalated: float) -> float:
    ordered = sorted(negatives, reverse=True)
    threshold = ordered[int(escalated * len(ordered))]
    return sum(score > threshold for score in positives) / len(positives)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--penalties", type=float, nargs="+", default=[3.33, 1, 1 / 3, 0.1, 1 / 30])
    parser.add_argument("--precision", nargs="+", choices=crisis_head.PRECISIONS,
                        default=["fp32"])
    args = parser.parse_args(argv)
    rows = training.load_examples([training.DEFAULT_DATA])
    targets = [1.0 if row.label == CRISIS else 0.0 for row in rows]
    folds = stratified_folds([row.label for row in rows], args.folds, seed=13)
    for precision in args.precision:
        started = time.perf_counter()
        encoder = crisis_head.SentenceEncoder(training.encoder_dir(), precision=precision)
        vectors = encoder.embed([to_plain_text(row.text) for row in rows])
        print(f"{precision}: embedded {len(rows)} rows in {time.perf_counter() - started:.0f} s")
        cross_validate(vectors, targets, folds, args.penalties)
    return 0


def cross_validate(vectors, targets: list[float], folds: list[list[int]],
                   penalties: list[float]) -> None:
    import torch

    print(f"{'L2 penalty':>10} {'C':>6} {'AUC':>7} {'recall@2%':>10} {'recall@5%':>10}")
    for penalty in penalties:
        scores = [0.0] * len(targets)
        for held_out in folds:
            held = set(held_out)
            fitted = [i for i in range(len(targets)) if i not in held]
            head = crisis_head.fit_head(vectors[fitted], [targets[i] for i in fitted], l2=penalty)
            weights = torch.tensor(head.weights)
            probabilities = torch.sigmoid(vectors[held_out] @ weights + head.bias).tolist()
            for index, probability in zip(held_out, probabilities, strict=True):
                scores[index] = probability
        positives = [s for s, t in zip(scores, targets, strict=True) if t]
        negatives = [s for s, t in zip(scores, targets, strict=True) if not t]
        print(
            f"{penalty:>10.3f} {1 / penalty:>6.1f} {auc(positives, negatives):>7.3f} "
            f"{recall_at(positives, negatives, 0.02):>10.3f} "
            f"{recall_at(positives, negatives, 0.05):>10.3f}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
