"""`users create --verified` and the demo data: accounts whose address needs no link."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import User
from tests.support.mail import link_in

PASSWORD = "a calm long passphrase"


def create(runner, *args: str):
    return runner.invoke(args=["users", "create", *args, "--password-stdin"],
                         input=PASSWORD + "\n")


def member(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username_key == username))


@pytest.mark.both_databases
def test_verified_flag_marks_the_address_confirmed_and_sends_nothing(runner, outbox):
    result = create(runner, "rowan", "rowan@example.test", "--verified")
    assert result.exit_code == 0, result.output
    assert "address confirmed" in result.output
    assert member("rowan").is_verified
    assert outbox == []


def test_without_the_flag_a_confirmation_link_is_mailed(runner, outbox):
    result = create(runner, "hazel", "hazel@example.test")
    assert result.exit_code == 0, result.output
    assert not member("hazel").is_verified
    [message] = outbox.to("hazel@example.test")
    assert link_in(message, "/verify/").startswith("/verify/")


@pytest.mark.parametrize(("password", "message"), [
    ("1234567890", "most common"),
    ("rowan-is-my-name", "username"),
    ("short", "at least 10"),
])
def test_weak_passwords_are_refused_with_a_clear_message(runner, password, message):
    result = runner.invoke(args=["users", "create", "rowan", "rowan@example.test",
                                 "--password-stdin"], input=password + "\n")
    assert result.exit_code != 0
    assert message in result.output


@pytest.mark.both_databases
def test_demo_accounts_are_verified_and_can_post(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    unverified = db.session.scalar(
        select(func.count()).select_from(User).where(User.email_verified_at.is_(None)))
    total = db.session.scalar(select(func.count()).select_from(User))
    assert total > 1 and unverified == 0
