"""`flask --app wsgi users create`: accounts from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from .. import accounts, review
from ..errors import ForumError
from ..models import Role

users_cli = AppGroup("users", help="Manage member accounts.")


@users_cli.command("create")
@click.argument("username")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=Role.MEMBER.value,
    show_default=True,
    help="What the account may do.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input (its first line) instead of prompting.",
)
@click.option(
    "--allow-reserved",
    is_flag=True,
    help="Allow a reserved name such as 'admin' or 'support'.",
)
def create_user_command(
    username: str, email: str, role: str, password_stdin: bool, allow_reserved: bool
) -> None:
    """Create an account: USERNAME is public, EMAIL stays private."""
    if password_stdin:
        # Only the first line, without its line ending: `echo secret | flask users create ...`.
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(
            username, email, password, role=role, allow_reserved=allow_reserved
        )
    except ForumError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role} {user.username!r} (id {user.id}).")


@users_cli.command("on-call")
@click.argument("username")
@click.option("--off", is_flag=True, help="Take the moderator off call.")
def on_call_command(username: str, off: bool) -> None:
    """Put a moderator on call: they get an email as soon as a case becomes urgent."""
    try:
        user = review.set_on_call(username, not off)
    except ForumError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{user.username} is {'on' if user.on_call else 'off'} call.")
