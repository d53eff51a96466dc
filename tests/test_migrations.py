"""The migrations build exactly the schema the models declare (on each engine)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.models import Base


def _differences(sync_conn) -> list:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": False})
    return compare_metadata(context, Base.metadata)


async def test_migrated_schema_matches_the_models(db):
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_differences)
    assert diff == []
