"""Delivery through both real Telegram senders against the fake Bot API server: pacing inside
the limits, 429 waited out, 403 blocks the user, 5xx retried then given up."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import select

from bot.app import build_dispatcher
from bot.core import Incoming
from bot.delivery import Delivery, open_sender
from bot.settings import Settings
from storage import outbox
from storage.models import User, utcnow
from storage.outbox import Message, OutboxMessage
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e


def settings_for(fake: FakeTelegram, db, runtime: str) -> Settings:
    return Settings(_env_file=None, database_url=db.url, telegram_token=fake.token,
                    telegram_api_url=fake.api_root, runtime=runtime)


async def add_users(db, chat_ids: list[int]) -> dict[int, int]:
    async with db.transaction() as session:
        users = [User(platform="telegram", platform_user_id=str(c), chat_id=str(c),
                      role="peserta", locale="id", locale_chosen=False, created_at=utcnow())
                 for c in chat_ids]
        session.add_all(users)
        await session.flush()
        return {int(u.chat_id): u.id for u in users}


async def put(db, users: dict[int, int], chat: int, key: str, text: str = "Pengingat <b>x</b>"):
    async with db.transaction() as session:
        await outbox.enqueue(session, Message(text, buttons=[[("Buka", "m:menu")]]),
                             dedupe_key=key, chat_id=str(chat), platform="telegram",
                             user_id=users.get(chat))


async def statuses(db) -> dict[str, str]:
    async with db.transaction() as session:
        rows = await session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.status))
        return dict(rows.all())


@pytest.mark.parametrize("runtime", ["ptb", "aiogram"])
async def test_paced_sending_provokes_no_429(db, runtime):
    async with FakeTelegram(global_rate=20, per_chat_rate=1) as fake:
        chats = list(range(7001, 7016))
        users = await add_users(db, chats)
        for chat in chats:
            await put(db, users, chat, f"r:{chat}")
        for i in range(3):  # three for one chat: 1 a second
            await put(db, users, 7001, f"extra:{i}", f"Pesan {i}")
        async with open_sender(settings_for(fake, db, runtime)) as sender:
            stats = await Delivery(db, sender, rate=20).run_until_idle(timeout=30)
        assert stats["sent"] == 18 and fake.too_many_requests == 0
        assert Counter(m.chat_id for m in fake.sent)[7001] == 4
        first = fake.sent_to(7001)[0]
        assert first.parse_mode == "HTML" and first.buttons == [("Buka", "m:menu")]
        assert set((await statuses(db)).values()) == {"sent"}


async def test_injected_429_is_waited_out(db):
    async with FakeTelegram() as fake:
        users = await add_users(db, [7101, 7102, 7103])
        for chat in users:
            await put(db, users, chat, f"r:{chat}")
        fake.inject_429(1, retry_after=1)
        async with open_sender(settings_for(fake, db, "ptb")) as sender:
            delivery = Delivery(db, sender, rate=30)
            stats = await delivery.run_until_idle(timeout=30)
        assert stats["sent"] == 3 and stats["rate_limited"] == 1
        assert fake.rate_limited["injected"] == 1
        assert sorted(m.chat_id for m in fake.sent) == [7101, 7102, 7103]
        refused = next(r for r in fake.request_log if r.status == 429)
        after = [r.started for r in fake.request_log if r.status == 200 and r.started > refused.started]
        assert min(after) - refused.started >= 0.9  # the retry_after was obeyed


@pytest.mark.parametrize("runtime", ["ptb", "aiogram"])
async def test_403_blocks_the_user_until_they_write_again(db, settings, runtime):
    async with FakeTelegram() as fake:
        users = await add_users(db, [7201, 7202])
        fake.block(7201)
        await put(db, users, 7201, "a:1")
        await put(db, users, 7201, "a:2")
        await put(db, users, 7202, "b:1")
        async with open_sender(settings_for(fake, db, runtime)) as sender:
            stats = await Delivery(db, sender, rate=30).run_until_idle(timeout=30)
            assert stats["blocked"] == 1 and fake.forbidden == 1  # the second row was not tried
            assert await statuses(db) == {"a:1": "blocked", "a:2": "blocked", "b:1": "sent"}
            async with db.transaction() as session:
                assert (await session.get(User, users[7201])).blocked_at is not None
                # New rows for a blocked user are not even claimed.
            await put(db, users, 7201, "a:3")
            await Delivery(db, sender, rate=30).run_until_idle(timeout=30)
            assert (await statuses(db))["a:3"] == "pending"
            # They write to the bot again: unblocked, and delivery resumes.
            fake.unblock(7201)
            dispatcher = build_dispatcher(settings, db)
            await dispatcher.handle(Incoming(platform="telegram", user_id="7201", chat_id="7201",
                                             update_id=1, text="/bantuan"))
            await Delivery(db, sender, rate=30).run_until_idle(timeout=30)
        assert (await statuses(db))["a:3"] == "sent"


async def test_server_errors_are_retried_then_given_up(db):
    async with FakeTelegram() as fake:
        users = await add_users(db, [7301, 7302])
        await put(db, users, 7301, "ok")
        fake.inject_error(2, 502)  # the first row fails twice, then goes through
        async with open_sender(settings_for(fake, db, "aiogram")) as sender:
            delivery = Delivery(db, sender, rate=30, backoff_seconds=0.05, max_attempts=3)
            for _ in range(40):
                await delivery.run_until_idle(timeout=10)
                if (await statuses(db))["ok"] != "pending":
                    break
                await asyncio.sleep(0.05)
            assert (await statuses(db))["ok"] == "sent"
            await put(db, users, 7302, "never")
            fake.inject_error(10, 500)
            for _ in range(40):
                await delivery.run_until_idle(timeout=10)
                if (await statuses(db))["never"] != "pending":
                    break
                await asyncio.sleep(0.05)
        async with db.transaction() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == "never"))
        assert row.status == "failed" and row.attempts == 3 and "Internal Server Error" in row.last_error
