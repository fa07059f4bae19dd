"""On-call alerts end to end: urgent cases, the outbox, `flask jobs run`, a real SMTP server
(aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum import jobs, posting, review
from forum.extensions import db
from forum.mailer import SmtpTransport
from forum.models import AlertOutbox, ModerationCase, utcnow
from tests.smtp.server import free_port, smtp_server
from tests.support.factories import make_user
from tests.support.fake_pipeline import FakePipeline

pytestmark = [pytest.mark.smtp, pytest.mark.both_databases]

CRISIS_TEXT = "I want to die tonight and I have a plan."


@pytest.fixture
def team(app):
    app.config["MODERATION_SCREENING"] = "pipeline"
    app.config["MODERATION_PIPELINE"] = FakePipeline()
    on_call = make_user("mod_willow", role="moderator")
    off_duty = make_user("mod_aspen", role="moderator")
    review.set_on_call("mod_willow", True)
    return on_call, off_duty


def urgent_case(author_name: str = "member_rowan") -> ModerationCase:
    outcome = posting.create_thread(
        make_user(author_name), "going-no-contact", "Tonight", CRISIS_TEXT
    )
    case = review.open_case_for(outcome.post.id)
    assert case is not None and case.lane == "urgent" and case.urgent_since is not None
    return case


def run_jobs(runner):
    result = runner.invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0, result.output
    return result


def test_the_on_call_moderator_is_alerted_at_once_without_the_post(app, runner, inbox, team):
    on_call, _ = team
    case = urgent_case()
    result = run_jobs(runner)
    assert "1 alert(s) queued, 1 sent" in result.output
    assert inbox.recipients() == [on_call.email]
    (message,) = inbox.messages
    body = message.get_content()
    assert f"/mod/cases/{case.id}" in body
    assert "danger" in body
    # Never the post's words, its title or who wrote it, in mail to others.
    for private in ("want to die", "plan", "Tonight", "member_rowan", "@example"):
        assert private not in body and private not in str(message["Subject"])
    # A second pass sends nothing more.
    run_jobs(runner)
    assert len(inbox.messages) == 1


def test_everyone_is_alerted_when_nobody_claims_it_in_time(app, runner, inbox, team):
    on_call, off_duty = team
    case = urgent_case()
    jobs.run_once()
    assert inbox.recipients() == [on_call.email]
    later = case.urgent_since + timedelta(
        minutes=app.config["ALERT_ESCALATE_AFTER_MINUTES"], seconds=1
    )
    assert jobs.run_once(utcnow()).sent == 0  # not yet
    jobs.run_once(later)
    assert sorted(inbox.recipients()) == sorted([on_call.email, on_call.email, off_duty.email])
    assert "Nobody has picked it up yet" in inbox.messages[-1].get_content()
    jobs.run_once(later + timedelta(minutes=30))
    assert len(inbox.messages) == 3  # each step once


def test_a_claimed_case_is_not_escalated(app, inbox, team):
    on_call, off_duty = team
    case = urgent_case()
    jobs.run_once()
    review.claim(off_duty, case.id)
    later = utcnow() + timedelta(hours=1)
    jobs.run_once(later)
    assert inbox.recipients() == [on_call.email]


def test_with_nobody_on_call_every_moderator_is_alerted_at_once(app, inbox, team):
    on_call, off_duty = team
    review.set_on_call("mod_willow", False)
    urgent_case()
    jobs.run_once()
    assert sorted(inbox.recipients()) == sorted([on_call.email, off_duty.email])


def test_two_workers_send_each_alert_once(app, inbox, team):
    for n in range(4):
        urgent_case(f"member_{n}")
    errors = []

    def worker():
        with app.app_context():
            try:
                jobs.run_once()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    jobs.run_once()  # whatever a busy worker left pending
    assert len(inbox.messages) == 4
    assert len({m["Message-ID"] for m in inbox.messages}) == 4


def test_an_smtp_outage_delays_but_never_drops_or_repeats(app, inbox, team):
    on_call, _ = team
    urgent_case()
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    outage = jobs.run_once()
    assert outage.aborted and outage.sent == 0
    rows = db.session.scalars(select(AlertOutbox)).all()
    assert [(r.status, r.attempts) for r in rows] == [("pending", 0)]
    with smtp_server() as back:
        app.config["MAIL_PORT"] = back.port
        assert jobs.run_once().sent == 1
        assert jobs.run_once().sent == 0
        assert back.inbox.recipients() == [on_call.email]
    assert inbox.messages == []


def test_a_worker_that_died_mid_send_is_taken_over(app, inbox, team):
    urgent_case()
    jobs.enqueue_due_alerts(utcnow())
    row = db.session.scalar(select(AlertOutbox))
    row.status, row.claimed_at, row.attempts = "sending", utcnow() - timedelta(hours=1), 1
    db.session.commit()
    with SmtpTransport(app.config["MAIL_SERVER"], app.config["MAIL_PORT"]) as transport:
        result = jobs.run_once(transport=transport)
    assert result.sent == 1 and len(inbox.messages) == 1


def test_only_moderators_can_be_on_call(app, runner, team):
    make_user("member_birch")
    result = runner.invoke(args=["users", "on-call", "member_birch"])
    assert result.exit_code != 0 and "Only moderators can be on call." in result.output
    result = runner.invoke(args=["users", "on-call", "mod_aspen"])
    assert result.exit_code == 0 and "mod_aspen is on call." in result.output
    result = runner.invoke(args=["users", "on-call", "mod_aspen", "--off"])
    assert "mod_aspen is off call." in result.output
