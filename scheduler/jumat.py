"""Jum'at Serius ("Jum'at Seribu untuk Atasi Stunting", Kab. Lebak): every Friday a target of
1,000 actions against stunting per kabupaten, logged by participants with ``/aksi``.

- Friday 07:00 local: a reminder to every participant (peserta) of the zone.
- Friday 19:00 local: a recap per kabupaten to its participants and coordinators: actions today
  against the target, by kecamatan, and the best kecamatan. Counted in SQL.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

import templates
from scheduler.audience import enqueue_by_locale, jumat_people_of, peserta_in_zone
from storage.db import Database
from storage.models import Area
from storage.outbox import Message
from storage.schedule import JUMAT_TARGET, actions_by_kecamatan, actions_count

FRIDAY = 4


def end_of_day(day: dt.date, zone: str) -> dt.datetime:
    """Midnight after ``day`` in ``zone``, in UTC: Friday's messages are not sent on Saturday."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(zone))
    return midnight.astimezone(dt.UTC)


def next_friday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(FRIDAY - day.weekday()) % 7)


async def remind(db: Database, at: dt.datetime, zone: str) -> int:
    day = at.astimezone(ZoneInfo(zone)).date()
    if day.weekday() != FRIDAY:
        return 0
    async with db.transaction() as session:
        return await enqueue_by_locale(
            session, peserta_in_zone(zone), f"jumat:{day}:remind",
            lambda locale: Message(templates.render(locale, "jumat/reminder", target=JUMAT_TARGET),
                                   expires_at=end_of_day(day, zone)),
        )


async def recap(db: Database, at: dt.datetime, zone: str) -> int:
    day = at.astimezone(ZoneInfo(zone)).date()
    if day.weekday() != FRIDAY:
        return 0
    total = 0
    async with db.transaction() as session:
        kabupaten = (await session.execute(
            select(Area.code, Area.name)
            .where(Area.level == "kabupaten", Area.timezone == zone)
            .order_by(Area.code)
        )).all()
        for code, name in kabupaten:
            total += await _recap_of(session, code, name, day)
    return total


async def _recap_of(session, code: str, name: str, day: dt.date) -> int:
    count = await actions_count(session, code, day)
    by_kecamatan = await actions_by_kecamatan(session, code, day)
    return await enqueue_by_locale(
        session, jumat_people_of(code), f"jumat:{day}:recap",
        lambda locale: Message(templates.render(
            locale, "jumat/recap", kabupaten=name, count=count, target=JUMAT_TARGET,
            by_kecamatan=by_kecamatan, best=by_kecamatan[0] if by_kecamatan else None,
        )),
    )
