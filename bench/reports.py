"""Report and broadcast-audience benchmarks, run by hand:

    python bench/reports.py [--engine sqlite|postgres|both] [--pg-url URL] [--reuse] [--repeat 3]

A synthetic kabupaten (36.99: 20 kecamatan x 15 desa x 2 posyandu) with 150,000 children under
five, measured monthly for a year (93 % of child-months weighed, 8 % of those twice, as at a
Gebyar): about 1.8 million measurements with z-scores, plus a neighbouring kabupaten (36.98) a
tenth its size that the queries must leave out, 100,000 families, kader, bidan and coordinators.
Rows are bulk-inserted (SQLite executemany in one transaction, PostgreSQL COPY) with their
``latest_of_month`` flag set as the bot sets it (the second weighing of a month is the latest),
then ANALYZEd (PostgreSQL: VACUUM ANALYZE, the state autovacuum keeps an insert-only table in, so
the visibility map lets the report read the partial index alone).

Timed (median of ``--repeat`` runs after one cold run, printed with the cold run):
1. ``storage.reports.build_report`` for the kabupaten and its last month: every section
   (figures by kecamatan, SKDN S/K, the 13 months of totals for the trend, previous month and
   year-before, follow-up counts per posyandu). Goal: < 2 s on PostgreSQL, < 5 s on SQLite.
   Baseline in the same run: a bare ``COUNT(*)`` of the month's measurements in the kabupaten.
   Also printed: the 12 months before (one query, ``monthly_figures``) on their own.
   ``--repeat 8`` shows that the report stays fast after PostgreSQL's 5th run of a prepared
   statement (``build_report`` asks for custom plans).
2. The chart PNG and the XLSX file of that report (drawn outside the transaction in the bot).
3. Counting a broadcast's audience: every family of the kabupaten (100,000) with the same query
   that sends (``storage.broadcasts.audience``), and the "orang tua balita" group. Goal: < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text  # noqa: E402

from bot.reporting import chart_png, report_xlsx  # noqa: E402
from storage.broadcasts import BALITA, audience, count_audience  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Measurement  # noqa: E402
from storage.registry import AreaRow, import_areas  # noqa: E402
from storage.reports import (  # noqa: E402
    add_months,
    build_report,
    in_area,
    monthly_figures,
    place_of,
)

MONTH = dt.date(2026, 11, 1)
FIRST_MONTH = dt.date(2025, 12, 1)
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
KAB, NEIGHBOUR = "36.99", "36.98"
KECAMATAN, DESA, POSYANDU = 20, 15, 2
CHILDREN = 150_000
FAMILIES = 100_000
SQLITE_PATH = Path("/tmp/tumbuh_bench_reports.db")


def months() -> list[dt.date]:
    out, day = [], FIRST_MONTH
    for _ in range(12):
        out.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return out


class Plan:
    """Every row to insert, as tuples per table (column names first)."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.areas: list[AreaRow] = [AreaRow(0, "36", "Banten", "provinsi", None, "WIB")]
        self.posyandu: list[tuple] = []
        self.users: list[tuple] = []
        self.children: list[tuple] = []
        self.targets: list[tuple] = []
        self.measurements: list[tuple] = []

    def build(self) -> None:
        for kab, scale in ((KAB, 1), (NEIGHBOUR, 10)):
            self._kabupaten(kab, scale)

    def _kabupaten(self, kab: str, scale: int) -> None:
        rng = self.rng
        self.areas.append(AreaRow(0, kab, f"Kab. {kab}", "kabupaten", "36", None))
        kecamatan = KECAMATAN // scale if scale > 1 else KECAMATAN
        posyandu_ids, desa_of = [], {}
        for k in range(1, kecamatan + 1):
            kec = f"{kab}.{k:02d}"
            self.areas.append(AreaRow(0, kec, f"Kecamatan {kec}", "kecamatan", kab, None))
            self.users.append(self._user("koordinator", kec, None))
            for d in range(1, DESA + 1):
                desa = f"{kec}.{2000 + d}"
                self.areas.append(AreaRow(0, desa, f"Desa {desa}", "desa", kec, None))
                self.users.append(self._user("bidan", desa, None))
                for p in range(POSYANDU):
                    pid = len(self.posyandu) + 1
                    self.posyandu.append((pid, desa, f"Posyandu {desa}/{p}", 1 + pid % 25,
                                          dt.time(8), f"B{pid:07d}", NOW))
                    posyandu_ids.append(pid)
                    desa_of[pid] = desa
                    for _ in range(2):
                        self.users.append(self._user("kader", None, pid))
        families = FAMILIES // scale
        family_ids = []
        for i in range(families):
            pid = posyandu_ids[i % len(posyandu_ids)]
            family_ids.append(len(self.users) + 1)
            self.users.append(self._user("keluarga", None, pid))
        for i in range(families // 20):  # 5 % pregnant
            user_id = family_ids[i * 20]
            pid = self.users[user_id - 1][6]
            self.targets.append((len(self.targets) + 1, "hamil", user_id, desa_of[pid], pid,
                                 dt.date(2026, 6, 1), NOW))
        children = CHILDREN // scale
        births = rng.integers(0, 47 * 30, size=children)
        sexes = rng.integers(0, 2, size=children)
        kia = rng.random(children) < 0.9
        # Birth dates between 1 and 48 months before the first month: under five all year.
        born_latest = FIRST_MONTH - dt.timedelta(days=31)
        first_child = len(self.children) + 1
        for i in range(children):
            pid = posyandu_ids[i % len(posyandu_ids)]
            parent = family_ids[i % families] if i % 10 < 7 else None
            birth = born_latest - dt.timedelta(days=int(births[i]))
            self.children.append((first_child + i, pid, f"Anak {first_child + i}",
                                  "L" if sexes[i] else "P", birth, parent, bool(kia[i]), NOW))
        self._measurements(first_child, children, desa_of)

    def _user(self, role: str, area: str | None, posyandu: int | None) -> tuple:
        uid = len(self.users) + 1
        return (uid, "telegram", str(10**7 + uid), str(10**7 + uid), role, area, posyandu,
                "en" if uid % 7 == 0 else "id", False, NOW)

    def _measurements(self, first_child: int, count: int, desa_of: dict) -> None:
        rng = self.rng
        level = rng.normal(-0.9, 1.1, size=count)  # each child's own length-for-age level
        for month in months():
            weighed = rng.random(count) < 0.93
            twice = rng.random(count) < 0.08
            noise = rng.normal(0, 0.25, size=(count, 3))
            gains = rng.choice(np.array(["N", "T", "O", "B"]), size=count, p=[0.7, 0.2, 0.07, 0.03])
            for i in np.flatnonzero(weighed):
                child = self.children[first_child - 1 + i]
                pid, birth = child[1], child[4]
                day = month.replace(day=1 + child[0] % 25)
                for extra in ((0, 1) if twice[i] else (0,)):
                    on = day + dt.timedelta(days=3 * extra)
                    zlen = float(level[i] + noise[i, 0] + 0.1 * extra)
                    zwei = float(level[i] * 0.7 + noise[i, 1])
                    zwfl = float(level[i] * 0.3 + noise[i, 2] + 0.2)
                    gain = str(gains[i])
                    self.measurements.append((
                        len(self.measurements) + 1, child[0], pid, desa_of[pid], on,
                        10.0 + zwei, 80.0 + zlen * 3, "l", (on - birth).days, 80.0 + zlen * 3,
                        zlen, zwei, zwfl, zwfl, False, gain, gain == "T" and extra == 1,
                        zwei < -3, zlen < -2, zwfl < -2, NOW,
                        not twice[i] or extra == 1,  # latest_of_month
                    ))


USER_COLS = ("id", "platform", "platform_user_id", "chat_id", "role", "area_code", "posyandu_id",
             "locale", "locale_chosen", "created_at")
POSYANDU_COLS = ("id", "desa_code", "name", "day_of_month", "opens_at", "join_code", "created_at")
CHILD_COLS = ("id", "posyandu_id", "name", "sex", "birth_date", "parent_user_id", "has_kia",
              "created_at")
TARGET_COLS = ("id", "kind", "user_id", "desa_code", "posyandu_id", "hpht", "created_at")
MEASUREMENT_COLS = ("id", "child_id", "posyandu_id", "desa_code", "measured_on", "weight_kg",
                    "lenhei_cm", "position", "age_days", "clenhei", "zlen", "zwei", "zwfl", "zbmi",
                    "flagged", "gain", "two_t", "bgm", "stunted", "wasted", "entered_at",
                    "latest_of_month")


async def load(db: Database, plan: Plan) -> None:
    async with db.transaction() as session:
        await import_areas(session, plan.areas)
    tables = [("posyandu", POSYANDU_COLS, plan.posyandu), ("users", USER_COLS, plan.users),
              ("children", CHILD_COLS, plan.children), ("targets", TARGET_COLS, plan.targets),
              ("measurements", MEASUREMENT_COLS, plan.measurements)]
    if db.is_sqlite:
        import sqlite3

        conn = sqlite3.connect(SQLITE_PATH)
        conn.execute("PRAGMA foreign_keys=OFF")

        def cell(value):
            if isinstance(value, dt.datetime):
                return value.replace(tzinfo=None).isoformat(sep=" ")
            if isinstance(value, dt.date | dt.time):
                return value.isoformat()
            return value

        defaults = {"measurements": ", oedema", "children": ""}
        for table, cols, rows in tables:
            extra = defaults.get(table, "")
            marks = ", ".join("?" * len(cols)) + (", 0" if extra else "")
            sql = f"INSERT INTO {table} ({', '.join(cols)}{extra}) VALUES ({marks})"
            for start in range(0, len(rows), 200_000):
                conn.executemany(sql, [tuple(cell(v) for v in r) for r in rows[start:start + 200_000]])
        conn.commit()
        conn.execute("ANALYZE")
        conn.close()
        return
    import asyncpg

    conn = await asyncpg.connect(db.url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for table, cols, rows in tables:
            if table == "measurements":
                rows = [r + (False,) for r in rows]
                cols = cols + ("oedema",)
            await conn.copy_records_to_table(table, records=rows, columns=list(cols))
        for table in ("posyandu", "users", "children", "targets", "measurements"):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def prepare(engine: str, pg_url: str, reuse: bool) -> Database:
    if engine == "sqlite":
        if reuse and SQLITE_PATH.exists():
            return Database(f"sqlite:///{SQLITE_PATH}")
        SQLITE_PATH.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(SQLITE_PATH) + suffix).unlink(missing_ok=True)
        db = Database(f"sqlite:///{SQLITE_PATH}")
    else:
        db = Database(pg_url)
        if reuse:
            async with db.transaction() as session:
                try:
                    if await session.scalar(select(func.count()).select_from(Measurement)):
                        return db
                except Exception:
                    pass
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await db.upgrade()
    started = time.perf_counter()
    plan = Plan()
    plan.build()
    built = time.perf_counter()
    await load(db, plan)
    print(f"  generated {len(plan.children):,} children, {len(plan.measurements):,} measurements, "
          f"{len(plan.users):,} users in {built - started:.1f} s, loaded in "
          f"{time.perf_counter() - built:.1f} s")
    return db


async def timed(db: Database, repeat: int, work) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat + 1):
        async with db.transaction() as session:
            started = time.perf_counter()
            result = await work(session)
            times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:]), result


async def bench(engine: str, pg_url: str, reuse: bool, repeat: int) -> None:
    print(f"== {engine}")
    db = await prepare(engine, pg_url, reuse)
    try:
        async with db.transaction() as session:
            n = await session.scalar(select(func.count()).select_from(Measurement))
            print(f"  measurements in the database: {n:,}")
            place = await place_of(session, KAB)

        async def baseline(session):
            first, last = MONTH, dt.date(2026, 11, 30)
            return await session.scalar(select(func.count()).select_from(Measurement).where(
                Measurement.measured_on.between(first, last), in_area(Measurement.desa_code, KAB)))

        async def report(session):
            return await build_report(session, place, MONTH, names_allowed=False)

        cold, base, rows = await timed(db, repeat, baseline)
        print(f"  baseline COUNT(*) of the month's measurements ({rows:,}): {base:.3f} s")
        cold, median, result = await timed(db, repeat, report)
        print(f"  kabupaten report, all sections: cold {cold:.2f} s, median {median:.2f} s "
              f"(goal < {2 if engine == 'postgres' else 5} s; {median / base:.1f}x the baseline)")
        async def months(session):
            if not db.is_sqlite:  # as build_report does (generic plans: see there)
                await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
            return await monthly_figures(session, place, add_months(MONTH, -12),
                                         add_months(MONTH, -1))

        cold, median, _ = await timed(db, repeat, months)
        print(f"    of which the 12 months before (one query): cold {cold:.2f} s, "
              f"median {median:.2f} s")
        summary = result.sections[0].values["now"]
        print(f"    measured {summary.measured:,}, stunted {summary.stunted:,} "
              f"({summary.pct('stunted'):.1f} %), sub-areas {len(result.bars)}")
        started = time.perf_counter()
        png = chart_png(result, "id")
        chart = time.perf_counter() - started
        started = time.perf_counter()
        xlsx = report_xlsx(result, "id")
        sheet = time.perf_counter() - started
        print(f"  chart PNG {chart * 1000:.0f} ms ({len(png) // 1024} KB), "
              f"XLSX {sheet * 1000:.0f} ms ({len(xlsx) // 1024} KB)")
        for label, groups in (("every family", []), ("orang tua balita", [BALITA])):
            query = audience(KAB, ["keluarga"], groups, MONTH)
            cold, median, count = await timed(db, repeat, lambda s, q=query: count_audience(s, q))
            print(f"  audience count, {label}: {count:,} in cold {cold:.3f} s, "
                  f"median {median:.3f} s (goal < 1 s)")
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="both", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test7")
    parser.add_argument("--reuse", action="store_true", help="keep data from an earlier run")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    for engine in engines:
        asyncio.run(bench(engine, args.pg_url, args.reuse, args.repeat))


if __name__ == "__main__":
    main()
