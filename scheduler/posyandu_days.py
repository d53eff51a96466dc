"""Posyandu-day reminders.

- H-1 (*hari minus satu*, the day before), 16:00 local: families of the posyandu are reminded
  (bring the Buku KIA, the mother-and-child health book; there will be weighing, measuring and
  PMT, *pemberian makanan tambahan*, supplementary food), and each kader gets the list of
  children due: how many under fives, who was not weighed in the last month, whose re-check
  (follow-up) is due.
- The morning itself, 06:30 local: families get a short "today" reminder.

Each job handles the posyandu of one time zone, at that zone's local hour. Dedupe keys name the
posyandu, the date and the user (``posyandu:<id>:<date>:H-1:<user>``), so a second run for the
same day adds nothing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

import templates
from scheduler.audience import enqueue_by_locale, families_of, kader_of
from scheduler.calendar import Opening, opening_on, opens_on
from storage.db import Database
from storage.measurements import five_years_before
from storage.models import Area, Child, FollowUp, Measurement, Posyandu
from storage.outbox import Message

LIST_LIMIT = 40  # names per section of a kader's list; the rest is counted
# "Posyandu today" is still worth sending this long after the opening (a posyandu runs a morning).
TODAY_USEFUL_FOR = dt.timedelta(hours=3)


def opening_at(opening: Opening, zone: str) -> dt.datetime:
    """The opening's start as an aware UTC datetime."""
    local = dt.datetime.combine(opening.date, opening.time, tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


async def posyandu_opening_on(session, zone: str, day: dt.date):
    """(posyandu, opening) for every posyandu of the zone that opens on ``day``."""
    rows = await session.execute(
        select(Posyandu)
        .join(Area, Area.code == Posyandu.desa_code)
        .where(Area.timezone == zone, opens_on(day))
        .order_by(Posyandu.id)
    )
    found = []
    for posyandu in rows.scalars():
        opening = await opening_on(session, posyandu, day)
        if opening is not None:
            found.append((posyandu, opening))
    return found


async def remind_day_before(db: Database, at: dt.datetime, zone: str) -> int:
    day = at.astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=1)
    total = 0
    async with db.transaction() as session:
        for posyandu, opening in await posyandu_opening_on(session, zone, day):
            starts = opening_at(opening, zone)
            total += await _families(session, posyandu, opening, "H-1", "reminders/posyandu_h1",
                                     starts)
            total += await _kader_list(session, posyandu, opening, starts)
    return total


async def remind_morning(db: Database, at: dt.datetime, zone: str) -> int:
    day = at.astimezone(ZoneInfo(zone)).date()
    total = 0
    async with db.transaction() as session:
        for posyandu, opening in await posyandu_opening_on(session, zone, day):
            total += await _families(session, posyandu, opening, "H0", "reminders/posyandu_today",
                                     opening_at(opening, zone) + TODAY_USEFUL_FOR)
    return total


async def _families(session, posyandu: Posyandu, opening: Opening, tag: str, template: str,
                    expires_at: dt.datetime) -> int:
    return await enqueue_by_locale(
        session, families_of(posyandu.id, opening.date),
        f"posyandu:{posyandu.id}:{opening.date}:{tag}",
        lambda locale: Message(templates.render(locale, template, posyandu=posyandu,
                                                opening=opening), expires_at=expires_at),
    )


async def _kader_list(session, posyandu: Posyandu, opening: Opening,
                      expires_at: dt.datetime) -> int:
    due = await children_due(session, posyandu.id, opening.date)
    return await enqueue_by_locale(
        session, kader_of(posyandu.id), f"posyandu:{posyandu.id}:{opening.date}:H-1-list",
        lambda locale: Message(templates.render(
            locale, "reminders/kader_list", posyandu=posyandu, opening=opening,
            limit=LIST_LIMIT, **due,
        ), expires_at=expires_at),
    )


async def children_due(session, posyandu_id: int, day: dt.date) -> dict:
    """Counts and names for a kader's list, aggregated in SQL."""
    cutoff = five_years_before(day)
    month_ago = day - dt.timedelta(days=31)
    last_weighed = (
        select(Measurement.child_id, func.max(Measurement.measured_on).label("last"))
        .where(Measurement.posyandu_id == posyandu_id, Measurement.measured_on < day)
        .group_by(Measurement.child_id)
        .subquery()
    )
    small = (Child.posyandu_id == posyandu_id) & (Child.birth_date > cutoff)
    total = await session.scalar(select(func.count()).select_from(Child).where(small)) or 0
    unweighed_query = (
        select(Child.name)
        .outerjoin(last_weighed, last_weighed.c.child_id == Child.id)
        .where(small, (last_weighed.c.last.is_(None)) | (last_weighed.c.last < month_ago))
    )
    unweighed_count = await session.scalar(
        select(func.count()).select_from(unweighed_query.subquery())
    ) or 0
    unweighed = list(await session.scalars(unweighed_query.order_by(Child.name).limit(LIST_LIMIT)))
    recheck_query = (
        select(Child.name)
        .join(FollowUp, FollowUp.child_id == Child.id)
        .where(FollowUp.posyandu_id == posyandu_id, FollowUp.done_at.is_(None),
               FollowUp.recheck_on <= day)
        .distinct()
    )
    recheck = list(await session.scalars(recheck_query.order_by(Child.name).limit(LIST_LIMIT)))
    return {"total": total, "unweighed": unweighed, "unweighed_count": unweighed_count,
            "recheck": recheck}
