"""Crisis response templates that admins edit.

Revision ID: outreach_0001
Revises: notes_0001
Create Date: 2026-12-01 15:00:00

Self-contained on purpose: a revision never imports forum code.
"""

import sqlalchemy as sa
from alembic import op

revision = 'outreach_0001'
down_revision = 'notes_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'response_templates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'],
                                name=op.f('fk_response_templates_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_response_templates')),
        sa.UniqueConstraint('title', name=op.f('uq_response_templates_title')),
    )


def downgrade():
    op.drop_table('response_templates')
