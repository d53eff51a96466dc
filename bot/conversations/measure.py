"""``/ukur``: a kader reports one child's weighing and measuring, step by step.

State diagram::

    /ukur --> [child] --> [date] --> [weight] --> [length] --> [extra] --> [confirm] --> result
                ^ buttons of children not yet       "72,5" or        LILA and head   Simpan /
                  measured this month, or a typed   "72,5 berdiri"   circumference,  Ubah /
                  name (close spellings match)                       or Lewati       Posisi

Steps whose answer is already known are skipped, so ``/ukur Siti 8,2 72,5`` that needs a
question (two children called Siti, or a number to re-check) enters here with the rest filled.
Numbers outside what a child can measure are questioned at once; a change since last time that
is not possible, or a WHO implausibility flag, is shown at the confirmation, and nothing is
stored until the kader confirms.
"""

from __future__ import annotations

import datetime as dt

from bot.context import Context
from bot.conversation import Answer, Flow, Goto, Invalid, Step, register
from bot.core import Reply
from bot.measuring import (
    Entry,
    check,
    date_problem,
    find_children,
    local_today,
    result_reply,
    save,
    usual_position,
)
from bot.parsing import LENGTH_UNITS, WEIGHT_UNITS, parse_date, parse_number
from growth.plausibility import LENHEI_CM, WEIGHT_KG, range_problems
from storage.measurements import children_of_posyandu, measured_child_ids, month_bounds
from storage.models import Child

NAME = "ukur"
POSITION_WORDS = {"berdiri": "h", "tb": "h", "standing": "h", "berbaring": "l", "terlentang": "l",
                  "pb": "l", "lying": "l", "tidur": "l"}


async def _child(ctx: Context, data: dict) -> Child:
    child = await ctx.session.get(Child, data["child"])
    if child is None or child.posyandu_id != ctx.user.posyandu_id:
        raise Invalid("child_unknown")
    return child


async def child_buttons(ctx: Context, data: dict):
    candidates = data.get("candidates")
    children = await children_of_posyandu(ctx.session, ctx.user.posyandu_id)
    if candidates:
        chosen = [c for c in children if c.id in candidates]
    else:
        today = await local_today(ctx, ctx.user.posyandu_id)
        done = await measured_child_ids(ctx.session, ctx.user.posyandu_id, *month_bounds(today))
        chosen = [c for c in children if c.id not in done][:8]
    return [[(f"{c.name} ({c.birth_date:%d/%m/%y})", str(c.id))] for c in chosen]


async def child_values(ctx: Context, data: dict):
    return {"ambiguous": bool(data.get("candidates"))}


async def parse_child(ctx: Context, answer: Answer, data: dict) -> int:
    if answer.choice is not None:
        child = await ctx.session.get(Child, int(answer.choice)) if answer.choice.isdigit() else None
        if child is not None and child.posyandu_id == ctx.user.posyandu_id:
            data.pop("candidates", None)
            return child.id
        raise Invalid("child_unknown")
    found = await find_children(ctx.session, ctx.user.posyandu_id, answer.text or "")
    if not found:
        raise Invalid("child_unknown", name=answer.text or "")
    if len(found) > 1:
        data["candidates"] = [c.id for c in found]
        raise Invalid("child_ambiguous", name=answer.text or "")
    data.pop("candidates", None)
    return found[0].id


async def date_buttons(ctx: Context, data: dict):
    today = await local_today(ctx, ctx.user.posyandu_id)
    return [[(ctx.label("today", today), "today")]]


async def parse_measured_on(ctx: Context, answer: Answer, data: dict) -> str:
    today = await local_today(ctx, ctx.user.posyandu_id)
    day = today if answer.choice == "today" else parse_date(answer.text, today)
    problem = date_problem(await _child(ctx, data), day, today)
    if problem:
        raise Invalid(problem)
    return day.isoformat()


def parse_weight(_ctx: Context, answer: Answer, _data: dict) -> float:
    return checked_weight(parse_number(answer.text, WEIGHT_UNITS))


def checked_weight(value: float) -> float:
    if range_problems(value, None):
        hint = value / 1000 if value > 100 and WEIGHT_KG[0] <= value / 1000 <= WEIGHT_KG[1] else None
        hint = hint or (value / 10 if WEIGHT_KG[0] <= value / 10 <= WEIGHT_KG[1] else None)
        raise Invalid("weight_range", value=value, hint=hint)
    return round(value, 2)


def split_position(text: str | None) -> tuple[str, str | None]:
    """"72,5 berdiri" -> ("72,5", "h")."""
    words = (text or "").split()
    position = None
    if words and words[-1].lower() in POSITION_WORDS:
        position = POSITION_WORDS[words.pop().lower()]
    return " ".join(words), position


def parse_length(_ctx: Context, answer: Answer, data: dict) -> float:
    number, position = split_position(answer.text)
    value = checked_length(parse_number(number, LENGTH_UNITS))
    if position is not None:
        data["position"] = position
    return value


def checked_length(value: float) -> float:
    if range_problems(None, value):
        hint = value / 10 if LENHEI_CM[0] <= value / 10 <= LENHEI_CM[1] else None
        raise Invalid("length_range", value=value, hint=hint)
    return round(value, 2)


async def length_values(ctx: Context, data: dict):
    child = await _child(ctx, data)
    return {"usual": usual_position(child.birth_date, dt.date.fromisoformat(data["measured_on"]))}


def extra_buttons(ctx: Context, _data):
    return [[(ctx.label("skip"), "skip")]]


def parse_extra(_ctx: Context, answer: Answer, _data: dict) -> list:
    """Arm circumference (LILA) and head circumference: "14 45", "14", "- 45", or skip."""
    if answer.choice == "skip":
        return [None, None]
    parts = (answer.text or "").replace(";", " ").split()
    if not 1 <= len(parts) <= 2:
        raise Invalid("extra_format")
    values = []
    for part in parts:
        values.append(None if part == "-" else parse_number(part, LENGTH_UNITS))
    values += [None] * (2 - len(values))
    problems = range_problems(None, None, values[0], values[1])
    if problems:
        raise Invalid("extra_range")
    return values


def entry_of(data: dict) -> Entry:
    armc, headc = data.get("extra") or [None, None]
    return Entry(
        child_id=data["child"], measured_on=dt.date.fromisoformat(data["measured_on"]),
        weight_kg=data["weight"], lenhei_cm=data["length"], position=data.get("position"),
        armc_cm=armc, headc_cm=headc,
    )


async def confirm_values(ctx: Context, data: dict):
    checked = await check(ctx, await _child(ctx, data), entry_of(data))
    data["problems"] = checked.problems
    return {"checked": checked}


def confirm_buttons(ctx: Context, data: dict):
    save_label = ctx.label("save_anyway") if data.get("problems") else ctx.label("save")
    return [
        [(save_label, "save")],
        [(ctx.label("edit_numbers"), "edit"), (ctx.label("switch_position"), "pos")],
    ]


async def parse_confirm(ctx: Context, answer: Answer, data: dict) -> str:
    if answer.choice == "save":
        return "save"
    if answer.choice == "edit":
        raise Goto("weight")
    if answer.choice == "pos":
        child = await _child(ctx, data)
        day = dt.date.fromisoformat(data["measured_on"])
        current = data.get("position") or usual_position(child.birth_date, day)
        data["position"] = "h" if current == "l" else "l"
        raise Goto("confirm")
    raise Invalid("choose_button")


async def finish(ctx: Context, data: dict) -> list[Reply]:
    child = await _child(ctx, data)
    checked = await check(ctx, child, entry_of(data))
    await save(ctx, checked)
    return [result_reply(ctx, checked)]


def missing(name: str):
    return lambda data: name not in data


FLOW = register(Flow(
    NAME,
    [
        Step("child", "measure/ask_child", parse_child, buttons=child_buttons,
             values=child_values, when=missing("child")),
        Step("measured_on", "measure/ask_date", parse_measured_on, buttons=date_buttons,
             when=missing("measured_on")),
        Step("weight", "measure/ask_weight", parse_weight, when=missing("weight")),
        Step("length", "measure/ask_length", parse_length, values=length_values,
             when=missing("length")),
        Step("extra", "measure/ask_extra", parse_extra, buttons=extra_buttons,
             when=missing("extra")),
        Step("confirm", "measure/confirm", parse_confirm, buttons=confirm_buttons,
             values=confirm_values),
    ],
    finish,
))
