"""``/anak_baru``: a kader registers a child of their posyandu.

State diagram::

    /anak_baru --> [name] --> [sex] --> [birth date] --(same name and birth date exists)--> [dup]
                                                   \\                                    /
                                                    --> [mother] --> [KIA] --> [NIK] --> [contact]
                                                                                           |
                                                                                     registered

NIK (optional) must agree with the typed birth date and sex (day + 40 for girls). The family's
contact (optional, shared from the phone book) keeps only their Telegram id, so that when they
join with the posyandu code the child is linked to them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.core import Reply
from bot.measuring import MAX_AGE_MONTHS, local_today
from bot.parsing import choice_of, nik_birth, parse_date, parse_name, parse_nik, yes_no_buttons
from growth.age import completed_months
from storage.models import Child

NAME = "anak_baru"


def sex_buttons(ctx: Context, _data):
    return [[(ctx.label("sex", "L"), "L"), (ctx.label("sex", "P"), "P")]]


async def parse_birth(ctx: Context, answer: Answer, data: dict) -> str:
    today = await local_today(ctx, ctx.user.posyandu_id)
    born = parse_date(answer.text, today)
    if born > today:
        raise Invalid("birth_future")
    if completed_months(born, today) >= MAX_AGE_MONTHS:
        raise Invalid("child_over_60_months")
    duplicate = await ctx.session.scalar(
        select(Child.id).where(
            Child.posyandu_id == ctx.user.posyandu_id,
            func.lower(Child.name) == data["name"].lower(),
            Child.birth_date == born,
        ).limit(1)
    )
    data.pop("duplicate_of", None)
    if duplicate is not None:
        data["duplicate_of"] = duplicate
    return born.isoformat()


def duplicate_buttons(ctx: Context, _data):
    return [[(ctx.label("register_anyway"), "y")], [(ctx.label("cancel_registration"), "n")]]


def parse_mother(_ctx: Context, answer: Answer, _data: dict) -> str:
    return parse_name(answer.text)


def skip_buttons(ctx: Context, _data):
    return [[(ctx.label("skip"), "skip")]]


def parse_nik_step(_ctx: Context, answer: Answer, data: dict) -> str | None:
    if answer.choice == "skip":
        return None
    nik = parse_nik(answer.text)
    born, sex = nik_birth(nik)
    if born is None or born.isoformat() != data["birth_date"]:
        raise Invalid("nik_birth_mismatch")
    if sex != data["sex"]:
        raise Invalid("nik_sex_mismatch")
    return nik


def parse_contact(_ctx: Context, answer: Answer, _data: dict) -> str | None:
    if answer.choice == "skip":
        return None
    if answer.contact is None:
        raise Invalid("contact_expected")
    return answer.contact.user_id or ""  # "" = shared, but not a Telegram user


async def finish(ctx: Context, data: dict) -> list[Reply]:
    if data.get("duplicate") == "n":
        return [ctx.reply("children/not_registered")]
    child = Child(
        posyandu_id=ctx.user.posyandu_id, name=data["name"], sex=data["sex"],
        birth_date=dt.date.fromisoformat(data["birth_date"]), nik=data.get("nik"),
        mother_name=data["mother"], has_kia=data["kia"] == "y",
        family_platform_user_id=data.get("contact") or None,
        created_by=ctx.user.id, created_at=ctx.now,
    )
    ctx.session.add(child)
    await ctx.session.flush()
    await ctx.audit("create", "child", child.id)
    return [ctx.reply("children/registered", child=child, contact=data.get("contact"))]


FLOW = register(Flow(
    NAME,
    [
        Step("name", "children/ask_name", lambda _c, a, _d: parse_name(a.text)),
        Step("sex", "children/ask_sex", choice_of("L", "P"), buttons=sex_buttons),
        Step("birth_date", "children/ask_birth", parse_birth),
        Step("duplicate", "children/ask_duplicate", choice_of("y", "n"), buttons=duplicate_buttons,
             when=lambda d: d.get("duplicate_of") is not None),
        Step("mother", "children/ask_mother", parse_mother,
             when=lambda d: d.get("duplicate") != "n"),
        Step("kia", "children/ask_kia", choice_of("y", "n"), buttons=yes_no_buttons,
             when=lambda d: d.get("duplicate") != "n"),
        Step("nik", "children/ask_nik", parse_nik_step, buttons=skip_buttons,
             when=lambda d: d.get("duplicate") != "n"),
        Step("contact", "children/ask_contact", parse_contact, buttons=skip_buttons,
             when=lambda d: d.get("duplicate") != "n"),
    ],
    finish,
))
