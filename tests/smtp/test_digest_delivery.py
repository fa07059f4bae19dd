"""`flask digest send` end to end: a real SMTP server (aiosmtpd) and both databases."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum import blocks, digest
from forum.extensions import db
from forum.mailer import SmtpTransport
from forum.models import DigestDelivery, Post, Thread, User, utcnow
from tests.smtp.server import Inbox, free_port, smtp_server
from tests.support.factories import make_reply, make_thread, make_user
from tests.support.web import login

pytestmark = pytest.mark.smtp

def weekly_now() -> str:
    """A --now in next week, so the week being written now is 'the previous ISO week'."""
    return (utcnow() + timedelta(days=7)).isoformat()


def daily_now() -> str:
    return (utcnow() + timedelta(days=1)).isoformat()


def members(n: int) -> list[User]:
    return [make_user() for _ in range(n)]


def with_activity(author: User | None = None) -> int:
    author = author or make_user("author0")
    thread = make_thread(author, "Tonight is hard", "Anyone else awake?").thread
    return thread.id


def ledger() -> dict[int, str]:
    db.session.expire_all()
    rows = db.session.execute(select(DigestDelivery.user_id, DigestDelivery.status)).all()
    return dict(rows)


def send(runner, *args: str):
    return runner.invoke(args=["digest", "send", *args])


def recipients(inbox: Inbox) -> list[str]:
    return sorted(inbox.recipients())


def weekly_digest_of(username: str, runner, inbox: Inbox):
    """Send the weekly digests with some activity; the one email `username` received."""
    reader = make_user(username)
    with_activity()
    assert send(runner, "--frequency", "weekly", "--now", weekly_now()).exit_code == 0
    (message,) = [m for m in inbox.messages if m["To"] == reader.email]
    return reader, message


@pytest.mark.both_databases
def test_sends_once_per_member_and_a_rerun_sends_nothing(app, runner, inbox):
    author = make_user("author0")
    readers = members(4)
    with_activity(author)
    result = send(runner, "--frequency", "weekly", "--now", weekly_now())
    assert result.exit_code == 0, result.output
    # Every reader gets one; the author's own thread isn't news to them: nothing, no email.
    assert recipients(inbox) == sorted(u.email for u in readers)
    assert "weekly digest: 5/5 members done — 4 sent, 1 with nothing new, 0 failed" in result.output
    assert set(ledger().values()) == {"sent", "skipped"} and ledger()[author.id] == "skipped"

    again = send(runner, "--frequency", "weekly", "--now", weekly_now())
    assert again.exit_code == 0, again.output
    assert "0/0 members done" in again.output
    assert len(inbox.messages) == 4


@pytest.mark.both_databases
def test_message_headers_and_one_click_unsubscribe_from_the_real_email(app, runner, inbox, client):
    reader, message = weekly_digest_of("reader", runner, inbox)

    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Tonight is hard" in plain and "Tonight is hard" in html
    assert message["From"] == "digest@forum.test"
    assert message["Subject"] == "Your weekly No Contact Forum digest: 1 thread"
    assert message["Date"] and message["Message-ID"].endswith("@forum.test>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    db.session.expire_all()
    stored = db.session.scalar(select(DigestDelivery.message_id).where(DigestDelivery.user_id == reader.id))
    assert stored == message["Message-ID"]

    link = message["List-Unsubscribe"].strip().removeprefix("<").removesuffix(">")
    assert link.startswith("http://forum.test/unsubscribe/")
    path = link.removeprefix("http://forum.test")
    # What a mail client does on "unsubscribe": a bare POST, no cookies, no CSRF token.
    response = client.post(path, data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert 200 <= response.status_code < 300
    db.session.expire_all()
    assert db.session.get(User, reader.id).digest_frequency == "off"


@pytest.mark.both_databases
def test_off_suspended_and_other_frequency_members_get_nothing(app, runner, inbox):
    weekly, daily, off, suspended = members(4)
    daily.digest_frequency = "daily"
    off.digest_frequency = "off"
    suspended.suspended_at = utcnow()
    db.session.commit()
    with_activity()

    assert send(runner, "--frequency", "weekly", "--now", weekly_now()).exit_code == 0
    assert weekly.email in recipients(inbox)
    assert not {daily.email, off.email, suspended.email} & set(recipients(inbox))
    assert off.id not in ledger() and suspended.id not in ledger()

    result = send(runner, "--frequency", "daily", "--now", daily_now())
    assert result.exit_code == 0, result.output
    assert recipients(inbox).count(daily.email) == 1
    assert off.email not in recipients(inbox)


def test_without_frequency_both_daily_and_weekly_go_out(app, runner, inbox):
    weekly, daily = members(2)
    daily.digest_frequency = "daily"
    db.session.commit()
    with_activity()
    result = send(runner, "--now", weekly_now())
    assert result.exit_code == 0, result.output
    assert "daily digest" in result.output and "weekly digest" in result.output
    assert weekly.email in recipients(inbox)


@pytest.mark.both_databases
def test_a_failure_midway_resumes_with_only_the_rest(app, runner, inbox):
    inbox.refuse_on = {3}  # the server refuses the third message for good (550)
    readers = members(6)
    with_activity()
    first = send(runner, "--frequency", "weekly", "--now", weekly_now())
    assert first.exit_code != 0
    assert "could not be sent" in first.output and "550" in first.output
    assert len(inbox.messages) == 5
    statuses = ledger()
    assert sorted(statuses.values()).count("failed") == 1

    second = send(runner, "--frequency", "weekly", "--now", weekly_now())
    assert second.exit_code == 0, second.output
    assert recipients(inbox) == sorted(u.email for u in readers)  # each exactly once
    assert {s for uid, s in ledger().items() if uid in {u.id for u in readers}} == {"sent"}


@pytest.mark.both_databases
def test_a_run_killed_midway_is_resumed_by_the_next(app, runner, inbox):
    """Rows a dead sender left 'sending' are retried once abandoned, never while fresh."""
    dead, busy, waiting = members(3)
    with_activity()
    period = digest.period_before("weekly", digest.parse_now(weekly_now()))
    for user, status, claimed in ((dead, "sending", utcnow() - timedelta(minutes=20)),
                                  (busy, "sending", utcnow() - timedelta(minutes=1)),
                                  (waiting, "pending", None)):
        db.session.add(DigestDelivery(user_id=user.id, frequency="weekly", period_start=period.start,
                                      period_end=period.end, status=status, attempts=1 if claimed else 0,
                                      claimed_at=claimed))
    db.session.commit()
    result = send(runner, "--frequency", "weekly", "--now", weekly_now())
    assert result.exit_code == 0, result.output
    assert dead.email in recipients(inbox) and waiting.email in recipients(inbox)
    assert busy.email not in recipients(inbox)  # another sender may be on it right now
    assert ledger()[busy.id] == "sending"


@pytest.mark.both_databases
def test_smtp_outage_exits_non_zero_records_nothing_as_sent_and_next_run_sends(app, runner, inbox):
    readers = members(3)
    with_activity()
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    result = send(runner, "--frequency", "weekly", "--now", weekly_now())
    assert result.exit_code != 0
    assert "could not connect to the mail server" in result.output
    assert "run the command again" in result.output
    assert "sent" not in ledger().values()

    with smtp_server() as back:
        app.config["MAIL_PORT"] = back.port
        again = send(runner, "--frequency", "weekly", "--now", weekly_now())
        assert again.exit_code == 0, again.output
        assert recipients(back.inbox) == sorted(u.email for u in readers)


def test_a_server_dying_midway_releases_the_rest_unsent(app, inbox):
    readers = members(4)
    with_activity()
    now = digest.parse_now(weekly_now())
    with smtp_server() as dying:
        transport = SmtpTransport(dying.host, dying.port)

        sent_before = []
        original_send = transport.send

        def send_then_die(message):
            if len(sent_before) == 2:
                transport.close()
                transport.port = free_port()  # the reconnect finds nothing
            sent_before.append(message["To"])
            original_send(message)

        transport.send = send_then_die
        report = digest.send_due("weekly", now, transport)
    assert report.aborted and "could not connect" in report.aborted
    assert report.sent == 2 and report.failed == 0  # the server's outage is nobody's failure
    statuses = ledger()
    assert sorted(statuses.values()) == ["pending", "pending", "sent", "sent", "skipped"]
    # The next run sends the failed one and the released one, nobody twice.
    with smtp_server() as back, SmtpTransport(back.host, back.port) as transport:
        again = digest.send_due("weekly", now, transport)
    assert again.ok and again.sent == 2
    assert sorted(dying.inbox.recipients() + back.inbox.recipients()) == sorted(u.email for u in readers)


def test_progress_is_printed_per_batch(app, runner, inbox):
    members(5)
    with_activity()
    result = send(runner, "--frequency", "weekly", "--now", weekly_now(), "--batch-size", "2")
    assert result.exit_code == 0, result.output
    assert "weekly digest: 2/6 members done" in result.output
    assert "weekly digest: 4/6 members done" in result.output
    assert "6/6 members done — 5 sent, 1 with nothing new" in result.output


def test_bad_now_is_a_usage_error(app, runner):
    result = send(runner, "--now", "next tuesday")
    assert result.exit_code == 2 and "not an ISO date-time" in result.output


# ---------------------------------------------------------------- several senders


@pytest.mark.both_databases
def test_two_senders_at_once_send_each_member_exactly_once(app, inbox):
    """Row locks (PostgreSQL) or serialised writers (SQLite) + conditional claims: no doubles."""
    inbox.delay = 0.01  # keep both senders busy at the same time
    readers = members(30)
    blocked = make_user("someone")
    make_reply(blocked, with_activity())
    blocks.block_member(readers[0], "someone")
    db.session.commit()
    everyone = db.session.scalars(select(User.email)).all()
    now = digest.parse_now(weekly_now())
    start = threading.Barrier(2)
    reports, errors = [], []

    def sender():
        try:
            with app.app_context():
                start.wait()
                with SmtpTransport(app.config["MAIL_SERVER"], app.config["MAIL_PORT"]) as transport:
                    reports.append(digest.send_due("weekly", now, transport, batch_size=4))
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert recipients(inbox) == sorted(everyone)  # nobody twice, nobody missing
    assert sum(r.sent for r in reports) == len(everyone)
    assert all(r.ok for r in reports)
    assert all(r.sent > 0 for r in reports), "both senders should have done part of the work"


def attempts() -> dict[int, int]:
    db.session.expire_all()
    return dict(db.session.execute(select(DigestDelivery.user_id, DigestDelivery.attempts)).all())


@pytest.mark.both_databases
def test_a_try_again_later_answer_is_retried_once_in_the_same_run(app, runner, inbox):
    inbox.fail_on = {2}  # 451 once
    readers = members(4)
    with_activity()
    result = send(runner, "--frequency", "weekly", "--now", weekly_now())
    assert result.exit_code == 0, result.output
    assert recipients(inbox) == sorted(u.email for u in readers)


@pytest.mark.both_databases
def test_a_busy_server_stops_the_run_early_without_counting_against_members(app, runner, inbox):
    inbox.busy_from = 3  # from the third message on, every DATA is answered 421
    readers = members(30)
    with_activity()
    first = send(runner, "--frequency", "weekly", "--now", weekly_now())
    assert first.exit_code != 0 and "421" in first.output
    assert len(inbox.messages) == 2
    assert inbox.attempts <= 4  # two sent, the third tried and retried once: not 30 tries
    statuses = ledger()
    assert "failed" not in statuses.values()
    assert all(count <= 1 for count in attempts().values())  # nobody nearer to giving up

    inbox.busy_from = None
    second = send(runner, "--frequency", "weekly", "--now", weekly_now())
    assert second.exit_code == 0, second.output
    assert recipients(inbox) == sorted(u.email for u in readers)  # each exactly once


@pytest.mark.both_databases
def test_a_missed_day_is_delivered_by_the_next_run_exactly_once(app, runner, inbox):
    reader = make_user("daily_reader")
    reader.digest_frequency = "daily"
    db.session.commit()
    for user in (reader,):
        user.created_at = utcnow() - timedelta(days=10)
    db.session.commit()
    thread_id = with_activity()
    # The thread was written two days before the run; yesterday's run never happened.
    written = utcnow() - timedelta(days=2)
    for post in db.session.scalars(select(Post).where(Post.thread_id == thread_id)):
        post.created_at = post.published_at = written
    thread = db.session.get(Thread, thread_id)
    thread.created_at = thread.last_activity_at = written
    db.session.commit()

    result = send(runner, "--frequency", "daily")
    assert result.exit_code == 0, result.output
    assert recipients(inbox) == [reader.email]
    again = send(runner, "--frequency", "daily")
    assert again.exit_code == 0, again.output
    assert recipients(inbox) == [reader.email]  # exactly once


@pytest.mark.both_databases
def test_every_link_in_a_digest_opens(app, runner, inbox, client):
    reader, message = weekly_digest_of("link_reader", runner, inbox)
    html = message.get_body(("html",)).get_content()
    plain = message.get_body(("plain",)).get_content()
    links = set(re.findall(r'href="(http://forum\.test[^"]*)"', html))
    links |= set(re.findall(r"(http://forum\.test\S*)", plain))
    assert any("/t/" in link for link in links), links
    login(client, reader.username)
    for link in sorted(links):
        path = link.removeprefix("http://forum.test")
        response = client.get(path)
        assert response.status_code == 200, (link, response.status_code)
