"""broadcasts (siaran), outbox.broadcast_id, indexes for monthly reports

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'broadcasts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('author_user_id', sa.Integer(), nullable=True),
        sa.Column('area_code', sa.String(length=16), nullable=False),
        sa.Column('roles', sa.String(length=80), nullable=False),
        sa.Column('groups', sa.String(length=40), nullable=True),
        sa.Column('template', sa.String(length=16), nullable=True),
        sa.Column('fields', sa.JSON(), nullable=True),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('recipients', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['area_code'], ['areas.code'], name=op.f('fk_broadcasts_area_code_areas')),
        sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_broadcasts_author_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts')),
    )
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.create_index('ix_broadcasts_status_planned', ['status', 'planned_at'], unique=False)
        batch_op.create_index('ix_broadcasts_author', ['author_user_id', 'id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broadcast_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_broadcast_id_broadcasts'), 'broadcasts', ['broadcast_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_outbox_broadcast_status', ['broadcast_id', 'status'], unique=False)

    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.create_index('ix_measurements_date_desa', ['measured_on', 'desa_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.drop_index('ix_measurements_date_desa')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_broadcast_status')
        batch_op.drop_constraint(batch_op.f('fk_outbox_broadcast_id_broadcasts'), type_='foreignkey')
        batch_op.drop_column('broadcast_id')
    op.drop_table('broadcasts')
