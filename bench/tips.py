"""Tips benchmark, run by hand: ``python bench/tips.py [--subscribers 100000] [--repeat 1]``.

Goal (issue 6): computing and queueing today's due tips for 100,000 subscribers takes under 5 s
on SQLite.

Set-up: N families (default 100,000) in 100 posyandu of a WIB kabupaten (plus 5 % in a WIT one,
which the WIB job must leave out), 80 % reading Indonesian and 20 % English, hour slots spread
over pagi / siang / malam. Tracks: 40 % pregnant (HPHT spread over weeks 0-44, so some are not
in the track yet or any more), 15 % catin (weddings from 20 weeks ahead to 6 weeks past), 45 %
parents of a child (birth dates over 0-62 months; 5 % of the children weighed T this month,
which calls for the status tip; 1 in 10 anchored on a reported birth instead of a child).

Timed, each on a fresh copy of the seeded database, with the real job (``scheduler.tips.send_tips``
through ``scheduler.jobs.run_job``, exactly what the scheduler runs):

1. "today": the three runs of one day (07:00, 12:00, 19:00 WIB), summed: every subscriber is
   served once; most get their current stage's tip (the first day of the service).
2. "next day": the same three runs a day later: only new stages (and nothing twice).
3. "one slot": every subscriber in the morning slot, one run: the worst single run.

Baseline in the same run: one constant reminder to the same N users through
``storage.outbox.enqueue_users`` (one INSERT ... SELECT per locale, the project's cheapest bulk
path): the ratio says what the per-stage texts, the date CASEs and the once-a-day check cost.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, update  # noqa: E402

from scheduler.audience import enqueue_by_locale  # noqa: E402
from scheduler.jobs import run_job  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Child, Measurement, Posyandu, User  # noqa: E402
from storage.outbox import Message, OutboxMessage  # noqa: E402
from storage.registry import AreaRow, add_posyandu, import_areas  # noqa: E402
from storage.targets import Target  # noqa: E402
from storage.tips import TipPreference, TipSubscription  # noqa: E402

WIB = dt.timezone(dt.timedelta(hours=7))
TODAY = dt.date(2026, 11, 20)
BATCH = 10_000
SLOTS = ("pagi", "siang", "malam")


async def seed(path: Path, n: int) -> None:
    rng = random.Random(6)
    db = Database(f"sqlite:///{path}")
    await db.upgrade()
    now = dt.datetime(2026, 11, 19, tzinfo=dt.UTC)
    async with db.transaction() as session:
        await import_areas(session, [
            AreaRow(0, "36", "Banten", "provinsi", None, "WIB"),
            AreaRow(0, "36.02", "Lebak", "kabupaten", "36", None),
            AreaRow(0, "36.02.01", "Malingping", "kecamatan", "36.02", None),
            AreaRow(0, "36.02.01.2001", "Malingping Utara", "desa", "36.02.01", None),
            AreaRow(0, "94", "Papua", "provinsi", None, "WIT"),
            AreaRow(0, "94.71", "Kota Jayapura", "kabupaten", "94", None),
            AreaRow(0, "94.71.01", "Jayapura Utara", "kecamatan", "94.71", None),
            AreaRow(0, "94.71.01.1001", "Gurabesi", "desa", "94.71.01", None),
        ])
        wib = [(await add_posyandu(session, desa_code="36.02.01.2001", name=f"P{i}",
                                   opens_at=dt.time(8), day_of_month=10)).id for i in range(100)]
        wit = [(await add_posyandu(session, desa_code="94.71.01.1001", name=f"Q{i}",
                                   opens_at=dt.time(8), day_of_month=5)).id for i in range(5)]
    for start in range(0, n, BATCH):
        count = min(BATCH, n - start)
        async with db.transaction() as session:
            first_id = start + 1
            users, prefs, targets, children, subs, measures = [], [], [], [], [], []
            for k in range(count):
                uid = first_id + k
                posyandu = rng.choice(wit) if rng.random() < 0.05 else rng.choice(wib)
                desa = "94.71.01.1001" if posyandu in wit else "36.02.01.2001"
                users.append(dict(id=uid, platform="telegram", platform_user_id=str(10**7 + uid),
                                  chat_id=str(10**7 + uid), role="keluarga", posyandu_id=posyandu,
                                  locale="en" if rng.random() < 0.2 else "id", locale_chosen=True,
                                  consent_version="bench", consent_at=now, created_at=now))
                prefs.append(dict(user_id=uid, slot=rng.choice(SLOTS), updated_at=now))
                kind = rng.random()
                sub = dict(id=uid, user_id=uid, started_at=now, target_id=None, child_id=None)
                if kind < 0.40:
                    hpht = TODAY - dt.timedelta(days=rng.randrange(0, 45 * 7))
                    targets.append(dict(id=uid, kind="hamil", user_id=uid, desa_code=desa,
                                        posyandu_id=posyandu, hpht=hpht,
                                        due_date=hpht + dt.timedelta(days=280), created_at=now))
                    sub.update(track="hamil", target_id=uid)
                elif kind < 0.55:
                    wedding = TODAY + dt.timedelta(days=rng.randrange(-42, 140))
                    targets.append(dict(id=uid, kind="catin", user_id=uid, desa_code=desa,
                                        posyandu_id=posyandu, wedding_date=wedding, created_at=now))
                    sub.update(track="catin", target_id=uid)
                else:
                    born = TODAY - dt.timedelta(days=rng.randrange(0, 62 * 30))
                    if rng.random() < 0.1:  # a birth the mother reported, baby not confirmed
                        targets.append(dict(id=uid, kind="nifas", user_id=uid, desa_code=desa,
                                            posyandu_id=posyandu, delivered_on=born,
                                            created_at=now))
                        sub.update(track="anak", target_id=uid)
                    else:
                        children.append(dict(id=uid, posyandu_id=posyandu, name=f"Anak {uid}",
                                             sex="L" if uid % 2 else "P", birth_date=born,
                                             parent_user_id=uid, has_kia=True, created_at=now))
                        sub.update(track="anak", child_id=uid)
                        if rng.random() < 0.05:
                            measures.append(dict(
                                child_id=uid, posyandu_id=posyandu, desa_code=desa,
                                measured_on=TODAY - dt.timedelta(days=10), weight_kg=9.0,
                                lenhei_cm=75.0, position="l", age_days=(TODAY - born).days,
                                gain="T", stunted=rng.random() < 0.3, wasted=False,
                                two_t=False, bgm=False, flagged=False, oedema=False,
                                entered_at=now))
                subs.append(sub)
            await session.execute(insert(User), users)
            await session.execute(insert(TipPreference), prefs)
            if targets:
                await session.execute(insert(Target), targets)
            if children:
                await session.execute(insert(Child), children)
            await session.execute(insert(TipSubscription), subs)
            if measures:
                await session.execute(insert(Measurement), measures)
    await db.dispose()


async def timed_runs(path: Path, times: list[dt.datetime], prepare=None) -> tuple[float, int]:
    db = Database(f"sqlite:///{path}")
    try:
        if prepare is not None:
            async with db.transaction() as session:
                await prepare(session)
        rows, started = 0, time.perf_counter()
        for at in times:
            rows += await run_job(db, "tips-wib", at)
        elapsed = time.perf_counter() - started
        async with db.transaction() as session:
            stored = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                          .where(OutboxMessage.kind == "tip"))
        assert stored >= rows
        return elapsed, rows
    finally:
        await db.dispose()


async def baseline(path: Path) -> tuple[float, int]:
    db = Database(f"sqlite:///{path}")
    try:
        started = time.perf_counter()
        async with db.transaction() as session:
            users = (select(User.id).join(Posyandu, Posyandu.id == User.posyandu_id)
                     .where(User.role == "keluarga", Posyandu.desa_code == "36.02.01.2001"))
            rows = await enqueue_by_locale(session, users, "bench:baseline",
                                           lambda locale: Message(f"reminder {locale}"))
        return time.perf_counter() - started, rows
    finally:
        await db.dispose()


def day_runs(day: dt.date) -> list[dt.datetime]:
    return [dt.datetime.combine(day, dt.time(hour), WIB) for hour in (7, 12, 19)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        seeded = Path(folder) / "seeded.db"
        started = time.perf_counter()
        await seed(seeded, args.subscribers)
        print(f"seeded {args.subscribers:,} subscribers in {time.perf_counter() - started:.1f} s")

        async def one_slot(session):
            await session.execute(update(TipPreference).values(slot="pagi"))

        for attempt in range(args.repeat):
            copy = Path(folder) / f"run{attempt}.db"
            shutil.copy(seeded, copy)
            today, today_rows = await timed_runs(copy, day_runs(TODAY))
            following, following_rows = await timed_runs(
                copy, day_runs(TODAY + dt.timedelta(days=1)))
            copy2 = Path(folder) / f"slot{attempt}.db"
            shutil.copy(seeded, copy2)
            worst, worst_rows = await timed_runs(copy2, day_runs(TODAY)[:1], prepare=one_slot)
            copy3 = Path(folder) / f"base{attempt}.db"
            shutil.copy(seeded, copy3)
            base, base_rows = await baseline(copy3)
            print(f"today (3 runs: 07, 12, 19 WIB): {today:.2f} s, {today_rows:,} tips queued "
                  f"({today_rows / today:,.0f}/s)  goal < 5 s")
            print(f"next day (3 runs):               {following:.2f} s, {following_rows:,} tips")
            print(f"one slot, one run:               {worst:.2f} s, {worst_rows:,} tips")
            print(f"baseline: one constant reminder to the same WIB families: {base:.2f} s, "
                  f"{base_rows:,} rows; today / baseline = {today / base:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
