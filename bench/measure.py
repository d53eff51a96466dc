"""``/ukur`` through the fake Bot API server (run by hand: ``python bench/measure.py``; not a test).

What is measured
    For each runtime (python-telegram-bot, aiogram) the real ``tumbuh run`` path
    (``bot.runner.run_bot``: dispatcher, runtime, scheduler and delivery in one process) runs in a
    child process against the fake server (``tests/fake_telegram``), on a fresh migrated SQLite
    file, with ``TUMBUH_CHARTS=false`` (charts off) and the default concurrency (32).

    The database: kecamatan with 5 desa, one bidan per desa (she receives the referral notices of
    stunted or wasted children through the outbox, as in production), one *batch* posyandu with
    ``50 x (rounds + 1)`` children and ``--kaders`` (20) *throughput* posyandu with enough
    children each; one registered kader (platform telegram) per posyandu. Children have distinct
    names ("Siti Rahayu"), both sexes and birth dates 6-59 months before today (WIB). Every line
    typed is "Name kg cm" with Indonesian decimal commas, the numbers drawn around the WHO
    medians for the child's sex and age (z between -2.5 and +2, so some children come out
    stunted or underweight, and none should need re-measuring). No child has earlier
    measurements, so there is no weight-gain history to compare with.

    (1) batch: the batch kader sends ``/ukur`` followed by 50 lines. Timed from enqueueing the
        update in the fake server until the fake records the summary (the last part, if the
        text is split at Telegram's 4,096 characters: ``parts`` says how many messages it
        took). One warm-up batch, then ``--rounds`` timed batches, each with 50 children not
        measured before that day. Goal: answered in one message, under 2 s (median and max
        shown).
    (2) throughput: ``--lines`` single ``/ukur Name kg cm`` updates, round-robin over the
        ``--kaders`` kaders (each user's updates are handled strictly in order, so several
        users are needed for concurrency), fed so that at most ``--backlog`` wait unfetched.
        Each gets one reply (the text result). After a warm-up of ``--warmup`` lines per kader,
        the clock starts at the first timed update enqueued and stops when the fake server
        records the last timed reply to a kader. ``upd/s`` = timed lines / that time, i.e.
        whole round trips (getUpdates, user and session load, duplicate check, child match,
        WHO assessment, insert of measurement + audit + follow-up + outbox notice + processed
        update in one transaction, Jinja rendering, sendMessage) of one bot process on SQLite.
        Goal: >= 100 per second.
    (3) chart: ``growth.render_growth_chart`` in this process (not through the bot), a child of
        30 months with a 12-point monthly history; the first (cold: template drawn) call apart,
        then the median and max of ``--draws`` draws, and the PNG size. Goal: median < 100 ms.

How to read it
    ``bot CPU``: the bot process's CPU time over the timed window as a share of one core (near
    100 % means the bot is CPU-bound: the figure is the bot's, not the fake server's), and per
    update (CPU ms per line: the figure least disturbed by other processes; 100 upd/s on one
    core needs under 10 ms). ``calls``: Bot API calls the fake received in the window. ``RSS``:
    the bot's peak resident memory, sampled every 50 ms over its whole life. ``stored`` /
    ``attention``: lines saved vs lines the bot asked to re-check (a batch's attention list, or
    the confirmation question of a single line); ``errors`` counts internal-error replies. A
    load average above 0.5 before the run (other processes on the machine) makes the figures
    doubtful; it is printed. ``--profile DIR`` records the bot with py-spy during the throughput
    window and prints the heaviest functions.

    python bench/measure.py [--runtime ptb|aiogram|both] [--lines 2000] [--kaders 20]
                            [--rounds 5] [--draws 50] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
from _process import RssSampler, cpu_seconds, feed, machine_busy_seconds
from _pyspy import Recorder, summary

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "123456:BENCH-MEASURE"
BATCH_KADER = 20_000_001
FIRST_KADER = 20_000_101
FIRST_BIDAN = 20_000_901
DESA = 5
BATCH_LINES = 50
INTERNAL_ERROR = "terjadi gangguan di sistem kami"
RESULT_MARK = "BB/U:"  # in measure/result, not in the confirmation question
CONFIRM_MARK = "Periksa dulu"
BATCH_HEAD = re.compile(r"Hasil (\d+) baris: (\d+) tersimpan(?:, <b>(\d+) perlu dicek)?")
FIRST_NAMES = (
    "Siti", "Budi", "Ayu", "Rizky", "Putri", "Dimas", "Nur", "Agus", "Dewi", "Fajar", "Intan",
    "Rahmat", "Sri", "Bayu", "Wulan", "Eko", "Fitri", "Hendra", "Lestari", "Joko", "Ratna",
    "Yusuf", "Aisyah", "Bima", "Citra", "Doni", "Endang", "Gilang", "Hana", "Iwan", "Kartika",
    "Lukman", "Maya", "Nanda", "Oki", "Puspita", "Rafi", "Salsabila", "Taufik", "Umi",
)
LAST_NAMES = (
    "Aminah", "Santoso", "Rahayu", "Pratama", "Lestari", "Hidayat", "Kusuma", "Saputra",
    "Wulandari", "Nugroho", "Permata", "Setiawan", "Anggraini", "Firmansyah", "Maharani",
    "Gunawan", "Safitri", "Kurniawan", "Handayani", "Ramadhan", "Susanti", "Wibowo",
    "Purnamasari", "Hakim", "Oktaviani", "Syahputra", "Novitasari", "Prasetyo", "Yuliani",
    "Hartono", "Sari", "Wijaya", "Fauzi", "Melati", "Siregar", "Nasution", "Lubis", "Wenda",
    "Manurung", "Simanjuntak", "Tanjung", "Harahap", "Sinaga", "Pohan", "Daulay",
)


# --------------------------------------------------------------------------- the bot (child)


def child(args: argparse.Namespace) -> None:
    from bot.runner import run_bot
    from bot.settings import Settings

    logging.basicConfig(level=logging.WARNING, format="bot: %(levelname)s %(name)s: %(message)s")
    settings = Settings(
        _env_file=None, database_url=args.database, telegram_token=TOKEN,
        telegram_api_url=args.api, runtime=args.runtime, charts=False, log_level="WARNING",
    )
    asyncio.run(run_bot(settings))  # stops on SIGTERM, as `tumbuh run` does


# --------------------------------------------------------------------------- the world


@dataclass
class Kid:
    name: str
    sex: str  # "L" / "P"
    birth: dt.date


@dataclass
class Plan:
    today: dt.date
    batch: list[Kid]
    posyandu: list[list[Kid]]  # throughput posyandu, one kader each


def wib_today() -> dt.date:
    return dt.datetime.now(ZoneInfo("Asia/Jakarta")).date()


def make_plan(kaders: int, per_posyandu: int, batch: int) -> Plan:
    rng = random.Random(2024)
    today = wib_today()
    names = [f"{a} {b}" for a in FIRST_NAMES for b in LAST_NAMES]

    def kids(count: int) -> list[Kid]:
        chosen = rng.sample(names, count)  # distinct within one posyandu
        return [Kid(name, rng.choice("LP"), today - dt.timedelta(days=rng.randint(185, 1790)))
                for name in chosen]

    return Plan(today, kids(batch), [kids(per_posyandu) for _ in range(kaders)])


def line_for(kid: Kid, today: dt.date, rng: random.Random) -> str:
    """"Siti Rahayu 11,3 86,2": weight and length/height near WHO's values for the age."""
    from growth.tables import age_table, sd_value

    row, day = (0 if kid.sex == "L" else 1), (today - kid.birth).days
    values = []
    for name in ("wfa", "lhfa"):
        t = age_table(name)
        z = min(2.0, max(-2.5, rng.gauss(-0.4, 0.9)))
        values.append(float(sd_value(t.m[row, day], t.l[row, day], t.s[row, day], z)))
    weight, length = values
    return f"{kid.name} {weight:.1f} {length:.1f}".replace(".", ",")


async def seed(url: str, plan: Plan) -> None:
    """Migrate; add the areas, posyandu, children, kaders and bidans."""
    from storage.db import Database
    from storage.models import Child, User
    from storage.registry import AreaRow, add_posyandu, import_areas

    db = Database(url)
    try:
        await db.upgrade()
        async with db.transaction() as session:
            rows = [AreaRow(0, "36", "Banten", "provinsi", None, "WIB"),
                    AreaRow(0, "36.02", "Lebak", "kabupaten", "36", None),
                    AreaRow(0, "36.02.01", "Malingping", "kecamatan", "36.02", None)]
            desa = [f"36.02.01.{2001 + d}" for d in range(DESA)]
            rows += [AreaRow(0, code, f"Desa {d + 1}", "desa", "36.02.01", None)
                     for d, code in enumerate(desa)]
            await import_areas(session, rows)
            now = dt.datetime.now(dt.UTC)
            groups = [(BATCH_KADER, plan.batch)] + [
                (FIRST_KADER + k, kids) for k, kids in enumerate(plan.posyandu)]
            for index, (uid, kids) in enumerate(groups):
                added = await add_posyandu(session, desa_code=desa[index % DESA],
                                           name=f"Posyandu {index + 1:02d}",
                                           opens_at=dt.time(8), day_of_month=1 + index % 28)
                session.add_all(Child(posyandu_id=added.id, name=k.name, sex=k.sex,
                                      birth_date=k.birth, created_at=now) for k in kids)
                session.add(User(platform="telegram", platform_user_id=str(uid),
                                 chat_id=str(uid), role="kader", posyandu_id=added.id,
                                 locale="id", locale_chosen=False, created_at=now))
            session.add_all(
                User(platform="telegram", platform_user_id=str(FIRST_BIDAN + d),
                     chat_id=str(FIRST_BIDAN + d), role="bidan", area_code=code, locale="id",
                     locale_chosen=False, created_at=now)
                for d, code in enumerate(desa)
            )
    finally:
        await db.dispose()


# --------------------------------------------------------------------------- measuring


@dataclass
class BatchRound:
    seconds: float
    parts: int
    stored: int
    attention: int


@dataclass
class Throughput:
    lines: int
    seconds: float
    bot_cpu: float
    stored: int
    attention: int
    other: int
    errors: int
    notices: int
    other_cpu: float
    methods: dict[str, int]

    @property
    def rate(self) -> float:
        return self.lines / self.seconds


@dataclass
class RuntimeResult:
    runtime: str
    batches: list[BatchRound]
    throughput: Throughput
    rss_peak: int
    warmup_batch: BatchRound
    queued_notices: int = 0  # referral notices in the outbox at the end (batch phase included)


class Counter:
    """Replies the fake recorded to a set of chats, counted incrementally."""

    def __init__(self, fake, chats: set[int]) -> None:
        self.fake, self.chats = fake, chats
        self.seen = 0
        self.messages: list = []

    def update(self) -> int:
        sent = self.fake.sent
        for message in sent[self.seen:]:
            if message.chat_id in self.chats:
                self.messages.append(message)
        self.seen = len(sent)
        return len(self.messages)


async def wait_count(counter: Counter, target: int, bot, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while counter.update() < target:
        if bot.returncode is not None:
            raise SystemExit(f"bench: the bot exited with {bot.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: {counter.update()} of {target} replies within {timeout} s")
        await asyncio.sleep(0.002)


async def one_batch(fake, bot, kader, kids: list[Kid], today: dt.date,
                    rng: random.Random) -> BatchRound:
    counter = Counter(fake, {kader.chat_id})
    base = counter.update()
    text = "/ukur\n" + "\n".join(line_for(kid, today, rng) for kid in kids)
    started = time.monotonic()
    kader.send_text(text)
    await wait_count(counter, base + 1, bot, timeout=60)
    await asyncio.sleep(0.5)  # a text split at 4,096 characters arrives as several messages
    counter.update()
    parts = counter.messages[base:]
    head = BATCH_HEAD.search(parts[0].text or "")
    if head is None:
        raise SystemExit(f"bench: unexpected batch answer: {(parts[0].text or '')[:200]!r}")
    stored = int(head.group(2))
    return BatchRound(parts[-1].at - started, len(parts), stored, BATCH_LINES - stored)


async def measure(runtime: str, database: str, plan: Plan, args: argparse.Namespace,
                  ) -> RuntimeResult:
    from tests.fake_telegram import FakeTelegram

    async with FakeTelegram(token=TOKEN) as fake:
        command = [sys.executable, str(Path(__file__).resolve()), "--child", "--runtime",
                   runtime, "--api", fake.api_root, "--database", database]
        process = await asyncio.create_subprocess_exec(*command, cwd=ROOT)
        sampler = RssSampler(process.pid)
        sampling = asyncio.create_task(sampler.run())
        try:
            deadline = time.monotonic() + 60
            while fake.method_counts["getUpdates"] == 0:  # polling has started
                if process.returncode is not None or time.monotonic() > deadline:
                    raise SystemExit(f"bench: the {runtime} bot did not start polling")
                await asyncio.sleep(0.02)
            rng = random.Random(11)

            # (1) batch: one warm-up round, then the timed rounds, 50 fresh children each.
            batcher = fake.user(BATCH_KADER, first_name="Kader Batch")
            rounds = [plan.batch[i:i + BATCH_LINES]
                      for i in range(0, len(plan.batch), BATCH_LINES)]
            warm = await one_batch(fake, process, batcher, rounds[0], plan.today, rng)
            batches = []
            for kids in rounds[1:]:
                await fake.wait_idle(quiet=0.3)
                batches.append(await one_batch(fake, process, batcher, kids, plan.today, rng))

            # (2) throughput: single lines round-robin over the kaders.
            kaders = [fake.user(FIRST_KADER + k, first_name=f"Kader {k + 1}")
                      for k in range(len(plan.posyandu))]
            counter = Counter(fake, {k.chat_id for k in kaders})
            queues = [iter(kids) for kids in plan.posyandu]

            def lines(count: int) -> list:
                return [(kaders[i % len(kaders)],
                         "/ukur " + line_for(next(queues[i % len(kaders)]), plan.today, rng))
                        for i in range(count)]

            warmup = lines(args.warmup * len(kaders))
            await feed(fake, warmup, args.backlog)
            await wait_count(counter, len(warmup), process, timeout=120)
            await fake.wait_idle(quiet=0.5)
            base = counter.update()
            timed = lines(args.lines)
            recorder = None
            if args.profile is not None:
                recorder = Recorder(process.pid, args.profile / f"{runtime}-measure.txt")
                await recorder.start()
            bot_process, fake_process = psutil.Process(process.pid), psutil.Process()
            bot_cpu, fake_cpu = cpu_seconds(bot_process), cpu_seconds(fake_process)
            busy, methods = machine_busy_seconds(), dict(fake.method_counts)
            started = time.monotonic()
            await feed(fake, timed, args.backlog)
            await wait_count(counter, base + args.lines, process,
                             timeout=60 + args.lines / 10)
            seconds = counter.messages[base + args.lines - 1].at - started
            bot_cpu = cpu_seconds(bot_process) - bot_cpu
            other_cpu = (machine_busy_seconds() - busy - bot_cpu
                         - (cpu_seconds(fake_process) - fake_cpu)) / seconds
            bot_cpu /= seconds
            methods = {name: count - methods.get(name, 0)
                       for name, count in fake.method_counts.items()
                       if count != methods.get(name, 0)}
            if recorder is not None:
                await recorder.stop()
            await asyncio.sleep(0.5)
            counter.update()
            replies = [m.text or "" for m in counter.messages[base:]]
            notices = sum(1 for m in fake.sent if m.chat_id >= FIRST_BIDAN)
            throughput = Throughput(
                lines=args.lines, seconds=seconds, bot_cpu=bot_cpu,
                stored=sum(1 for t in replies if RESULT_MARK in t),
                attention=sum(1 for t in replies if CONFIRM_MARK in t),
                other=sum(1 for t in replies if RESULT_MARK not in t and CONFIRM_MARK not in t),
                errors=sum(1 for t in replies if INTERNAL_ERROR in t),
                notices=notices, other_cpu=max(other_cpu, 0.0), methods=methods,
            )
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
            sampling.cancel()
    return RuntimeResult(runtime, batches, throughput, sampler.peak, warm)


# --------------------------------------------------------------------------- (3) the chart


def chart_figures(draws: int) -> tuple[float, float, float, int]:
    """(cold ms, median ms, max ms, PNG bytes) for a 30-month-old with 12 monthly points."""
    from growth import render_growth_chart
    from growth.tables import age_table

    born = dt.date(2023, 5, 14)
    wfa, lhfa = age_table("wfa"), age_table("lhfa")
    points = []
    for month in range(19, 31):
        on = born + dt.timedelta(days=round(month * 30.4375))
        day = (on - born).days
        points.append((on, round(float(wfa.m[1, day]) * 0.93, 1),
                       round(float(lhfa.m[1, day]) * 0.96, 1)))
    started = time.perf_counter()
    png = render_growth_chart("f", born, points, "Putri Ayu Lestari")
    cold = time.perf_counter() - started
    times = []
    for _ in range(draws):
        started = time.perf_counter()
        png = render_growth_chart("f", born, points, "Putri Ayu Lestari")
        times.append(time.perf_counter() - started)
    return cold * 1000, statistics.median(times) * 1000, max(times) * 1000, len(png)


# --------------------------------------------------------------------------- the report


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(result: RuntimeResult) -> list[str]:
    times = [b.seconds for b in result.batches]
    parts = max(b.parts for b in result.batches)
    stored = sum(b.stored for b in result.batches)
    attention = sum(b.attention for b in result.batches)
    median, worst = statistics.median(times), max(times)
    t = result.throughput
    r = result.runtime
    rows = [
        f"{r:<8} batch of 50 lines   median {median:6.2f} s, max {worst:5.2f} s over "
        f"{len(times)} rounds; {parts} message(s)    goal < 2 s in one message: "
        f"{verdict(worst < 2 and parts == 1)}",
        f"{'':<8}   rounds: {', '.join(f'{s:.2f}' for s in times)} s (warm-up round "
        f"{result.warmup_batch.seconds:.2f} s); lines stored {stored}, need attention "
        f"{attention}",
        f"{r:<8} single /ukur lines  {t.rate:6.0f} upd/s ({t.lines:,} lines in {t.seconds:.2f} s, "
        f"bot CPU {t.bot_cpu:.0%} = {t.bot_cpu / t.rate * 1000:.1f} ms per update)    "
        f"goal >= 100/s: {verdict(t.rate >= 100)}",
        f"{'':<8}   replies: {t.stored:,} results, {t.attention:,} confirmation questions, "
        f"{t.other:,} other, {t.errors:,} internal errors; referral notices to bidan "
        f"queued {result.queued_notices:,}, delivered by the end {t.notices:,} (delivery "
        f"sends each bidan at most one message every 1.1 s)",
        f"{'':<8}   calls in the timed window: "
        + ", ".join(f"{name} {count:,}" for name, count in sorted(t.methods.items())),
        f"{r:<8} bot RSS peak        {result.rss_peak / 2**20:6.0f} MB",
    ]
    if t.other_cpu > 0.15:
        rows.append(f"{'':<8}   DOUBTFUL: other processes used {t.other_cpu:.0%} of a core "
                    f"during the throughput window")
    if t.errors or t.other:
        rows.append(f"{'':<8}   DOUBTFUL: {t.other} replies were neither a result nor a "
                    f"confirmation, {t.errors} internal errors")
    return rows


async def main(args: argparse.Namespace) -> int:
    runtimes = ["ptb", "aiogram"] if args.runtime == "both" else [args.runtime]
    load = os.getloadavg()[0]
    print(f"bench/measure.py: {psutil.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"load average {load:.2f}{'  (DOUBTFUL: machine busy)' if load > 0.5 else ''}")
    per_posyandu = args.warmup + -(-args.lines // args.kaders)
    plan = make_plan(args.kaders, per_posyandu, BATCH_LINES * (args.rounds + 1))
    print(f"batch: {args.rounds} timed rounds of {BATCH_LINES} lines (+1 warm-up), posyandu of "
          f"{len(plan.batch)} children; throughput: {args.lines:,} lines from {args.kaders} "
          f"kaders ({per_posyandu} children per posyandu, {args.warmup} warm-up lines each), "
          f"charts off, SQLite")

    cold, median, worst, size = chart_figures(args.draws)
    print(f"chart    render_growth_chart  median {median:6.1f} ms, max {worst:.1f} ms over "
          f"{args.draws} draws (first, cold: {cold:.0f} ms); PNG {size / 1000:.0f} KB    "
          f"goal < 100 ms: {verdict(median < 100)}", flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="tumbuh-bench-measure-"))
    template = workdir / "template.db"
    started = time.monotonic()
    try:
        await seed(f"sqlite:///{template}", plan)
        for runtime in runtimes:
            path = workdir / f"{runtime}.db"
            shutil.copy(template, path)
            result = await measure(runtime, f"sqlite:///{path}", plan, args)
            with closing(sqlite3.connect(path)) as connection:
                result.queued_notices = connection.execute(
                    "SELECT count(*) FROM outbox WHERE kind = 'notice'").fetchone()[0]
            print("\n".join(report(result)), flush=True)
            if args.profile:
                print(summary(args.profile / f"{runtime}-measure.txt"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"total {time.monotonic() - started:.0f} s")
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runtime", choices=["ptb", "aiogram", "both"], default="both")
    parser.add_argument("--lines", type=int, default=2000, help="timed single /ukur lines")
    parser.add_argument("--kaders", type=int, default=20, help="kaders sending single lines")
    parser.add_argument("--warmup", type=int, default=10, help="warm-up lines per kader")
    parser.add_argument("--rounds", type=int, default=5, help="timed 50-line batches")
    parser.add_argument("--draws", type=int, default=50, help="timed chart draws")
    parser.add_argument("--backlog", type=int, default=500,
                        help="most updates waiting in the fake server at once")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record the bot with py-spy during the throughput window")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.lines, args.kaders, args.rounds, args.draws) < 1 or args.warmup < 0:
        parser.error("--lines, --kaders, --rounds and --draws must be positive")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.child:
        child(arguments)
    else:
        sys.exit(asyncio.run(main(arguments)))
