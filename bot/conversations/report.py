"""``/laporan``: which month's report (coordinators, bidan, TPK, admins).

State diagram::

    /laporan --> [month: this month | last month | typed "2026-05", "05/2026", "Mei 2026"]
             --> the report of the user's own area (``bot.handlers.reports``)

``/laporan 2026-05`` skips the question. Months after the current one are refused; a month with
no measurement gets "no data" rather than a table of zeros.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.core import Reply
from bot.parsing import MONTHS
from storage.models import Area
from storage.reports import add_months

EARLIEST = dt.date(2000, 1, 1)


async def this_month(ctx: Context) -> dt.date:
    zone = None
    if ctx.user.area_code:
        zone = await ctx.session.scalar(select(Area.timezone).where(Area.code == ctx.user.area_code))
    return ctx.now.astimezone(ZoneInfo(zone or "Asia/Jakarta")).date().replace(day=1)


def read_month(text: str, current: dt.date) -> dt.date | None:
    """"2026-05", "05/2026", "5-2026", "Mei 2026", "mei" (this year, or last year if later)."""
    raw = " ".join(text.strip().lower().split())
    try:
        match = re.fullmatch(r"(\d{4})\s*[-/.]\s*(\d{1,2})", raw)
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), 1)
        match = re.fullmatch(r"(\d{1,2})\s*[-/.]\s*(\d{4})", raw)
        if match:
            return dt.date(int(match.group(2)), int(match.group(1)), 1)
        match = re.fullmatch(r"([a-z]+)\.?(?:\s+(\d{4}))?", raw)
        if match and match.group(1) in MONTHS:
            month = MONTHS[match.group(1)]
            if match.group(2):
                return dt.date(int(match.group(2)), month, 1)
            found = current.replace(month=month)
            return found if found <= current else found.replace(year=found.year - 1)
    except ValueError:
        return None
    return None


async def month_buttons(ctx: Context, _data):
    current = await this_month(ctx)
    return [[(ctx.label("report_label", "this_month"), current.strftime("%Y-%m")),
             (ctx.label("report_label", "last_month"), add_months(current, -1).strftime("%Y-%m"))]]


async def parse_month(ctx: Context, answer: Answer, _data: dict) -> str:
    current = await this_month(ctx)
    month = read_month(answer.choice or answer.text or "", current)
    if month is None or not EARLIEST <= month <= current:
        raise Invalid("report_month", current=current)
    return month.strftime("%Y-%m")


async def finish(ctx: Context, data: dict) -> list[Reply]:
    from bot.handlers.reports import report_replies

    return await report_replies(ctx, ctx.user.area_code, dt.date.fromisoformat(data["month"] + "-01"))


FLOW = register(
    Flow("laporan", [Step("month", "report/ask_month", parse_month, buttons=month_buttons)], finish)
)
