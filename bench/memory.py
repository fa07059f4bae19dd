"""Memory of the screening models under gunicorn: one copy shared by the workers, or one each.

    .venv/bin/python bench/memory.py [--workers 2] [--posts 20]

Serves a throwaway forum (SQLite) with gunicorn.conf.py and the real community model twice,
with FORUM_PRELOAD=1 (the master loads the models before forking) and FORUM_PRELOAD=0 (each
worker loads its own), posts replies so every worker has screened with the model, then reads
/proc/PID/smaps_rollup of the master and each worker. Printed side by side: RSS, PSS (shared
pages divided among the processes that map them) and USS (pages only that process maps) per
process, the combined PSS of master and workers, and the target ratio: combined PSS / one
worker's RSS (issue 14: <= 1.3).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.load import PASSWORD, SECRET, Client, build_forum, free_port  # noqa: E402
from tests.support.gunicorn import stop_gunicorn, worker_pids  # noqa: E402


def memory_mib(pid: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "kB":
                figures[parts[0].rstrip(":")] = int(parts[1]) / 1024
    figures["Uss"] = figures["Private_Clean"] + figures["Private_Dirty"]
    return figures


def measure(preload: bool, workers: int, posts: int, model: str) -> dict[str, object]:
    workdir = Path(tempfile.mkdtemp(prefix="forum-memory-"))
    url = f"sqlite:///{workdir / 'memory.db'}"
    threads = build_forum(url, workdir, 1)
    port = free_port()
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": url,
        "FORUM_SECRET_KEY": SECRET,
        "FORUM_RATELIMIT_ENABLED": "0",
        "MODERATION_MODEL": model,
        "MODERATION_TOXICITY_MODEL": "none",
        "FORUM_BIND": f"127.0.0.1:{port}",
        "FORUM_WORKERS": str(workers),
        "FORUM_PRELOAD": "1" if preload else "0",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    with (workdir / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "--access-logfile",
                "/dev/null",
                "wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        client = Client(port, "bench_0", threads, time.monotonic() + 600, 0)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if client._request("GET", "/api/v1/categories", {})[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        time.sleep(10)  # without preloading, the workers load their models in the background
        _, answer = client._request(
            "POST", "/api/v1/tokens", {"username": "bench_0", "password": PASSWORD}
        )
        auth = {"Authorization": f"Bearer {answer['token']}"}
        for n in range(posts):
            client._request(
                "POST",
                f"/api/v1/threads/{threads[n % len(threads)]}/posts",
                {"body": f"Thinking of you today, day {n} is still a day."},
                auth,
            )
        master = memory_mib(server.pid)
        children = [memory_mib(pid) for pid in worker_pids(server.pid)]
    finally:
        stop_gunicorn(server)
    combined = master["Pss"] + sum(c["Pss"] for c in children)
    one_worker = max(c["Rss"] for c in children)
    return {
        "master": master,
        "workers": children,
        "combined_pss": combined,
        "one_worker_rss": one_worker,
        "ratio": combined / one_worker,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--posts", type=int, default=20)
    args = parser.parse_args()
    model = os.environ.get("MODERATION_MODEL") or str(
        PROJECT_ROOT / "instance" / "moderation" / "community.ckpt"
    )
    if not Path(model).is_file():
        print(f"no community model at {model}: run `make model` first")
        return 2
    results = {
        mode: measure(mode == "preload", args.workers, args.posts, model)
        for mode in ("preload", "per-worker")
    }
    print(
        f"gunicorn -w {args.workers}, {args.posts} screened posts, MiB "
        "(RSS / PSS / USS per process)"
    )
    for mode, result in results.items():
        master = result["master"]
        print(
            f"  {mode:<10} master {master['Rss']:6.0f} / {master['Pss']:6.0f} / "
            f"{master['Uss']:6.0f}"
        )
        for n, worker in enumerate(result["workers"]):
            print(
                f"  {'':<10} worker {n} {worker['Rss']:6.0f} / {worker['Pss']:6.0f} / "
                f"{worker['Uss']:6.0f}"
            )
        print(
            f"  {'':<10} combined PSS {result['combined_pss']:.0f}; one worker's RSS "
            f"{result['one_worker_rss']:.0f}; ratio {result['ratio']:.2f} (target <= 1.3)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
