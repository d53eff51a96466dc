"""Throughput of the Telegram path (run by hand: ``python bench/updates.py``; not a test).

What is measured
    For each runtime (python-telegram-bot, aiogram) two bots run in turn against the fake Bot
    API server (``tests/fake_telegram``), with the same users, the same texts, the same number
    of updates and the same concurrency:

    (a) ``echo``: a bare echo bot in the same framework, built like Tumbuh's runtime (same
        handler kind, ``concurrent_updates`` / ``tasks_concurrency_limit``, connection pool,
        long polling with the same timeout); each text is sent straight back with the
        framework's usual call and defaults (Tumbuh's runtimes send texts their leaner way and
        run aiogram without its FSM: see ``bot/platforms``).
    (b) ``tumbuh``: the real ``tumbuh run`` path, ``bot.runner.run_bot`` (it builds the
        dispatcher with ``bot.app.build_dispatcher`` and the runtime with
        ``bot.platforms.make_runtime``, and runs the scheduler beside it) on a fresh, migrated
        database seeded with the users below. Every text goes through user load, the
        duplicate-update check, session load and save, routing, the handler, Jinja rendering
        and the processed-update insert, committed in one transaction per update.

    Users: ``--users`` Telegram users (1,000 by default), all registered: 90 % kader of one of
    50 posyandu (30 children each), 10 % koordinator of a kecamatan (150 children in scope).
    Texts, per user in turn, so every update gets exactly one reply:
        kader:       /bantuan, /anak, halo (free text, "not understood"), /menu
        koordinator: /undang (starts a conversation: session row inserted), "Bidan desa"
                     (answers the first question: session updated), /batal (session deleted),
                     /anak
    Users start at different points of their cycle, so any stretch of the run holds each text
    about equally often. Updates go round-robin over the users (user 1, 2, ... 1000, 1, 2, ...),
    fed into the fake server so that at most ``--backlog`` wait unfetched, as a busy bot sees
    them.

How it runs
    The bot runs in a child process (this file with ``--child``) and the fake server in this
    process, so on a 2-core machine each has a core, the fake server's own CPU does not slow
    the bot, and the memory figure is the bot's alone. Each bot first answers one warm-up
    update per user (imports, template compilation, connection pools, SQLite page cache, the
    command menu each user is shown once); then the clock starts at the first timed update
    enqueued and stops when the fake server records the N-th reply.

How to read it
    ``upd/s``: timed updates / seconds. ``ratio``: Tumbuh's upd/s over the echo bot's in the
    same run and runtime (goal >= 0.5). ``bot CPU`` / ``fake CPU``: CPU time of the bot
    process / of this process (the fake server) over the timed window, as a share of one core;
    a bot near 100 % is CPU-bound, a fake near 100 % means the fake server was the limit and
    the echo figure is a lower bound. ``ms/upd``: bot CPU time per update, steadier than upd/s
    when other processes compete for the cores. ``others``: CPU of every other process on the
    machine in the window (on PostgreSQL this includes the database server; with ``--profile``,
    py-spy). ``RSS``: the bot process's peak resident memory, sampled
    every 50 ms from its start to its end (goal < 200 MB for Tumbuh). Extra replies, replies
    with the internal-error text, or a load average above 0.5 before the run are reported:
    then the figures are doubtful.

    python bench/updates.py [--updates N] [--users 1000] [--runtime ptb|aiogram|both]
                            [--database sqlite|URL] [--concurrency 32]

``--database URL`` (PostgreSQL) must name an empty database: the bench migrates it, seeds it
and truncates its tables again between runs; it refuses a database that holds data.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from _process import RssSampler, cpu_seconds, feed, machine_busy_seconds
from _pyspy import Recorder, summary

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "123456:BENCH-TOKEN"
FIRST_USER_ID = 10_000_001
POSYANDU = 50
CHILDREN_PER_POSYANDU = 30
KECAMATAN = 5
DESA_PER_KECAMATAN = 4
KADER_TEXTS = ("/bantuan", "/anak", "halo", "/menu")
KOORDINATOR_TEXTS = ("/undang", "Bidan desa", "/batal", "/anak")
INTERNAL_ERROR = "terjadi gangguan di sistem kami"


# --------------------------------------------------------------------------- the bot (child)


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def echo_ptb(api: str, concurrency: int) -> None:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

    from bot.platforms.telegram_common import ALLOWED_UPDATES

    application = (
        ApplicationBuilder().token(TOKEN).base_url(f"{api}/bot").base_file_url(f"{api}/file/bot")
        .concurrent_updates(concurrency).connection_pool_size(concurrency + 8).build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is not None and message.text:
            await context.bot.send_message(message.chat.id, message.text)

    application.add_handler(TypeHandler(Update, echo))
    await application.initialize()
    await application.start()
    await application.updater.start_polling(
        poll_interval=0, timeout=10, allowed_updates=ALLOWED_UPDATES
    )
    await _until_signalled()
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def echo_aiogram(api: str, concurrency: int) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    from bot.platforms.telegram_common import ALLOWED_UPDATES

    session = AiohttpSession(api=TelegramAPIServer.from_base(api), limit=concurrency + 8)
    bot = Bot(TOKEN, session=session)
    dispatcher = Dispatcher()

    async def echo(message: Message) -> None:
        if message.text:
            await bot.send_message(message.chat.id, message.text)

    dispatcher.message.register(echo)
    polling = asyncio.create_task(dispatcher.start_polling(
        bot, handle_signals=False, close_bot_session=True, polling_timeout=10,
        allowed_updates=ALLOWED_UPDATES, tasks_concurrency_limit=concurrency,
    ))
    waiter = asyncio.create_task(_until_signalled())
    await asyncio.wait({polling, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if not polling.done():
        await dispatcher.stop_polling()
    await polling


async def tumbuh(api: str, concurrency: int, runtime: str, database: str) -> None:
    from bot.runner import run_bot
    from bot.settings import Settings

    settings = Settings(
        _env_file=None, database_url=database, telegram_token=TOKEN, telegram_api_url=api,
        runtime=runtime, concurrency=concurrency, log_level="WARNING",
    )
    await run_bot(settings)  # stops on SIGTERM, as `tumbuh run` does


def child(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING, format="bot: %(levelname)s %(name)s: %(message)s")
    if args.child == "tumbuh":
        asyncio.run(tumbuh(args.api, args.concurrency, args.runtime, args.database))
    elif args.runtime == "ptb":
        asyncio.run(echo_ptb(args.api, args.concurrency))
    else:
        asyncio.run(echo_aiogram(args.api, args.concurrency))


# --------------------------------------------------------------------------- the database


def user_ids(users: int) -> list[int]:
    return [FIRST_USER_ID + i for i in range(users)]


def is_koordinator(index: int) -> bool:
    return index % 10 == 9


def text_for(index: int, turn: int) -> str:
    """User ``index``'s text at ``turn``; users start at different points of their cycle, so
    every stretch of the run holds the whole mix."""
    texts = KOORDINATOR_TEXTS if is_koordinator(index) else KADER_TEXTS
    return texts[(turn + index) % len(texts)]


async def seed(url: str, users: int) -> None:
    """Migrate, then add the areas, posyandu, children and registered users."""
    from sqlalchemy import func, select

    from storage.db import Database
    from storage.models import Child, User
    from storage.registry import AreaRow, add_posyandu, import_areas

    db = Database(url)
    try:
        await db.upgrade()
        async with db.transaction() as session:
            if await session.scalar(select(func.count()).select_from(User)):
                raise SystemExit(f"bench: {url} already holds users; give an empty database")
            rows = [AreaRow(0, "36", "Banten", "provinsi", None, "WIB"),
                    AreaRow(0, "36.02", "Lebak", "kabupaten", "36", None)]
            desa = []
            for k in range(1, KECAMATAN + 1):
                kecamatan = f"36.02.{k:02d}"
                rows.append(AreaRow(0, kecamatan, f"Kecamatan {k}", "kecamatan", "36.02", None))
                for d in range(1, DESA_PER_KECAMATAN + 1):
                    code = f"{kecamatan}.{2000 + d}"
                    rows.append(AreaRow(0, code, f"Desa {k}-{d}", "desa", kecamatan, None))
                    desa.append(code)
            await import_areas(session, rows)
            now = dt.datetime.now(dt.UTC)
            posyandu = []
            for p in range(POSYANDU):
                added = await add_posyandu(session, desa_code=desa[p % len(desa)],
                                           name=f"Posyandu {p + 1:02d}", opens_at=dt.time(8),
                                           day_of_month=1 + p % 28)
                posyandu.append(added.id)
                session.add_all(
                    Child(posyandu_id=added.id, name=f"Anak {p:02d}-{c:02d}", sex="LP"[c % 2],
                          birth_date=dt.date(2022 + c % 4, 1 + c % 12, 1 + c % 28),
                          created_at=now)
                    for c in range(CHILDREN_PER_POSYANDU)
                )
            for index, uid in enumerate(user_ids(users)):
                if is_koordinator(index):
                    place = dict(role="koordinator", area_code=f"36.02.{1 + index % KECAMATAN:02d}")
                else:
                    place = dict(role="kader", posyandu_id=posyandu[index % POSYANDU])
                session.add(User(platform="telegram", platform_user_id=str(uid), chat_id=str(uid),
                                 locale="id", locale_chosen=False, created_at=now, **place))
    finally:
        await db.dispose()


async def empty_tables(url: str) -> None:
    from sqlalchemy import text

    from storage.db import Database
    from storage.models import Base

    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await db.dispose()


# --------------------------------------------------------------------------- one measured run


@dataclass
class Result:
    runtime: str
    bot: str
    updates: int
    seconds: float
    bot_cpu: float
    fake_cpu: float
    other_cpu: float
    rss_peak: int
    extra: int
    errors: int
    failed_requests: str
    methods: dict[str, int]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Bot CPU time per update, in ms: less sensitive than the rate to other load."""
        return 1000 * self.bot_cpu * self.seconds / self.updates


class ServerErrors(logging.Handler):
    """Counts the fake server's request errors (a bot hanging up mid-request at shutdown is
    harmless; one inside the timed window is reported)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.last = repr(record.exc_info[1]) if record.exc_info else record.getMessage()


SERVER_ERRORS = ServerErrors()


async def wait_sent(fake, target: int, bot: asyncio.subprocess.Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(fake.sent) < target:
        if bot.returncode is not None:
            raise SystemExit(f"bench: the bot exited with {bot.returncode} ({len(fake.sent)} "
                             f"of {target} replies)")
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: only {len(fake.sent)} of {target} replies within {timeout} s")
        await asyncio.sleep(0.01)


async def measure(runtime: str, bot: str, database: str, users: int, updates: int,
                  concurrency: int, backlog: int, profile: Path | None = None) -> Result:
    from tests.fake_telegram import FakeTelegram

    async with FakeTelegram(token=TOKEN) as fake:
        command = [sys.executable, str(Path(__file__).resolve()), "--child", bot,
                   "--runtime", runtime, "--api", fake.api_root, "--database", database,
                   "--concurrency", str(concurrency)]
        process = await asyncio.create_subprocess_exec(*command, cwd=ROOT)
        sampler = RssSampler(process.pid)
        sampling = asyncio.create_task(sampler.run())
        try:
            deadline = time.monotonic() + 60
            while fake.method_counts["getUpdates"] == 0:  # polling has started
                if process.returncode is not None or time.monotonic() > deadline:
                    raise SystemExit(f"bench: the {runtime} {bot} bot did not start polling")
                await asyncio.sleep(0.02)
            people = [fake.user(uid, first_name=f"User {uid}", language_code="id")
                      for uid in user_ids(users)]
            # Warm-up: turn 0 for every user.
            await feed(fake, [(user, text_for(i, 0)) for i, user in enumerate(people)], backlog)
            await wait_sent(fake, users, process, timeout=120)
            await fake.wait_idle(quiet=0.3)
            base, methods_before = len(fake.sent), dict(fake.method_counts)
            plan = [(people[k % users], text_for(k % users, 1 + k // users))
                    for k in range(updates)]
            recorder = None
            if profile is not None:
                recorder = Recorder(process.pid, profile / f"{runtime}-{bot}.txt")
                await recorder.start()
            bot_process, fake_process = psutil.Process(process.pid), psutil.Process()
            bot_cpu, fake_cpu = cpu_seconds(bot_process), cpu_seconds(fake_process)
            busy = machine_busy_seconds()
            server_errors = SERVER_ERRORS.count
            started = time.monotonic()
            await feed(fake, plan, backlog)
            await wait_sent(fake, base + updates, process, timeout=60 + updates / 20)
            seconds = fake.sent[base + updates - 1].at - started
            busy = machine_busy_seconds() - busy
            server_errors = SERVER_ERRORS.count - server_errors
            failed = f"{server_errors} (last: {SERVER_ERRORS.last})" if server_errors else ""
            bot_cpu = cpu_seconds(bot_process) - bot_cpu
            fake_cpu = cpu_seconds(fake_process) - fake_cpu
            other_cpu = max(0.0, busy - bot_cpu - fake_cpu) / seconds
            bot_cpu, fake_cpu = bot_cpu / seconds, fake_cpu / seconds
            if recorder is not None:
                await recorder.stop()
            await asyncio.sleep(0.3)  # anything beyond one reply per update shows up now
            methods = {name: count - methods_before.get(name, 0)
                       for name, count in fake.method_counts.items()
                       if count != methods_before.get(name, 0)}
            timed = fake.sent[base:]
            errors = sum(1 for m in timed if m.text and INTERNAL_ERROR in m.text)
            extra = len(timed) - updates
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
            sampling.cancel()
    return Result(runtime, bot, updates, seconds, bot_cpu, fake_cpu, other_cpu, sampler.peak,
                  extra, errors, failed, methods)


# --------------------------------------------------------------------------- the report


def print_row(result: Result, ratio: float | None) -> None:
    ratio_text = f"{ratio:.2f}" if ratio is not None else "-"
    print(f"{result.runtime:<8} {result.bot:<7} {result.updates:>8,} {result.seconds:>8.2f} "
          f"{result.rate:>9,.0f} {ratio_text:>6} {result.bot_cpu:>7.0%} {result.cpu_ms:>6.2f} "
          f"{result.fake_cpu:>8.0%} {result.other_cpu:>6.0%} {result.rss_peak / 2**20:>7.0f} MB",
          flush=True)
    calls = ", ".join(f"{name} {count:,}" for name, count in sorted(result.methods.items()))
    print(f"{'':<17}calls in the timed window: {calls}")
    if result.extra or result.errors:
        print(f"{'':<17}DOUBTFUL: {result.extra} replies beyond one per update, "
              f"{result.errors} internal-error replies")
    if result.failed_requests:
        print(f"{'':<17}DOUBTFUL: requests failed in the fake server: {result.failed_requests}")
    if result.other_cpu > 0.15:
        print(f"{'':<17}DOUBTFUL: other processes used {result.other_cpu:.0%} of a core")


async def main(args: argparse.Namespace) -> int:
    runtimes = ["ptb", "aiogram"] if args.runtime == "both" else [args.runtime]
    server_log = logging.getLogger("aiohttp.server")
    server_log.addHandler(SERVER_ERRORS)
    server_log.propagate = False
    print(f"bench/updates.py: {args.updates:,} timed updates (+ {args.users:,} warm-up) from "
          f"{args.users:,} users, concurrency {args.concurrency}, database {args.database}, "
          f"{psutil.cpu_count()} cores, Python {sys.version.split()[0]}")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="tumbuh-bench-"))
    sqlite = args.database == "sqlite"
    template = workdir / "template.db"
    started = time.monotonic()
    if sqlite:
        await seed(f"sqlite:///{template}", args.users)
    print(f"{'runtime':<8} {'bot':<7} {'updates':>8} {'seconds':>8} {'upd/s':>9} {'ratio':>6} "
          f"{'bot CPU':>7} {'ms/upd':>6} {'fake CPU':>8} {'others':>6} {'RSS peak':>10}")
    goals = []
    try:
        for runtime in runtimes:
            best: dict[str, Result] = {}
            for attempt in range(args.repeat):
                echo = await measure(runtime, "echo", "sqlite:///unused", args.users,
                                     args.updates, args.concurrency, args.backlog, args.profile)
                print_row(echo, None)
                if args.profile:
                    print(summary(args.profile / f"{runtime}-echo.txt"))
                if sqlite:
                    path = workdir / f"{runtime}-{attempt}.db"
                    shutil.copy(template, path)
                    url = f"sqlite:///{path}"
                else:
                    url = args.database
                    await seed(url, args.users)
                try:
                    full = await measure(runtime, "tumbuh", url, args.users, args.updates,
                                         args.concurrency, args.backlog, args.profile)
                finally:
                    if not sqlite:
                        await empty_tables(url)
                print_row(full, full.rate / echo.rate)
                if args.profile:
                    print(summary(args.profile / f"{runtime}-tumbuh.txt"))
                for result in (echo, full):
                    if result.bot not in best or result.rate > best[result.bot].rate:
                        best[result.bot] = result
            goals.append((runtime, best["echo"], best["tumbuh"]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    if args.repeat > 1:
        print(f"best of {args.repeat} runs each:")
    for runtime, echo, full in goals:
        ratio = full.rate / echo.rate
        cpu_ratio = echo.cpu_ms / full.cpu_ms
        rss = full.rss_peak
        print(f"{runtime}: echo {echo.rate:,.0f} upd/s, Tumbuh {full.rate:,.0f} upd/s: "
              f"Tumbuh / echo = {ratio:.2f} (goal >= 0.50: {'met' if ratio >= 0.5 else 'MISSED'})"
              f"; by bot CPU per update {cpu_ratio:.2f} ({echo.cpu_ms:.1f} vs "
              f"{full.cpu_ms:.1f} ms)")
        print(f"{'':<{len(runtime) + 2}}Tumbuh RSS peak {rss / 2**20:.0f} MB (goal < 200 MB: "
              f"{'met' if rss < 200 * 2**20 else 'MISSED'}); echo bot {echo.rss_peak / 2**20:.0f}"
              " MB")
    print(f"total {time.monotonic() - started:.0f} s")
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--updates", type=int, default=2000, help="timed updates per bot")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--runtime", choices=["ptb", "aiogram", "both"], default="both")
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (a fresh file per run) or an empty PostgreSQL database URL")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="updates handled at once, both bots (TUMBUH_CONCURRENCY)")
    parser.add_argument("--backlog", type=int, default=1000,
                        help="most updates waiting in the fake server at once")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each bot this many times (alternating) and keep the best")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record each bot's timed window with py-spy into DIR and print the "
                             "heaviest functions")
    parser.add_argument("--child", choices=["echo", "tumbuh"], help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.updates < 1 or args.users < 1 or args.repeat < 1:
        parser.error("--updates, --users and --repeat must be positive")
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.child:
        child(arguments)
    else:
        sys.exit(asyncio.run(main(arguments)))
