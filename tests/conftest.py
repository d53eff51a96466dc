"""Shared fixtures: a migrated database on SQLite and, when TUMBUH_TEST_DATABASE_URL is set, on
PostgreSQL; a small registry (two kecamatan, two posyandu, their people and children); and a
helper that talks to the dispatcher like a chat user."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

# First, so every test that uses aiogram (its runtime, and the fake server's own aiogram bots)
# runs on the lazily built types, as `tumbuh run` does.
import bot.platforms.aiogram_lazy  # noqa: F401  isort: skip
from bot.app import build_dispatcher
from bot.settings import Settings
from storage.db import Database
from storage.models import Base
from tests.helpers import World, build_world

PG_URL = os.environ.get("TUMBUH_TEST_DATABASE_URL")
ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)] if PG_URL else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """Migrate once; each test gets a copy of the file (much faster than migrating again)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def migrate() -> None:
        db = Database(f"sqlite:///{path}")
        await db.upgrade()
        await db.dispose()

    asyncio.run(migrate())
    return path


_pg_ready = False


async def _fresh_postgres() -> Database:
    global _pg_ready
    db = Database(PG_URL)
    async with db.engine.begin() as conn:
        if not _pg_ready:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    if not _pg_ready:
        await db.upgrade()
        _pg_ready = True
    else:
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        async with db.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return db


@pytest.fixture(params=ENGINES)
async def db(request, sqlite_template, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "tumbuh.db"
        shutil.copy(sqlite_template, path)
        database = Database(f"sqlite:///{path}")
    else:
        database = await _fresh_postgres()
    yield database
    await database.dispose()


@pytest.fixture
def settings(db) -> Settings:
    return Settings(database_url=db.url, _env_file=None, bot_username="tumbuh_test_bot")


class Clock:
    """A settable clock so tests decide what 'now' is."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))


@pytest.fixture
def dispatcher(db, settings, clock):
    return build_dispatcher(settings, db, clock=clock)


@pytest.fixture
async def world(db, clock) -> World:
    async with db.transaction() as session:
        return await build_world(session, clock.now)
