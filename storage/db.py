"""Engine set-up and transactions for SQLite (embedded default) and PostgreSQL.

SQLite gets WAL, a busy timeout and foreign keys, and every transaction in this process takes one
asyncio lock: SQLite has a single writer, and queueing in Python is cheaper and fairer than
SQLite's sleeping busy handler. Statements run on the event loop's thread (``sqlite_inline``), so
the WAL checkpoint, which writes pages back and waits for the disk (fsync), runs in a thread of
its own (``Checkpointer``) instead of inside whichever commit crossed SQLite's threshold: there it
held the whole bot for 0.3-0.6 s now and then. A SQLite file's transactions use a synchronous
session behind ``sqlite_inline.InlineSession``; migrations and bulk work use the async engine.
PostgreSQL runs transactions concurrently and serialises one user's messages with a
transaction-scoped advisory lock (see ``lock_key``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import sessionmaker

from storage import sqlite_inline
from storage.sqlite_inline import InlineSession

MIGRATIONS = Path(__file__).with_name("migrations")
CHECKPOINT_SECONDS = 1.0

log = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """Accept plain ``sqlite:///`` and ``postgresql://`` URLs and pick the async drivers."""
    u = make_url(url)
    if u.drivername in ("sqlite", "sqlite+pysqlite"):
        u = u.set(drivername="sqlite+aiosqlite")
    elif u.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        u = u.set(drivername="postgresql+asyncpg")
    return u.render_as_string(hide_password=False)


def lock_key(*parts: str) -> int:
    """A stable signed 64-bit key for pg_advisory_xact_lock."""
    digest = hashlib.blake2b(":".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        path = (make_url(self.url).database or ":memory:") if self.is_sqlite else ""
        on_disk = self.is_sqlite and path != ":memory:" and not path.startswith("file:")
        kwargs: dict = {"echo": echo}
        if self.is_sqlite:
            # Statements run inline on the event loop thread (see storage.sqlite_inline).
            kwargs["async_creator"] = sqlite_inline.creator(path)
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._sqlite_lock = asyncio.Lock() if self.is_sqlite else None
        self._checkpointer = Checkpointer(path) if on_disk else None
        # A SQLite file: transactions run on a synchronous engine of their own, behind
        # ``InlineSession`` (see storage.sqlite_inline); ``engine`` serves the rest (migrations,
        # bulk maintenance). An in-memory database is one connection's: it keeps ``engine``.
        self._sync_engine: Engine | None = None
        self._inline_sessions: sessionmaker | None = None
        sqlite_engines = [self.engine.sync_engine] if self.is_sqlite else []
        if on_disk:
            self._sync_engine = create_engine(f"sqlite+pysqlite:///{path}", echo=echo)
            self._inline_sessions = sessionmaker(self._sync_engine, expire_on_commit=False)
            sqlite_engines.append(self._sync_engine)
        for engine in sqlite_engines:
            event.listen(engine, "connect", _sqlite_pragmas)
            if on_disk:  # only where the Checkpointer runs, or the WAL would only grow
                event.listen(engine, "connect", _leave_checkpoints_to_thread)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any exception."""
        if self._sqlite_lock is not None:
            if self._checkpointer is not None:
                self._checkpointer.start()
            async with self._sqlite_lock:
                if self._inline_sessions is not None:
                    with self._inline_sessions() as session, session.begin():
                        yield InlineSession(session)  # type: ignore[misc]
                else:
                    async with self.sessions() as session, session.begin():
                        yield session
        else:
            async with self.sessions() as session, session.begin():
                yield session

    async def advisory_lock(self, session: AsyncSession, *parts: str) -> None:
        """Serialise work on one key across processes (PostgreSQL); SQLite is already serial."""
        if not self.is_sqlite:
            await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(*parts)})

    async def upgrade(self) -> None:
        """Apply Alembic migrations up to head."""
        from alembic import command

        cfg = alembic_config(self.url)

        def run(sync_conn) -> None:
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, "head")

        async with self.engine.begin() as conn:
            await conn.run_sync(run)

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            await asyncio.to_thread(self._checkpointer.stop)
        if self._sync_engine is not None:
            self._sync_engine.dispose()
        await self.engine.dispose()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _leave_checkpoints_to_thread(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")  # the Checkpointer's job


class Checkpointer:
    """Copies the SQLite WAL back into the database file every second, in a daemon thread with
    its own connection. PASSIVE: it never waits for, nor blocks, the bot's readers and writer;
    what it cannot copy now it copies next time."""

    def __init__(self, path: str, every: float = CHECKPOINT_SECONDS) -> None:
        self.path, self.every = path, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread after one last checkpoint, so the file is whole for the next opener."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as conn:
            while True:
                stopping = self._stop.wait(self.every)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as error:  # busy, or the file is gone: try next round
                    log.debug("WAL checkpoint skipped: %s", error)
                if stopping:
                    return
