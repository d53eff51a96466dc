"""``tumbuh deliver`` killed with SIGKILL mid-way and restarted: no row is lost, and only rows in
flight at the kill may arrive twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter

import pytest
from sqlalchemy import func, select

from storage import outbox
from storage.db import Database
from storage.models import User, utcnow
from storage.outbox import Message, OutboxMessage

pytestmark = pytest.mark.e2e
RECIPIENTS = 60
CONCURRENCY = 16  # Delivery's default sends in flight: the most a kill can repeat


async def prepare(path) -> None:
    db = Database(f"sqlite:///{path}")
    await db.upgrade()
    async with db.transaction() as session:
        users = [User(platform="telegram", platform_user_id=str(9000 + i), chat_id=str(9000 + i),
                      role="peserta", locale="id", locale_chosen=False, created_at=utcnow())
                 for i in range(RECIPIENTS)]
        session.add_all(users)
        await session.flush()
        await outbox.enqueue_users(session, Message("Hari ini <b>Jum'at Serius</b>"),
                                   select(User.id), key_prefix="jumat:test")
    await db.dispose()


async def start(fake, path, tmp_path):
    env = {**os.environ, "TUMBUH_DATABASE_URL": f"sqlite:///{path}",
           "TUMBUH_TELEGRAM_TOKEN": fake.token, "TUMBUH_TELEGRAM_API_URL": fake.api_root,
           "TUMBUH_TELEGRAM_RATE": "30"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "deliver", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )


async def wait_until(predicate, timeout: float) -> None:
    async def poll():
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def test_kill_and_restart_repeats_at_most_the_rows_in_flight(fake, tmp_path):
    path = tmp_path / "kill.db"
    await prepare(path)
    first = await start(fake, path, tmp_path)
    try:
        await wait_until(lambda: len(fake.sent) >= 20, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    killed_at = len(fake.sent)
    assert killed_at < RECIPIENTS  # it really died mid-way

    second = await start(fake, path, tmp_path)
    try:
        await wait_until(lambda: len({m.chat_id for m in fake.sent}) == RECIPIENTS, timeout=60)
        await asyncio.sleep(0.3)  # anything else it would send
    finally:
        second.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(second.communicate(), timeout=30)
    assert second.returncode == 0, stderr.decode()[-2000:]

    per_chat = Counter(m.chat_id for m in fake.sent)
    assert set(per_chat) == {9000 + i for i in range(RECIPIENTS)}
    assert max(per_chat.values()) <= 2
    assert sum(n - 1 for n in per_chat.values()) <= CONCURRENCY
    db = Database(f"sqlite:///{path}")
    async with db.transaction() as session:
        statuses = dict((await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all())
    await db.dispose()
    assert statuses == {"sent": RECIPIENTS}
