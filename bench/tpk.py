"""TPK benchmarks, run by hand:

    python bench/tpk.py [--desas 300] [--targets-per-desa 150] [--repeat 3]

A synthetic kabupaten (36.99: 20 kecamatan, ``--desas`` desa in all) with ``--targets-per-desa``
active targets per desa (40 % hamil, 15 % nifas, 30 % baduta, 15 % catin), a year of monthly
visits for each (about 12 per hamil/baduta target), screenings for two thirds of the catin, and
one TPK per desa. SQLite, bulk-inserted in one transaction.

Timed (median of ``--repeat`` runs after a cold one):
1. ``storage.tpk.tpk_report`` for the kabupaten and one month (every figure counted in SQL).
   Baseline in the same run: a bare ``COUNT(*)`` of that month's visits in the kabupaten.
2. ``storage.tpk.desa_list`` for one desa (what ``/sasaran`` and the weekly job compute).
3. The weekly job for the whole zone (one list per desa, one row per TPK).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select  # noqa: E402

from scheduler.tpk import weekly  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Area, User  # noqa: E402
from storage.targets import Target  # noqa: E402
from storage.tpk import Screening, Visit, desa_list, tpk_report  # noqa: E402

MONTH = dt.date(2026, 10, 1)
MONDAY = dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.UTC)


async def seed(db: Database, desas: int, per_desa: int) -> list[str]:
    rng = random.Random(7)
    now = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    codes = []
    async with db.transaction() as session:
        areas = [dict(code="36", name="Banten", level="provinsi", parent_code=None,
                      timezone="Asia/Jakarta"),
                 dict(code="36.99", name="Bench", level="kabupaten", parent_code="36",
                      timezone="Asia/Jakarta")]
        for k in range(20):
            areas.append(dict(code=f"36.99.{k + 1:02d}", name=f"Kec {k}", level="kecamatan",
                              parent_code="36.99", timezone="Asia/Jakarta"))
        for d in range(desas):
            code = f"36.99.{d % 20 + 1:02d}.{2001 + d // 20}"
            codes.append(code)
            areas.append(dict(code=code, name=f"Desa {d}", level="desa",
                              parent_code=code[:8], timezone="Asia/Jakarta"))
        await session.execute(insert(Area), areas)
        await session.execute(insert(User), [
            dict(platform="bench", platform_user_id=f"tpk{i}", chat_id=f"tpk{i}", role="tpk",
                 area_code=code, locale="id", locale_chosen=False, created_at=now)
            for i, code in enumerate(codes)])
        targets = []
        for code in codes:
            for i in range(per_desa):
                r = rng.random()
                kind = "hamil" if r < .4 else "nifas" if r < .55 else "baduta" if r < .85 else "catin"
                created = now - dt.timedelta(days=rng.randint(20, 400))
                targets.append(dict(
                    kind=kind, name=f"Sasaran {i}", desa_code=code, created_at=created,
                    birth_date=dt.date(1990 + rng.randint(0, 15), 1, 1),
                    hpht=(now - dt.timedelta(days=rng.randint(20, 270))).date()
                    if kind == "hamil" else None,
                    due_date=(now + dt.timedelta(days=rng.randint(-30, 250))).date()
                    if kind == "hamil" else None,
                    delivered_on=(now - dt.timedelta(days=rng.randint(0, 40))).date()
                    if kind == "nifas" else None,
                    wedding_date=(now + dt.timedelta(days=rng.randint(-60, 300))).date()
                    if kind == "catin" else None,
                    children_born=rng.randint(0, 5)))
        await session.execute(insert(Target), targets)
        rows = (await session.execute(select(Target.id, Target.kind, Target.desa_code))).all()
        visits, screenings = [], []
        for target_id, kind, code in rows:
            if kind == "catin":
                if rng.random() < .66:
                    screenings.append(dict(
                        target_id=target_id, desa_code=code, age_years=22, smoking="tidak",
                        screened_on=(now - dt.timedelta(days=rng.randint(0, 200))).date(),
                        self_reported=False, result=rng.choice(["ideal", "berisiko"]),
                        reasons=rng.choice(["", "kek", "anemia,kek", "muda"]), created_at=now))
                continue
            for month in range(12 if kind != "nifas" else 3):
                day = (now - dt.timedelta(days=30 * month + rng.randint(0, 20))).date()
                visits.append(dict(
                    target_id=target_id, kind=kind, desa_code=code, visited_on=day,
                    kek=rng.random() < .1, anaemia=rng.random() < .2,
                    ttd_total=rng.randint(0, 120) if kind == "hamil" else None,
                    danger_signs="demam" if rng.random() < .02 else "", details={},
                    created_at=now))
        for start in range(0, len(visits), 20000):
            await session.execute(insert(Visit), visits[start:start + 20000])
        await session.execute(insert(Screening), screenings)
    print(f"seeded {len(rows):,} targets, {len(visits):,} visits, {len(screenings):,} screenings")
    return codes


async def timed(label: str, make, repeat: int) -> float:
    times = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        await make()
        times.append(time.perf_counter() - start)
    median = statistics.median(times[1:])
    print(f"{label:<44} cold {times[0] * 1000:8.1f} ms   median {median * 1000:8.1f} ms")
    return median


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--desas", type=int, default=300)
    parser.add_argument("--targets-per-desa", type=int, default=150)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        await db.upgrade()
        codes = await seed(db, args.desas, args.targets_per_desa)
        last = MONTH.replace(day=31)

        async def baseline():
            async with db.transaction() as session:
                await session.scalar(select(func.count()).select_from(Visit).where(
                    Visit.desa_code.like("36.99.%"), Visit.visited_on.between(MONTH, last)))

        async def report():
            async with db.transaction() as session:
                await tpk_report(session, "36.99", MONTH)

        async def one_desa():
            async with db.transaction() as session:
                await desa_list(session, codes[0], MONDAY.date())

        base = await timed("baseline: COUNT(*) of the month's visits", baseline, args.repeat)
        rep = await timed("tpk_report, kabupaten, one month", report, args.repeat)
        print(f"{'':<44} = {rep / base:.1f} x the baseline")
        await timed(f"desa_list, one desa ({args.targets_per_desa} targets)", one_desa, args.repeat)
        start = time.perf_counter()
        queued = await weekly(db, MONDAY, "Asia/Jakarta")
        print(f"weekly job, {len(codes)} desas: {queued} rows in "
              f"{time.perf_counter() - start:.2f} s")
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
