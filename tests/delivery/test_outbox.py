"""The outbox queries on SQLite and PostgreSQL: dedupe, bulk enqueue, claim, reclaim."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from storage import outbox
from storage.models import User
from storage.outbox import Message, OutboxMessage, Recipient


async def add_users(db, count: int, now, start: int = 5000) -> list[int]:
    async with db.transaction() as session:
        users = [User(platform="telegram", platform_user_id=str(start + i), chat_id=str(start + i),
                      role="peserta", locale="en" if i % 3 == 0 else "id", locale_chosen=True,
                      created_at=now) for i in range(count)]
        session.add_all(users)
        await session.flush()
        return [u.id for u in users]


async def test_same_key_twice_is_one_row(db, clock):
    async with db.transaction() as session:
        first = await outbox.enqueue(session, Message("halo"), dedupe_key="k:1", chat_id="1",
                                     platform="telegram", now=clock.now)
        second = await outbox.enqueue(session, Message("lagi"), dedupe_key="k:1", chat_id="1",
                                      platform="telegram", now=clock.now)
        rows = list(await session.scalars(select(OutboxMessage)))
    assert (first, second) == (True, False)
    assert [r.text for r in rows] == ["halo"]


async def test_bulk_enqueue_from_a_select_is_idempotent(db, clock):
    ids = await add_users(db, 30, clock.now)
    users = select(User.id).where(User.role == "peserta")
    message = Message("<b>Jumat</b>", buttons=[[("Ya", "m:aksi")]])
    async with db.transaction() as session:
        assert await outbox.enqueue_users(session, message, users, key_prefix="j:1") == 30
        assert await outbox.enqueue_users(session, message, users, key_prefix="j:1") == 0
        row = await session.scalar(select(OutboxMessage).where(OutboxMessage.user_id == ids[0]))
    assert row.dedupe_key == f"j:1:{ids[0]}" and row.chat_id == "5000"
    assert row.buttons == [[["Ya", "m:aksi"]]] and row.image is None and row.status == "pending"


async def test_streamed_enqueue_in_batches(db, clock):
    recipients = (Recipient(None, "telegram", str(i), f"s:{i}", Message(f"n{i}", kind="notice"))
                  for i in range(2500))
    async with db.transaction() as session:
        assert await outbox.enqueue_stream(session, recipients, now=clock.now) == 2500
        assert await outbox.enqueue_stream(
            session, [Recipient(None, "telegram", "1", "s:1", Message("x"))]) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 2500


async def test_blocked_users_are_left_out(db, clock):
    ids = await add_users(db, 3, clock.now)
    async with db.transaction() as session:
        user = await session.get(User, ids[1])
        user.blocked_at = clock.now
    async with db.transaction() as session:
        count = await outbox.enqueue_users(session, Message("x"), select(User.id), key_prefix="b")
    assert count == 2


async def test_claim_orders_by_priority_and_skips_future_rows(db, clock):
    now = clock.now
    async with db.transaction() as session:
        await outbox.enqueue(session, Message("bulk", kind="broadcast"), dedupe_key="a",
                             chat_id="1", platform="telegram", now=now)
        await outbox.enqueue(session, Message("later", kind="notice"), dedupe_key="b",
                             chat_id="2", platform="telegram", now=now,
                             not_before=now + dt.timedelta(hours=1))
        await outbox.enqueue(session, Message("notice", kind="notice"), dedupe_key="c",
                             chat_id="3", platform="telegram", now=now)
    async with db.transaction() as session:
        rows = await outbox.claim(session, "w1", 10, now)
    assert [r.text for r in rows] == ["notice", "bulk"]
    assert all(r.status == "sending" and r.attempts == 1 for r in rows)
    async with db.transaction() as session:
        assert await outbox.claim(session, "w2", 10, now) == []
        assert await outbox.reclaim(session, ["w1"]) == 2
        again = await outbox.claim(session, "w2", 10, now)
    assert len(again) == 2 and again[0].attempts == 2


async def test_concurrent_claims_never_share_a_row(db, clock):
    async with db.transaction() as session:
        await outbox.enqueue_stream(session, (
            Recipient(None, "telegram", str(i), f"c:{i}", Message("x")) for i in range(200)),
            now=clock.now)

    async def worker(name: str) -> list[int]:
        taken = []
        while True:
            async with db.transaction() as session:
                rows = await outbox.claim(session, name, 7, clock.now)
            if not rows:
                return taken
            taken += [r.id for r in rows]
            await asyncio.sleep(0)

    results = await asyncio.gather(*(worker(f"w{i}") for i in range(4)))
    every = [row_id for taken in results for row_id in taken]
    assert len(every) == len(set(every)) == 200
