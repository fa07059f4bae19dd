"""gunicorn settings for `make run` (`gunicorn -c gunicorn.conf.py wsgi:app`).

One copy of the model weights: with ``FORUM_PRELOAD`` on (the default) the master imports the
app and loads the screening models before it forks the workers, so every worker shares those
pages (copy-on-write; inference only reads them) instead of holding its own ~600 MiB copy;
``bench/memory.py`` measures it. torch runs one intra-op thread per process (set before the
load, so no thread pool exists at the fork), and Hugging Face tokenizers run without their
thread pool for the same reason.

Each worker then warms its pipeline in the background as it starts: with preloading that finds
the models already loaded; without it (or when the model was missing at start, e.g. still
being built) the worker loads its own copy while it already serves pages, and the first post
waits on that same load instead of starting another.

Rate limits must be counted in one place that every worker shares, or each worker grants the
whole budget again (two workers: twice the password guesses). When FORUM_RATELIMIT_STORAGE_URL
is not set and a Redis answers at FORUM_REDIS_PROBE (default 127.0.0.1:6379), the app uses it;
otherwise gunicorn says loudly that each worker counts alone. This is decided as gunicorn reads
this file, before the app is loaded (in the master when preloading, else in each worker).
"""

import os
import socket
import sys

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

bind = os.environ.get("FORUM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("FORUM_WORKERS", "2"))


def default_threads(environ=os.environ) -> int:
    """Threads per worker when FORUM_THREADS is not set: 16 on PostgreSQL, 4 on SQLite, which
    lets one writer in at a time (more threads there only queue on its lock)."""
    url = environ.get("FORUM_DATABASE_URL") or "sqlite"
    return 4 if url.startswith("sqlite") else 16


# Threads per worker (gunicorn's gthread worker when more than one): posts that arrive together
# in a worker are screened in one batch (forum/screening.py, moderation/batching.py), and one
# request's database round trips overlap another's model time. bench/posting_throughput.py
# measures it.
threads = int(os.environ.get("FORUM_THREADS") or default_threads())
accesslog = "-"
preload_app = os.environ.get("FORUM_PRELOAD", "1").strip().lower() not in ("0", "false", "no", "off")


def when_ready(server):
    if preload_app:
        from forum.screening import load_now

        ready = load_now(server.app.wsgi())
        server.log.info("screening models loaded before forking: %s", ready)


def _redis_answers(address: str) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except (OSError, ValueError):
        return False


def choose_rate_limit_storage(environ=os.environ) -> str:
    """Set FORUM_RATELIMIT_STORAGE_URL for the workers (before they start); return it."""
    configured = environ.get("FORUM_RATELIMIT_STORAGE_URL")
    if configured:
        return configured
    probe = environ.get("FORUM_REDIS_PROBE", "127.0.0.1:6379")
    if _redis_answers(probe):
        environ["FORUM_RATELIMIT_STORAGE_URL"] = f"redis://{probe}/0"
        return environ["FORUM_RATELIMIT_STORAGE_URL"]
    print(f"WARNING: no Redis at {probe} and FORUM_RATELIMIT_STORAGE_URL is not set: each of "
          f"the {workers} workers counts rate limits on its own.", file=sys.stderr)
    return "memory://"


if "gunicorn" in sys.argv[0]:  # only when gunicorn runs this file, not when a test reads it
    choose_rate_limit_storage()


def post_worker_init(worker):
    from forum.extensions import db
    from forum.screening import warm_in_background

    # Connections the master may have opened are not the worker's to use (SQLAlchemy's advice
    # for forked processes): keep the parent's sockets, start a fresh pool.
    with worker.wsgi.app_context():
        db.engine.dispose(close=False)
    warm_in_background(worker.wsgi)
