"""Requests per second for a 50-post thread page under `gunicorn -w 2`, beside a minimal Flask app.

    .venv/bin/python bench/thread_page_rps.py [--duration 10] [--connections 16] [--threads 2]

Builds a throwaway SQLite database with one 50-post thread, serves the forum (wsgi:app) and
bench/minimal_app.py with gunicorn on free loopback ports, measures both with wrk in the same
run, prints the figures and the ratio, and stops both servers by their process ids.
Needs wrk (`apt-get install -y wrk`); without it, says so and skips.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(PROJECT_ROOT))

POSTS = 50
SECRET = "bench-secret-key-not-for-production"


def build_database(workdir: Path) -> tuple[str, int, str]:
    """A fresh SQLite forum with one thread of POSTS posts; returns (url, thread id, page path)."""
    from forum import accounts, create_app, posting
    from forum.extensions import db
    from forum.models import ensure_default_categories

    url = f"sqlite:///{workdir / 'bench.db'}"
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": SECRET,
        "INSTANCE_PATH": str(workdir / "instance"),
        # Throwaway accounts: a cheap hash keeps set-up quick; screening is not what's measured.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "MODERATION_SCREENING": "off",
        "RATELIMIT_ENABLED": False,
    })
    with app.app_context():
        db.create_all()
        ensure_default_categories()
        db.session.commit()
        members = [
            accounts.create_user(f"bench_member_{n}", f"member{n}@bench.test", "bench password", verified=True)
            for n in range(8)
        ]
        outcome = posting.create_thread(
            members[0], "going-no-contact", "Thirty days of No Contact",
            "Today is day thirty. Some mornings are heavy, but **I kept my boundary**.",
            content_warning="mentions of family conflict",
        )
        for n in range(1, POSTS):
            posting.reply(
                members[n % len(members)], outcome.thread.id,
                f"Reply number {n}: you're not alone in this. *Proud of you* for holding on.",
            )
        thread_id = outcome.thread.id
        with app.test_request_context():
            from flask import url_for

            path = url_for("board.thread", thread_id=thread_id)
        db.engine.dispose()
    return url, thread_id, path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], log: Path, pythonpath: Path | None = None):
    """Serve app_spec with 2 workers on a free port; yields the base URL; stops it by pid."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "gunicorn"), "-w", "2",
               "-b", f"127.0.0.1:{port}", "--error-logfile", str(log)]
    if pythonpath is not None:
        command += ["--pythonpath", str(pythonpath)]
    command.append(app_spec)
    with log.open("ab") as log_file:
        server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log_file,
                                  stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base + "/", server, log)
        yield base
    finally:
        os.kill(server.pid, signal.SIGTERM)  # gunicorn's master stops its workers gracefully
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()


def wait_until_serving(url: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout}s")


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode()


def run_wrk(url: str, threads: int, connections: int, duration: int) -> dict[str, float]:
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True, text=True, check=True,
    )
    output = result.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rps is None:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors:.*", output)
    if errors or socket_errors:
        raise SystemExit(f"wrk saw failed requests for {url}:\n{output}")
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)", output)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    return {
        "rps": float(rps.group(1)),
        "latency_ms": _ms(latency) if latency else float("nan"),
        "p99_ms": _ms(p99) if p99 else float("nan"),
    }


def _ms(match: re.Match) -> float:
    value, unit = float(match.group(1)), match.group(2)
    return {"us": value / 1000, "ms": value, "s": value * 1000}[unit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print("SKIPPED thread_page_rps: wrk is not installed (apt-get install -y wrk)")
        return 0

    with tempfile.TemporaryDirectory(prefix="forum-bench-") as tmp:
        workdir = Path(tmp)
        database_url, _thread_id, path = build_database(workdir)
        env = {
            **os.environ,
            "FORUM_DATABASE_URL": database_url,
            "FORUM_SECRET_KEY": SECRET,
            "FORUM_RATELIMIT_ENABLED": "0",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
        figures = {}
        with gunicorn("wsgi:app", env, workdir / "forum.log") as forum_base, \
                gunicorn("minimal_app:app", env, workdir / "minimal.log", BENCH_DIR) as minimal_base:
            thread_url = forum_base + path
            status, page = fetch(thread_url)
            shown = len(re.findall(r"Reply number \d+:", page))
            if status != 200 or shown != POSTS - 1:
                raise SystemExit(f"thread page not as expected: HTTP {status}, {shown} replies")
            print(f"thread page {path}: {POSTS} posts, {len(page.encode()):,} bytes")
            for url in (thread_url, minimal_base + "/"):  # warm both up (imports, caches)
                run_wrk(url, args.threads, args.connections, 2)
            figures["thread"] = run_wrk(thread_url, args.threads, args.connections, args.duration)
            figures["minimal"] = run_wrk(minimal_base + "/", args.threads, args.connections,
                                         args.duration)

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"gunicorn -w 2, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
          f"{os.cpu_count()} CPUs, load average {load}")
    for name, label in (("thread", f"{POSTS}-post thread page"), ("minimal", "minimal Flask 'ok'")):
        f = figures[name]
        print(f"  {label:<24} {f['rps']:>9.1f} req/s   mean {f['latency_ms']:.1f} ms   "
              f"p99 {f['p99_ms']:.1f} ms")
    ratio = figures["thread"]["rps"] / figures["minimal"]["rps"]
    print(f"  ratio thread/minimal     {ratio:.3f}  (thread page is {1 / ratio:.1f}x slower)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
