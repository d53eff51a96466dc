"""Outbox benchmarks, run by hand: ``python bench/delivery.py [--skip-send] [--rates 30,300]``.

1. Enqueue one Jum'at Serius reminder for N participants (100,000 by default) on SQLite through
   the real job (``jumat-reminder-wib``: one INSERT ... SELECT per locale). Goal: under 5 s, and
   memory that does not grow with N (the run is repeated with N/10 to compare). Baseline in the
   same run: the same rows built in Python and inserted in batches (``enqueue_stream``).
2. Send M messages (10,000) to the fake Bot API server with its global limit at R per second
   (and 1 a second per chat) with delivery paced at R. Goal: achieved rate >= 0.95 x R, zero 429.
   The fake server runs in its own process, so its work does not slow the sender.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from bot.delivery import Delivery, open_sender  # noqa: E402
from bot.runner import freeze_startup_objects  # noqa: E402
from bot.settings import Settings  # noqa: E402
from scheduler.jobs import run_job  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import User, utcnow  # noqa: E402
from storage.outbox import Message, Recipient  # noqa: E402
from storage.registry import AreaRow, import_areas  # noqa: E402

FRIDAY_07_WIB = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 1e6


async def fresh_db(folder: Path, name: str, users: int) -> Database:
    db = Database(f"sqlite:///{folder / name}")
    await db.upgrade()
    async with db.transaction() as session:
        await import_areas(session, [
            AreaRow(0, "36", "Banten", "provinsi", None, "WIB"),
            AreaRow(0, "36.02", "Lebak", "kabupaten", "36", None),
            AreaRow(0, "36.02.01", "Malingping", "kecamatan", "36.02", None),
        ])
        now = utcnow()
        for start in range(0, users, 10_000):
            await session.execute(insert(User), [
                dict(platform="telegram", platform_user_id=str(10**6 + i), chat_id=str(10**6 + i),
                     role="peserta", area_code="36.02.01", locale="en" if i % 5 == 0 else "id",
                     locale_chosen=True, created_at=now)
                for i in range(start, min(users, start + 10_000))
            ])
    return db


async def enqueue_bench(folder: Path, users: int) -> dict:
    db = await fresh_db(folder, f"enqueue-{users}.db", users)
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    count = await run_job(db, "jumat-reminder-wib", FRIDAY_07_WIB)
    seconds = time.perf_counter() - started
    grown = rss_mb() - before
    again = await run_job(db, "jumat-reminder-wib", FRIDAY_07_WIB)
    await db.dispose()
    return {"users": users, "rows": count, "again": again, "seconds": seconds, "rss_mb": grown}


async def stream_baseline(folder: Path, users: int) -> float:
    db = await fresh_db(folder, f"stream-{users}.db", users)
    started = time.perf_counter()
    async with db.transaction() as session:
        ids = await session.stream(select(User.id, User.chat_id))
        message = Message("Hari ini <b>Jum'at Serius</b>!")

        async def rows():
            async for user_id, chat_id in ids:
                yield Recipient(user_id, "telegram", chat_id, f"b:{user_id}", message)

        batch, total = [], 0
        async for recipient in rows():
            batch.append(recipient)
            if len(batch) == 1000:
                total += await outbox.enqueue_stream(session, batch)
                batch = []
        total += await outbox.enqueue_stream(session, batch)
    seconds = time.perf_counter() - started
    await db.dispose()
    return seconds


# ---------------------------------------------------------------------- sending


def fake_server(rate: float, ready, done, results) -> None:
    """Child process: the fake Bot API server with its limits on, until told to stop."""
    from tests.fake_telegram import FakeTelegram

    async def serve() -> None:
        async with FakeTelegram(global_rate=rate, per_chat_rate=1) as fake:
            ready.send(fake.api_root)
            while not done.poll():
                await asyncio.sleep(0.05)
            done.recv()
            sends = [r.started for r in fake.request_log if r.method == "sendMessage"
                     and r.status == 200]
            results.send({"sent": len(sends), "first": min(sends, default=0),
                          "last": max(sends, default=0), "429": fake.too_many_requests})

    asyncio.run(serve())


async def send_bench(folder: Path, rate: float, messages: int, runtime: str) -> dict:
    db = Database(f"sqlite:///{folder / f'send-{rate:g}.db'}")
    await db.upgrade()
    async with db.transaction() as session:
        await outbox.enqueue_stream(session, (
            Recipient(None, "telegram", str(10**6 + i), f"s:{i}",
                      Message(f"Pengingat <b>posyandu</b> nomor {i}"))
            for i in range(messages)))
    context = multiprocessing.get_context("spawn")
    ready_parent, ready_child = context.Pipe()
    done_parent, done_child = context.Pipe()
    results_parent, results_child = context.Pipe()
    server = context.Process(target=fake_server, args=(rate, ready_child, done_child,
                                                        results_child))
    server.start()
    api_root = ready_parent.recv()
    settings = Settings(_env_file=None, database_url=db.url, telegram_token="123456:TEST-TOKEN",
                        telegram_api_url=api_root, runtime=runtime)
    async with open_sender(settings) as sender:
        delivery = Delivery(db, sender, rate=rate)
        freeze_startup_objects()  # as `tumbuh deliver` does
        process = psutil.Process()
        cpu_before = sum(process.cpu_times()[:2])
        started = time.perf_counter()
        stats = await delivery.run_until_idle()
        wall = time.perf_counter() - started
        cpu = sum(process.cpu_times()[:2]) - cpu_before
    done_parent.send("stop")
    server_side = results_parent.recv()
    server.join()
    async with db.transaction() as session:
        counts = await outbox.counts(session)
        assert counts.get("sent") == messages, counts
    await db.dispose()
    span = server_side["last"] - server_side["first"]
    achieved = (server_side["sent"] - 1) / span if span > 0 else 0.0
    return {"rate": rate, "sent": stats["sent"], "wall": wall, "achieved": achieved,
            "ratio": achieved / rate, "429": server_side["429"], "cpu_share": cpu / wall,
            "cpu_ms": cpu / messages * 1000}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rates", default="300,30")
    parser.add_argument("--runtime", default="ptb", choices=["ptb", "aiogram"])
    parser.add_argument("--skip-enqueue", action="store_true")
    parser.add_argument("--skip-send", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if not args.skip_enqueue:
            small = await enqueue_bench(folder, args.users // 10)
            large = await enqueue_bench(folder, args.users)
            baseline = await stream_baseline(folder, args.users)
            for run in (small, large):
                print(f"enqueue {run['users']:>7,} recipients: {run['rows']:,} rows in "
                      f"{run['seconds']:.2f} s, RSS +{run['rss_mb']:.1f} MB; "
                      f"second run added {run['again']}")
            print(f"baseline (rows built in Python, batches of 1,000): {baseline:.2f} s; "
                  f"INSERT ... SELECT is {baseline / large['seconds']:.1f}x faster "
                  f"(goal < 5 s: {'ok' if large['seconds'] < 5 else 'MISSED'})")
        if not args.skip_send:
            for rate in (float(r) for r in args.rates.split(",")):
                run = await send_bench(folder, rate, args.messages, args.runtime)
                print(f"send {args.messages:,} at R={rate:g}/s ({args.runtime}): achieved "
                      f"{run['achieved']:.1f}/s = {run['ratio']:.3f} x R, 429s: {run['429']}, "
                      f"wall {run['wall']:.1f} s, sender CPU {run['cpu_share']:.0%} of a core "
                      f"({run['cpu_ms']:.2f} ms a message) "
                      f"(goal >= 0.95 x R and no 429: "
                      f"{'ok' if run['ratio'] >= 0.95 and run['429'] == 0 else 'MISSED'})")


if __name__ == "__main__":
    asyncio.run(main())
