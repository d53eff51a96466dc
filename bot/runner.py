"""``tumbuh run``: the bot (long polling), the scheduler and delivery in one process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.app import build_dispatcher
from bot.delivery import Delivery
from bot.platforms import make_runtime
from bot.settings import Settings
from scheduler.runner import Scheduler
from storage.db import Database, alembic_config
from storage.registry import set_value

log = logging.getLogger(__name__)


def freeze_startup_objects() -> None:
    """Put what start-up allocated (frameworks, templates, compiled statements) out of the
    garbage collector's sight, as long-running services do: a full collection then walks only
    what the running bot creates. Before, each one held the event loop for 60-90 ms, long enough
    for delivery to miss its pace."""
    gc.collect()
    gc.freeze()


async def schema_is_current(db: Database) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config(db.url)).get_heads())
    async with db.engine.connect() as conn:
        current = await conn.run_sync(
            lambda sync: set(MigrationContext.configure(sync).get_current_heads())
        )
    return current == heads


async def run_bot(settings: Settings, stop: asyncio.Event | None = None) -> int:
    db = Database(settings.database_url)
    if db.is_sqlite:
        await db.upgrade()
    elif not await schema_is_current(db):
        print("tumbuh: the database schema is not current: run `tumbuh db upgrade` first")
        await db.dispose()
        return 2
    dispatcher = build_dispatcher(settings, db)
    runtime = make_runtime(settings, dispatcher)
    scheduler = Scheduler(db)
    delivery = Delivery(db, runtime.sender, rate=settings.telegram_rate)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    tasks: list[asyncio.Task] = []
    try:
        await runtime.start()
        freeze_startup_objects()
        if runtime.username:
            async with db.transaction() as session:
                await set_value(session, "bot_username", runtime.username)
        log.info("bot @%s is polling (%s runtime)", runtime.username, settings.runtime)
        tasks = [asyncio.create_task(scheduler.run()), asyncio.create_task(delivery.run())]
        await stop.wait()
    finally:
        # Let delivery finish the sends in flight and leave its transaction cleanly; cancelling
        # it mid-transaction would leave a connection to be reset at shutdown.
        delivery.stop()
        if tasks:
            await asyncio.wait(tasks[1:], timeout=15)
        await scheduler.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runtime.stop()
        await db.dispose()
    return 0
