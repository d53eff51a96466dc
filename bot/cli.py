"""The ``tumbuh`` command line: run the bot, chat in the terminal, manage the registry."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
from pathlib import Path

from bot.settings import Settings, load_settings
from storage.db import Database

log = logging.getLogger("tumbuh")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["zscore"]:
        from growth.csvio import main as zscore_main

        return zscore_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Migration chatter would bury the conversation in `tumbuh chat` and `tumbuh demo`.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return asyncio.run(args.func(settings, args)) or 0
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tumbuh", description="Tumbuh: chat assistant against stunting")
    sub = parser.add_subparsers(metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot on Telegram with the scheduler and delivery")
    run.set_defaults(func=cmd_run)

    chat = sub.add_parser("chat", help="talk to the bot in this terminal as a user")
    chat.add_argument("--as", dest="user", default="console-user", help="platform user id")
    chat.set_defaults(func=cmd_chat)

    demo = sub.add_parser("demo", help="seed a demo area and chat as its kader")
    demo.add_argument("--as", dest="role", default="kader",
                      choices=["kader", "koordinator", "bidan", "ibu", "tpk"])
    demo.set_defaults(func=cmd_demo)

    db = sub.add_parser("db", help="database")
    db_sub = db.add_subparsers(metavar="ACTION")
    upgrade = db_sub.add_parser("upgrade", help="apply migrations")
    upgrade.set_defaults(func=cmd_db_upgrade)

    areas = sub.add_parser("areas", help="areas (Kemendagri codes)")
    areas_sub = areas.add_subparsers(metavar="ACTION")
    imp = areas_sub.add_parser("import", help="import code,name,level,parent_code,timezone CSV")
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=cmd_areas_import)

    posyandu = sub.add_parser("posyandu", help="posyandu")
    posyandu_sub = posyandu.add_subparsers(metavar="ACTION")
    add = posyandu_sub.add_parser("add", help="add a posyandu")
    add.add_argument("--desa", required=True)
    add.add_argument("--name", required=True)
    rule = add.add_mutually_exclusive_group(required=True)
    rule.add_argument("--day-of-month", type=int)
    rule.add_argument("--nth-weekday", type=int)
    add.add_argument("--weekday")
    add.add_argument("--time", required=True, type=_time, help="HH:MM, local time")
    add.set_defaults(func=cmd_posyandu_add)
    qr = posyandu_sub.add_parser("qr", help="a PNG QR code of the posyandu's join link, to print")
    qr.add_argument("id", type=int)
    qr.add_argument("-o", "--output", type=Path, help="PNG file (default posyandu-ID.png)")
    qr.set_defaults(func=cmd_posyandu_qr)

    invite = sub.add_parser("invite", help="create an invite link")
    invite.add_argument("--role", required=True)
    place = invite.add_mutually_exclusive_group()
    place.add_argument("--posyandu", type=int)
    place.add_argument("--area")
    invite.set_defaults(func=cmd_invite)

    deliver = sub.add_parser("deliver", help="send the outbox (delivery alone, without the bot)")
    deliver.set_defaults(func=cmd_deliver)

    jobs = sub.add_parser("jobs", help="scheduled jobs")
    jobs_sub = jobs.add_subparsers(metavar="ACTION")
    jobs_list = jobs_sub.add_parser("list", help="every job with its next run in local time")
    jobs_list.set_defaults(func=cmd_jobs_list)
    jobs_run = jobs_sub.add_parser("run", help="run one job now, as if it were --at")
    jobs_run.add_argument("name")
    jobs_run.add_argument("--at", type=_moment, help="ISO date-time, e.g. 2026-12-09T16:00+07:00")
    jobs_run.set_defaults(func=cmd_jobs_run)

    thresholds = sub.add_parser("thresholds", help="TPK risk thresholds (growth.maternal)")
    thresholds_sub = thresholds.add_subparsers(metavar="ACTION")
    th_list = thresholds_sub.add_parser("list", help="the figures in force for an area")
    th_list.add_argument("--area", default="", help="area code (default: national)")
    th_list.set_defaults(func=cmd_thresholds)
    th_set = thresholds_sub.add_parser("set", help="correct one figure for an area subtree")
    th_set.add_argument("name")
    th_set.add_argument("value", type=float)
    th_set.add_argument("--area", default="", help="area code (default: national)")
    th_set.set_defaults(func=cmd_thresholds)

    report = sub.add_parser("report", help="a monthly area report as an XLSX file")
    report.add_argument("--area", required=True, help="area code, e.g. 36.02.01")
    report.add_argument("--month", required=True, type=_month, help="YYYY-MM")
    report.add_argument("-o", "--output", required=True, type=Path, help="FILE.xlsx")
    report.add_argument("--names", action="store_true",
                        help="list children by name (kecamatan or smaller areas only)")
    report.set_defaults(func=cmd_report)

    sub.add_parser("zscore", help="WHO z-scores for a CSV (see `tumbuh zscore --help`)")
    return parser


def _time(value: str) -> dt.time:
    try:
        hours, minutes = value.split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError:
        raise argparse.ArgumentTypeError("use HH:MM, e.g. 08:00") from None


def _month(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value + "-01")
    except ValueError:
        raise argparse.ArgumentTypeError("use YYYY-MM, e.g. 2026-05") from None


def _moment(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("use ISO 8601, e.g. 2026-12-09T16:00+07:00") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the offset too, e.g. +07:00 (WIB) or Z (UTC)")
    return moment


async def open_database(settings: Settings, *, upgrade_sqlite: bool = True) -> Database:
    db = Database(settings.database_url)
    if db.is_sqlite and upgrade_sqlite:
        await db.upgrade()
    return db


async def cmd_db_upgrade(settings: Settings, _args) -> int:
    db = Database(settings.database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    print("database is up to date")
    return 0


class Refused(Exception):
    """A registry change was refused; the message has been printed."""


async def registry_change(settings: Settings, change, refused: str = "tumbuh: "):
    """Run ``change(session)`` in one transaction; a RegistryError is printed with ``refused``
    before it and stores nothing."""
    from storage.registry import RegistryError

    db = await open_database(settings)
    try:
        async with db.transaction() as session:
            return await change(session)
    except RegistryError as error:
        print(f"{refused}{error}", file=sys.stderr)
        raise Refused from None
    finally:
        await db.dispose()


async def cmd_areas_import(settings: Settings, args) -> int:
    from storage.registry import RegistryError, import_areas, parse_area_csv

    refused = f"tumbuh: nothing imported from {args.file}:\n"
    try:
        with args.file.open(encoding="utf-8-sig", newline="") as handle:
            rows = parse_area_csv(handle)
    except OSError as error:
        print(f"tumbuh: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    except RegistryError as error:
        print(f"{refused}{error}", file=sys.stderr)
        return 2
    try:
        count = await registry_change(settings, lambda s: import_areas(s, rows), refused)
    except Refused:
        return 2
    print(f"imported {count} areas")
    return 0


async def cmd_posyandu_add(settings: Settings, args) -> int:
    from storage.registry import add_posyandu

    try:
        posyandu = await registry_change(settings, lambda s: add_posyandu(
            s, desa_code=args.desa, name=args.name, opens_at=args.time,
            day_of_month=args.day_of_month, nth_weekday=args.nth_weekday, weekday=args.weekday,
        ))
    except Refused:
        return 2
    print(f"posyandu {posyandu.id} {posyandu.name}: join code {posyandu.join_code}")
    return 0


async def cmd_posyandu_qr(settings: Settings, args) -> int:
    """The deep link families scan at the posyandu: it opens the bot with ``/start <join code>``
    (consent, then their stage). Printed on a poster beside the registration table."""
    import segno

    from storage.models import Posyandu
    from storage.registry import deep_link, get_value

    async def look_up(session):
        posyandu = await session.get(Posyandu, args.id)
        username = settings.bot_username or await get_value(session, "bot_username")
        return posyandu, username

    try:
        posyandu, username = await registry_change(settings, look_up)
    except Refused:
        return 2
    if posyandu is None:
        print(f"tumbuh: no posyandu {args.id}", file=sys.stderr)
        return 2
    if not username:
        print("tumbuh: the bot's username is unknown: set TUMBUH_BOT_USERNAME (or run the bot "
              "once, it learns it from Telegram)", file=sys.stderr)
        return 2
    link = deep_link(username, posyandu.join_code)
    output = args.output or Path(f"posyandu-{posyandu.id}.png")
    # Error correction M survives a smudged print; scale 10 prints sharp at about 5 cm.
    segno.make(link, error="m").save(str(output), kind="png", scale=10, border=4)
    print(f"{output}: QR code of {link} (posyandu {posyandu.id} {posyandu.name})")
    return 0


async def cmd_invite(settings: Settings, args) -> int:
    from storage.registry import create_invite, deep_link, get_value

    async def change(session):
        invite = await create_invite(session, role=args.role, area_code=args.area,
                                     posyandu_id=args.posyandu, days=settings.invite_days)
        return invite, settings.bot_username or await get_value(session, "bot_username")

    try:
        invite, username = await registry_change(settings, change)
    except Refused:
        return 2
    print(deep_link(username, invite.code))
    print(f"code: {invite.code} (role {invite.role}, valid until {invite.expires_at:%Y-%m-%d %H:%M} UTC)")
    return 0


async def cmd_chat(settings: Settings, args) -> int:
    from bot.app import build_dispatcher
    from bot.platforms.console import ConsoleChat

    db = await open_database(settings)
    try:
        chat = ConsoleChat(build_dispatcher(settings, db), args.user)
        await chat.run()
    finally:
        await db.dispose()
    return 0


async def cmd_demo(settings: Settings, args) -> int:
    from bot.app import build_dispatcher
    from bot.demo import seed_demo
    from bot.platforms.console import ConsoleChat
    from storage.models import utcnow

    db = await open_database(settings)
    try:
        async with db.transaction() as session:
            fresh = await seed_demo(session, utcnow())
        user = "demo-ibu" if args.role == "ibu" else f"demo-{args.role}"
        print(("Data demo dibuat" if fresh else "Data demo sudah ada") + f" di {settings.database_url}.")
        print(f"Anda berbicara sebagai {user}. Coba /menu, /anak, /bantuan. Keluar: /keluar atau Ctrl-D.\n")
        chat = ConsoleChat(build_dispatcher(settings, db), user)
        await chat.say("/start")
        await chat.run()
    finally:
        await db.dispose()
    return 0


async def cmd_report(settings: Settings, args) -> int:
    """The same workbook as /laporan's XLSX button. Names only with --names, and only for an
    area of kecamatan size or smaller (as in chat); the export is audit-logged."""
    from bot.reporting import report_xlsx
    from storage.audit import record
    from storage.reports import build_report, place_of

    db = await open_database(settings)
    try:
        async with db.transaction() as session:
            place = await place_of(session, args.area)
            if place is None:
                print(f"tumbuh: unknown area {args.area}", file=sys.stderr)
                return 2
            names = args.names and place.level in ("kecamatan", "desa")
            report = await build_report(session, place, args.month, names_allowed=names)
            await record(session, None, "export", "report_names" if names else "report",
                         place.code, f"{args.month:%Y-%m} cli")
    finally:
        await db.dispose()
    if not report.has_data:
        print(f"tumbuh: no child was measured in {place.name} in {args.month:%Y-%m}; "
              "nothing written", file=sys.stderr)
        return 1
    args.output.write_bytes(report_xlsx(report, settings.locale))
    print(f"{args.output}: {place.name}, {args.month:%Y-%m}")
    return 0


async def cmd_deliver(settings: Settings, _args) -> int:
    import signal

    from bot.delivery import Delivery, open_sender
    from bot.runner import freeze_startup_objects

    if not settings.telegram_token:
        print("tumbuh: setting TUMBUH_TELEGRAM_TOKEN is required for `tumbuh deliver`",
              file=sys.stderr)
        return 2
    db = await open_database(settings)
    try:
        async with open_sender(settings) as sender:
            delivery = Delivery(db, sender, rate=settings.telegram_rate)
            freeze_startup_objects()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, delivery.stop)
            log.info("delivering the outbox at %s messages/s", settings.telegram_rate)
            await delivery.run()
    finally:
        await db.dispose()
    return 0


async def cmd_jobs_list(settings: Settings, _args) -> int:
    from zoneinfo import ZoneInfo

    from scheduler.jobs import JOBS, last_run

    db = await open_database(settings)
    try:
        for name, job in JOBS.items():
            upcoming = job.next_run(dt.datetime.now(dt.UTC))
            previous = await last_run(db, name)
            when = f"{upcoming:%Y-%m-%d %H:%M %Z}" if upcoming else "never"
            ran = f"{previous.astimezone(ZoneInfo(job.zone)):%Y-%m-%d %H:%M}" if previous else "-"
            print(f"{name:<24} next {when:<22} last for {ran:<16} {job.description}")
    finally:
        await db.dispose()
    return 0


async def cmd_jobs_run(settings: Settings, args) -> int:
    from scheduler.jobs import JOBS, run_job

    if args.name not in JOBS:
        print(f"tumbuh: no job {args.name!r}; see `tumbuh jobs list`", file=sys.stderr)
        return 2
    db = await open_database(settings)
    try:
        count = await run_job(db, args.name, args.at)
    finally:
        await db.dispose()
    print(f"{args.name}: {count} messages queued")
    return 0


async def cmd_thresholds(settings: Settings, args) -> int:
    """``tumbuh thresholds list|set``: the TPK rules' cut-offs, corrected per area."""
    from growth.maternal import DEFAULTS, Thresholds
    from storage.models import Area
    from storage.tpk import set_threshold, threshold_rows

    db = await open_database(settings)
    try:
        async with db.transaction() as session:
            if args.area and await session.get(Area, args.area) is None:
                print(f"tumbuh: no area {args.area!r}", file=sys.stderr)
                return 2
            if getattr(args, "value", None) is not None:
                try:
                    await set_threshold(session, args.name, args.value, args.area, None,
                                        dt.datetime.now(dt.UTC))
                except ValueError as error:
                    print(f"tumbuh: {error}", file=sys.stderr)
                    return 2
            rows = await threshold_rows(session, args.area)
    finally:
        await db.dispose()
    for name in Thresholds.names():
        value, area = rows.get(name, (getattr(DEFAULTS, name), None))
        source = "default" if area is None else f"set for {area or 'national'}"
        print(f"{name:<20} {value:>7g}  {source}")
    return 0


async def cmd_run(settings: Settings, _args) -> int:
    from bot.runner import run_bot

    if not settings.telegram_token:
        print(
            "tumbuh: setting TUMBUH_TELEGRAM_TOKEN is required for `tumbuh run` "
            "(without a token, try `tumbuh demo`)",
            file=sys.stderr,
        )
        return 2
    return await run_bot(settings)


if __name__ == "__main__":
    raise SystemExit(main())
