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
"""

import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

bind = os.environ.get("FORUM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("FORUM_WORKERS", "2"))
accesslog = "-"
preload_app = os.environ.get("FORUM_PRELOAD", "1").strip().lower() not in ("0", "false", "no", "off")


def when_ready(server):
    if preload_app:
        from forum.screening import load_now

        ready = load_now(server.app.wsgi())
        server.log.info("screening models loaded before forking: %s", ready)


def post_worker_init(worker):
    from forum.extensions import db
    from forum.screening import warm_in_background

    # Connections the master may have opened are not the worker's to use (SQLAlchemy's advice
    # for forked processes): keep the parent's sockets, start a fresh pool.
    with worker.wsgi.app_context():
        db.engine.dispose(close=False)
    warm_in_background(worker.wsgi)
