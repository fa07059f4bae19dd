"""gunicorn settings for `make run` (`gunicorn -c gunicorn.conf.py wsgi:app`).

Each worker loads the screening pipeline in the background as soon as it starts, so pages are
served at once and the first post in a new or restarted worker doesn't wait for the model
alone (issue: the first screened post per worker waited 10-13 s).

Rate limits must be counted in one place that every worker shares, or each worker grants the
whole budget again (two workers: twice the password guesses). When FORUM_RATELIMIT_STORAGE_URL
is not set and a Redis answers at FORUM_REDIS_PROBE (default 127.0.0.1:6379), the workers use
it; otherwise they say loudly that each counts alone.
"""

import os
import socket
import sys

bind = os.environ.get("FORUM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("FORUM_WORKERS", "2"))
accesslog = "-"


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


def on_starting(server):
    # In the master, before any worker is forked: the workers inherit the setting.
    choose_rate_limit_storage()


def post_worker_init(worker):
    from forum.screening import warm_in_background

    warm_in_background(worker.wsgi)
