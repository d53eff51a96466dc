"""Only one active scheduler across processes: a PostgreSQL session advisory lock held on a
dedicated connection. On SQLite the one process that writes is the leader."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database, lock_key

log = logging.getLogger(__name__)
LEADER_KEY = lock_key("tumbuh", "scheduler")


class Leadership:
    def __init__(self, db: Database, retry_seconds: float = 15.0) -> None:
        self.db = db
        self.retry_seconds = retry_seconds
        self._connection: AsyncConnection | None = None

    async def acquire(self) -> None:
        """Wait until this process is the leader."""
        if self.db.is_sqlite:
            return
        while True:
            connection = await self.db.engine.connect()
            got = (await connection.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                            {"k": LEADER_KEY})).scalar()
            await connection.commit()
            if got:
                self._connection = connection
                log.info("this process runs the scheduler")
                return
            await connection.close()
            await asyncio.sleep(self.retry_seconds)

    async def release(self) -> None:
        if self._connection is not None:
            try:
                await self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_KEY})
                await self._connection.commit()
            finally:
                await self._connection.close()
                self._connection = None
