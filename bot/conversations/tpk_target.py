"""``/sasaran_baru``: a TPK records a target (*sasaran*) of their desa, with her consent.

State diagram::

    /sasaran_baru --> [kind] --> [consent] --no--> nothing stored
                                     | yes ("sasaran sudah setuju datanya dicatat")
                                     v
               baduta: [child] (registered at the desa's posyandu, or "not registered")
                                     v
               [name] --> [birth date or NIK] --> [sex] (catin / baduta, unless the NIK told)
                                     v
               catin: [wedding date]   hamil: [HPHT / HPL / week] --> [children] --> [last birth]
               nifas: [birth day] --> [children]
                                     v
                                 [confirm] --> stored; consent in the audit log
                                     | save, but an active target of the same kind in the desa
                                     | has the same name (and birth date, when both known)
                                     v
                      [duplicate] "Sudah ada ... Tetap catat sebagai orang baru?"
                                     --yes--> stored    --no--> nothing stored

Programme words: *catin* (bride/groom-to-be), *ibu hamil*, *ibu nifas* (42 days after a birth),
*baduta* (child under two: the family is accompanied). *HPHT*: first day of the last period,
*HPL*: the due date. Consent comes before any personal answer (UU 27/2022); a refusal stores
nothing. Children born and the last birth feed the 4T risk (too close, too many).
"""

from __future__ import annotations

import datetime as dt

from bot.context import Context
from bot.conversation import Answer, Flow, Goto, Invalid, Step, register
from bot.conversations.tpk_common import (
    area_today,
    delivery_day,
    parse_birth_or_nik,
    parse_count,
    parse_pregnancy,
    tlabel,
)
from bot.core import Reply
from bot.measuring import MAX_AGE_MONTHS, match_names
from bot.parsing import choice_of, parse_date, parse_name
from growth.age import completed_months
from storage.models import Child
from storage.targets import BADUTA, CATIN, HAMIL, KINDS, NIFAS, Target, due_from_hpht
from storage.tpk import children_of_desa, duplicates

NAME = "sasaran_baru"
CONSENT_VERSION = "tpk-2026-11"  # bump with every change of templates/*/tpk/ask_consent.j2


def kind_buttons(ctx: Context, _data):
    return [[(tlabel(ctx, "kind", k), k)] for k in KINDS]


def consent_buttons(ctx: Context, _data):
    return [[(tlabel(ctx, "consent_given"), "y")], [(tlabel(ctx, "consent_missing"), "n")]]


def agreed(data: dict) -> bool:
    return data.get("consent") == "y"


async def _today(ctx: Context) -> dt.date:
    return await area_today(ctx, ctx.user.area_code)


async def child_buttons(ctx: Context, data: dict):
    rows = []
    if data.get("candidates"):
        names = dict(await children_of_desa(ctx.session, ctx.user.area_code))
        rows = [[(names[i], str(i))] for i in data["candidates"] if i in names]
    return rows + [[(tlabel(ctx, "child_not_registered"), "none")]]


async def parse_child(ctx: Context, answer: Answer, data: dict) -> int | None:
    if answer.choice == "none":
        return None
    children = await children_of_desa(ctx.session, ctx.user.area_code)
    ids = {i for i, _ in children}
    if answer.choice is not None and answer.choice.isdigit() and int(answer.choice) in ids:
        data.pop("candidates", None)
        return int(answer.choice)
    found = match_names(children, answer.text or "")
    if not found:
        raise Invalid("tpk_child_unknown", name=answer.text or "")
    if len(found) > 1:
        data["candidates"] = found
        raise Invalid("child_ambiguous", name=answer.text or "")
    data.pop("candidates", None)
    return found[0]


def no_child(data: dict) -> bool:
    return agreed(data) and data.get("child") is None


async def parse_birth(ctx: Context, answer: Answer, data: dict) -> str:
    today = await _today(ctx)
    data.pop("nik_sex", None)
    if data["kind"] == BADUTA:
        born = parse_date(answer.text, today)
        if born > today:
            raise Invalid("birth_future")
        if completed_months(born, today) >= MAX_AGE_MONTHS:
            raise Invalid("child_over_60_months")
        return born.isoformat()
    born, sex = parse_birth_or_nik(answer.text, today)
    if sex is not None:
        if data["kind"] in (HAMIL, NIFAS) and sex != "P":
            raise Invalid("tpk_nik_not_female")
        data["nik_sex"] = sex
    return born.isoformat()


def sex_buttons(ctx: Context, _data):
    return [[(ctx.label("sex", "L"), "L"), (ctx.label("sex", "P"), "P")]]


async def parse_wedding(ctx: Context, answer: Answer, _data: dict) -> str:
    today = await _today(ctx)
    day = parse_date(answer.text, today)
    if day < today:
        raise Invalid("tpk_wedding_past")
    if day > today + dt.timedelta(days=730):
        raise Invalid("tpk_wedding_far")
    return day.isoformat()


async def parse_hpht(ctx: Context, answer: Answer, _data: dict) -> str:
    return parse_pregnancy(answer.text, await _today(ctx)).isoformat()


async def parse_delivered(ctx: Context, answer: Answer, _data: dict) -> str:
    return delivery_day(answer.text, await _today(ctx)).isoformat()


def skip_buttons(ctx: Context, _data):
    return [[(ctx.label("skip"), "skip")]]


def parse_children(_ctx: Context, answer: Answer, _data: dict) -> int | None:
    if answer.choice == "skip":
        return None
    return parse_count(answer.text, 20, "tpk_count_range")


async def parse_last_birth(ctx: Context, answer: Answer, data: dict) -> str | None:
    if answer.choice == "skip":
        return None
    today = await _today(ctx)
    day = parse_date(answer.text, today)
    if day > today:
        raise Invalid("date_future")
    return day.isoformat()


def confirm_buttons(ctx: Context, _data):
    return [[(ctx.label("save"), "save")], [(tlabel(ctx, "cancel"), "cancel")]]


async def _duplicates(ctx: Context, data: dict) -> list[Target]:
    child = await ctx.session.get(Child, data["child"]) if data.get("child") else None
    name = child.name if child else data["name"]
    born = child.birth_date if child else _date(data, "birth")
    return await duplicates(ctx.session, ctx.user.area_code, data["kind"], name, born)


async def parse_confirm(ctx: Context, answer: Answer, data: dict) -> str:
    choice = choice_of("save", "cancel")(ctx, answer, data)
    if choice == "save" and await _duplicates(ctx, data):
        raise Goto("duplicate")  # ask before storing a second record of the same person
    return choice


async def duplicate_values(ctx: Context, data: dict):
    return {"found": await _duplicates(ctx, data), "kind_label": tlabel(ctx, "kind", data["kind"])}


def duplicate_buttons(ctx: Context, _data):
    return [[(tlabel(ctx, "dup_new"), "y")], [(tlabel(ctx, "dup_cancel"), "n")]]


async def confirm_values(ctx: Context, data: dict):
    child = await ctx.session.get(Child, data["child"]) if data.get("child") else None
    dates = {key: _date(data, key) for key in ("birth", "wedding", "hpht", "delivered")}
    return {"child": child, "sex": _sex(data), "due": _due(data), "dates": dates}


def _sex(data: dict) -> str:
    if data["kind"] in (HAMIL, NIFAS):
        return "P"
    return data.get("nik_sex") or data.get("sex") or "P"


def _due(data: dict) -> dt.date | None:
    return due_from_hpht(dt.date.fromisoformat(data["hpht"])) if data.get("hpht") else None


def _date(data: dict, key: str) -> dt.date | None:
    return dt.date.fromisoformat(data[key]) if data.get(key) else None


async def finish(ctx: Context, data: dict) -> list[Reply]:
    if not agreed(data):
        return [ctx.reply("tpk/not_recorded")]
    if data.get("confirm") != "save" and data.get("duplicate") != "y":
        return [ctx.reply("tpk/not_recorded")]
    child = await ctx.session.get(Child, data["child"]) if data.get("child") else None
    target = Target(
        kind=data["kind"], desa_code=ctx.user.area_code, tpk_user_id=ctx.user.id,
        created_by=ctx.user.id, created_at=ctx.now,
        name=child.name if child else data["name"],
        sex=child.sex if child else _sex(data),
        birth_date=child.birth_date if child else _date(data, "birth"),
        posyandu_id=child.posyandu_id if child else None, child_id=child.id if child else None,
        hpht=_date(data, "hpht"), due_date=_due(data), wedding_date=_date(data, "wedding"),
        delivered_on=_date(data, "delivered"), children_born=data.get("children"),
        last_birth_on=_date(data, "last_birth"),
    )
    if target.kind == NIFAS and target.delivered_on and not target.last_birth_on:
        target.last_birth_on = target.delivered_on
    ctx.session.add(target)
    await ctx.session.flush()
    # Consent given to the TPK in person: who recorded it, when, and the text's version.
    await ctx.audit("consent", "target", target.id, detail=CONSENT_VERSION)
    await ctx.audit("create", "target", target.id)
    return [ctx.reply("tpk/target_recorded", target=target,
                      kind_label=tlabel(ctx, "kind", target.kind))]


def kind_is(*kinds: str):
    return lambda data: agreed(data) and data.get("kind") in kinds


FLOW = register(Flow(
    NAME,
    [
        Step("kind", "tpk/ask_kind", choice_of(*KINDS), buttons=kind_buttons),
        Step("consent", "tpk/ask_consent", choice_of("y", "n"), buttons=consent_buttons,
             values=lambda ctx, data: {"kind_label": tlabel(ctx, "kind", data["kind"])}),
        Step("child", "tpk/ask_child", parse_child, buttons=child_buttons, when=kind_is(BADUTA)),
        Step("name", "tpk/ask_name", lambda _c, a, _d: parse_name(a.text), when=no_child),
        Step("birth", "tpk/ask_birth", parse_birth, when=no_child),
        Step("sex", "children/ask_sex", choice_of("L", "P"), buttons=sex_buttons,
             when=lambda d: no_child(d) and d["kind"] in (CATIN, BADUTA) and not d.get("nik_sex")),
        Step("wedding", "tpk/ask_wedding", parse_wedding, when=kind_is(CATIN)),
        Step("hpht", "tpk/ask_pregnancy", parse_hpht, when=kind_is(HAMIL)),
        Step("delivered", "tpk/ask_delivered", parse_delivered, when=kind_is(NIFAS)),
        Step("children", "tpk/ask_children", parse_children, buttons=skip_buttons,
             when=kind_is(HAMIL, NIFAS)),
        Step("last_birth", "tpk/ask_last_birth", parse_last_birth, buttons=skip_buttons,
             when=lambda d: kind_is(HAMIL)(d) and (d.get("children") or 0) > 0),
        Step("confirm", "tpk/confirm_target", parse_confirm,
             buttons=confirm_buttons, values=confirm_values, when=agreed),
        # Reached only from [confirm] (Goto) when the person looks recorded already.
        Step("duplicate", "tpk/ask_duplicate", choice_of("y", "n"), buttons=duplicate_buttons,
             values=duplicate_values, when=lambda _d: False),
    ],
    finish,
))
