"""What serving the crisis head's frozen encoder in int8 changes in decisions, and saves.

    .venv/bin/python bench/crisis_encoder_precision.py [--checkpoint PATH]

Screens moderation/data/validation.jsonl, validation-2.jsonl and validation-3.jsonl (the project's
own validation sets; never the shared evaluation sets) with the whole pipeline twice on the same
checkpoint: the crisis head's encoder in float32 (as the head was fitted) and in int8
(MODERATION_CRISIS_ENCODER, dynamic quantisation of its linear layers). Printed per file: decision
flips (publish/hold/block), escalation changes (lost and new, and crisis rows escalated), category
changes, how far crisis_embedding moved; then the head's time for one short reply in each precision
(p50 of 200, 1 torch thread).
Acceptance (issue 14): at most 0.5 % decision flips and no lost escalation of a crisis row.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from moderation import CRISIS, Pipeline, crisis_head, models  # noqa: E402
from moderation.dataset import load_rows  # noqa: E402
from moderation.evaluation import screen_rows  # noqa: E402

FILES = ("validation.jsonl", "validation-2.jsonl", "validation-3.jsonl")
DATA = PROJECT_ROOT / "moderation" / "data"
REPLY = "I can't do this anymore. I've been saving my pills and tonight feels like the night."


def pipeline_in(precision: str, checkpoint: Path) -> Pipeline:
    os.environ["MODERATION_CRISIS_ENCODER"] = precision
    models.clear_cache()
    pipeline = Pipeline(community_model_path=checkpoint, toxicity_model="none")
    pipeline.warm()
    if not pipeline.status()["ready"]:
        raise SystemExit(f"the pipeline is not ready: {pipeline.status()}")
    return pipeline


def head_ms(pipeline: Pipeline) -> float:
    head = pipeline.community_model().extra_scorers[crisis_head.SCORE_NAME]
    timings = []
    for _ in range(220):
        started = time.perf_counter()
        head.scores([REPLY])
        timings.append(time.perf_counter() - started)
    return statistics.median(timings[20:]) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", type=Path, default=Path(
        os.environ.get("MODERATION_MODEL")
        or PROJECT_ROOT / "instance" / "moderation" / "community.ckpt"))
    args = parser.parse_args()
    if not args.checkpoint.is_file():
        print(f"no community model at {args.checkpoint}: run `make model` first")
        return 2
    os.environ.setdefault("MODERATION_TORCH_THREADS", "1")
    fp32, int8 = pipeline_in("fp32", args.checkpoint), pipeline_in("int8", args.checkpoint)
    total = {"rows": 0, "flips": 0, "lost_crisis": 0}
    for name in FILES:
        rows = load_rows(DATA / name)
        pairs = list(zip(rows, screen_rows(fp32, rows), screen_rows(int8, rows), strict=True))
        flips = [(r.id, b.decision.value, a.decision.value) for r, b, a in pairs
                 if a.decision != b.decision]
        lost = [(r.id, r.label) for r, b, a in pairs if b.escalate and not a.escalate]
        new = [(r.id, r.label) for r, b, a in pairs if a.escalate and not b.escalate]
        crisis = [(b.escalate, a.escalate) for r, b, a in pairs if r.label == CRISIS]
        moved = [abs(a.scores.get(crisis_head.SCORE_NAME, 0.0)
                     - b.scores.get(crisis_head.SCORE_NAME, 0.0)) for _r, b, a in pairs]
        lost_crisis = sum(before and not after for before, after in crisis)
        print(f"{name}: {len(rows)} rows; decision flips {len(flips)} "
              f"({len(flips) / len(rows):.2%}) {flips[:5]}; crisis rows escalated "
              f"{sum(b for b, _a in crisis)} -> {sum(a for _b, a in crisis)} of {len(crisis)} "
              f"(lost {lost_crisis}); other escalations lost {lost}, new {new}; category changes "
              f"{sum(a.category != b.category for _r, b, a in pairs)}; crisis_embedding moved "
              f"mean {statistics.mean(moved):.4f}, max {max(moved):.4f}")
        total["rows"] += len(rows)
        total["flips"] += len(flips)
        total["lost_crisis"] += lost_crisis
    share = total["flips"] / total["rows"]
    acceptable = share <= 0.005 and not total["lost_crisis"]
    print(f"all: {total['flips']} flips in {total['rows']} rows ({share:.2%}), "
          f"{total['lost_crisis']} crisis rows no longer escalated -> "
          f"{'acceptable' if acceptable else 'NOT acceptable'}")
    print(f"crisis head on one short reply, p50: fp32 {head_ms(fp32):.2f} ms, "
          f"int8 {head_ms(int8):.2f} ms")
    return 0 if acceptable else 1


if __name__ == "__main__":
    sys.exit(main())
