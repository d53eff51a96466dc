"""SQLite's WAL is copied back by the Checkpointer thread, not inside the bot's commits."""

from __future__ import annotations

import sqlite3
import time

from sqlalchemy import text

from storage.db import Checkpointer, Database


def test_checkpointer_copies_the_wal_into_the_database_file(tmp_path):
    path = tmp_path / "t.db"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE blobs (data BLOB)")
    writer.execute("INSERT INTO blobs VALUES (?)", (b"x" * 1_000_000,))
    writer.commit()
    assert path.stat().st_size < 100_000  # the megabyte is still only in the WAL
    checkpointer = Checkpointer(str(path), every=0.02)
    checkpointer.start()
    try:
        deadline = time.monotonic() + 10
        while path.stat().st_size < 1_000_000 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        checkpointer.stop()
        writer.close()
    assert path.stat().st_size >= 1_000_000


async def test_bot_connections_leave_checkpoints_to_the_thread(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        async with db.transaction() as session:
            assert (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
        assert db._checkpointer is not None and db._checkpointer._thread is not None
    finally:
        await db.dispose()
    assert db._checkpointer._thread is None  # stopped with the database
