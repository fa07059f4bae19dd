"""Moderation figures: the queue page's SQL query count with 10 and 500 open cases, and the time
to screen and store one reply through the full request path under gunicorn (p50/p95).

    .venv/bin/python bench/moderation_queue.py [--replies 60] [--model PATH] [--skip-gunicorn]

Part 1 fills a SQLite database with held, urgent and reported cases (screened by a small
keyword stand-in, so it needs no model) and counts the queries of GET /mod/ for a signed-in
moderator; the two counts must be equal (exit 1 otherwise).

Part 2 starts `gunicorn wsgi:app` (one worker) on a fresh migrated database with the real
moderation pipeline and MODERATION_MODEL (default instance/moderation/community.ckpt; built by
`make model`), then posts replies with `POST /api/v1/threads/ID/posts` and times each request
end to end: screening (rules + community model), storing the post, its verdict, a case when
held, and the audit entry. The first request (model loading) is reported separately. Without
a checkpoint the run still works but measures the fail-closed path (everything held).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


from forum import accounts, create_app, posting  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.models import User, ensure_default_categories  # noqa: E402
from moderation import Decision, RuleHit, Verdict  # noqa: E402
from tests.support.queries import get_counting_queries  # noqa: E402

PASSWORD = "bench password 123"
SIZES = (10, 500)
REPLIES = (
    "You're not alone in this. Sending strength.",
    "> she said I was a selfish ungrateful brat\n\nYou were a child. She was wrong about you.",
    "Gray rock helped me a lot at the wedding: short, boring answers, leave early.",
    "Has anyone found a therapist who understands estrangement? I'm in Leeds.",
    "Screw him. You owe that man nothing, and you did so well to leave.",
    "It took me four tries to stay NC. Every try taught me something.",
    "My dad used to say I was too sensitive. Reading this thread makes me feel less crazy.",
    "Honestly I think you should just forgive her, she's your mother.",
)


class KeywordPipeline:
    """Enough of moderation.Pipeline to fill the queue quickly (part 1 needs no model)."""

    def screen(self, items):
        verdicts = []
        for item in items:
            text = item.text.lower()
            if "want to die" in text:
                verdicts.append(Verdict(item.id, Decision.PUBLISH, "crisis", True,
                                        {"crisis": 0.9}, ("crisis",), (), "bench"))
            elif "went back again" in text:
                hit = RuleHit("nc.bench", "nc_shaming", "hold", "went back again", "bench rule")
                verdicts.append(Verdict(item.id, Decision.HOLD, "nc_shaming", False,
                                        {"nc_shaming": 0.9}, (hit.describe(),), (hit,), "bench"))
            else:
                verdicts.append(Verdict(item.id, Decision.PUBLISH, None, False, {}, (), (), "bench"))
        return verdicts


# ------------------------------------------------------------------ part 1: queue query count


def fill_queue(total: int, member_ids, thread_id: int, reporter_id, already: int) -> None:
    members = [db.session.get(User, member_id) for member_id in member_ids]
    reporter = db.session.get(User, reporter_id)
    for n in range(already, total):
        author = members[n % len(members)]
        kind = n % 3
        if kind == 0:
            posting.reply(author, thread_id, f"{n}: you went back again?", acknowledge_nudge=True)
        elif kind == 1:
            posting.reply(author, thread_id, f"{n}: some nights I want to die.")
        else:
            post = posting.reply(author, thread_id, f"{n}: families are complicated.").post
            posting.report_post(reporter, post.id, "please look at this")


def queue_query_counts() -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "INSTANCE_PATH": tmp, "SECRET_KEY": "bench-only",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False, "MODERATION_SCREENING": "pipeline",
            "MODERATION_PIPELINE": KeywordPipeline(),
        })
        with app.app_context():
            db.create_all()
            ensure_default_categories()
            db.session.commit()
            members = [accounts.create_user(f"bench_{n}", f"b{n}@bench.invalid", PASSWORD, verified=True)
                       for n in range(25)]
            member_ids = [member.id for member in members]
            reporter_id = accounts.create_user("reporter", "r@bench.invalid", PASSWORD, verified=True).id
            accounts.create_user("bench_mod", "m@bench.invalid", PASSWORD, role="moderator", verified=True)
            thread_id = posting.create_thread(members[0], "going-no-contact", "Bench thread",
                                              "Opening post.").thread.id
        client = app.test_client()
        client.post("/login", data={"username": "bench_mod", "password": PASSWORD})
        results = {}
        done = 0
        for size in SIZES:
            with app.app_context():
                fill_queue(size, member_ids, thread_id, reporter_id, done)
            done = size
            with app.app_context():
                engine = db.engine
            queries, seconds = get_counting_queries(client, engine, "/mod/")
            results[size] = queries
            print(f"queue page with {size:>3} open cases: {queries} SQL queries, "
                  f"rendered in {seconds * 1000:.0f} ms (50 cases per page)")
        same = len(set(results.values())) == 1
        print("query count constant:", "yes" if same else "NO (N+1 somewhere)")
        return same


# ------------------------------------------------------------------ part 2: screen + store latency


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port: int, method: str, path: str, body: dict | None = None,
             headers: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else {})
    finally:
        connection.close()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def reply_latency(replies: int, model: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "FORUM_DATABASE_URL": f"sqlite:///{tmp}/gunicorn.db",
            "FORUM_SECRET_KEY": "bench-only-secret",
            "FORUM_RATELIMIT_ENABLED": "0",
            "MODERATION_MODEL": str(model),
            "TOKENIZERS_PARALLELISM": "false",
        }
        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        for name, role in (("bench_writer", "member"), ("bench_author", "member")):
            subprocess.run([*flask, "users", "create", name, f"{name}@bench.invalid", "--role",
                            role, "--password-stdin"], cwd=ROOT, env=env, check=True,
                           input=PASSWORD, text=True, capture_output=True)
        port = _free_port()
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--threads", "1",
             "--timeout", "300", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            for _ in range(150):
                try:
                    _request(port, "GET", "/api/v1/categories")
                    break
                except OSError:
                    time.sleep(0.2)
            tokens = {}
            for name in ("bench_writer", "bench_author"):
                status, body = _request(port, "POST", "/api/v1/tokens",
                                        {"username": name, "password": PASSWORD})
                assert status == 201, (status, body)
                tokens[name] = {"Authorization": f"Bearer {body['token']}"}
            started = time.perf_counter()
            status, thread = _request(port, "POST", "/api/v1/threads", {
                "category": "going-no-contact", "title": "Three weeks in",
                "body": "Three weeks since I stopped answering. Evenings are the hardest.",
                "acknowledge_nudge": True}, tokens["bench_author"])
            first = time.perf_counter() - started
            assert status == 201, (status, thread)
            print(f"first post (loads the models): {first:.2f} s, status {thread['status']}")
            # A held thread is visible only to its author (fail-closed run): they reply then.
            writer = tokens["bench_writer" if thread["status"] == "published" else "bench_author"]
            timings: list[float] = []
            outcomes: dict[str, int] = {}
            for n in range(replies):
                body = REPLIES[n % len(REPLIES)]
                started = time.perf_counter()
                status, answer = _request(port, "POST", f"/api/v1/threads/{thread['id']}/posts",
                                          {"body": body, "acknowledge_nudge": True}, writer)
                timings.append(time.perf_counter() - started)
                key = answer.get("status") if status == 201 else f"HTTP {status}"
                outcomes[key] = outcomes.get(key, 0) + 1
            ms = [t * 1000 for t in timings]
            print(f"screen + store one reply via gunicorn ({replies} replies, 1 worker): "
                  f"p50 {statistics.median(ms):.0f} ms, p95 {_percentile(ms, 0.95):.0f} ms, "
                  f"max {max(ms):.0f} ms; outcomes {outcomes}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=60)
    parser.add_argument("--model", type=Path, default=Path(
        os.environ.get("MODERATION_MODEL", ROOT / "instance" / "moderation" / "community.ckpt")))
    parser.add_argument("--skip-gunicorn", action="store_true")
    args = parser.parse_args()
    constant = queue_query_counts()
    if not args.skip_gunicorn:
        if not args.model.is_file():
            print(f"note: no community model at {args.model} (run `make model`); measuring the "
                  "fail-closed path, where every post is held")
        reply_latency(args.replies, args.model.resolve())
    return 0 if constant else 1


if __name__ == "__main__":
    raise SystemExit(main())
