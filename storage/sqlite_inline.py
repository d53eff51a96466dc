"""SQLite without a thread hop per statement: the aiosqlite surface, run inline.

SQLAlchemy's async SQLite dialect talks to aiosqlite, which sends every call (open a cursor,
execute, fetch, close) to a worker thread and back: four trips per statement, which measured as
most of Tumbuh's cost per update. A query on a local WAL file takes microseconds, less than one
such trip, so this module gives the dialect an object with aiosqlite's interface whose coroutines
run the ``sqlite3`` call at once on the event loop's thread.

The price: a long statement (a bulk insert for 100,000 reminders, a year's report) holds the
event loop while it runs. In the embedded mode every transaction of the process already waits
on one SQLite writer lock, so only non-database work (sending replies) waits longer; PostgreSQL,
the production engine, is not affected. Used through ``create_async_engine(async_creator=...)``.

``InlineSession`` goes one step further for transactions (see its docstring).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any


class InlineCursor:
    __slots__ = ("_cursor",)

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Any) -> InlineCursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    @property
    def description(self):
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set isolation_level."""

    def put_nowait(self, item: tuple) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller, as aiosqlite would
            future.set_exception(error)


class InlineConnection:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._conn = connection
        self._connection: sqlite3.Connection | None = connection  # None once closed
        self._tx = _RunNow()

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._conn.isolation_level = value

    def cursor(self) -> InlineCursor:
        return InlineCursor(self._conn.cursor())

    async def execute(self, sql: str, parameters: Any = ()) -> InlineCursor:
        return await InlineCursor(self._conn.cursor()).execute(sql, parameters)

    async def commit(self) -> None:
        self._conn.commit()

    async def rollback(self) -> None:
        self._conn.rollback()

    async def close(self) -> None:
        if self._connection is not None:
            self._conn.close()
            self._connection = None

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)


def creator(path: str, timeout: float = 30.0) -> Callable[[], Awaitable[InlineConnection]]:
    async def connect() -> InlineConnection:
        return InlineConnection(sqlite3.connect(path, timeout=timeout))

    return connect


class InlineSession:
    """The part of ``AsyncSession`` Tumbuh uses, over a plain synchronous ``Session``.

    The inline driver above removed the thread hop, but every ``AsyncSession`` call still
    crosses SQLAlchemy's greenlet bridge (a greenlet per call, two switches per driver call),
    which measured as half of the cost of a short transaction (claim + user load: 460 us async,
    220 us sync). On SQLite nothing waits anyway, so ``Database.transaction`` hands out this
    wrapper: the same awaitable methods, run synchronously. PostgreSQL keeps ``AsyncSession``.
    """

    __slots__ = ("sync_session",)

    def __init__(self, sync_session: Any) -> None:
        self.sync_session = sync_session

    @property
    def info(self) -> dict:
        return self.sync_session.info

    def add(self, instance: Any) -> None:
        self.sync_session.add(instance)

    def add_all(self, instances: Any) -> None:
        self.sync_session.add_all(instances)

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync_session.get_bind(*args, **kwargs)

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.execute(statement, params, **kwargs)

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.scalar(statement, params, **kwargs)

    async def scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return self.sync_session.scalars(statement, params, **kwargs)

    async def stream(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return _AsyncRows(self.sync_session.execute(statement, params, **kwargs))

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return self.sync_session.get(entity, ident, **kwargs)

    async def flush(self, objects: Any = None) -> None:
        self.sync_session.flush(objects)

    async def refresh(self, instance: Any, attribute_names: Any = None) -> None:
        self.sync_session.refresh(instance, attribute_names)

    async def delete(self, instance: Any) -> None:
        self.sync_session.delete(instance)


class _AsyncRows:
    """``AsyncSession.stream``'s result shape (async iteration) over a sync result."""

    __slots__ = ("_result",)

    def __init__(self, result: Any) -> None:
        self._result = result

    def __aiter__(self) -> _AsyncRows:
        return self

    async def __anext__(self) -> Any:
        row = self._result.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row
