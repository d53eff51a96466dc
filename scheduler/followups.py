"""Follow-up re-checks: a child found stunted, wasted, T (*tidak naik*: weight not gaining) or
2T (T twice in a row) has a ``FollowUp`` with the local date of its re-check (30 days later by
default, ``TUMBUH_FOLLOWUP_DAYS``). On that day its kader is reminded, once per follow-up.

A day the job did not run is caught up for a week (``CATCH_UP_DAYS``); the dedupe key
``followup:<id>:recheck:<user>`` keeps it to one reminder.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

import templates
from scheduler.audience import enqueue_by_locale, kader_of
from storage.db import Database
from storage.models import Area, Child, FollowUp, Posyandu
from storage.outbox import Message

CATCH_UP_DAYS = 7


async def remind(db: Database, at: dt.datetime, zone: str) -> int:
    today = at.astimezone(ZoneInfo(zone)).date()
    total = 0
    async with db.transaction() as session:
        due = await session.execute(
            select(FollowUp.id, FollowUp.posyandu_id, FollowUp.reasons, FollowUp.recheck_on,
                   Child.name, Posyandu.name)
            .join(Child, Child.id == FollowUp.child_id)
            .join(Posyandu, Posyandu.id == FollowUp.posyandu_id)
            .join(Area, Area.code == Posyandu.desa_code)
            .where(Area.timezone == zone, FollowUp.done_at.is_(None),
                   FollowUp.recheck_on <= today,
                   FollowUp.recheck_on > today - dt.timedelta(days=CATCH_UP_DAYS))
            .order_by(FollowUp.id)
        )
        for row in due.all():
            total += await _remind_one(session, *row)
    return total


async def _remind_one(session, follow_up_id, posyandu_id, reasons, recheck_on, child, posyandu):
    codes = [code for code in (reasons or "").split(",") if code]
    return await enqueue_by_locale(
        session, kader_of(posyandu_id), f"followup:{follow_up_id}:recheck",
        lambda locale: Message(templates.render(
            locale, "reminders/followup", child=child, posyandu=posyandu, reasons=codes,
            recheck_on=recheck_on,
        )),
    )
