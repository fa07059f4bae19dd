"""Appeals against moderators' decisions; lifted sanctions; members' crisis-resource region.

Revision ID: appeals_0001
Revises: visibility_0001
Create Date: 2026-12-02

* appeals: one row per appealed decision (a rejected post's case, or a sanction), unique on
  each, so two appeals sent at once make one.
* sanctions.lifted_at: when a sanction was overturned on appeal.
* users.crisis_region: the member's choice of crisis lines (NULL: the international list).

Self-contained: no forum imports.
"""

import sqlalchemy as sa
from alembic import op

revision = 'appeals_0001'
down_revision = 'visibility_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'appeals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('sanction_id', sa.Integer(), nullable=True),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decision_reason', sa.Text(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('resolved_by_id', sa.Integer(), nullable=True),
        sa.Column('resolved_at', sa.DateTime(), nullable=True),
        sa.Column('resolution_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['moderation_cases.id'],
                                name=op.f('fk_appeals_case_id_moderation_cases')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_appeals_decided_by_id_users')),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_appeals_post_id_posts')),
        sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'],
                                name=op.f('fk_appeals_resolved_by_id_users')),
        sa.ForeignKeyConstraint(['sanction_id'], ['sanctions.id'],
                                name=op.f('fk_appeals_sanction_id_sanctions')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_appeals_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals')),
        sa.UniqueConstraint('case_id', name=op.f('uq_appeals_case_id')),
        sa.UniqueConstraint('sanction_id', name=op.f('uq_appeals_sanction_id')),
    )
    with op.batch_alter_table('appeals') as batch:
        batch.create_index('ix_appeals_status_created', ['status', 'created_at'], unique=False)
        batch.create_index(batch.f('ix_appeals_user_id'), ['user_id'], unique=False)
    with op.batch_alter_table('sanctions') as batch:
        batch.add_column(sa.Column('lifted_at', sa.DateTime(), nullable=True))
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('crisis_region', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('crisis_region')
    with op.batch_alter_table('sanctions') as batch:
        batch.drop_column('lifted_at')
    with op.batch_alter_table('appeals') as batch:
        batch.drop_index(batch.f('ix_appeals_user_id'))
        batch.drop_index('ix_appeals_status_created')
    op.drop_table('appeals')
