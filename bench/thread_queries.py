"""SQL queries needed to render a thread page: with 10 posts and with 200 posts.

In a public category, so the anonymous reader sees the same thread; each is read twice: the
first view renders the post cards (and reads those posts whole), the second finds them kept.

The page paginates and eager-loads authors, so both numbers must be the same (no N+1).
Prints the counts for an anonymous reader and for a signed-in member; exits 1 if they differ.

    .venv/bin/python bench/thread_queries.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


from forum import accounts, create_app, posting
from forum.extensions import db
from forum.models import ensure_default_categories
from tests.support.queries import get_counting_queries

PASSWORD = "bench password 123"
SIZES = (10, 200)


def build(app) -> dict[int, int]:
    db.create_all()
    ensure_default_categories()
    db.session.commit()
    members = [
        accounts.create_user(f"bench_{n}", f"bench_{n}@bench.invalid", PASSWORD, verified=True) for n in range(5)
    ]
    accounts.create_user("reader", "reader@bench.invalid", PASSWORD, verified=True)
    threads = {}
    for size in SIZES:
        outcome = posting.create_thread(
            members[0], "healing-and-self-care", f"A thread with {size} posts", "Opening post."
        )
        for n in range(size - 1):
            posting.reply(members[1 + n % 4], outcome.thread.id, f"Reply number {n}.")
        threads[size] = outcome.thread.id
    return threads


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "INSTANCE_PATH": tmp,
            "SECRET_KEY": "bench-only",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "RATELIMIT_ENABLED": False,
            "MODERATION_SCREENING": "off",
            "WTF_CSRF_ENABLED": False,
        })
        with app.app_context():
            threads = build(app)
            per_page = app.config["POSTS_PER_PAGE"]
        # Each request gets its own application context, as under a real server.
        anonymous, member = app.test_client(), app.test_client()
        member.post("/login", data={"username": "reader", "password": PASSWORD})
        with app.app_context():
            engine = db.engine
        results = {}
        for label, client in (("anonymous", anonymous), ("signed-in member", member)):
            # First view (cards rendered and kept), then again (from the worker's caches).
            for view in ("first view", "cached"):
                counts = [get_counting_queries(client, engine, f"/t/{threads[size]}")[0]
                          for size in SIZES]
                results[f"{label}, {view}"] = counts
                print(
                    f"thread page ({label}, {view}): {counts[0]} queries with {SIZES[0]} posts, "
                    f"{counts[1]} queries with {SIZES[1]} posts ({per_page} per page)"
                )
        with app.app_context():
            db.engine.dispose()
    unequal = {label: c for label, c in results.items() if c[0] != c[1]}
    if unequal:
        print(f"FAIL: the query count grows with the number of posts: {unequal}")
        return 1
    print("OK: the same number of queries for both sizes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
