"""Blocked attempts (a case of the urgent lane for texts screening blocked), the member's
repeated-attempts flag, and the random per-member unsubscribe key.

Revision ID: blocks_0001
Revises: accounts_0001
Create Date: 2026-12-01 12:00:00

Self-contained on purpose: a revision never imports forum code. Existing members get a random
unsubscribe key each (the column is filled, then made NOT NULL and unique).
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = 'blocks_0001'
down_revision = 'accounts_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('blocked_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=40), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('post_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('rule_hits', sa.JSON(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('model_version', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolution_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['posts.id'], name=op.f('fk_blocked_attempts_parent_id_posts')),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_blocked_attempts_post_id_posts')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_blocked_attempts_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['thread_id'], ['threads.id'], name=op.f('fk_blocked_attempts_thread_id_threads')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_blocked_attempts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blocked_attempts'))
    )
    with op.batch_alter_table('blocked_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_blocked_attempts_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_blocked_attempts_user_created', ['user_id', 'created_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts_flagged_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('unsubscribe_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('unsubscribe_key_previous', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('unsubscribe_key_replaced_at', sa.DateTime(), nullable=True))

    users = sa.table('users', sa.column('id', sa.Integer), sa.column('unsubscribe_key', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id)
                           .values(unsubscribe_key=secrets.token_urlsafe(24)))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('unsubscribe_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_unsubscribe_key'), ['unsubscribe_key'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_unsubscribe_key'), type_='unique')
        batch_op.drop_column('unsubscribe_key_replaced_at')
        batch_op.drop_column('unsubscribe_key_previous')
        batch_op.drop_column('unsubscribe_key')
        batch_op.drop_column('attempts_flagged_at')

    with op.batch_alter_table('blocked_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_blocked_attempts_user_created')
        batch_op.drop_index('ix_blocked_attempts_status_created')

    op.drop_table('blocked_attempts')
