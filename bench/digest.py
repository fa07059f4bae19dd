"""Time and SQL query count to compose digests for 1,000 and 10,000 members.

Builds a temporary SQLite forum with bulk inserts (members, a busy week of threads and
replies, some held posts, blocks and muted categories), then composes every member's digest
the way `flask digest send` does: the period's activity once, then batches of members with
a constant number of queries each. Also times rendering the emails (text + HTML) and a full
ledger run with a transport that discards messages.

    .venv/bin/python bench/digest.py [--members 1000,10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forum import create_app, digest
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import (
    Block,
    Category,
    CategoryMute,
    DigestDelivery,
    Post,
    Thread,
    User,
    ensure_default_categories,
    utcnow,
)
from tests.support.queries import QueryCounter

THREADS = 400
REPLIES_PER_THREAD = (0, 12)
SAMPLE_BODY = (
    "Day {n}. My mother sent a birthday card through my aunt again. I didn't open it, and I "
    "feel guilty and relieved at the same time. **Is that normal?** I keep reminding myself "
    "that I made this choice to be safe, not to punish anyone."
)


class NullTransport:
    """Accepts every message without any network: isolates the ledger's own cost."""

    def __init__(self) -> None:
        self.sent = 0

    def open(self) -> None:
        pass

    def send(self, message) -> None:
        self.sent += 1

    def close(self) -> None:
        pass


def build_data(members: int, rng: random.Random) -> None:
    now = utcnow()
    week_start = digest.period_in_progress("weekly", now).start
    db.session.execute(insert(User), [
        {"id": i, "username": f"member{i}", "username_key": f"member{i}",
         "email": f"member{i}@example.test", "password_hash": "x", "role": "member",
         "digest_frequency": "weekly", "created_at": now - timedelta(days=60), "session_version": 1}
        for i in range(1, members + 1)
    ])
    category_ids = list(db.session.scalars(select(Category.id)))
    threads, posts = [], []
    body_html = render_markdown(SAMPLE_BODY.format(n=1))
    post_id = 0
    for t in range(1, THREADS + 1):
        author = rng.randint(1, members)
        # Most threads are new this week; some older ones get new replies.
        opened = week_start + timedelta(minutes=rng.randint(0, 60 * 24 * 3)) if t % 4 else \
            week_start - timedelta(days=rng.randint(1, 30))
        threads.append({
            "id": t, "category_id": rng.choice(category_ids), "author_id": author,
            "title": f"Thread {t}: holding the line", "created_at": opened, "last_activity_at": opened,
            "reply_count": 0, "is_visible": True,
            "content_warning": "mentions of physical abuse" if t % 9 == 0 else None,
        })
        post_id += 1
        posts.append({"id": post_id, "thread_id": t, "author_id": author, "is_opening": True,
                      "body_markdown": "x", "body_html": body_html, "status": "published",
                      "created_at": opened, "published_at": opened, "support_count": 0})
        for r in range(rng.randint(*REPLIES_PER_THREAD)):
            post_id += 1
            at = max(opened, week_start) + timedelta(minutes=10 * (r + 1))
            status = "held" if rng.random() < 0.05 else "published"
            posts.append({"id": post_id, "thread_id": t, "author_id": rng.randint(1, members),
                          "is_opening": False, "body_markdown": "x", "body_html": body_html,
                          "status": status, "created_at": at,
                          "published_at": at if status == "published" else None, "support_count": 0})
    db.session.execute(insert(Thread), threads)
    db.session.execute(insert(Post), posts)
    blocks = {(u, rng.randint(1, members)) for u in range(1, members + 1) if rng.random() < 0.3}
    db.session.execute(insert(Block), [{"blocker_id": a, "blocked_id": b, "created_at": now}
                                       for a, b in blocks if a != b])
    mutes = {(u, rng.choice(category_ids)) for u in range(1, members + 1) if rng.random() < 0.2}
    db.session.execute(insert(CategoryMute), [{"user_id": u, "category_id": c} for u, c in mutes])
    db.session.commit()


def compose_all(members: int, period: digest.Period) -> tuple[float, int, list[digest.Digest]]:
    recipients = [digest.Recipient(*row) for row in db.session.execute(
        select(User.id, User.username, User.email).where(User.id <= members).order_by(User.id))]
    db.session.expire_all()
    base_url = "http://127.0.0.1:8000"
    with QueryCounter(db.engine) as counter:
        started = time.perf_counter()
        activity = digest.PeriodActivity.load(period)
        composed: list[digest.Digest] = []
        for start in range(0, len(recipients), digest.BATCH_SIZE):
            # What send_due does per batch: one query for the members, then compose_batch.
            batch_ids = [r.id for r in recipients[start:start + digest.BATCH_SIZE]]
            batch = [digest.Recipient(*row) for row in db.session.execute(
                select(User.id, User.username, User.email).where(User.id.in_(batch_ids)))]
            composed.extend(digest.compose_batch(batch, activity, base_url).values())
        elapsed = time.perf_counter() - started
    return elapsed, counter.count, composed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", default="1000,10000")
    args = parser.parse_args()
    sizes = [int(n) for n in args.members.split(",")]
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench", "INSTANCE_PATH": tmp,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "MODERATION_SCREENING": "off",
        })
        with app.app_context():
            db.create_all()
            ensure_default_categories()
            db.session.commit()
            started = time.perf_counter()
            build_data(max(sizes), rng)
            posts = db.session.query(Post).count()
            print(f"data: {max(sizes):,} members, {THREADS} threads, {posts:,} posts "
                  f"(built in {time.perf_counter() - started:.1f}s, SQLite, batch size {digest.BATCH_SIZE})")
            week_start = digest.period_in_progress("weekly", utcnow()).start
            period = digest.Period("weekly", week_start, week_start + timedelta(days=7))
            for size in sizes:
                elapsed, queries, composed = compose_all(size, period)
                items = sum(len(d.items) for d in composed)
                empty = sum(d.is_empty for d in composed)
                print(f"compose {size:>6,} members: {elapsed:6.2f}s, {queries:3d} SQL queries "
                      f"({-(-size // digest.BATCH_SIZE)} batches; {items / size:.1f} threads each, "
                      f"{empty} with nothing new)")
                sample = composed[: min(len(composed), 1000)]
                started = time.perf_counter()
                for d in sample:
                    digest.build_message(d, "member@example.test", "<bench@example.test>")
                per = (time.perf_counter() - started) / len(sample)
                print(f"  render text+HTML email: {per * 1000:.2f} ms each "
                      f"(≈{per * size:.1f}s for {size:,})")
            # The whole ledger path once, SMTP replaced by a transport that discards messages.
            size = sizes[0]
            db.session.execute(db.update(User).where(User.id > size).values(digest_frequency="off"))
            db.session.commit()
            transport = NullTransport()
            with QueryCounter(db.engine) as counter:
                started = time.perf_counter()
                report = digest.send_due("weekly", period.end, transport)
                elapsed = time.perf_counter() - started
            rows = db.session.query(DigestDelivery).count()
            print(f"send_due {size:,} members, null transport: {elapsed:.2f}s, {counter.count} SQL "
                  f"queries ({report.sent} sent, {report.skipped} skipped, {rows} ledger rows; "
                  "one UPDATE per message sent, the rest per batch)")


if __name__ == "__main__":
    main()
