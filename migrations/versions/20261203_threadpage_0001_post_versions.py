"""posts.version: raised by the database on every update of a post, for rendered-page caches.

Revision ID: threadpage_0001
Revises: appeals_0001
Create Date: 2026-12-03

The thread page keeps each post's rendered card keyed by (post id, version); a trigger (SQLite
and PostgreSQL) raises the version whatever code or SQL changes the row, so no write path has
to remember to invalidate anything.

Self-contained: no forum imports.
"""

import sqlalchemy as sa
from alembic import op

revision = 'threadpage_0001'
down_revision = 'appeals_0001'
branch_labels = None
depends_on = None

# A frozen copy of forum/models/community.py's post_version_trigger_statements().
TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER posts_bump_version AFTER UPDATE ON posts "
        "WHEN NEW.version = OLD.version "
        "BEGIN UPDATE posts SET version = OLD.version + 1 WHERE id = NEW.id; END",
    ),
    "postgresql": (
        "CREATE OR REPLACE FUNCTION posts_bump_version() RETURNS trigger AS $$ "
        "BEGIN NEW.version := OLD.version + 1; RETURN NEW; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER posts_bump_version BEFORE UPDATE ON posts "
        "FOR EACH ROW EXECUTE FUNCTION posts_bump_version()",
    ),
}
DROP_TRIGGERS = {
    "sqlite": ("DROP TRIGGER IF EXISTS posts_bump_version",),
    "postgresql": (
        "DROP TRIGGER IF EXISTS posts_bump_version ON posts",
        "DROP FUNCTION IF EXISTS posts_bump_version()",
    ),
}


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='1'))
    for statement in TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade():
    for statement in DROP_TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('version')
