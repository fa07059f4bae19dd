"""Requests per second for the thread and listing pages under `gunicorn -w 2`, beside a bare
Flask endpoint answering "ok", measured in one run; prints every figure and the ratios.

    .venv/bin/python bench/thread_page_rps.py [--duration 10] [--connections 16] [--threads 2]

Builds a throwaway SQLite database (one 50-post thread in a public category, 40 other threads),
serves the forum (wsgi:app) and bench/minimal_app.py with the same gunicorn command (2 sync
workers, an empty config file: no access log on either), and measures with wrk:

* the bare endpoint, before and after the pages (the ratios use the mean of the two, since
  other work shares the machine);
* the thread page for an anonymous reader and for a signed-in member (a session cookie from
  signing in once through the real form, then sent by wrk on every request);
* the front page and a category page, for both readers.

Stops both servers by their process ids. Needs wrk (`apt-get install -y wrk`); without it,
says so and skips.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(PROJECT_ROOT))

POSTS = 50
OTHER_THREADS = 40
SECRET = "bench-secret-key-not-for-production"
CATEGORY = "healing-and-self-care"  # readable by everyone: the same thread for both readers
READER, READER_PASSWORD = "bench_reader", "quiet lantern harbour 42"
# One browser: the session is tied to its address and User-Agent (Flask-Login's "basic"
# protection marks a session from another browser as not fresh, which rewrites the cookie).
USER_AGENT = "forum-bench/1"


def build_database(workdir: Path) -> tuple[str, str]:
    """A fresh SQLite forum; returns (database url, the 50-post thread's path)."""
    from forum import accounts, create_app, posting
    from forum.extensions import db
    from forum.models import ensure_default_categories
    from forum.models.defaults import DEFAULT_CATEGORIES

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
            accounts.create_user(f"bench_member_{n}", f"member{n}@bench.test", "bench password",
                                 verified=True)
            for n in range(8)
        ]
        reader = accounts.create_user(READER, "reader@bench.test", READER_PASSWORD, verified=True)
        slugs = [slug for slug, _name, _description in DEFAULT_CATEGORIES]
        for n in range(OTHER_THREADS):
            other = posting.create_thread(
                members[n % len(members)], slugs[n % len(slugs)], f"Another conversation {n}",
                "Some days are easier than others. Writing it down helps.",
            )
            posting.reply(members[(n + 1) % len(members)], other.thread.id, "Thank you for this.")
        outcome = posting.create_thread(
            members[0], CATEGORY, "Thirty days of No Contact",
            "Today is day thirty. Some mornings are heavy, but **I kept my boundary**.",
            content_warning="mentions of family conflict",
        )
        post_ids = [outcome.post.id]
        for n in range(1, POSTS):
            post_ids.append(posting.reply(
                members[n % len(members)], outcome.thread.id,
                f"Reply number {n}: you're not alone in this. *Proud of you* for holding on.",
            ).post.id)
        for post_id in post_ids[1:POSTS:7]:  # the member's page shows some "Supported" buttons
            posting.toggle_support(reader, post_id)
        db.session.commit()
        thread_id = outcome.thread.id
        db.engine.dispose()
    return url, f"/t/{thread_id}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], log: Path, empty_config: Path,
             pythonpath: Path | None = None):
    """Serve app_spec with 2 sync workers on a free port; yields the base URL; stops it by pid.

    Both servers get the same command; the empty config keeps the project's gunicorn.conf.py
    (access log, model preloading) out of the comparison.
    """
    port = free_port()
    command = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(empty_config),
               "-w", "2", "-b", f"127.0.0.1:{port}", "--error-logfile", str(log)]
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
        if server.poll() is None:
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


def fetch(url: str, cookie: str | None = None) -> tuple[int, str]:
    headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def sign_in(base: str) -> str:
    """Sign the reader in through the real form; returns the Cookie header a browser would send
    afterwards (after one page view, which shows the welcome message and settles the session)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", USER_AGENT)]
    form = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form) or re.search(
        r'name="csrf_token" value="([^"]+)"', form)
    if token is None:
        raise SystemExit("no CSRF token on the sign-in page")
    body = urllib.parse.urlencode({"csrf_token": token.group(1), "username": READER,
                                   "password": READER_PASSWORD}).encode()
    page = opener.open(base + "/login", data=body, timeout=10).read().decode()  # follows to /
    if f"({READER})" not in page:
        raise SystemExit("signing in did not work")
    opener.open(base + "/", timeout=10).read()
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in jar)


def run_wrk(url: str, threads: int, connections: int, duration: int,
            cookie: str | None = None) -> dict[str, float]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
               "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run([*command, url], capture_output=True, text=True, check=True)
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


def check_pages(forum: str, path: str, cookie: str) -> None:
    """Each measured page must be the real thing: all 50 posts, the right reader."""
    for who, sent in (("anonymous", None), ("member", cookie)):
        status, page = fetch(forum + path, sent)
        shown = len(re.findall(r"Reply number \d+:", page))
        signed_in = f"({READER})" in page
        if status != 200 or shown != POSTS - 1 or signed_in != (who == "member"):
            raise SystemExit(f"thread page for {who} not as expected: HTTP {status}, "
                             f"{shown} replies, signed in: {signed_in}")
        if who == "member":  # the cookie wrk sends is the one a browser would keep
            request = urllib.request.Request(
                forum + path, headers={"User-Agent": USER_AGENT, "Cookie": cookie})
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.headers.get("Set-Cookie"):
                    raise SystemExit("the member's session cookie changes on every request")
        print(f"thread page {path} ({who}): {POSTS} posts, {len(page.encode()):,} bytes")
    for listing in ("/", f"/c/{CATEGORY}"):
        for sent in (None, cookie):
            status, page = fetch(forum + listing, sent)
            if status != 200 or "Thirty days of No Contact" not in page:
                raise SystemExit(f"listing {listing} not as expected: HTTP {status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        print("SKIPPED thread_page_rps: wrk is not installed (apt-get install -y wrk)")
        return 0

    def measure(url: str, cookie: str | None = None) -> dict[str, float]:
        return run_wrk(url, args.threads, args.connections, args.duration, cookie)

    with tempfile.TemporaryDirectory(prefix="forum-bench-") as tmp:
        workdir = Path(tmp)
        database_url, path = build_database(workdir)
        empty_config = workdir / "gunicorn.empty.conf.py"
        empty_config.write_text("")
        env = {
            **os.environ,
            "FORUM_DATABASE_URL": database_url,
            "FORUM_SECRET_KEY": SECRET,
            "FORUM_RATELIMIT_ENABLED": "0",
            "FORUM_MODERATION_SCREENING": "off",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        }
        with gunicorn("wsgi:app", env, workdir / "forum.log", empty_config) as forum, \
                gunicorn("minimal_app:app", env, workdir / "minimal.log", empty_config,
                         BENCH_DIR) as minimal:
            cookie = sign_in(forum)
            check_pages(forum, path, cookie)
            pages = {
                "thread, anonymous": (forum + path, None),
                "thread, member": (forum + path, cookie),
                "front page, anonymous": (forum + "/", None),
                "front page, member": (forum + "/", cookie),
                "category, anonymous": (forum + f"/c/{CATEGORY}", None),
                "category, member": (forum + f"/c/{CATEGORY}", cookie),
            }
            for url, sent in [(minimal + "/", None), *pages.values()]:  # warm up
                run_wrk(url, args.threads, args.connections, 2, sent)
            figures = {"bare 'ok' (before)": measure(minimal + "/")}
            for label, (url, sent) in pages.items():
                figures[label] = measure(url, sent)
            figures["bare 'ok' (after)"] = measure(minimal + "/")

    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"gunicorn -w 2 (sync), wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
          f"{os.cpu_count()} CPUs, load average {load}")
    bare = (figures["bare 'ok' (before)"]["rps"] + figures["bare 'ok' (after)"]["rps"]) / 2
    for label, f in figures.items():
        ratio = "" if label.startswith("bare") else f"   ratio {f['rps'] / bare:.3f}"
        print(f"  {label:<24} {f['rps']:>8.1f} req/s   mean {f['latency_ms']:6.1f} ms   "
              f"p99 {f['p99_ms']:6.1f} ms{ratio}")
    print(f"  (ratios: page req/s over the mean of the two bare runs, {bare:.1f} req/s; "
          f"target for the thread page >= 0.25)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
