"""Posyandu openings from the rule and the coordinators' changes."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from scheduler.calendar import openings, rule_date
from scheduler.jobs import JOBS

TEN = SimpleNamespace(day_of_month=10, nth_weekday=None, weekday=None, opens_at=dt.time(8))
SECOND_TUESDAY = SimpleNamespace(day_of_month=None, nth_weekday=2, weekday=1, opens_at=dt.time(9))


def change(original, action, new_date=None, new_time=None):
    return SimpleNamespace(original_date=original, action=action, new_date=new_date,
                           new_time=new_time)


def test_rule_dates():
    assert rule_date(TEN, 2026, 12) == dt.date(2026, 12, 10)
    assert rule_date(SECOND_TUESDAY, 2026, 12) == dt.date(2026, 12, 8)
    assert rule_date(SECOND_TUESDAY, 2027, 2) == dt.date(2027, 2, 9)


def test_moved_and_cancelled_openings():
    changes = [change(dt.date(2026, 12, 10), "move", dt.date(2026, 12, 17), dt.time(9, 30)),
               change(dt.date(2027, 1, 10), "cancel")]
    found = openings(TEN, changes, dt.date(2026, 12, 1), dt.date(2027, 2, 28))
    assert [(o.date, o.time, o.moved) for o in found] == [
        (dt.date(2026, 12, 17), dt.time(9, 30), True),
        (dt.date(2027, 2, 10), dt.time(8), False),
    ]
    assert found[0].rule_date == dt.date(2026, 12, 10)


def test_an_opening_moved_across_the_month_edge_is_found():
    changes = [change(dt.date(2026, 12, 10), "move", dt.date(2027, 1, 3))]
    found = openings(TEN, changes, dt.date(2027, 1, 1), dt.date(2027, 1, 31))
    assert [o.date for o in found] == [dt.date(2027, 1, 3), dt.date(2027, 1, 10)]


def test_jobs_fire_at_their_own_local_hour():
    after = dt.datetime(2026, 12, 4, 0, 0, tzinfo=dt.UTC)
    wit = JOBS["posyandu-h1-wit"].next_run(after)
    wib = JOBS["posyandu-h1-wib"].next_run(after)
    assert (wit.hour, wit.tzname()) == (16, "WIT") and (wib.hour, wib.tzname()) == (16, "WIB")
    assert wit.astimezone(dt.UTC).hour == 7 and wib.astimezone(dt.UTC).hour == 9
    friday = JOBS["jumat-recap-wita"].next_run(after)
    assert friday.weekday() == 4 and friday.hour == 19


def test_last_due_within_the_grace_period():
    job = JOBS["posyandu-h1-wib"]
    at_17 = dt.datetime(2026, 12, 9, 10, 0, tzinfo=dt.UTC)  # 17:00 WIB
    assert job.last_due(at_17) == dt.datetime(2026, 12, 9, 9, 0, tzinfo=dt.UTC)
    next_morning = dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC)  # 08:00 WIB the day after
    assert job.last_due(next_morning) is None
