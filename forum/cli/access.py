"""`flask --app wsgi categories list|visibility` and `flask --app wsgi trust show|set`.

Who reads what, from the command line: a category's visibility and a member's trust level.
Changes name the moderator they are made for (`--moderator NAME`, a staff account), so the
audit log says who did it, as on the moderators' page.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .. import access_settings, audience, reading, trust
from ..errors import ForumError

categories_cli = AppGroup("categories", help="Categories and who can read them.")
trust_cli = AppGroup("trust", help="Members' trust levels (new, member, trusted).")

MODERATOR_OPTION = click.option(
    "--moderator", "moderator_name", required=True,
    help="The moderator this change is made for (recorded in the audit log).",
)


def _moderator(name: str):
    try:
        return reading.user_by_username(name)
    except ForumError as error:
        raise click.ClickException(error.message) from None


def _run(action):
    try:
        return action()
    except ForumError as error:
        raise click.ClickException(error.message) from None


@categories_cli.command("list")
def list_categories() -> None:
    """Every category with who can read it."""
    for category in reading.list_categories():
        click.echo(f"{category.slug:32} {category.visibility:9} {category.name}")


@categories_cli.command("visibility")
@click.argument("slug")
@click.argument("visibility", type=click.Choice(audience.VISIBILITIES))
@MODERATOR_OPTION
def set_visibility(slug: str, visibility: str, moderator_name: str) -> None:
    """Set who can read a category: everyone, members or trusted."""
    moderator = _moderator(moderator_name)
    category = _run(lambda: access_settings.set_category_visibility(moderator, slug, visibility))
    click.echo(f"{category.slug}: {audience.LABELS[category.visibility]}.")


def _describe(username: str, standing: trust.Standing) -> str:
    how = (f"set by a moderator; time and posts would give {standing.computed}"
           if standing.override else "from time and posts")
    return (f"{username}: {standing.level} ({how}); joined {standing.days} day(s) ago, "
            f"{standing.published_posts} published post(s)")


@trust_cli.command("show")
@click.argument("username")
def show(username: str) -> None:
    """A member's trust level and how it came about."""
    member = _run(lambda: reading.user_by_username(username))
    click.echo(_describe(member.username, trust.standing(member)))


@trust_cli.command("set")
@click.argument("username")
@click.argument("level", type=click.Choice((*trust.LEVELS, access_settings.AUTOMATIC)))
@MODERATOR_OPTION
def set_level(username: str, level: str, moderator_name: str) -> None:
    """Set a member's trust level ("auto": time and published posts decide again)."""
    moderator = _moderator(moderator_name)
    member, standing = _run(lambda: access_settings.set_trust_level(moderator, username, level))
    click.echo(_describe(member.username, standing))
