"""PostgreSQL-only: a sender goes around rows another sender has locked (FOR UPDATE SKIP LOCKED).

SQLite has no row locks; its writers are serialised, which the two-senders test covers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from forum import digest
from forum.extensions import db
from forum.mailer import SmtpTransport
from forum.models import DigestDelivery, utcnow
from tests.support.factories import make_thread, make_user

pytestmark = [pytest.mark.smtp, pytest.mark.postgres]


def test_a_locked_row_is_skipped_not_waited_for(app, inbox):
    held = make_user("held")
    make_user("free")
    make_thread(make_user("author"), "Tonight is hard")
    now = utcnow() + timedelta(days=7)
    period = digest.period_before("weekly", now)
    db.session.add(DigestDelivery(user_id=held.id, frequency="weekly", period_start=period.start,
                                  period_end=period.end, status="pending", attempts=0))
    db.session.commit()
    assert db.engine.dialect.name == "postgresql"

    other = db.engine.connect()  # another sender, in the middle of its claim
    try:
        transaction = other.begin()
        other.execute(text("SELECT id FROM digest_deliveries WHERE user_id = :u FOR UPDATE"),
                      {"u": held.id})
        # Waiting on the lock would hit this timeout and fail the test loudly.
        db.session.execute(text("SET lock_timeout = '3s'"))
        with SmtpTransport(app.config["MAIL_SERVER"], app.config["MAIL_PORT"]) as transport:
            report = digest.send_due("weekly", now, transport)
        assert sorted(inbox.recipients()) == ["free@example.test"]
        assert report.sent == 1 and report.ok
        transaction.rollback()
    finally:
        other.close()

    with SmtpTransport(app.config["MAIL_SERVER"], app.config["MAIL_PORT"]) as transport:
        assert digest.send_due("weekly", now, transport).sent == 1
    assert sorted(inbox.recipients()) == ["free@example.test", "held@example.test"]
