"""Private staff notes on members.

Revision ID: notes_0001
Revises: alerts_0001
Create Date: 2026-12-01 14:45:00

Self-contained on purpose: a revision never imports forum code.
"""

import sqlalchemy as sa
from alembic import op

revision = 'notes_0001'
down_revision = 'alerts_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'member_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_member_notes_author_id_users')),
        sa.ForeignKeyConstraint(['member_id'], ['users.id'],
                                name=op.f('fk_member_notes_member_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_notes')),
    )
    with op.batch_alter_table('member_notes') as batch:
        batch.create_index('ix_member_notes_member_created', ['member_id', 'created_at'],
                           unique=False)


def downgrade():
    with op.batch_alter_table('member_notes') as batch:
        batch.drop_index('ix_member_notes_member_created')
    op.drop_table('member_notes')
