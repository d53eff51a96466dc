"""A TPK (or the desa's bidan) ends a target's stage, from the buttons of its summary.

State diagram::

    summary button --> birth: [day of birth] (today / yesterday / a typed date) --> [confirm]
                   --> loss, married, moved: ----------------------------------> [confirm]
    [confirm] --yes--> the stage ends (reason lahir, keguguran, menikah, pindah);
                       a birth also opens her nifas stage (the KF visits follow)
              --no---> nothing changes

Programme words: *sasaran* (target), *ibu hamil* / *ibu nifas* (the 42 days after a birth,
visited in the *KF* windows), *catin* (bride-to-be), *HPHT* (first day of the last period). A
birth is not before HPHT + 20 weeks (earlier is a loss) and not in the future. The row logic is
``storage.targets.record_birth`` / ``end``. When the target uses the bot herself, her tips
follow (``storage.tips.after_birth`` / ``end_pregnancy_tips``), as when she tells the bot.
"""

from __future__ import annotations

import datetime as dt

from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.conversations.tpk_common import (
    DESA_STAFF,
    area_today,
    parse_recent_day,
    recent_day_buttons,
    staff_target,
    target_name,
    tlabel,
)
from bot.core import Reply
from bot.parsing import choice_of
from storage.targets import (
    BORN,
    LOSS,
    MARRIED,
    MOVED,
    STAGE_ENDS,
    earliest_birth,
    end,
    record_birth,
)
from storage.tips import STOPPED_BY_LOSS, after_birth, end_pregnancy_tips

NAME = "tpk_tahap"
# A summary button's letter (payload ``tpk:<letter>:<target>``) and the end reason it records.
CHANGES = {"b": BORN, "l": LOSS, "m": MARRIED, "o": MOVED}
OLDEST_BIRTH_DAYS = 365  # an undated pregnancy: a birth older than this is a typo


def start_data(target_id: int, reason: str) -> dict:
    return {"target": target_id, "change": reason}


async def _target(ctx: Context, data: dict):
    target = await staff_target(ctx, data.get("target"), DESA_STAFF)
    if target is None or data.get("change") not in STAGE_ENDS.get(target.kind, ()):
        raise Invalid("tpk_target_gone")
    return target


async def parse_born(ctx: Context, answer: Answer, data: dict) -> str:
    target = await _target(ctx, data)
    today = await area_today(ctx, target.desa_code)
    born = parse_recent_day(answer.choice or answer.text, today)
    if born > today:
        raise Invalid("birth_future")
    earliest = earliest_birth(target) or today - dt.timedelta(days=OLDEST_BIRTH_DAYS)
    if born < earliest:
        raise Invalid("tpk_birth_early", earliest=earliest)
    return born.isoformat()


async def confirm_values(ctx: Context, data: dict):
    target = await _target(ctx, data)
    return {"name": target_name(ctx.locale, target), "kind_label": tlabel(ctx, "kind", target.kind),
            "born": dt.date.fromisoformat(data["born"]) if data.get("born") else None,
            "self_joined": target.user_id is not None}


def confirm_buttons(ctx: Context, _data):
    return [[(tlabel(ctx, "stage_confirm"), "y")], [(tlabel(ctx, "cancel"), "n")]]


async def finish(ctx: Context, data: dict) -> list[Reply]:
    if data.get("confirm") != "y":
        return [ctx.reply("tpk/stage_kept")]
    target = await _target(ctx, data)
    today = await area_today(ctx, target.desa_code)
    reason = data["change"]
    nifas = None
    if reason == BORN:
        nifas = record_birth(target, dt.date.fromisoformat(data["born"]), actor_id=ctx.user.id,
                             now=ctx.now)
        ctx.session.add(nifas)
        await ctx.session.flush()
        await ctx.audit("birth", "target", nifas.id, detail=f"pregnancy {target.id}")
        if target.user_id is not None:  # she uses the bot: her tips follow the baby now
            await after_birth(ctx.session, target.user_id, nifas.id, nifas.delivered_on, ctx.now)
    else:
        end(target, today, reason)
        if reason == LOSS and target.user_id is not None:
            await end_pregnancy_tips(ctx.session, target.user_id, today, STOPPED_BY_LOSS)
    await ctx.audit("end", "target", target.id, detail=reason)
    return [ctx.reply("tpk/stage_ended", reason=reason, name=target_name(ctx.locale, target),
                      nifas=nifas, self_joined=target.user_id is not None)]


FLOW = register(Flow(
    NAME,
    [
        Step("born", "tpk/ask_born_day", parse_born, buttons=recent_day_buttons,
             when=lambda d: d.get("change") == BORN),
        Step("confirm", "tpk/confirm_stage", choice_of("y", "n"), buttons=confirm_buttons,
             values=confirm_values),
    ],
    finish,
))
