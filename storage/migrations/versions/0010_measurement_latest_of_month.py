"""measurements.latest_of_month (each child's latest measurement of a calendar month), and the
partial index the monthly reports read instead of a window over every measurement (replacing
0007's ix_measurements_date_desa)

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# A query's WHERE must repeat the index's condition as written: SQLAlchemy writes a boolean
# column as "latest_of_month = 1" on SQLite (no native boolean) and "latest_of_month" on PostgreSQL.
SQLITE_LATEST = sa.text('latest_of_month = 1')
PG_LATEST = sa.text('latest_of_month')


def upgrade() -> None:
    # Every existing row starts as latest; one UPDATE then clears the rows that have a later
    # measurement of the same child in the same month (later date, or same date and higher id:
    # the order the window function used). 'YYYY-MM' is the same text on both engines.
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latest_of_month', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
    op.execute(
        "UPDATE measurements SET latest_of_month = false WHERE EXISTS ("
        " SELECT 1 FROM measurements AS later"
        " WHERE later.child_id = measurements.child_id"
        " AND later.measured_on >= measurements.measured_on"
        " AND substr(CAST(later.measured_on AS VARCHAR), 1, 7)"
        "   = substr(CAST(measurements.measured_on AS VARCHAR), 1, 7)"
        " AND (later.measured_on > measurements.measured_on OR later.id > measurements.id))"
    )
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.create_index(
            'ix_measurements_latest_desa_date',
            ['desa_code', 'measured_on', 'flagged', 'zlen', 'zwei', 'zwfl', 'latest_of_month'],
            unique=False, sqlite_where=SQLITE_LATEST, postgresql_where=PG_LATEST,
        )
        # 0007's (date, desa) index served the window over all rows; with it SQLite's planner
        # preferred it to the partial index above and the kabupaten report read the table.
        batch_op.drop_index('ix_measurements_date_desa')


def downgrade() -> None:
    with op.batch_alter_table('measurements', schema=None) as batch_op:
        batch_op.create_index('ix_measurements_date_desa', ['measured_on', 'desa_code'], unique=False)
        batch_op.drop_index('ix_measurements_latest_desa_date')
        batch_op.drop_column('latest_of_month')
