"""The posyandu calendar: when a posyandu opens, from its rule and the coordinators' changes.

A *posyandu* opens once a month on a day its community fixed: a date of the month (the 10th) or
the n-th weekday (the 2nd Tuesday); ``storage.registry.add_posyandu`` keeps both to days every
month has. A coordinator may move or cancel one opening (``storage.schedule.PosyanduException``,
keyed by the date the rule gave). Dates here are local dates in the posyandu's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, or_, select

from storage.models import Posyandu
from storage.schedule import CANCEL, MOVE, PosyanduException


@dataclass(frozen=True, slots=True)
class Opening:
    date: dt.date  # when it actually happens
    time: dt.time
    rule_date: dt.date  # what the rule gave (the key of a change)
    moved: bool = False
    cancelled: bool = False  # only listed when asked for (``with_cancelled``)


def rule_date(posyandu: Posyandu, year: int, month: int) -> dt.date:
    if posyandu.day_of_month is not None:
        return dt.date(year, month, posyandu.day_of_month)
    first = dt.date(year, month, 1)
    offset = (posyandu.weekday - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (posyandu.nth_weekday - 1))


def _months(start: dt.date, end: dt.date):
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield year, month
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def openings(
    posyandu: Posyandu, changes: list[PosyanduException], start: dt.date, end: dt.date,
    *, with_cancelled: bool = False,
) -> list[Opening]:
    """Openings whose actual date lies in [start, end], in date order. ``changes`` must hold
    every change whose rule date or new date is in the range (``storage.schedule.exceptions_of``
    on a range one month wider than this one is plenty). Cancelled openings are left out unless
    ``with_cancelled`` (then they are listed on their rule date, marked ``cancelled``)."""
    by_rule = {c.original_date: c for c in changes}
    found: list[Opening] = []
    # A change may move an opening across the range's edge: look a month beyond on both sides.
    for year, month in _months(start - dt.timedelta(days=31), end + dt.timedelta(days=31)):
        day = rule_date(posyandu, year, month)
        change = by_rule.get(day)
        if change is None:
            opening = Opening(day, posyandu.opens_at, day)
        elif change.action == CANCEL:
            if not with_cancelled:
                continue
            opening = Opening(day, posyandu.opens_at, day, cancelled=True)
        else:
            opening = Opening(change.new_date, change.new_time or posyandu.opens_at, day, True)
        if start <= opening.date <= end:
            found.append(opening)
    return sorted(found, key=lambda o: (o.date, o.time))


def rule_matches(day: dt.date) -> ColumnElement[bool]:
    """SQL: the posyandu's rule gives ``day``."""
    return or_(
        Posyandu.day_of_month == day.day,
        and_(Posyandu.nth_weekday == (day.day - 1) // 7 + 1, Posyandu.weekday == day.weekday()),
    )


def opens_on(day: dt.date) -> ColumnElement[bool]:
    """SQL: the posyandu opens on ``day`` (its rule, unless changed; or moved to that day)."""
    changed = exists().where(
        PosyanduException.posyandu_id == Posyandu.id, PosyanduException.original_date == day
    )
    moved_here = exists().where(
        PosyanduException.posyandu_id == Posyandu.id,
        PosyanduException.action == MOVE,
        PosyanduException.new_date == day,
    )
    return or_(and_(rule_matches(day), ~changed), moved_here)


async def opening_on(session, posyandu: Posyandu, day: dt.date) -> Opening | None:
    change = await session.scalar(
        select(PosyanduException).where(
            PosyanduException.posyandu_id == posyandu.id,
            or_(PosyanduException.original_date == day,
                and_(PosyanduException.action == MOVE, PosyanduException.new_date == day)),
        ).order_by((PosyanduException.new_date == day).desc())
    )
    if change is not None and change.action == MOVE and change.new_date == day:
        return Opening(day, change.new_time or posyandu.opens_at, change.original_date, True)
    if change is not None:
        return None  # the rule's opening on this day was moved away or cancelled
    months = rule_date(posyandu, day.year, day.month)
    return Opening(day, posyandu.opens_at, day) if months == day else None
