"""The storage engine set-up: SQLite run inline, errors and rollbacks as SQLAlchemy reports them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from storage.models import Area, KeyValue


async def test_errors_roll_back_and_surface_as_sqlalchemy_errors(db):
    async with db.transaction() as session:
        session.add(KeyValue(key="k", value="1"))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            session.add(Area(code="99", name="X", level="provinsi", timezone="Asia/Jakarta"))
            await session.flush()
            session.add(KeyValue(key="k", value="2"))  # duplicate key
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Area)) == 0
        assert (await session.get(KeyValue, "k")).value == "1"


async def test_connections_are_reused_after_errors(db):
    for _ in range(3):
        with pytest.raises(IntegrityError):
            async with db.transaction() as session:
                session.add_all([KeyValue(key="same", value="a"), KeyValue(key="same", value="b")])
    async with db.transaction() as session:
        session.add(KeyValue(key="same", value="ok"))
    async with db.transaction() as session:
        assert (await session.get(KeyValue, "same")).value == "ok"
