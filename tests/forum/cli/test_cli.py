"""`flask --app wsgi users create USERNAME EMAIL --role ... --password-stdin` (SPEC §3)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum import accounts
from forum.extensions import db
from forum.models import User
from tests.support.cli import flask_command
from tests.support.factories import make_user

PASSWORD = "a calm long passphrase"


def users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def create(runner, *args: str, password: str = PASSWORD):
    return runner.invoke(args=["users", "create", *args, "--password-stdin"],
                         input=password + "\n")


@pytest.mark.both_databases
@pytest.mark.parametrize("role", ["member", "moderator", "admin"])
def test_creates_an_account_with_the_role_and_the_password_from_stdin(runner, role):
    result = create(runner, "Willow_Tree", "Willow@Example.test", "--role", role)
    assert result.exit_code == 0, result.output
    assert "Willow_Tree" in result.output
    user = accounts.authenticate("willow_tree", PASSWORD)
    assert user is not None
    assert (user.username, user.email, user.role) == ("Willow_Tree", "willow@example.test", role)
    # Only the first line is the password; its line ending is not part of it.
    assert accounts.authenticate("willow_tree", PASSWORD + "\n") is None


def test_role_defaults_to_member(runner):
    result = create(runner, "juniper", "juniper@example.test")
    assert result.exit_code == 0, result.output
    assert accounts.authenticate("juniper", PASSWORD).role == "member"


@pytest.mark.both_databases
def test_duplicate_username_fails_with_a_clear_message(runner):
    make_user("taken_name")
    before = users()
    result = create(runner, "TAKEN_NAME", "someone.else@example.test")
    assert result.exit_code != 0
    assert "username is taken" in result.output
    assert users() == before


def test_duplicate_email_fails(runner):
    make_user("first_one")
    result = create(runner, "second_one", "first_one@example.test")
    assert result.exit_code != 0
    assert "email" in result.output.lower()


@pytest.mark.parametrize(("username", "email", "password", "message"), [
    ("a", "ok@example.test", PASSWORD, "Usernames are 3–32"),
    ("has space", "ok@example.test", PASSWORD, "Usernames are 3–32"),
    ("<script>", "ok@example.test", PASSWORD, "Usernames are 3–32"),
    ("x" * 40, "ok@example.test", PASSWORD, "Usernames are 3–32"),
    ("good_name", "not-an-email", PASSWORD, "valid email"),
    ("good_name", "ok@example.test", "short", "at least 10"),
    ("good_name", "ok@example.test", "", "at least 10"),
    ("admin", "ok@example.test", PASSWORD, "reserved"),
])
def test_invalid_input_fails_with_a_clear_message(runner, username, email, password, message):
    result = create(runner, username, email, password=password)
    assert result.exit_code == 1
    assert "Error:" in result.output and message in result.output
    assert users() == 0


def test_reserved_names_need_the_explicit_flag(runner):
    result = create(runner, "support", "help@example.test", "--role", "admin", "--allow-reserved")
    assert result.exit_code == 0, result.output
    assert accounts.authenticate("support", PASSWORD).is_admin


def test_unknown_role_is_refused(runner):
    result = create(runner, "good_name", "ok@example.test", "--role", "owner")
    assert result.exit_code == 2
    assert "owner" in result.output
    assert users() == 0


def test_the_real_command_line_after_db_upgrade(tmp_path):
    """End to end, as in the README: upgrade an empty database, create an admin, sign in."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade = flask_command(url, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    command = ("users", "create", "root_gardener", "gardener@example.test", "--role", "admin",
               "--password-stdin")
    created = flask_command(url, *command, stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    again = flask_command(url, *command, stdin=PASSWORD + "\n")
    assert again.returncode != 0
    assert "That username is taken" in again.stderr

    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT username, role, password_hash FROM users")
        ).one()
    engine.dispose()
    assert row.username == "root_gardener" and row.role == "admin"
    assert PASSWORD not in row.password_hash
