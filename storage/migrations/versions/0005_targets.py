"""targets (sasaran): catin, ibu hamil, ibu nifas, baduta; merges the 0003 and 0004 branches

Revision ID: 0005
Revises: 0003, 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = ('0003', '0004')
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'targets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=120), nullable=True),
        sa.Column('sex', sa.String(length=1), nullable=True),
        sa.Column('birth_date', sa.Date(), nullable=True),
        sa.Column('desa_code', sa.String(length=16), nullable=False),
        sa.Column('posyandu_id', sa.Integer(), nullable=True),
        sa.Column('tpk_user_id', sa.Integer(), nullable=True),
        sa.Column('hpht', sa.Date(), nullable=True),
        sa.Column('due_date', sa.Date(), nullable=True),
        sa.Column('wedding_date', sa.Date(), nullable=True),
        sa.Column('delivered_on', sa.Date(), nullable=True),
        sa.Column('child_id', sa.Integer(), nullable=True),
        sa.Column('children_born', sa.SmallInteger(), nullable=True),
        sa.Column('last_birth_on', sa.Date(), nullable=True),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.Column('end_reason', sa.String(length=12), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_targets_child_id_children'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_targets_created_by_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['desa_code'], ['areas.code'], name=op.f('fk_targets_desa_code_areas')),
        sa.ForeignKeyConstraint(['posyandu_id'], ['posyandu.id'], name=op.f('fk_targets_posyandu_id_posyandu')),
        sa.ForeignKeyConstraint(['tpk_user_id'], ['users.id'], name=op.f('fk_targets_tpk_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_targets_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_targets')),
    )
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.create_index('ix_targets_desa_kind', ['desa_code', 'kind', 'ended_on'], unique=False)
        batch_op.create_index('ix_targets_user_kind', ['user_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_targets_tpk_user_id'), ['tpk_user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('targets')
