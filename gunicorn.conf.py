"""gunicorn settings for `make run` (`gunicorn -c gunicorn.conf.py wsgi:app`).

Each worker loads the screening pipeline in the background as soon as it starts, so pages are
served at once and the first post in a new or restarted worker doesn't wait for the model
alone (issue: the first screened post per worker waited 10-13 s).
"""

import os

bind = os.environ.get("FORUM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("FORUM_WORKERS", "2"))
accesslog = "-"


def post_worker_init(worker):
    from forum.screening import warm_in_background

    warm_in_background(worker.wsgi)
