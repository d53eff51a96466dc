"""Queries for children and their measurements: history, who is still to be weighed, SKDN.

SKDN (the posyandu's monthly tally, Buku KIA): S all balita (under five) registered, K those with
a Buku KIA/KMS, D weighed this month, N weighed and gaining (naik); also O (weighed this month but
not last), B (first weighing ever) and T (not gaining). N/D' counts only children weighed both
this month and last month (D'). Each child counts once a month, by its latest weighing: the row
with ``Measurement.latest_of_month`` (latest date, then highest id), which
``refresh_latest_of_month`` keeps right wherever measurements are added, moved or deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Integer, and_, bindparam, cast, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Child, Measurement


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of ``day``'s month."""
    first = day.replace(day=1)
    next_first = (first + dt.timedelta(days=32)).replace(day=1)
    return first, next_first - dt.timedelta(days=1)


def five_years_before(day: dt.date) -> dt.date:
    """Children born after this date are under five (balita) on ``day``."""
    try:
        return day.replace(year=day.year - 5)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 5, day=28)


async def refresh_latest_of_month(session: AsyncSession, child_id: int,
                                  months: Iterable[dt.date]) -> None:
    """Recompute ``latest_of_month`` of the child's measurements in each of ``months`` (any day
    of the month): one UPDATE a month, over that child's few rows (index child_id, date)."""
    for first in sorted({day.replace(day=1) for day in months}):
        first, last = month_bounds(first)
        later = aliased(Measurement)
        newer = exists().where(
            later.child_id == child_id, later.measured_on.between(first, last),
            or_(later.measured_on > Measurement.measured_on,
                and_(later.measured_on == Measurement.measured_on, later.id > Measurement.id)),
        )
        await session.execute(
            update(Measurement)
            .where(Measurement.child_id == child_id, Measurement.measured_on.between(first, last))
            .values(latest_of_month=~newer)
            .execution_options(synchronize_session="fetch")
        )


def _history_query(bounded: bool):
    query = select(Measurement).where(Measurement.child_id == bindparam("child"))
    if bounded:
        query = query.where(Measurement.measured_on <= bindparam("before"))
    return (query.order_by(Measurement.measured_on.desc(), Measurement.id.desc())
            .limit(bindparam("limit")))


# Built once: every /ukur line reads the child's history (building costs about as much as
# running the statement on SQLite).
_HISTORY = {bounded: _history_query(bounded) for bounded in (False, True)}


async def history(session: AsyncSession, child_id: int, before: dt.date | None = None,
                  limit: int = 36) -> list[Measurement]:
    """The child's measurements, oldest first (the latest ``limit``)."""
    rows = await session.scalars(
        _HISTORY[before is not None], {"child": child_id, "before": before, "limit": limit}
    )
    return list(reversed(rows.all()))


async def children_of_posyandu(session: AsyncSession, posyandu_id: int) -> list[Child]:
    """All children of one posyandu (a posyandu has tens to a few hundred)."""
    rows = await session.scalars(
        select(Child).where(Child.posyandu_id == posyandu_id).order_by(Child.name, Child.id)
    )
    return list(rows.all())


async def measured_child_ids(session: AsyncSession, posyandu_id: int, first: dt.date,
                             last: dt.date) -> set[int]:
    rows = await session.scalars(
        select(Measurement.child_id).where(
            Measurement.posyandu_id == posyandu_id,
            Measurement.measured_on.between(first, last),
        ).distinct()
    )
    return set(rows.all())


async def last_entry_by(session: AsyncSession, user_id: int, child_id: int | None = None,
                        limit: int = 8) -> list[Measurement]:
    """The user's latest entries (one per child), newest first."""
    query = select(Measurement).where(Measurement.entered_by == user_id)
    if child_id is not None:
        query = query.where(Measurement.child_id == child_id)
    rows = await session.scalars(
        query.order_by(Measurement.entered_at.desc(), Measurement.id.desc()).limit(limit * 4)
    )
    seen, latest = set(), []
    for row in rows:
        if row.child_id not in seen:
            seen.add(row.child_id)
            latest.append(row)
    return latest[:limit]


@dataclass(frozen=True)
class Skdn:
    s: int
    k: int
    d: int
    n: int
    t: int
    o: int
    b: int
    d_prime: int  # weighed this month and last month
    n_of_d_prime: int

    @staticmethod
    def ratio(part: int, whole: int) -> float | None:
        return None if whole == 0 else 100.0 * part / whole


async def skdn(session: AsyncSession, posyandu_id: int, month: dt.date) -> Skdn:
    first, last = month_bounds(month)
    previous_first, previous_last = month_bounds(first - dt.timedelta(days=1))
    balita = and_(
        Child.posyandu_id == posyandu_id,
        Child.birth_date <= last,
        Child.birth_date > five_years_before(last),
    )
    s, k = (await session.execute(
        select(func.count(), func.coalesce(func.sum(cast(Child.has_kia, Integer)), 0))
        .where(balita)
    )).one()
    latest = (
        select(Measurement.child_id, Measurement.gain)
        .where(Measurement.posyandu_id == posyandu_id, Measurement.latest_of_month,
               Measurement.measured_on.between(first, last))
        .subquery()
    )
    weighed_before = (
        select(Measurement.child_id)
        .where(Measurement.posyandu_id == posyandu_id,
               Measurement.measured_on.between(previous_first, previous_last))
        .distinct().subquery()
    )
    rows = (await session.execute(
        select(latest.c.gain, func.count(), func.count(weighed_before.c.child_id))
        .select_from(latest)
        .join(Child, Child.id == latest.c.child_id)
        .outerjoin(weighed_before, weighed_before.c.child_id == latest.c.child_id)
        .where(balita)
        .group_by(latest.c.gain)
    )).all()
    by_gain = {gain: (count, with_last) for gain, count, with_last in rows}
    d = sum(count for count, _ in by_gain.values())
    d_prime = sum(with_last for _, with_last in by_gain.values())
    return Skdn(
        s=s, k=int(k), d=d,
        n=by_gain.get("N", (0, 0))[0], t=by_gain.get("T", (0, 0))[0],
        o=by_gain.get("O", (0, 0))[0], b=by_gain.get("B", (0, 0))[0],
        d_prime=d_prime, n_of_d_prime=by_gain.get("N", (0, 0))[1],
    )


async def latest_this_month(session: AsyncSession, posyandu_id: int,
                            month: dt.date) -> list[tuple[Child, Measurement]]:
    """Each child's latest measurement this month, with the child, by name."""
    first, last = month_bounds(month)
    rows = await session.execute(
        select(Child, Measurement)
        .join(Measurement, Measurement.child_id == Child.id)
        .where(Measurement.posyandu_id == posyandu_id, Measurement.latest_of_month,
               Measurement.measured_on.between(first, last))
        .order_by(Child.name)
    )
    return [(child, measurement) for child, measurement in rows.all()]
