"""Reading visibility per category and members' trust levels.

Revision ID: visibility_0001
Revises: blocks_0001
Create Date: 2026-12-02

* categories.visibility: everyone | members | trusted. Every category becomes members-only but
  "healing-and-self-care": members' stories are not for search engines or strangers. A
  moderator can open a category again (`flask categories visibility SLUG everyone`).
* users.trust_level_override: a moderator's choice of trust level (NULL: computed).
* ix_posts_author_published: counting a member's published posts for their trust level.

Self-contained: no forum imports.
"""

import sqlalchemy as sa
from alembic import op

revision = 'visibility_0001'
down_revision = 'blocks_0001'
branch_labels = None
depends_on = None

PUBLIC_CATEGORIES = ("healing-and-self-care",)


def upgrade():
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visibility', sa.String(length=16), nullable=False,
                                      server_default='members'))
    categories = sa.table('categories', sa.column('slug', sa.String),
                          sa.column('visibility', sa.String))
    op.execute(categories.update().where(categories.c.slug.in_(PUBLIC_CATEGORIES))
               .values(visibility='everyone'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trust_level_override', sa.String(length=16), nullable=True))
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_author_published', ['author_id', 'published_at'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_index('ix_posts_author_published')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('trust_level_override')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('visibility')
