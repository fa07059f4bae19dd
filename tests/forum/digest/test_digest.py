"""Digest composition, the message, one-click unsubscribe and the preview page."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask_login.utils import _create_identifier
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from forum import blocks, digest, posting, sign_ins
from forum.digest import compose
from forum.extensions import db
from forum.models import Block, Category, CategoryMute, Post, PostStatus, Thread, User, utcnow
from tests.support.factories import make_reply, make_thread, make_user
from tests.support.queries import QueryCounter

WEEK = timedelta(days=7)


def _backdate(thread_id: int, days: int = 8) -> None:
    """Move a thread and its opening post into an earlier period."""
    past = utcnow() - timedelta(days=days)
    thread = db.session.get(Thread, thread_id)
    thread.created_at = past
    for post in db.session.scalars(select(Post).where(Post.thread_id == thread_id)):
        post.created_at = past
        post.published_at = past
    db.session.commit()


def _set_status(post_id: int, status: str) -> None:
    post = db.session.get(Post, post_id)
    post.status = status
    post.published_at = None
    if post.is_opening and status == PostStatus.HELD.value:
        post.thread.is_visible = False
    db.session.commit()


def this_week() -> digest.Period:
    """The weekly period the posts just written fall into."""
    return digest.period_before("weekly", utcnow() + WEEK)


def build_world():
    """A reader, a friend, someone the reader blocked, and threads covering every rule."""
    reader = make_user("reader")
    friend = make_user("friend")
    hurtful = make_user("hurtful")
    other = make_user("other")
    blocks.block_member(reader, "hurtful")
    ids = {}

    t = make_thread(friend, "Day one of no contact", "I finally did it. **Proud** & scared.").thread
    make_reply(other, t.id, "So proud of you.")
    make_reply(hurtful, t.id, "BLOCKEDTEXT in a reply")
    ids["new"] = t.id

    ids["by_blocked"] = make_thread(hurtful, "Thread by the blocked member", "BLOCKEDTEXT opening").thread.id

    t = make_thread(friend, "An older thread", "Older words.").thread
    _backdate(t.id)
    make_reply(hurtful, t.id, "BLOCKEDTEXT only new activity")
    ids["only_blocked_activity"] = t.id

    t = make_thread(other, "Holding the line", "Week three.").thread
    _backdate(t.id)
    make_reply(other, t.id, "Still holding.")
    make_reply(hurtful, t.id, "BLOCKEDTEXT alongside")
    ids["old_with_reply"] = t.id

    t = make_thread(friend, "Muted category thread", "MUTEDTEXT", category="holidays-and-family-events").thread
    holidays = db.session.scalar(select(Category).where(Category.slug == "holidays-and-family-events"))
    db.session.add(CategoryMute(user_id=reader.id, category_id=holidays.id))
    db.session.commit()
    ids["muted"] = t.id

    t = make_thread(friend, "Hard memories", "CWBODYTEXT the details",
                    content_warning="mentions of physical abuse").thread
    ids["cw"] = t.id

    outcome = make_thread(friend, "Held thread", "HELDTEXT")
    _set_status(outcome.post.id, PostStatus.HELD.value)
    ids["held"] = outcome.thread.id

    t = make_thread(friend, "Quiet thread", "Quiet.").thread
    _backdate(t.id)
    _set_status(make_reply(other, t.id, "HELDREPLY").post.id, PostStatus.HELD.value)
    _set_status(make_reply(other, t.id, "REJECTEDTEXT").post.id, PostStatus.REJECTED.value)
    posting.delete_post(other, make_reply(other, t.id, "DELETEDREPLY").post.id)
    ids["only_hidden_replies"] = t.id

    outcome = make_thread(friend, "Deleted thread", "DELETEDTEXT")
    posting.delete_post(friend, outcome.post.id)
    ids["deleted"] = outcome.thread.id

    t = make_thread(friend, "Last month", "Old news.").thread
    _backdate(t.id, days=30)
    ids["no_activity"] = t.id

    ids["own"] = make_thread(reader, "My own thread", "Mine.").thread.id
    return reader, other, ids


HIDDEN_TEXTS = ["BLOCKEDTEXT", "MUTEDTEXT", "CWBODYTEXT", "HELDTEXT", "HELDREPLY", "REJECTEDTEXT",
                "DELETEDTEXT", "DELETEDREPLY", "hurtful", "@example.test"]


@pytest.mark.both_databases
def test_composition_keeps_only_published_unblocked_unmuted_activity(app):
    reader, other, ids = build_world()
    composed = digest.compose_digest(reader, this_week())

    assert [item.thread_id for item in composed.items] == [ids["new"], ids["cw"], ids["old_with_reply"]]
    first, cw, old = composed.items
    assert (first.is_new, first.new_replies) == (True, 1)  # the blocked member's reply doesn't count
    assert (cw.is_new, cw.new_replies) == (True, 0)
    assert (old.is_new, old.new_replies) == (False, 1)
    assert first.author == "friend" and first.category == "Healing and self-care"
    assert first.excerpt == "I finally did it. Proud & scared."
    assert first.url == f"http://forum.test/t/{ids['new']}"
    assert cw.excerpt is None and cw.content_warning == "mentions of physical abuse"

    text, html = digest.render_bodies(composed, "http://forum.test/unsubscribe/TOKEN")
    for body in (text, html):
        for hidden in HIDDEN_TEXTS:
            assert hidden not in body
        assert "Content warning: mentions of physical abuse" in body
        assert "Holding the line" in body and "Day one of no contact" in body
        assert "Muted category thread" not in body and "Held thread" not in body
        assert "http://forum.test/account/settings" in body
        assert "http://forum.test/unsubscribe/TOKEN" in body
        assert "set to weekly" in body
    assert "Proud &amp; scared." in html and "<strong>" not in html

    # Someone who blocked nobody sees the same threads with the other member's replies counted.
    others_view = digest.compose_digest(other, this_week())
    by_id = {item.thread_id: item for item in others_view.items}
    assert by_id[ids["new"]].new_replies == 1  # hurtful's reply; their own reply isn't news to them
    assert ids["by_blocked"] in by_id and ids["only_blocked_activity"] in by_id
    assert ids["muted"] in by_id


def test_nothing_new_is_an_empty_digest(app):
    reader = make_user()
    t = make_thread(make_user(), "Old").thread
    _backdate(t.id)
    composed = digest.compose_digest(reader, this_week())
    assert composed.is_empty and composed.thread_count == 0


def test_long_digests_are_capped_with_a_count_of_the_rest(app):
    author = make_user()
    for n in range(digest.MAX_ITEMS + 3):
        make_thread(author, f"Thread number {n}")
    composed = digest.compose_digest(make_user(), this_week())
    assert len(composed.items) == digest.MAX_ITEMS and composed.more == 3
    assert digest.subject_for(composed) == f"Your weekly No Contact Forum digest: {digest.MAX_ITEMS + 3} threads"
    text, html = digest.render_bodies(composed, "http://forum.test/unsubscribe/T")
    assert "…and 3 more threads" in text and "3 more threads" in html


def test_composing_a_batch_takes_the_same_number_of_queries_for_any_size(app):

    author, blocked = make_user(), make_user()
    for n in range(5):
        make_reply(blocked, make_thread(author, f"Thread {n}").thread.id)
    readers = [make_user() for _ in range(12)]
    for reader in readers[::2]:
        blocks.block_member(reader, blocked.username)
    activity = digest.PeriodActivity.load(this_week())
    recipients = [digest.Recipient(u.id, u.username, u.email) for u in readers]

    with QueryCounter(db.engine) as queries:
        small = digest.compose_batch(recipients[:2], activity, "http://forum.test")
        n_small = queries.count
        queries.reset()
        large = digest.compose_batch(recipients, activity, "http://forum.test")
        n_large = queries.count
    assert n_small == n_large == 2
    assert len(large) == 12 and all(len(d.items) == 5 for d in small.values())
    assert large[readers[0].id].items[0].new_replies == 0
    assert large[readers[1].id].items[0].new_replies == 1


@pytest.mark.parametrize(
    ("frequency", "now", "start", "end"),
    [
        ("daily", "2025-03-05T10:30:00", "2025-03-04T00:00:00", "2025-03-05T00:00:00"),
        ("daily", "2025-03-05T00:00:00", "2025-03-04T00:00:00", "2025-03-05T00:00:00"),
        ("weekly", "2025-03-05T10:30:00", "2025-02-24T00:00:00", "2025-03-03T00:00:00"),
        ("weekly", "2025-03-03T00:00:00", "2025-02-24T00:00:00", "2025-03-03T00:00:00"),
        ("weekly", "2025-03-09T23:59:59", "2025-02-24T00:00:00", "2025-03-03T00:00:00"),
        # An offset is converted to UTC first: 01:00+02:00 is still the previous UTC day.
        ("daily", "2025-03-05T01:00:00+02:00", "2025-03-03T00:00:00", "2025-03-04T00:00:00"),
    ],
)
def test_periods_are_previous_utc_day_and_previous_iso_week(frequency, now, start, end):
    period = digest.period_before(frequency, digest.parse_now(now))
    assert period.start == datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert period.end == datetime.fromisoformat(end).replace(tzinfo=UTC)


def test_period_wording():
    week = digest.period_before("weekly", digest.parse_now("2025-03-05T10:00"))
    assert week.describe() == "in the week of 24 February 2025 – 2 March 2025"
    assert digest.period_before("weekly", digest.parse_now("2025-03-12")).describe() == \
        "in the week of 3–9 March 2025"
    assert digest.period_before("daily", digest.parse_now("2025-03-05")).describe() == \
        "on Tuesday 4 March 2025"


@pytest.mark.both_databases
def test_message_is_multipart_with_unsubscribe_headers(app):
    reader = make_user()
    make_thread(make_user(), "A hard week")
    composed = digest.compose_digest(reader, this_week())
    message = digest.build_message(composed, reader.email)

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "Your weekly No Contact Forum digest: 1 thread"
    assert message["To"] == reader.email and message["From"] == "forum@localhost"
    assert abs(parsedate_to_datetime(message["Date"]) - utcnow()) < timedelta(minutes=1)
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@forum.test>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message["List-Unsubscribe"]
    assert link.startswith("<http://forum.test/unsubscribe/") and link.endswith(">")
    token = link[1:-1].rsplit("/", 1)[1]
    assert digest.read_unsubscribe_token(token).id == reader.id


# ---------------------------------------------------------------- unsubscribe


def _token_for(user: User) -> str:
    return digest.make_unsubscribe_token(user)


@pytest.mark.both_databases
def test_one_click_post_without_login_or_csrf_turns_the_digest_off(app, client):
    assert app.config.get("WTF_CSRF_ENABLED", True)  # the exemption is what lets this through
    member = make_user()
    response = client.post(f"/unsubscribe/{_token_for(member)}",
                           data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "no more digest emails" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, member.id).digest_frequency == "off"
    # Repeating it (mail clients retry) is harmless.
    assert client.post(f"/unsubscribe/{_token_for(member)}").status_code == 200


def test_get_shows_a_confirm_form_and_changes_nothing(app, client):
    member = make_user()
    token = _token_for(member)
    response = client.get(f"/unsubscribe/{token}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'action="/unsubscribe/{token}"' in page and 'method="post"' in page
    assert "Yes, stop digest emails" in page and member.username in page
    assert member.email not in page
    assert response.headers["Cache-Control"] == "no-store"
    db.session.expire_all()
    assert db.session.get(User, member.id).digest_frequency == "weekly"


def test_tampered_token_gets_a_clear_page_and_changes_nothing(app, client):
    member = make_user()
    token = _token_for(member)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for response in (client.get(f"/unsubscribe/{tampered}"), client.post(f"/unsubscribe/{tampered}"),
                     client.post("/unsubscribe/not-a-token")):
        assert response.status_code == 400
        assert "isn't valid" in response.get_data(as_text=True)
    # A token signed with another key is just as invalid.
    foreign = digest.make_unsubscribe_token(member, secret="some-other-key")
    assert client.post(f"/unsubscribe/{foreign}").status_code == 400
    db.session.expire_all()
    assert db.session.get(User, member.id).digest_frequency == "weekly"


def test_expired_token_gets_a_clear_page(app, client):
    member = make_user()

    class LongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - int((digest.UNSUBSCRIBE_MAX_AGE + timedelta(days=1)).total_seconds())

    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=digest.UNSUBSCRIBE_SALT, signer=LongAgo)
    token = old.dumps({"u": member.id})
    response = client.post(f"/unsubscribe/{token}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, member.id).digest_frequency == "weekly"


# ---------------------------------------------------------------- preview


def _sign_in(app, client, user: User) -> None:
    """Sign in by session: a server-side sign-in and the session naming it (with the
    identifier session protection checks)."""
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
        sign_ins.start(user, remember=False, user_agent=None)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_id"] = identifier


@pytest.mark.both_databases
def test_member_previews_their_next_digest_without_blocked_content(app, client):
    reader, _, _ = build_world()
    _sign_in(app, client, reader)
    response = client.get("/digest/preview")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your next digest" in page and "Day one of no contact" in page
    assert "Subject:" in page and "/digest/preview/email.html" in page
    for hidden in ("BLOCKEDTEXT", "Thread by the blocked member", "HELDTEXT", "Muted category thread"):
        assert hidden not in page

    frame = client.get("/digest/preview/email.html")
    assert frame.status_code == 200
    assert "style-src 'unsafe-inline'" in frame.headers["Content-Security-Policy"]
    assert "script-src" not in frame.headers["Content-Security-Policy"]
    assert "Day one of no contact" in frame.get_data(as_text=True)


def test_only_admins_preview_someone_elses_digest(app, client):
    reader, _, _ = build_world()
    nosy = make_user("nosy")
    _sign_in(app, client, nosy)
    assert client.get("/digest/preview?member=reader").status_code == 403
    assert client.get("/digest/preview/email.html?member=reader").status_code == 403

    admin = make_user("headadmin", role="admin")
    _sign_in(app, client, admin)
    response = client.get("/digest/preview?member=reader")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Next digest for reader" in page and "Holding the line" in page
    assert "BLOCKEDTEXT" not in page and reader.email not in page
    frame = client.get("/digest/preview/email.html?member=reader").get_data(as_text=True)
    assert "/unsubscribe/preview-only" in frame  # no working link for someone else
    assert client.get("/digest/preview?member=nobody-here").status_code == 404


def test_preview_needs_a_signed_in_member(app, client):
    response = client.get("/digest/preview")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_preview_says_when_the_digest_is_off(app, client):
    member = make_user()
    member.digest_frequency = "off"
    db.session.commit()
    _sign_in(app, client, member)
    page = client.get("/digest/preview").get_data(as_text=True)
    assert "Your digest emails are off" in page and "Nothing new yet" in page


def _reference_digest(user: User, period: digest.Period, limit: int) -> tuple[list, int]:
    """The rules written the slow, obvious way: every thread, every post, one member."""
    blocked = {b.blocked_id for b in db.session.scalars(select(Block).where(
        Block.blocker_id == user.id))}
    muted = {m.category_id for m in db.session.scalars(select(CategoryMute).where(
        CategoryMute.user_id == user.id))}
    hidden = blocked | {user.id}
    entries = []
    for thread in db.session.scalars(select(Thread)):
        opening = next(p for p in thread.posts if p.is_opening)
        if (thread.deleted_at or not thread.is_visible or opening.status != "published"
                or thread.category_id in muted or thread.author_id in blocked):
            continue
        fresh = [p for p in thread.posts if p.status == "published"
                 and period.start <= p.published_at < period.end and p.author_id not in hidden]
        replies = sum(1 for p in fresh if not p.is_opening)
        is_new = any(p.is_opening for p in fresh)
        if not (is_new or replies):
            continue
        latest = max(p.published_at for p in fresh)
        key = compose.rank_key(is_new, replies, latest, thread.id)
        entries.append((key, thread.id, is_new, replies))
    entries.sort()
    return [(tid, is_new, replies) for _, tid, is_new, replies in entries[:limit]], len(entries)


def test_fast_composition_matches_the_obvious_rules_for_everyone(app, monkeypatch):
    import random

    rng = random.Random(7)
    monkeypatch.setattr(compose, "MAX_ITEMS", 4)  # small, so the cut-off and "more" are exercised
    people = [make_user(f"person{n}") for n in range(10)]
    slugs = ["going-no-contact", "low-contact", "healing-and-self-care"]
    threads = []
    for n in range(14):
        thread = make_thread(rng.choice(people), f"Thread {n}", category=rng.choice(slugs)).thread
        if n % 4 == 0:
            _backdate(thread.id)
        threads.append(thread.id)
    for _ in range(30):
        make_reply(rng.choice(people), rng.choice(threads))
    for person in people:
        for other in rng.sample(people, 2):
            if other.id != person.id and rng.random() < 0.5:
                blocks.block_member(person, other.username)
        if rng.random() < 0.4:
            category = db.session.scalar(select(Category).where(Category.slug == rng.choice(slugs)))
            db.session.add(CategoryMute(user_id=person.id, category_id=category.id))
    db.session.commit()

    period = this_week()
    activity = digest.PeriodActivity.load(period)
    composed = digest.compose_batch([digest.Recipient(p.id, p.username, p.email) for p in people],
                                    activity, "http://forum.test")
    for person in people:
        expected, total = _reference_digest(person, period, 4)
        got = composed[person.id]
        assert [(i.thread_id, i.is_new, i.new_replies) for i in got.items] == expected, person.username
        assert got.thread_count == total, person.username
