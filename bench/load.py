"""Screened posting under load, with worker kills, then a check that nothing was lost or doubled.

    .venv/bin/python bench/load.py [--clients 50] [--seconds 60] [--kills 3]
                                   [--database sqlite|postgresql] [--workers 2]

Builds a throwaway forum (SQLite file, or a private schema in PostgreSQL at
FORUM_TEST_POSTGRES_URL), serves it with gunicorn (gunicorn.conf.py, the real screening pipeline
with the community model `make model` built), and runs N clients that each hold an API token and
post replies for T seconds: a mix of supportive replies, harmful replies sent with
`acknowledge_nudge` (held for review) and crisis posts (escalated). `--kills K` sends SIGKILL to
a worker K times, evenly spaced. Afterwards it reads the database and checks:

* every 201 answer is stored, once, with the status the answer gave;
* every held post has an open case; every escalated post has an urgent-lane case;
* every thread's reply_count equals its published replies (no lost counter update);
* posts stored without a 201 (a worker killed after its commit) are at most the failed requests.

Prints throughput and p50/p95/p99 latency of the 201 answers; exits non-zero when a check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tests.support.gunicorn import start_gunicorn, stop_gunicorn, worker_pids  # noqa: E402

SECRET = "bench-secret-key-not-for-production"
PASSWORD = "bench password 1234"
THREADS = 5
SUPPORTIVE = [
    "You did the right thing protecting yourself. Day one again is still progress.",
    "Sending you a hug. Your mother's guilt trip is about her, not you.",
    "Same here, 40 days in. It gets quieter, I promise.",
    "He doesn't get to rewrite what happened. You were there, you know.",
]
HARMFUL = [
    "You went back AGAIN? Honestly, no sympathy at this point.",
    "Maybe if you'd been a better daughter she wouldn't have yelled so much.",
    "She's your only mother, you'll regret this when she's gone.",
    "You're the one being cruel here, giving her the silent treatment.",
]
CRISIS = [
    "I can't do this anymore. I've been saving my pills and tonight feels like the night.",
    "Everyone would be better off without me. I've written letters to my kids.",
]
TAGS = ["", " #nc", " (day 12)", " edit: typo", " 💜", " lol"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(kind: str, workdir: Path) -> tuple[str, callable]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'load.db'}", lambda: None
    import sqlalchemy

    base = os.environ.get("FORUM_TEST_POSTGRES_URL",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"load_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


def build_forum(url: str, workdir: Path, clients: int) -> list[int]:
    """Members bench_0..N-1 and THREADS threads; returns the thread ids."""
    from forum import accounts, create_app, posting
    from forum.extensions import db
    from forum.models import ensure_default_categories

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                      "INSTANCE_PATH": str(workdir / "instance"),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "MODERATION_SCREENING": "off", "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        ensure_default_categories()
        db.session.commit()
        members = [accounts.create_user(f"bench_{n}", f"bench{n}@load.test", PASSWORD, verified=True)
                   for n in range(clients)]
        threads = [posting.create_thread(members[n % clients], "going-no-contact",
                                         f"Check-in thread {n}", "How is everyone doing today?")
                   for n in range(THREADS)]
        ids = [outcome.thread.id for outcome in threads]
        db.session.remove()
        db.engine.dispose()
    return ids


class Client(threading.Thread):
    def __init__(self, port: int, name: str, threads: list[int], stop_at: float, seed: int):
        super().__init__(daemon=True)
        self.port, self.name_, self.threads, self.stop_at = port, name, threads, stop_at
        self.rng = random.Random(seed)
        self.created: list[dict] = []  # {"post_id", "status", "escalate", "thread", "latency"}
        self.failures = 0
        self.other: dict[int, int] = {}
        self.token = None

    def _request(self, method: str, path: str, body: dict, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=json.dumps(body),
                               headers={"Content-Type": "application/json", **(headers or {})})
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            connection.close()

    def run(self) -> None:
        status, answer = self._request("POST", "/api/v1/tokens",
                                       {"username": self.name_, "password": PASSWORD})
        if status != 201:
            self.failures += 1
            return
        auth = {"Authorization": f"Bearer {answer['token']}"}
        while time.monotonic() < self.stop_at:
            kind = self.rng.choices(["supportive", "harmful", "crisis"], [6, 3, 1])[0]
            pool = {"supportive": SUPPORTIVE, "harmful": HARMFUL, "crisis": CRISIS}[kind]
            body = {"body": self.rng.choice(pool) + self.rng.choice(TAGS),
                    "acknowledge_nudge": kind == "harmful"}
            thread = self.rng.choice(self.threads)
            started = time.perf_counter()
            try:
                status, answer = self._request("POST", f"/api/v1/threads/{thread}/posts", body, auth)
            except (OSError, http.client.HTTPException, json.JSONDecodeError):
                self.failures += 1
                continue
            latency = time.perf_counter() - started
            if status == 201:
                self.created.append({"post_id": answer["post_id"], "status": answer["status"],
                                     "escalate": answer["escalate"], "thread": thread,
                                     "latency": latency})
            else:
                self.other[status] = self.other.get(status, 0) + 1


def check(url: str, workdir: Path, created: list[dict], failures: int) -> list[str]:
    from sqlalchemy import func, select

    from forum import create_app
    from forum.extensions import db
    from forum.models import ModerationCase, Post, PostStatus, Thread

    problems: list[str] = []
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                      "INSTANCE_PATH": str(workdir / "instance")})
    with app.app_context():
        ids = [c["post_id"] for c in created]
        if len(set(ids)) != len(ids):
            problems.append(f"{len(ids) - len(set(ids))} post ids answered twice")
        stored = {post.id: post for post in db.session.scalars(select(Post))}
        replies = [p for p in stored.values() if not p.is_opening]
        for c in created:
            post = stored.get(c["post_id"])
            if post is None:
                problems.append(f"post {c['post_id']} answered 201 but is not stored")
            elif post.status != c["status"]:
                problems.append(f"post {post.id}: answered {c['status']}, stored {post.status}")
        unanswered = len(replies) - len(created)
        if unanswered > failures:
            problems.append(f"{unanswered} replies stored without a 201, only {failures} failed")
        cases = {}
        for case in db.session.scalars(select(ModerationCase)):
            cases.setdefault(case.post_id, []).append(case)
        for c in created:
            lanes = {case.lane for case in cases.get(c["post_id"], [])}
            if c["status"] == PostStatus.HELD.value and not any(
                    case.is_open for case in cases.get(c["post_id"], [])):
                problems.append(f"held post {c['post_id']} has no open case")
            if c["escalate"] and "urgent" not in lanes:
                problems.append(f"escalated post {c['post_id']} is not in the urgent lane")
        for thread in db.session.scalars(select(Thread)):
            published = db.session.scalar(
                select(func.count()).select_from(Post).where(
                    Post.thread_id == thread.id, Post.is_opening.is_(False),
                    Post.status == PostStatus.PUBLISHED.value))
            if thread.reply_count != published:
                problems.append(f"thread {thread.id}: reply_count {thread.reply_count}, "
                                f"{published} published replies "
                                f"({published - thread.reply_count} lost updates)")
        db.session.remove()
        db.engine.dispose()
    return problems


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


@dataclass
class LoadRun:
    """What one load run measured (bench/posting_throughput.py prints several side by side)."""

    database: str
    clients: int
    workers: int
    kills: int
    elapsed: float
    created: list[dict]
    failures: int
    other: dict[int, int]
    problems: list[str]
    reference: float = 0.0  # texts/s of the model alone around this run (posting_throughput.py)

    @property
    def throughput(self) -> float:
        return len(self.created) / self.elapsed

    @property
    def screened(self) -> float:
        """Screened answers per second: stored replies (201) and nudges (422, not stored)."""
        return (len(self.created) + self.other.get(422, 0)) / self.elapsed

    def latency_ms(self, q: int) -> float:
        return percentile(sorted(c["latency"] for c in self.created), q) * 1000


def run_load(database: str, clients: int, seconds: float, *, workers: int = 2, kills: int = 0,
             env: dict[str, str] | None = None, root: Path = PROJECT_ROOT,
             model: str | None = None) -> LoadRun:
    """Serve a throwaway forum with gunicorn (from ``root``, with ``env`` added), post from
    ``clients`` clients for ``seconds``, then check the database (see the module's doc)."""
    workdir = Path(tempfile.mkdtemp(prefix="forum-load-"))
    url, drop = database_url(database, workdir)
    try:
        threads = build_forum(url, workdir, clients)
        if database == "sqlite" and root != PROJECT_ROOT:
            # Another copy of the project (a "before" tree) gets SQLite's default journal,
            # as its own code would have left it.
            import sqlite3

            with sqlite3.connect(workdir / "load.db") as connection:
                connection.execute("PRAGMA journal_mode=DELETE")
        port = free_port()
        server_env = {**os.environ, "FORUM_DATABASE_URL": url, "FORUM_SECRET_KEY": SECRET,
                      "FORUM_RATELIMIT_ENABLED": "0", "MODERATION_MODEL": model or default_model(),
                      "MODERATION_TOXICITY_MODEL": "none", "FORUM_BIND": f"127.0.0.1:{port}",
                      "FORUM_WORKERS": str(workers), "HF_HUB_OFFLINE": "1",
                      "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(root), **(env or {})}
        server = start_gunicorn(server_env, workdir / "gunicorn.log", "--access-logfile",
                                "/dev/null", root=root)
        try:
            warm = Client(port, "bench_0", threads, time.monotonic() + 0.1, 0)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:  # the server is up and one post was screened
                try:
                    status, _ = warm._request("GET", "/api/v1/categories", {})
                    if status == 200:
                        break
                except OSError:
                    time.sleep(0.5)
            time.sleep(15)  # the workers warm their models in the background
            stop_at = time.monotonic() + seconds
            posters = [Client(port, f"bench_{n}", threads, stop_at, n) for n in range(clients)]
            started = time.monotonic()
            for client in posters:
                client.start()
            killed = 0
            for _ in range(kills):
                time.sleep(seconds / (kills + 1))
                pids = worker_pids(server.pid)
                if pids:
                    os.kill(random.choice(pids), signal.SIGKILL)
                    killed += 1
            for client in posters:
                client.join()
            elapsed = time.monotonic() - started
        finally:
            stop_gunicorn(server)
        created = [c for client in posters for c in client.created]
        failures = sum(client.failures for client in posters)
        other: dict[int, int] = {}
        for client in posters:
            for status, count in client.other.items():
                other[status] = other.get(status, 0) + count
        problems = check(url, workdir, created, failures)
    finally:
        drop()
    return LoadRun(database, clients, workers, killed, elapsed, created, failures, other,
                   problems)


def default_model() -> str:
    return os.environ.get("MODERATION_MODEL") or str(
        PROJECT_ROOT / "instance" / "moderation" / "community.ckpt")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--kills", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()

    if not Path(default_model()).is_file():
        print(f"no community model at {default_model()}: run `make model` first")
        return 2
    run = run_load(args.database, args.clients, args.seconds, workers=args.workers,
                   kills=args.kills)
    created = run.created
    by_status = {s: sum(1 for c in created if c["status"] == s) for s in ("published", "held")}
    print(f"{args.database}, {args.clients} clients, {args.seconds:.0f} s, {args.workers} workers,"
          f" {run.kills} worker kills")
    print(f"  201 answers: {len(created)} ({by_status['published']} published, "
          f"{by_status['held']} held, {sum(c['escalate'] for c in created)} escalated); "
          f"failed requests: {run.failures}; other answers: {run.other or 'none'}")
    print(f"  throughput {run.throughput:.1f} replies/s; latency p50 {run.latency_ms(50):.0f} ms,"
          f" p95 {run.latency_ms(95):.0f} ms, p99 {run.latency_ms(99):.0f} ms")
    if run.problems:
        print(f"  CHECKS FAILED ({len(run.problems)}):")
        for problem in run.problems[:30]:
            print(f"    {problem}")
        return 1
    print("  checks: every 201 stored once with its status; held posts in cases; escalated "
          "posts in the urgent lane; reply counts equal published replies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
