"""Screened posting throughput against the model alone, side by side in one run.

    .venv/bin/python bench/posting_throughput.py [--clients 50] [--seconds 60] [--rounds 1]
        [--databases sqlite postgresql] [--configs current] [--before PATH]

Prints, on the same cores in one run:

1. the reference: Detoxify.predict alone, 2 processes (one torch thread each, as the web
   workers run), each calling ``Detoxify(checkpoint=community.ckpt).predict([text])`` one text
   at a time over the load clients' texts: texts/s. Measured before the first load run and
   after each one; a run's ratio uses the mean of the two around it.
2. for each database and configuration: screened replies/s through ``gunicorn -w 2`` with N
   clients (bench/load.py: a mix of supportive, harmful-but-acknowledged and crisis replies,
   and its checks that nothing was lost or doubled), p50/p95/p99, and the ratio to (1).
   With ``--rounds N`` the configurations take turns N times (A B A B …: a machine shared with
   other work drifts less between them) and the summary gives each one's median.

Configurations (``--configs``, any of):
  current   this tree as it is (gthread workers, micro-batching, int8 crisis encoder)
  sync      this tree with one thread per worker (no batching possible), int8 crisis encoder
  threadsN  this tree with N threads per worker (4, 8, 16)
  fp32      this tree as ``current`` but with the float32 crisis encoder
  before    the project at ``--before PATH`` (e.g. ``git archive <commit>`` unpacked), served
            with this tree's virtualenv

Target (issue #14): replies/s ≥ 60 % of Detoxify alone.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load

CONFIGS = {
    "current": {},
    "sync": {"FORUM_THREADS": "1"},
    "threads4": {"FORUM_THREADS": "4"},
    "threads8": {"FORUM_THREADS": "8"},
    "threads16": {"FORUM_THREADS": "16"},
    "fp32": {"MODERATION_CRISIS_ENCODER": "fp32"},
    "before": {},
}
TARGET = 0.60


def load_texts() -> list[str]:
    """The texts the load clients send (each base text with each tag)."""
    return [base + tag for base in load.SUPPORTIVE + load.HARMFUL + load.CRISIS
            for tag in load.TAGS]


def _detoxify_alone(model: str, seconds: float, start_at: float, results) -> None:
    import torch

    torch.set_num_threads(1)
    from detoxify import Detoxify

    detox = Detoxify(checkpoint=model)
    texts = load_texts()
    for text in texts[:20]:
        detox.predict([text])
    while time.time() < start_at:
        time.sleep(0.01)
    done, index, stop = 0, 0, time.monotonic() + seconds
    while time.monotonic() < stop:
        detox.predict([texts[index % len(texts)]])
        index += 1
        done += 1
    results.put(done / seconds)


def detoxify_alone(model: str, seconds: float, processes: int = 2) -> float:
    """Texts per second of `processes` processes scoring one text at a time, all together."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start_at = time.time() + 25  # every process has loaded its model by then
    workers = [context.Process(target=_detoxify_alone, args=(model, seconds, start_at, results))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    rates = [results.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    return sum(rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reference-seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--databases", nargs="+", choices=("sqlite", "postgresql"),
                        default=["sqlite", "postgresql"])
    parser.add_argument("--configs", nargs="+", choices=tuple(CONFIGS), default=["current"])
    parser.add_argument("--before", type=Path, help="a copy of the project to measure as 'before'")
    args = parser.parse_args()
    model = load.default_model()
    if not Path(model).is_file():
        print(f"no community model at {model}: run `make model` first")
        return 2
    if "before" in args.configs and not (args.before and (args.before / "wsgi.py").is_file()):
        print("--configs before needs --before PATH (a copy of the project)")
        return 2

    print(f"{os.cpu_count()} cores; {args.clients} clients for {args.seconds:.0f} s per run; "
          f"gunicorn -w 2; model {model}")
    # The reference is measured between every two load runs, and each run is compared with the
    # mean of the references just before and after it: other work on a shared machine comes
    # and goes, and a reference taken only at the start can be off by a factor of two.
    references = [detoxify_alone(model, args.reference_seconds)]
    print(f"Detoxify.predict alone, 2 processes, batches of one: {references[0]:.1f} texts/s",
          flush=True)
    runs = []
    turns = [(database, config) for database in args.databases
             for _ in range(args.rounds) for config in args.configs]
    for database, config in turns:
        root = args.before.resolve() if config == "before" else load.PROJECT_ROOT
        run = load.run_load(database, args.clients, args.seconds, env=CONFIGS[config],
                            root=root, model=model)
        references.append(detoxify_alone(model, args.reference_seconds))
        run.reference = statistics.mean(references[-2:])
        runs.append((config, run))
        print(f"  {database:<10} {config:<8} {run.throughput:6.1f} replies/s  "
              f"p50 {run.latency_ms(50):5.0f} ms  p95 {run.latency_ms(95):5.0f} ms  "
              f"p99 {run.latency_ms(99):5.0f} ms  failed {run.failures}  "
              f"other {run.other or '-'}  checks {'FAILED' if run.problems else 'ok'}; "
              f"then Detoxify.predict alone {references[-1]:.1f} texts/s (ratio "
              f"{run.throughput / run.reference:.2f})", flush=True)
    print(f"\n{'database':<10} {'config':<8} {'replies/s':>9} {'ratio':>6} {'p50':>6} {'p95':>6} "
          f"{'p99':>6} {'screened/s':>10} {'ratio':>6}  (medians; ratio to Detoxify alone "
          f"around each run, target ≥ {TARGET:.2f}; screened: 201s and 422 nudges)")
    failed = False
    for database in args.databases:
        for config in args.configs:
            mine = [run for name, run in runs if name == config and run.database == database]

            def median(figure, mine=mine):
                return statistics.median(figure(run) for run in mine)

            throughput = median(lambda run: run.throughput)
            ratio = median(lambda run: run.throughput / run.reference)
            print(f"{database:<10} {config:<8} {throughput:9.1f} {ratio:6.2f} "
                  f"{median(lambda run: run.latency_ms(50)):6.0f} "
                  f"{median(lambda run: run.latency_ms(95)):6.0f} "
                  f"{median(lambda run: run.latency_ms(99)):6.0f} "
                  f"{median(lambda run: run.screened):10.1f} "
                  f"{median(lambda run: run.screened / run.reference):6.2f}"
                  + (f"  (runs: {', '.join(f'{run.throughput:.1f}' for run in mine)})"
                     if len(mine) > 1 else ""))
            for run in mine:
                for problem in run.problems[:10]:
                    print(f"    CHECK FAILED: {problem}")
                failed = failed or bool(run.problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
