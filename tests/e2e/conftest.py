"""End-to-end fixtures: the fake Bot API server and a Tumbuh runtime (either framework) on it."""

from __future__ import annotations

import pytest

from bot.app import build_dispatcher
from bot.platforms import make_runtime
from bot.settings import Settings
from tests.fake_telegram import FakeTelegram


@pytest.fixture
async def fake():
    async with FakeTelegram() as server:
        yield server


class Bot:
    """Starts and restarts a runtime against the fake server (stopped before the fake)."""

    def __init__(self, fake: FakeTelegram, db, clock, runtime: str, router=None) -> None:
        self.settings = Settings(
            _env_file=None, database_url=db.url, telegram_token=fake.token,
            telegram_api_url=fake.api_root, runtime=runtime, concurrency=16,
        )
        self.db, self.clock, self.router = db, clock, router
        self.runtime = None

    async def start(self):
        dispatcher = build_dispatcher(self.settings, self.db, clock=self.clock)
        if self.router is not None:
            dispatcher.router = self.router
        self.runtime = make_runtime(self.settings, dispatcher)
        await self.runtime.start()
        return self.runtime

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None


@pytest.fixture(params=["ptb", "aiogram"])
async def bot(request, fake, db, clock, world):
    runner = Bot(fake, db, clock, request.param)
    await runner.start()
    yield runner
    await runner.stop()
