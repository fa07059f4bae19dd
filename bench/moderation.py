"""Speed of the moderation models: load time, latency, throughput, memory, and our overhead.

    .venv/bin/python bench/moderation.py [--checkpoint instance/moderation/community.ckpt]
        [--runs 200] [--batch-texts 256] [--json out.json]

The checkpoint is trained first if missing (moderation.training.ensure_community_model).
Every comparison uses the same loaded Detoxify object in the same process:

* ``Detoxify.predict``  called directly (one list per call; 32 texts per call for batches);
* ``ScoringModel.predict``  our wrapper: length sorting, batching, chunking, unsqueezing
  (``wrapper``), and the same with the crisis head on frozen sentence embeddings (``scoring``);
* ``Pipeline.screen``  the whole pipeline (text parsing, rules, model, policy), general
  toxicity model off so the same single model is measured.

Overhead = (ours - direct) / direct, on the single-text p50 and on batch throughput.
Targets: overhead <= 10 %, single short text p50 <= 20 ms. The wrapper's overhead is measured
without the crisis head (``wrapper``); the head is a second model by design, so its cost is
printed on its own line (``scoring`` and ``pipeline`` include it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from moderation import models, training

SHORT_TEXT = "Thank you for this, it really helps to know I'm not alone."


def rss_mib() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MiB."""
    values = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, amount, _unit = line.split()
                values[key] = int(amount) / 1024
    return values.get("VmRSS:", 0.0), values.get("VmHWM:", 0.0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def sample_texts(count: int) -> tuple[list[str], list[str | None]]:
    """Realistic replies (training data, never the dev set), repeated to ``count``."""
    rows = training.load_examples([training.DEFAULT_DATA])
    texts = [rows[i % len(rows)].text for i in range(count)]
    parents = [rows[i % len(rows)].parent for i in range(count)]
    return texts, parents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=str(training.default_model_path()))
    parser.add_argument("--runs", type=int, default=200, help="single-text calls per variant")
    parser.add_argument("--batch-texts", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3, help="batch rounds (best is kept)")
    parser.add_argument("--no-pipeline", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    checkpoint = Path(args.checkpoint)
    if not checkpoint.is_file():
        print(f"{checkpoint} missing: training it first")
        training.ensure_community_model(checkpoint)
    figures: dict[str, float | str] = {"checkpoint": str(checkpoint)}

    rss_before, _ = rss_mib()
    started = time.perf_counter()
    import detoxify  # noqa: F401 - import cost is part of a cold start
    import torch

    figures["import_s"] = time.perf_counter() - started
    started = time.perf_counter()
    scoring = models.load_community_model(checkpoint)
    figures["load_s"] = time.perf_counter() - started
    figures["torch_threads"] = torch.get_num_threads()
    detox = scoring.detox
    uses_parent = scoring.uses_parent
    # The same model without its extra scores (the crisis head): our wrapper's own overhead.
    wrapper = models.ScoringModel(
        detox,
        name=scoring.name,
        version=scoring.version,
        labels=scoring.labels,
        uses_parent=uses_parent,
    )

    pipeline = None
    if not args.no_pipeline:
        try:
            from moderation import Item, Pipeline
        except ImportError as exc:
            print(f"(no pipeline: {exc})")
        else:
            pipeline = Pipeline(community_model_path=checkpoint, toxicity_model="none")
            pipeline.warm()

    # -- single short text ----------------------------------------------------------------
    variants = {
        "detoxify": lambda: detox.predict([SHORT_TEXT]),
        "wrapper": lambda: wrapper.predict([SHORT_TEXT]),
        "scoring": lambda: scoring.predict([SHORT_TEXT]),
    }
    if pipeline is not None:
        item = Item(id="bench", text=SHORT_TEXT, parent=None)
        variants["pipeline"] = lambda: pipeline.screen([item])
    for call in variants.values():  # warm up
        for _ in range(5):
            call()
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.runs):  # interleaved, so drift in machine load hits all alike
        for name, call in variants.items():
            started = time.perf_counter()
            call()
            timings[name].append(time.perf_counter() - started)
    for name, values in timings.items():
        figures[f"single_{name}_p50_ms"] = 1000 * statistics.median(values)
        figures[f"single_{name}_p95_ms"] = 1000 * percentile(values, 0.95)

    # -- batch throughput -------------------------------------------------------------------
    texts, parents = sample_texts(args.batch_texts)

    def direct_batches() -> None:
        for start in range(0, len(texts), models.BATCH_SIZE):
            detox.predict(texts[start : start + models.BATCH_SIZE])

    batch_variants = {
        "detoxify": direct_batches,
        "wrapper": lambda: wrapper.predict(texts, parents if uses_parent else None),
        "scoring": lambda: scoring.predict(texts, parents if uses_parent else None),
    }
    if pipeline is not None:
        items = [
            Item(id=str(i), text=t, parent=p)
            for i, (t, p) in enumerate(zip(texts, parents, strict=True))
        ]
        batch_variants["pipeline"] = lambda: pipeline.screen(items)
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for name, call in batch_variants.items():
            started = time.perf_counter()
            call()
            elapsed = time.perf_counter() - started
            best[name] = min(best.get(name, elapsed), elapsed)
    for name, seconds in best.items():
        figures[f"batch_{name}_texts_per_s"] = len(texts) / seconds

    rss, peak = rss_mib()
    figures["rss_mib"] = rss
    figures["peak_rss_mib"] = peak
    figures["rss_model_mib"] = rss - rss_before

    # -- report -------------------------------------------------------------------------------
    print(f"checkpoint {checkpoint} ({scoring.name}, version {scoring.version})")
    print(
        f"torch threads {figures['torch_threads']}, input {'reply+parent' if uses_parent else 'reply'}"
    )
    print(f"import torch/transformers/detoxify  {figures['import_s']:.2f} s")
    print(f"model load (Detoxify, checks, hash) {figures['load_s']:.2f} s")
    print(f"process RSS {rss:.0f} MiB (peak {peak:.0f} MiB)")
    print(f"\nsingle short text ({len(SHORT_TEXT)} chars), {args.runs} calls each:")
    for name in variants:
        print(
            f"  {name:<9} p50 {figures[f'single_{name}_p50_ms']:6.1f} ms   "
            f"p95 {figures[f'single_{name}_p95_ms']:6.1f} ms"
        )
    print(f"\nbatch of {len(texts)} training replies (best of {args.rounds}):")
    for name in batch_variants:
        print(f"  {name:<9} {figures[f'batch_{name}_texts_per_s']:7.1f} texts/s")
    print(
        "\nwrapper = ScoringModel without extra scores; scoring = with them "
        f"({', '.join(scoring.extra_scorers) or 'none'}); pipeline = rules + scoring + policy"
    )
    print("overhead over Detoxify.predict (target <= 10 % for the wrapper):")
    base_p50 = figures["single_detoxify_p50_ms"]
    base_rate = figures["batch_detoxify_texts_per_s"]
    for name in variants:
        if name == "detoxify":
            continue
        single = figures[f"single_{name}_p50_ms"] / base_p50 - 1
        batch = base_rate / figures[f"batch_{name}_texts_per_s"] - 1
        figures[f"overhead_{name}_single"] = single
        figures[f"overhead_{name}_batch"] = batch
        print(f"  {name:<9} single p50 {single:+7.1%}   batch {batch:+7.1%}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
