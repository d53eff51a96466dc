"""``/jadwal``: a coordinator moves or cancels one posyandu opening (a holiday, a flood), or
puts a changed opening back on its usual day.

A *posyandu* opens on a rule (the 10th, or the 2nd Tuesday of the month); a change touches one
opening only (``storage.schedule.PosyanduException``), and the reminders follow it: the
scheduler reads the changes, and the families and kader of the posyandu are told at once (an
outbox notice, sent by delivery).

State diagram::

    /jadwal --> [posyandu in my area] --> [one of its next openings]
            --> [move or cancel] --cancel--> stored, families and kader told
                     |    \
                     |     restore (only for a changed opening) --> rule again, told
                     move --> [new date] --> [new time, or the usual one] --> stored, told
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.core import Reply
from scheduler.audience import enqueue_by_locale, families_of, kader_of
from scheduler.calendar import openings
from storage.access import posyandu_query
from storage.models import Area, Posyandu
from storage.outbox import Message
from storage.schedule import CANCEL, MOVE, RESTORE, clear_exception, exceptions_of, set_exception

SHOWN = 3  # next openings offered
AHEAD = dt.timedelta(days=120)  # how far a new date may lie


async def posyandu_and_zone(ctx: Context, posyandu_id: int) -> tuple[Posyandu | None, str]:
    row = (await ctx.session.execute(
        posyandu_query(ctx.scope).where(Posyandu.id == posyandu_id)
        .join(Area, Area.code == Posyandu.desa_code).add_columns(Area.timezone)
    )).first()
    return (row[0], row[1]) if row else (None, "Asia/Jakarta")


def today_in(ctx: Context, zone: str) -> dt.date:
    return ctx.now.astimezone(ZoneInfo(zone)).date()


async def posyandu_buttons(ctx: Context, _data):
    rows = await ctx.session.execute(
        posyandu_query(ctx.scope).with_only_columns(Posyandu.id, Posyandu.name)
        .order_by(Posyandu.name).limit(8)
    )
    return [[(f"{name} (#{pid})", str(pid))] for pid, name in rows]


async def parse_posyandu(ctx: Context, answer: Answer, _data: dict) -> int:
    value = answer.choice or (answer.text or "").strip().lstrip("#")
    if not value.isdigit() or len(value) > 9:
        raise Invalid("posyandu_number")
    posyandu, _ = await posyandu_and_zone(ctx, int(value))
    if posyandu is None:
        raise Invalid("posyandu_not_in_area")
    return posyandu.id


async def next_openings(ctx: Context, posyandu_id: int):
    posyandu, zone = await posyandu_and_zone(ctx, posyandu_id)
    if posyandu is None:
        return None, []
    today = today_in(ctx, zone)
    end = today + dt.timedelta(days=31 * (SHOWN + 1))
    changes = await exceptions_of(ctx.session, posyandu.id, today - dt.timedelta(days=62),
                                  end + dt.timedelta(days=62))
    return posyandu, openings(posyandu, changes, today, end, with_cancelled=True)[:SHOWN]


async def opening_buttons(ctx: Context, data: dict):
    _, found = await next_openings(ctx, data["posyandu"])
    return [[(ctx.label("date_short", o.date) + (" *" if o.moved else " ❌" if o.cancelled else ""),
              o.rule_date.isoformat())] for o in found]


async def opening_values(ctx: Context, data: dict):
    posyandu, _ = await posyandu_and_zone(ctx, data["posyandu"])
    return {"posyandu_name": posyandu.name if posyandu else "?"}


async def parse_opening(ctx: Context, answer: Answer, data: dict) -> str:
    _, found = await next_openings(ctx, data["posyandu"])
    offered = {o.rule_date.isoformat(): o for o in found}
    if answer.choice not in offered:
        raise Invalid("choose_button")
    opening = offered[answer.choice]
    data["changed"] = opening.moved or opening.cancelled  # only then can it be restored
    return answer.choice


def action_buttons(ctx: Context, data: dict):
    rows = [[(ctx.label("schedule_move"), MOVE), (ctx.label("schedule_cancel"), CANCEL)]]
    if data.get("changed"):
        rows.append([(ctx.label("schedule_restore"), RESTORE)])
    return rows


def parse_action(_ctx: Context, answer: Answer, data: dict) -> str:
    allowed = (MOVE, CANCEL, RESTORE) if data.get("changed") else (MOVE, CANCEL)
    if answer.choice not in allowed:
        raise Invalid("choose_button")
    return answer.choice


def action_values(_ctx: Context, data: dict):
    return {"original": dt.date.fromisoformat(data["opening"]), "changed": data.get("changed")}


def moving(data: dict) -> bool:
    return data.get("action") == MOVE


_DATE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?")


def read_date(text: str, today: dt.date) -> dt.date | None:
    """"17/12", "17-12-2026", "17.12.26" or "2026-12-17"; a date without a year is the next one."""
    raw = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", raw):
            return dt.date.fromisoformat("-".join(p.zfill(2) for p in raw.split("-")))
        match = _DATE.fullmatch(raw)
        if not match:
            return None
        day, month = int(match.group(1)), int(match.group(2))
        if match.group(3) is None:
            found = dt.date(today.year, month, day)
            return found if found >= today else dt.date(today.year + 1, month, day)
        year = int(match.group(3))
        return dt.date(year + 2000 if year < 100 else year, month, day)
    except ValueError:
        return None


async def parse_new_date(ctx: Context, answer: Answer, data: dict) -> str:
    _, zone = await posyandu_and_zone(ctx, data["posyandu"])
    today = today_in(ctx, zone)
    found = read_date(answer.text or "", today) if answer.choice is None else None
    if found is None or not today <= found <= today + AHEAD:
        raise Invalid("schedule_date", first=today, last=today + AHEAD)
    return found.isoformat()


async def time_buttons(ctx: Context, data: dict):
    posyandu, _ = await posyandu_and_zone(ctx, data["posyandu"])
    if posyandu is None:
        return []
    return [[(ctx.label("usual_time", posyandu.opens_at), "usual")]]


async def parse_new_time(ctx: Context, answer: Answer, data: dict) -> str:
    if answer.choice == "usual":
        posyandu, _ = await posyandu_and_zone(ctx, data["posyandu"])
        if posyandu is None:
            raise Invalid("posyandu_not_in_area")
        return posyandu.opens_at.strftime("%H:%M")
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", (answer.text or "").strip())
    if not match:
        raise Invalid("schedule_time")
    hour, minute = int(match.group(1)), int(match.group(2))
    if not (5 <= hour <= 20 and minute < 60) or (hour == 20 and minute > 0):
        raise Invalid("schedule_time")
    return f"{hour:02d}:{minute:02d}"


async def finish(ctx: Context, data: dict) -> list[Reply]:
    posyandu, _ = await posyandu_and_zone(ctx, data["posyandu"])
    if posyandu is None:  # moved out of the user's area since the first question
        raise Invalid("posyandu_not_in_area")
    original = dt.date.fromisoformat(data["opening"])
    action = data["action"]
    new_date = dt.date.fromisoformat(data["new_date"]) if moving(data) else None
    new_time = dt.time.fromisoformat(data["new_time"]) if moving(data) else None
    if action == RESTORE:
        await clear_exception(ctx.session, posyandu_id=posyandu.id, original_date=original)
    else:
        await set_exception(
            ctx.session, posyandu_id=posyandu.id, original_date=original, action=action,
            new_date=new_date, new_time=new_time, user_id=ctx.user.id, now=ctx.now,
        )
    await ctx.audit("change_posyandu_day", "posyandu", posyandu.id,
                    detail=f"{original} {action} {new_date or ''}".strip())
    # The time of the change is in the key: moving it away and back again is told each time.
    key = f"posyandu:{posyandu.id}:{original}:{action}:{ctx.now:%Y%m%d%H%M%S}"

    def notice(locale: str) -> Message:
        from templates import render

        return Message(render(locale, "reminders/posyandu_changed", posyandu=posyandu,
                              original_date=original, new_date=new_date, new_time=new_time,
                              restored=action == RESTORE),
                       kind="notice")

    notified = await enqueue_by_locale(ctx.session, families_of(posyandu.id, original), key, notice)
    notified += await enqueue_by_locale(ctx.session, kader_of(posyandu.id), key, notice)
    if action == RESTORE:
        return [ctx.reply("schedule/restored", posyandu=posyandu, original=original,
                          notified=notified)]
    if new_date:
        return [ctx.reply("schedule/moved", posyandu=posyandu, original=original,
                          new_date=new_date, new_time=new_time, notified=notified)]
    return [ctx.reply("schedule/cancelled", posyandu=posyandu, original=original,
                      notified=notified)]


FLOW = register(
    Flow(
        "jadwal",
        [
            Step("posyandu", "schedule/ask_posyandu", parse_posyandu, buttons=posyandu_buttons),
            Step("opening", "schedule/ask_opening", parse_opening, buttons=opening_buttons,
                 values=opening_values),
            Step("action", "schedule/ask_action", parse_action,
                 buttons=action_buttons, values=action_values),
            Step("new_date", "schedule/ask_date", parse_new_date, when=moving),
            Step("new_time", "schedule/ask_time", parse_new_time, buttons=time_buttons,
                 when=moving),
        ],
        finish,
    )
)
