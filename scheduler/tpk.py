"""The TPK's weekly list (Monday 07:00 local): each desa's targets whose visit or screening is
overdue or due this week, with their risk flags, to every TPK of the desa.

Programme words: *TPK* (Tim Pendamping Keluarga) accompanies *sasaran* (targets): *catin*
(screened ``catin_screen_days`` = 90 days before the wedding), *ibu hamil* (a visit every
``visit_hamil_days``), *ibu nifas* (the KF1-KF4 windows after the birth), families with a
*baduta* (every ``visit_baduta_days``). The intervals are thresholds a coordinator can correct
(``storage.tpk``); the due dates come from ``storage.tpk.due_of``.

One message per desa and locale is rendered and queued for each TPK of the desa with the key
``tpk-week:<desa>:<monday>:<user>``, so a second run in the same week adds nothing. A desa with
nothing due gets no message.

First the job ends the nifas stages of the zone whose 42 days are over (reason ``selesai``, on
day 42): nothing is due for them any more, and the report no longer counts them as active.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

import templates
from scheduler.audience import enqueue_by_locale
from storage.db import Database
from storage.models import Area, User
from storage.outbox import Message
from storage.roles import TPK
from storage.targets import Target
from storage.tpk import DUE, LIST_LIMIT, OVERDUE, desa_list, end_finished_nifas

MONDAY = 0


def tpk_of(desa_code: str):
    return select(User.id).where(User.role == TPK, User.area_code == desa_code)


async def weekly(db: Database, at: dt.datetime, zone: str) -> int:
    today = at.astimezone(ZoneInfo(zone)).date()
    if today.weekday() != MONDAY:
        return 0
    total = 0
    async with db.transaction() as session:
        zone_desas = select(Area.code).where(Area.level == "desa", Area.timezone == zone)
        await end_finished_nifas(session, zone_desas, today)
    async with db.transaction() as session:
        # Desas of this zone with a TPK and at least one active target.
        desas = (await session.execute(
            select(Area.code, Area.name).where(
                Area.level == "desa", Area.timezone == zone,
                exists().where(User.role == TPK, User.area_code == Area.code),
                exists().where(Target.desa_code == Area.code, Target.ended_on.is_(None)),
            ).order_by(Area.code)
        )).all()
    for code, name in desas:
        # One short transaction per desa: SQLite's single writer is never held for long.
        async with db.transaction() as session:
            total += await _desa(session, code, name, today)
    return total


async def _desa(session, code: str, name: str, monday: dt.date) -> int:
    lines = await desa_list(session, code, monday)
    overdue = [_plain(x) for x in lines if x.due.status == OVERDUE]
    due = [_plain(x) for x in lines if x.due.status == DUE]
    if not overdue and not due:
        return 0
    sunday = monday + dt.timedelta(days=6)

    def message(locale: str) -> Message:
        return Message(templates.render(
            locale, "tpk/weekly", desa=name, monday=monday, sunday=sunday, limit=LIST_LIMIT,
            overdue=[dict(x, name=x["name"] or _self_joined(locale, x["id"])) for x in overdue],
            due=[dict(x, name=x["name"] or _self_joined(locale, x["id"])) for x in due],
        ))

    return await enqueue_by_locale(session, tpk_of(code), f"tpk-week:{code}:{monday}", message)


def _plain(line) -> dict:
    """What the template needs, as plain values (nothing lazy-loaded while rendering)."""
    return {"id": line.target.id, "name": line.target.name, "kind": line.target.kind,
            "due": line.due, "flags": line.flags}


def _self_joined(locale: str, target_id: int) -> str:
    return templates.render(locale, "tpk/self_joined", id=target_id)
