"""Figures for a labelled JSONL file (the schema of ../shared/moderation-eval/).

* harmful recall: harmful rows that were held or blocked;
* benign false-positive rate: supportive/neutral rows that were held or blocked;
* crisis recall: crisis rows that were escalated;
* category accuracy: among harmful rows that were flagged, the share with the right category;
* a per-label table: n, flagged, correct category, escalated.

The same figures are computed for Detoxify's general model alone when it is available
(flag when any of its toxicity scores on the whole text is >= 0.5; its only category is
"toxic"; it never escalates), to show what the project adds over it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moderation.dataset import Row, load_rows
from moderation.types import (
    BENIGN,
    CRISIS,
    CRISIS_EMBEDDING,
    HARMFUL,
    TRAINING_LABELS,
    Decision,
    Item,
    Verdict,
)

BATCH_SIZE = 64
DETOXIFY_ALONE_THRESHOLD = 0.5


@dataclass(frozen=True)
class Outcome:
    """What a screener said about one row, reduced to what the figures need."""

    flagged: bool
    category: str | None
    escalate: bool


@dataclass
class LabelStats:
    n: int = 0
    flagged: int = 0
    correct: int = 0
    escalated: int = 0


@dataclass
class Report:
    name: str
    rows: int
    per_label: dict[str, LabelStats] = field(default_factory=dict)
    can_escalate: bool = True

    def _sum(self, labels: Iterable[str], attr: str) -> int:
        return sum(
            getattr(self.per_label[label], attr) for label in labels if label in self.per_label
        )

    @staticmethod
    def _ratio(num: int, den: int) -> float | None:
        return num / den if den else None

    @property
    def harmful_recall(self) -> float | None:
        return self._ratio(self._sum(HARMFUL, "flagged"), self._sum(HARMFUL, "n"))

    @property
    def benign_fpr(self) -> float | None:
        return self._ratio(self._sum(BENIGN, "flagged"), self._sum(BENIGN, "n"))

    @property
    def crisis_recall(self) -> float | None:
        if not self.can_escalate:
            return None
        return self._ratio(self._sum([CRISIS], "escalated"), self._sum([CRISIS], "n"))

    @property
    def crisis_held_rate(self) -> float | None:
        return self._ratio(self._sum([CRISIS], "flagged"), self._sum([CRISIS], "n"))

    @property
    def benign_escalated(self) -> int:
        return self._sum(BENIGN, "escalated")

    @property
    def benign_escalated_rate(self) -> float | None:
        """Benign posts sent to the urgent crisis lane (target <= 0.02)."""
        if not self.can_escalate:
            return None
        return self._ratio(self.benign_escalated, self._sum(BENIGN, "n"))

    @property
    def non_crisis_escalated(self) -> int:
        """Rows other than crisis that were escalated (each costs a moderator's urgent look)."""
        return sum(s.escalated for label, s in self.per_label.items() if label != CRISIS)

    @property
    def category_accuracy(self) -> float | None:
        return self._ratio(self._sum(HARMFUL, "correct"), self._sum(HARMFUL, "flagged"))

    def figures(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": self.rows,
            "harmful_recall": self.harmful_recall,
            "benign_false_positive_rate": self.benign_fpr,
            "crisis_recall": self.crisis_recall,
            "crisis_held_rate": self.crisis_held_rate,
            "benign_escalated_rate": self.benign_escalated_rate,
            "category_accuracy": self.category_accuracy,
            "per_label": {label: vars(stats) for label, stats in self.per_label.items() if stats.n},
        }


def outcome_of(verdict: Verdict) -> Outcome:
    return Outcome(
        flagged=verdict.decision is not Decision.PUBLISH,
        category=verdict.category,
        escalate=verdict.escalate,
    )


def score(name: str, rows: Sequence[Row], outcomes: Sequence[Outcome], *, can_escalate=True):
    report = Report(
        name=name,
        rows=len(rows),
        per_label={label: LabelStats() for label in TRAINING_LABELS},
        can_escalate=can_escalate,
    )
    for row, outcome in zip(rows, outcomes, strict=True):
        stats = report.per_label[row.label]
        stats.n += 1
        stats.flagged += outcome.flagged
        stats.correct += outcome.flagged and outcome.category == row.label
        stats.escalated += outcome.escalate
    return report


def screen_rows(pipeline: Any, rows: Sequence[Row], batch_size: int = BATCH_SIZE) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        verdicts.extend(pipeline.screen([Item(r.id, r.text, r.parent) for r in batch]))
    return verdicts


def detoxify_alone(model: Any, rows: Sequence[Row]) -> list[Outcome]:
    """Outcomes of Detoxify's general model used on its own, on the whole text."""
    from moderation.policy import GENERAL_TOXICITY_LABELS
    from moderation.text import to_plain_text

    texts = [to_plain_text(r.text) or " " for r in rows]
    scores = model.predict(texts)
    outcomes = []
    for row_scores in scores:
        top = max(
            (float(v) for k, v in row_scores.items() if k in GENERAL_TOXICITY_LABELS), default=0.0
        )
        flagged = top >= DETOXIFY_ALONE_THRESHOLD
        outcomes.append(
            Outcome(flagged=flagged, category="toxic" if flagged else None, escalate=False)
        )
    return outcomes


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def format_report(report: Report, targets: bool = True) -> str:
    checks = {
        "harmful recall": (report.harmful_recall, ">= 0.90", lambda v: v >= 0.90),
        "benign false-positive rate": (report.benign_fpr, "<= 0.05", lambda v: v <= 0.05),
        "crisis recall": (report.crisis_recall, ">= 0.95", lambda v: v >= 0.95),
        "category accuracy (flagged harmful)": (
            report.category_accuracy,
            ">= 0.80",
            lambda v: v >= 0.80,
        ),
    }
    lines = [f"== {report.name}: {report.rows} rows"]
    for name, (value, target, ok) in checks.items():
        mark = ""
        if targets and value is not None:
            mark = f"   (target {target}: {'met' if ok(value) else 'NOT met'})"
        lines.append(f"{name:<38}{_pct(value):>7}{mark}")
    if report.benign_escalated_rate is not None:
        value = report.benign_escalated_rate
        mark = f"   (target <= 0.02: {'met' if value <= 0.02 else 'NOT met'})" if targets else ""
        lines.append(f"{'benign posts escalated':<38}{_pct(value):>7}{mark}")
    if report.crisis_held_rate is not None:
        lines.append(f"{'crisis posts held (should be low)':<38}{_pct(report.crisis_held_rate):>7}")
    lines.append("")
    lines.append(f"{'label':<16}{'n':>5}{'flagged':>9}{'correct category':>18}{'escalated':>11}")
    for label in TRAINING_LABELS:
        stats = report.per_label.get(label)
        if not stats or not stats.n:
            continue
        correct = str(stats.correct) if label in HARMFUL else "-"
        lines.append(f"{label:<16}{stats.n:>5}{stats.flagged:>9}{correct:>18}{stats.escalated:>11}")
    return "\n".join(lines)


def misclassified(rows: Sequence[Row], verdicts: Sequence[Verdict]) -> list[str]:
    """One line per row the pipeline got wrong (for iterating on rules with training data)."""
    out = []
    for row, verdict in zip(rows, verdicts, strict=True):
        flagged = verdict.decision is not Decision.PUBLISH
        wrong = (
            (row.label in HARMFUL and (not flagged or verdict.category != row.label))
            or (row.label in BENIGN and flagged)
            or (row.label == CRISIS and not verdict.escalate)
        )
        if wrong:
            out.append(
                f"{row.id} [{row.label}] -> {verdict.decision.value}/{verdict.category}"
                f"{' escalate' if verdict.escalate else ''}: {row.text[:120]!r} | "
                + "; ".join(verdict.reasons)[:300]
            )
    return out


def evaluate_file(
    path: str | Path,
    pipeline: Any,
    *,
    say: Callable[[str], None] = print,
    show_errors: bool = False,
) -> dict[str, Any]:
    rows = load_rows(path)
    verdicts = screen_rows(pipeline, rows)
    report = score(
        "pipeline (rules + community model + policy)", rows, [outcome_of(v) for v in verdicts]
    )
    say(format_report(report))
    result: dict[str, Any] = {"pipeline": report.figures()}
    if show_errors:
        for line in misclassified(rows, verdicts):
            say(line)
    general = pipeline.toxicity_model()
    if general is not None:
        alone = score(
            f"Detoxify general model alone ({pipeline.toxicity_spec}, flag if >= 0.5)",
            rows,
            detoxify_alone(general, rows),
            can_escalate=False,
        )
        say("")
        say(format_report(alone, targets=False))
        result["detoxify_alone"] = alone.figures()
    else:
        say("")
        say(
            "Detoxify general model alone: not available "
            f"({pipeline.status()['toxicity_model']['error'] or 'disabled'})"
        )
    return result


# --- threshold tuning (cross-validation on the TRAINING data, never the dev set) ----------

TUNE_GRID = tuple(round(0.1 + 0.05 * i, 2) for i in range(17))  # 0.10 .. 0.90
GUARD_GRID = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))  # 0.50 .. 0.95
MAX_BENIGN_FPR = 0.05  # the target; false positives beyond it cost extra
FPR_WEIGHT = 1.5
MIN_CRISIS_RECALL = 0.96
# The crisis head's threshold (1.01: off, the community model's crisis score alone), and the
# most extra benign escalations it may add on the validation rows (a fraction of them).
HEAD_BENIGN_BUDGET = 0.01
RULE_FLOOR_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
CRISIS_HEAD_GRID = (*(round(0.5 + 0.05 * i, 2) for i in range(10)), 0.97, 0.99, 1.01)


def stratified_folds(labels: Sequence[str], folds: int, seed: int) -> list[list[int]]:
    """Row indices split into `folds` groups, each label spread evenly, seeded."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    rng = random.Random(seed)
    assignment: list[list[int]] = [[] for _ in range(folds)]
    offset = 0
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        for position, index in enumerate(indices):
            assignment[(position + offset) % folds].append(index)
        offset += len(indices)
    return assignment


def out_of_fold_scores(
    rows: Sequence[Row],
    *,
    folds: int = 5,
    seed: int = 13,
    mode: str | None = None,
    epochs: int | None = None,
    say: Callable[[str], None] = print,
) -> list[dict[str, float]]:
    """Community-model scores for every training row from a model that never saw it."""
    from moderation import training
    from moderation.types import COMMUNITY_LABELS

    examples = list(rows)  # training takes labelled rows as they are
    assignment = stratified_folds([example.label for example in examples], folds, seed)
    options: dict[str, Any] = {"seed": seed, "progress": None}
    if mode:
        options["mode"] = mode
    if epochs:
        options["epochs"] = epochs
    scores: list[dict[str, float] | None] = [None] * len(rows)
    for k, held_out in enumerate(assignment, start=1):
        held = set(held_out)
        train_rows = [e for i, e in enumerate(examples) if i not in held]
        model, tokenizer, _ = training.fit(train_rows, **options)
        use_parent = bool(options.get("use_parent", training.DEFAULT_USE_PARENT))
        predicted = training.predict_examples(
            model, tokenizer, [examples[i] for i in held_out], use_parent
        )
        for index, row in zip(held_out, predicted, strict=True):
            scores[index] = dict(zip(COMMUNITY_LABELS, row, strict=True))
        say(f"fold {k}/{folds} done ({len(train_rows)} train / {len(held_out)} held out)")
    return [s or {} for s in scores]


def _policy_outcomes(
    rows: Sequence[Row],
    scores: Sequence[dict[str, float]],
    thresholds: dict[str, float],
    prepared: Sequence[tuple[Any, Any, Any]],
) -> list[Outcome]:
    from moderation.policy import decide

    outcomes = []
    for row, row_scores, (parsed, hits, parent_hits) in zip(rows, scores, prepared, strict=True):
        verdict = decide(
            Item(row.id, row.text, row.parent),
            parsed,
            hits,
            row_scores,
            None,
            thresholds,
            parent_hits=parent_hits,
        )
        outcomes.append(outcome_of(verdict))
    return outcomes


def _utility(report: Report) -> float:
    """What the thresholds optimise: catching harm first, without burying supportive posts.

    A missed harmful reply reaches a vulnerable person; a held supportive reply is delayed
    (a moderator approves it) and its author sees a nudge they did not need. So a point of
    recall is worth a little more than a point of false-positive rate (1 : FPR_WEIGHT), and
    false positives beyond ``MAX_BENIGN_FPR`` cost extra.
    """
    fpr = report.benign_fpr or 0.0
    penalty = FPR_WEIGHT * fpr + 2.0 * max(0.0, fpr - MAX_BENIGN_FPR)
    return (report.harmful_recall or 0.0) + 0.5 * (report.category_accuracy or 0.0) - penalty


def tune_thresholds(
    rows: Sequence[Row],
    scores: Sequence[dict[str, float]],
    *,
    per_label: bool = False,
    rounds: int = 3,
    say: Callable[[str], None] = print,
    source: str = "out-of-fold (training data)",
) -> dict[str, float]:
    """Thresholds that do best on the given scores (rules included): out-of-fold scores of the
    training data, or a trained model's scores on the validation sets.

    By default one threshold is shared by the six harmful labels (the category is still the
    label with the highest score), searched over ``TUNE_GRID`` with the bar for model-only
    evidence on a guarded post over ``GUARD_GRID`` (never below it), maximising ``_utility``.
    Tuned on two validation sets and measured on the third, each in turn, that did better on
    the held-out set than a threshold per label (README, "How the recipe was chosen"): seven
    thresholds fitted on a few hundred rows moved by up to 0.45 between folds. ``per_label``
    runs the per-label coordinate search instead (``rounds`` passes). Crisis: see
    ``_crisis_thresholds`` (escalating does not hide a post; missing a crisis can cost a life).
    """
    from moderation.policy import DEFAULT_THRESHOLDS
    from moderation.rules import load_rules
    from moderation.text import parse
    from moderation.types import Action

    rules = load_rules()
    prepared = []
    for row in rows:
        parsed = parse(row.text)
        parent_hits = (
            tuple(h for h in rules.match(parse(row.parent)) if h.action == Action.ESCALATE)
            if row.parent
            else ()
        )
        prepared.append((parsed, rules.match(parsed), parent_hits))

    def evaluate(candidate: dict[str, float]) -> Report:
        return score("tune", rows, _policy_outcomes(rows, scores, candidate, prepared))

    if per_label:
        current = _per_label_search(dict(DEFAULT_THRESHOLDS), evaluate, rounds, say)
    else:
        current = _shared_search(dict(DEFAULT_THRESHOLDS), evaluate, say)
    current = _rule_floor_search(current, evaluate, say)
    current.update(_crisis_thresholds(rows, scores, current, evaluate))
    final = evaluate(current)
    say(format_report(final, targets=True).replace("== tune", f"== {source}"))
    return {label: current[label]
            for label in (*HARMFUL, CRISIS, CRISIS_EMBEDDING, "guarded", "rule_floor")}


def _best_of(
    candidates: Iterable[dict[str, float]], evaluate: Callable[[dict[str, float]], Report]
) -> tuple[dict[str, float], float]:
    """The candidate with the highest utility (the first of equals) and that utility."""
    best: tuple[dict[str, float], float] | None = None
    for candidate in candidates:
        utility = _utility(evaluate(candidate))
        if best is None or utility > best[1] + 1e-9:
            best = (candidate, utility)
    if best is None:
        raise ValueError("no candidate thresholds")
    return best


def _shared_search(
    current: dict[str, float],
    evaluate: Callable[[dict[str, float]], Report],
    say: Callable[[str], None],
) -> dict[str, float]:
    """One threshold for every harmful label, and the guarded bar (at least that threshold)."""
    best, utility = _best_of(
        ({**current, **dict.fromkeys(HARMFUL, value), "guarded": max(guard, value)}
         for value in TUNE_GRID for guard in GUARD_GRID),
        evaluate,
    )
    say(f"shared threshold {best[HARMFUL[0]]}, guarded {best['guarded']}: utility {utility:.4f}")
    return best


def _rule_floor_search(
    current: dict[str, float],
    evaluate: Callable[[dict[str, float]], Report],
    say: Callable[[str], None],
) -> dict[str, float]:
    """The model score under which a hold rule's hit does not count (0: every hit counts)."""
    best, utility = _best_of(
        ({**current, "rule_floor": value} for value in RULE_FLOOR_GRID), evaluate)
    say(f"rule floor {best['rule_floor']}: utility {utility:.4f}")
    return best


def _per_label_search(
    current: dict[str, float],
    evaluate: Callable[[dict[str, float]], Report],
    rounds: int,
    say: Callable[[str], None],
) -> dict[str, float]:
    """Coordinate search: each harmful label's threshold (and the guarded bar) in turn."""
    best = _utility(evaluate(current))
    for round_number in range(1, rounds + 1):
        changed = False
        for label in (*HARMFUL, "guarded"):
            grid = GUARD_GRID if label == "guarded" else TUNE_GRID
            for value in grid:
                candidate = {**current, label: value}
                utility = _utility(evaluate(candidate))
                if utility > best + 1e-9:
                    best, current, changed = utility, candidate, True
        say(f"round {round_number}: utility {best:.4f}")
        if not changed:
            break
    return current


def _crisis_thresholds(
    rows: Sequence[Row],
    scores: Sequence[dict[str, float]],
    current: dict[str, float],
    evaluate: Callable[[dict[str, float]], Report],
) -> dict[str, float]:
    """The crisis thresholds: the community model's first, then the crisis head's.

    Community model: the threshold with crisis recall at ``MIN_CRISIS_RECALL`` (else the
    highest recall) that escalates the fewest other posts, the higher on a tie. Crisis head:
    on the written validation sets it adds no recall the community model lacks, but on unseen
    real writing frozen sentence embeddings ranked crisis posts better than the fine-tuned
    model (AUC 0.97-0.98 against 0.90, issue 9). So it is kept as a second opinion at the
    lowest threshold whose extra escalations of benign posts stay within
    ``HEAD_BENIGN_BUDGET`` of the benign rows. Without head scores (an older model) it is off.
    """
    off = CRISIS_HEAD_GRID[-1]
    best_key: tuple[float, ...] | None = None
    crisis_value = min(TUNE_GRID)
    for value in TUNE_GRID:
        report = evaluate({**current, CRISIS: value, CRISIS_EMBEDDING: off})
        recall = report.crisis_recall or 0.0
        key = (min(recall, MIN_CRISIS_RECALL), -report.non_crisis_escalated, recall, value)
        if best_key is None or key > best_key:
            best_key, crisis_value = key, value
    chosen = {CRISIS: crisis_value, CRISIS_EMBEDDING: off}
    if not any(CRISIS_EMBEDDING in row for row in scores):
        return chosen
    benign_rows = sum(1 for row in rows if row.label in BENIGN)
    base = evaluate({**current, **chosen})
    base_escalated = base.benign_escalated
    for head_value in sorted(CRISIS_HEAD_GRID):
        report = evaluate({**current, CRISIS: crisis_value, CRISIS_EMBEDDING: head_value})
        if report.benign_escalated - base_escalated <= HEAD_BENIGN_BUDGET * benign_rows:
            return {CRISIS: crisis_value, CRISIS_EMBEDDING: head_value}
    return chosen

