"""Migrations and models agree: `flask db upgrade` on an empty SQLite and PostgreSQL database
creates exactly what forum/models/ describes, seeds the categories, and downgrades cleanly."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from forum import PROJECT_ROOT
from forum.models import DEFAULT_CATEGORIES
from tests.conftest import POSTGRES_URL, postgres_unavailable_reason
from tests.support.cli import flask_command

MIGRATIONS = PROJECT_ROOT / "migrations"


def models_metadata(tmp_path: Path) -> sa.MetaData:
    """The metadata of every model, loaded the way the running app loads them."""
    from forum import create_app
    from forum.extensions import db

    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                "INSTANCE_PATH": str(tmp_path / "instance")})
    return db.metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """The URL of a brand-new, empty database (a whole temporary database on PostgreSQL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    name = f"forum_migrations_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _head() -> str:
    script = ScriptDirectory.from_config(_alembic_config())
    return script.get_current_head()


def _alembic_config() -> Config:
    config = Config(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(url: str) -> None:
    result = flask_command(url, "db", "upgrade")
    assert result.returncode == 0, result.stderr


def test_upgrade_creates_exactly_the_models(empty_database, tmp_path):
    _upgrade(empty_database)
    metadata = models_metadata(tmp_path)
    engine = sa.create_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
            assert differences == [], "models and migrations disagree:\n" + "\n".join(
                map(str, differences)
            )
            tables = set(sa.inspect(connection).get_table_names())
            assert set(metadata.tables) <= tables
            assert context.get_current_revision() == _head()
            slugs = connection.execute(
                sa.text("SELECT slug FROM categories ORDER BY position")
            ).scalars().all()
    finally:
        engine.dispose()
    # The migration keeps its own frozen copy of the categories; it must match the seed list.
    assert slugs == [slug for slug, _, _ in DEFAULT_CATEGORIES]


def test_downgrade_to_base_and_up_again(empty_database):
    _upgrade(empty_database)
    result = flask_command(empty_database, "db", "downgrade", "base")
    assert result.returncode == 0, result.stderr
    engine = sa.create_engine(empty_database)
    try:
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    _upgrade(empty_database)


def test_the_revision_chain_is_linear_and_self_contained():
    script = ScriptDirectory.from_config(_alembic_config())
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}"
    assert len(script.get_bases()) == 1, f"several bases: {script.get_bases()}"
    revisions = list(script.walk_revisions())
    assert revisions, "no revisions found"
    for revision in revisions:
        source = Path(revision.path).read_text()
        # App code changes over time; a revision must keep meaning what it meant when written.
        assert not re.search(r"^\s*(from|import)\s+forum\b", source, re.MULTILINE), revision.path
        assert "forum.models" not in source.split('"""', 2)[-1], revision.path
