"""tips: tip preferences (hour, pause, stop), subscriptions to tip tracks, child claims

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'tip_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('slot', sa.String(length=6), nullable=False),
        sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tip_preferences_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_tip_preferences')),
    )
    with op.batch_alter_table('tip_preferences', schema=None) as batch_op:
        batch_op.create_index('ix_tip_preferences_due', ['slot', 'paused_at', 'stopped_at'], unique=False)
    op.create_table(
        'tip_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('track', sa.String(length=8), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('child_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.Column('end_reason', sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_tip_subscriptions_child_id_children'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_tip_subscriptions_target_id_targets'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tip_subscriptions_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_subscriptions')),
    )
    with op.batch_alter_table('tip_subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_tip_subscriptions_track', ['track', 'ended_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_subscriptions_user_id'), ['user_id'], unique=False)
    op.create_table(
        'child_claims',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('posyandu_id', sa.Integer(), nullable=False),
        sa.Column('child_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=120), nullable=True),
        sa.Column('sex', sa.String(length=1), nullable=True),
        sa.Column('birth_date', sa.Date(), nullable=True),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_child_claims_child_id_children'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_child_claims_decided_by_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['posyandu_id'], ['posyandu.id'], name=op.f('fk_child_claims_posyandu_id_posyandu')),
        sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_child_claims_target_id_targets'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_child_claims_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_child_claims')),
    )
    with op.batch_alter_table('child_claims', schema=None) as batch_op:
        batch_op.create_index('ix_child_claims_posyandu_status', ['posyandu_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_child_claims_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('child_claims')
    op.drop_table('tip_subscriptions')
    op.drop_table('tip_preferences')
