"""Alembic environment for the forum, run by Flask-Migrate (`flask --app wsgi db ...`).

The database URL and the models' metadata come from the Flask app, so revisions run against
whatever FORUM_DATABASE_URL names. SQLite cannot ALTER most things in place, so operations
are rendered as batch operations (a table copy on SQLite, plain ALTERs elsewhere).
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None:
    # Keep loggers configured by the app (e.g. the moderation pipeline's) working.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
log = logging.getLogger("alembic.env")

forum_db = current_app.extensions["migrate"].db


def _engine():
    return forum_db.engine


# Alembic's config uses %-interpolation, so a literal % in a password must be doubled.
config.set_main_option(
    "sqlalchemy.url", _engine().url.render_as_string(hide_password=False).replace("%", "%%")
)


def _skip_empty_autogenerate(migration_context, revision, directives):
    # `flask db migrate` with nothing to change should not leave an empty revision behind.
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        log.info("No changes in schema detected.")


def _options() -> dict:
    options = dict(current_app.extensions["migrate"].configure_args)
    options.setdefault("process_revision_directives", _skip_empty_autogenerate)
    options.setdefault("render_as_batch", True)
    options.setdefault("compare_type", True)
    return options


def run_migrations_offline() -> None:
    """Emit SQL to stdout (`flask db upgrade --sql`) without connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=forum_db.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with _engine().connect() as connection:
        context.configure(connection=connection, target_metadata=forum_db.metadata, **_options())
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
