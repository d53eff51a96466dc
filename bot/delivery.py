"""Delivery: drains the outbox through the platform, inside its rate limits.

Not built yet: the outbox, its rate-limited sender and crash safety are issue 5. Until then this
task only holds its place in the process, so ``tumbuh run`` already has its final shape.
"""

from __future__ import annotations

import asyncio

from bot.platforms.telegram_common import Sender
from storage.db import Database


class Delivery:
    def __init__(self, db: Database, sender: Sender) -> None:
        self.db = db
        self.sender = sender
        self._stopped = asyncio.Event()

    async def run(self) -> None:
        await self._stopped.wait()

    def stop(self) -> None:
        self._stopped.set()
