"""On-call alerts: moderators on call, when a case became urgent, the alert outbox.

Revision ID: alerts_0001
Revises: 4a6314daddf2
Create Date: 2026-12-01 14:40:00

Self-contained on purpose: a revision never imports forum code.
"""

import sqlalchemy as sa
from alembic import op

revision = 'alerts_0001'
down_revision = '4a6314daddf2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('on_call', sa.Boolean(), nullable=False, server_default='0'))
    with op.batch_alter_table('moderation_cases') as batch:
        batch.add_column(sa.Column('urgent_since', sa.DateTime(), nullable=True))
    op.create_table(
        'alert_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=16), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=255), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['moderation_cases.id'],
                                name=op.f('fk_alert_outbox_case_id_moderation_cases')),
        sa.ForeignKeyConstraint(['recipient_id'], ['users.id'],
                                name=op.f('fk_alert_outbox_recipient_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_outbox')),
        sa.UniqueConstraint('case_id', 'step', 'recipient_id',
                            name=op.f('uq_alert_outbox_case_id')),
    )
    with op.batch_alter_table('alert_outbox') as batch:
        batch.create_index(batch.f('ix_alert_outbox_case_id'), ['case_id'], unique=False)
        batch.create_index(batch.f('ix_alert_outbox_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('alert_outbox') as batch:
        batch.drop_index(batch.f('ix_alert_outbox_status'))
        batch.drop_index(batch.f('ix_alert_outbox_case_id'))
    op.drop_table('alert_outbox')
    with op.batch_alter_table('moderation_cases') as batch:
        batch.drop_column('urgent_since')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('on_call')
