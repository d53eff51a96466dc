"""tpk: catin screenings, TPK visits, thresholds a coordinator corrects

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'tpk_thresholds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=32), nullable=False),
        sa.Column('area_code', sa.String(length=16), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('set_by', sa.Integer(), nullable=True),
        sa.Column('set_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['set_by'], ['users.id'], name=op.f('fk_tpk_thresholds_set_by_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tpk_thresholds')),
        sa.UniqueConstraint('name', 'area_code', name=op.f('uq_tpk_thresholds_name')),
    )
    op.create_table(
        'tpk_screenings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('desa_code', sa.String(length=16), nullable=False),
        sa.Column('screened_on', sa.Date(), nullable=False),
        sa.Column('entered_by', sa.Integer(), nullable=True),
        sa.Column('self_reported', sa.Boolean(), nullable=False),
        sa.Column('age_years', sa.SmallInteger(), nullable=False),
        sa.Column('height_cm', sa.Float(), nullable=True),
        sa.Column('weight_kg', sa.Float(), nullable=True),
        sa.Column('imt', sa.Float(), nullable=True),
        sa.Column('lila_cm', sa.Float(), nullable=True),
        sa.Column('hb', sa.Float(), nullable=True),
        sa.Column('smoking', sa.String(length=10), nullable=False),
        sa.Column('wedding_date', sa.Date(), nullable=True),
        sa.Column('result', sa.String(length=10), nullable=False),
        sa.Column('reasons', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['entered_by'], ['users.id'], name=op.f('fk_tpk_screenings_entered_by_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_tpk_screenings_target_id_targets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tpk_screenings')),
    )
    with op.batch_alter_table('tpk_screenings', schema=None) as batch_op:
        batch_op.create_index('ix_tpk_screenings_target', ['target_id', 'screened_on'], unique=False)
        batch_op.create_index('ix_tpk_screenings_desa_date', ['desa_code', 'screened_on'], unique=False)
    op.create_table(
        'tpk_visits',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('desa_code', sa.String(length=16), nullable=False),
        sa.Column('visited_on', sa.Date(), nullable=False),
        sa.Column('tpk_user_id', sa.Integer(), nullable=True),
        sa.Column('week', sa.SmallInteger(), nullable=True),
        sa.Column('kf', sa.String(length=3), nullable=True),
        sa.Column('lila_cm', sa.Float(), nullable=True),
        sa.Column('hb', sa.Float(), nullable=True),
        sa.Column('kek', sa.Boolean(), nullable=False),
        sa.Column('anaemia', sa.Boolean(), nullable=False),
        sa.Column('ttd_taken', sa.SmallInteger(), nullable=True),
        sa.Column('ttd_total', sa.SmallInteger(), nullable=True),
        sa.Column('anc_done', sa.SmallInteger(), nullable=True),
        sa.Column('danger_signs', sa.String(length=80), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_tpk_visits_target_id_targets'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tpk_user_id'], ['users.id'], name=op.f('fk_tpk_visits_tpk_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tpk_visits')),
    )
    with op.batch_alter_table('tpk_visits', schema=None) as batch_op:
        batch_op.create_index('ix_tpk_visits_target', ['target_id', 'visited_on'], unique=False)
        batch_op.create_index('ix_tpk_visits_desa_date', ['desa_code', 'visited_on'], unique=False)


def downgrade() -> None:
    op.drop_table('tpk_visits')
    op.drop_table('tpk_screenings')
    op.drop_table('tpk_thresholds')
