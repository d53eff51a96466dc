"""``/skrining_catin``: screening a bride- or groom-to-be (catin), as Elsimil asks it.

State diagram::

    /skrining_catin --> [catin] (TPK: buttons of the desa's catin, or a typed name;
           |                     a catin screening herself: her own record, no question)
           v
    [birth date or NIK] (only when not on record) --> [sex] (only when unknown)
           v
    [height] --> [weight] --> [LILA] --> [Hb] --> [smoke] --> [wedding date] --> result
                              (LILA and Hb for brides)

The result is "ideal" or "berisiko" with each reason (IMT < 18.5, LILA < 23.5 cm = KEK, Hb below
the non-pregnant cut-off = anaemia, age under 20 or over 35, smoke) and what to do (TTD for 90
days when anaemic, nutrition, delaying pregnancy, the bidan). Cut-offs come from
``storage.tpk.thresholds_for`` (a coordinator corrects them). A catin's own answers are stored
as self-reported, with who entered them.

Programme words: *catin* (calon pengantin), *IMT* (body-mass index), *LILA* (upper-arm
circumference), *KEK* (chronic energy deficiency), *Hb* (haemoglobin), *TTD* (iron tablets),
*NIK* (national id).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.conversations.tpk_common import (
    area_today,
    get_target,
    one_match,
    parse_adult_weight,
    parse_birth_or_nik,
    parse_hb,
    parse_height,
    parse_lila,
    target_name,
    tlabel,
)
from bot.core import Reply
from bot.parsing import choice_of, parse_date
from growth import maternal
from storage.targets import CATIN, Target
from storage.tpk import Screening, active_in, thresholds_for

NAME = "skrining"
SMOKE_CODES = ("tidak", "merokok", "terpapar")


async def _target(ctx: Context, data: dict) -> Target:
    target = await get_target(ctx, data.get("target"), (CATIN,))
    if target is None:
        raise Invalid("tpk_target_gone")
    return target


async def _today(ctx: Context, target: Target | None = None) -> dt.date:
    return await area_today(ctx, target.desa_code if target else ctx.user.area_code)


async def catin_of_desa(ctx: Context) -> list[Target]:
    rows = await ctx.session.scalars(
        select(Target).where(active_in(ctx.user.area_code), Target.kind == CATIN)
        .order_by(Target.wedding_date, Target.id)
    )
    return list(rows.all())


async def target_buttons(ctx: Context, data: dict):
    targets = await catin_of_desa(ctx)
    if data.get("candidates"):
        targets = [t for t in targets if t.id in data["candidates"]]
    return [[(f"{target_name(ctx.locale, t)}"
              + (f" ({t.wedding_date:%d/%m/%y})" if t.wedding_date else ""), str(t.id))]
            for t in targets[:8]]


async def parse_target(ctx: Context, answer: Answer, data: dict) -> int:
    if answer.choice is not None and answer.choice.isdigit():
        if await get_target(ctx, answer.choice, (CATIN,)) is not None:
            data.pop("candidates", None)
            return _known(data, await get_target(ctx, answer.choice, (CATIN,)))
        raise Invalid("tpk_target_unknown", name="")
    targets = await catin_of_desa(ctx)
    found = one_match([(t.id, t.name or "") for t in targets], answer.text, data)
    return _known(data, next(t for t in targets if t.id == found))


def _known(data: dict, target: Target) -> int:
    """Remember what is on record so those questions are skipped."""
    data["has_birth"] = target.birth_date is not None
    data["sex_known"] = target.sex
    data["wedding_known"] = target.wedding_date.isoformat() if target.wedding_date else None
    return target.id


async def parse_birth(ctx: Context, answer: Answer, data: dict) -> str:
    born, sex = parse_birth_or_nik(answer.text, await _today(ctx, await _target(ctx, data)))
    if sex is not None:
        data["sex_known"] = sex
    return born.isoformat()


def sex_buttons(ctx: Context, _data):
    return [[(ctx.label("sex", "L"), "L"), (ctx.label("sex", "P"), "P")]]


def female(data: dict) -> bool:
    return (data.get("sex") or data.get("sex_known") or "P") == "P"


def smoke_buttons(ctx: Context, _data):
    return [[(tlabel(ctx, "smoke", code), code)] for code in SMOKE_CODES]


def wedding_buttons(ctx: Context, data: dict):
    if data.get("wedding_known"):
        day = dt.date.fromisoformat(data["wedding_known"])
        return [[(tlabel(ctx, "keep_date", day), "keep")]]
    return []


async def parse_wedding(ctx: Context, answer: Answer, data: dict) -> str:
    if answer.choice == "keep" and data.get("wedding_known"):
        return data["wedding_known"]
    today = await _today(ctx, await _target(ctx, data))
    day = parse_date(answer.text, today)
    if day < today - dt.timedelta(days=365) or day > today + dt.timedelta(days=730):
        raise Invalid("tpk_wedding_far")
    return day.isoformat()


async def finish(ctx: Context, data: dict) -> list[Reply]:
    target = await _target(ctx, data)
    today = await _today(ctx, target)
    if data.get("birth"):
        target.birth_date = dt.date.fromisoformat(data["birth"])
    sex = data.get("sex") or data.get("sex_known") or target.sex or "P"
    target.sex = sex
    target.wedding_date = dt.date.fromisoformat(data["wedding"])
    th = await thresholds_for(ctx.session, target.desa_code)
    age = maternal.age_years(target.birth_date, today)
    result = maternal.screen_catin(
        age=age, sex=sex, height_cm=data["height"], weight_kg=data["weight"],
        lila_cm=data.get("lila"), hb=data.get("hb"), smoking=data["smoke"] != "tidak", th=th,
    )
    screening = Screening(
        target_id=target.id, desa_code=target.desa_code, screened_on=today,
        entered_by=ctx.user.id, self_reported=target.user_id == ctx.user.id, age_years=age,
        height_cm=data["height"], weight_kg=data["weight"], imt=result.imt,
        lila_cm=data.get("lila"), hb=data.get("hb"), smoking=data["smoke"],
        wedding_date=target.wedding_date, result=result.result, reasons=",".join(result.reasons),
        created_at=ctx.now,
    )
    ctx.session.add(screening)
    await ctx.session.flush()
    await ctx.audit("create", "screening", screening.id, detail=f"target {target.id}")
    return [ctx.reply(
        "tpk/screening_result", target=target, name=target_name(ctx.locale, target), age=age,
        r=result, screening=screening, th=th, hb_cutoff=th.hb_nonpregnant,
        self_reported=screening.self_reported,
        months_to_wedding=(target.wedding_date - today).days // 30,
    )]


FLOW = register(Flow(
    NAME,
    [
        Step("target", "tpk/ask_catin", parse_target, buttons=target_buttons,
             when=lambda d: "target" not in d),
        Step("birth", "tpk/ask_birth_catin", parse_birth, when=lambda d: not d.get("has_birth")),
        Step("sex", "children/ask_sex", choice_of("L", "P"), buttons=sex_buttons,
             when=lambda d: not d.get("sex_known")),
        Step("height", "tpk/ask_height", lambda _c, a, _d: parse_height(a.text)),
        Step("weight", "tpk/ask_adult_weight", lambda _c, a, _d: parse_adult_weight(a.text)),
        Step("lila", "tpk/ask_lila", lambda _c, a, _d: parse_lila(a.text), when=female),
        Step("hb", "tpk/ask_hb", lambda _c, a, _d: parse_hb(a.text), when=female),
        Step("smoke", "tpk/ask_smoke", choice_of(*SMOKE_CODES), buttons=smoke_buttons),
        Step("wedding", "tpk/ask_wedding_screen", parse_wedding, buttons=wedding_buttons),
    ],
    finish,
))


def start_data(target: Target) -> dict:
    """Data to start the flow at a known target (from /sasaran, or a catin herself)."""
    data: dict = {}
    data["target"] = _known(data, target)
    return data
