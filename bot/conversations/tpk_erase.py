"""Erasing a target a TPK recorded (UU 27/2022: the person asked, through the TPK or bidan).

State diagram::

    summary button "Hapus data sasaran" --> [confirm] (says what goes and what stays)
        --Hapus--> anonymised and ended; the audit log says it happened (counts, no data)
        --Batal--> nothing changes

Who: the desa's TPK and bidan, a koordinator of an area above, an admin. A target who joined
the bot herself (``user_id``) erases her own data with /hapusdata: the button tells the TPK so.

What goes: the name (now "(dihapus)"), the birth date, the link to a child record and the birth
history; stage dates are kept to their month. What stays: her screenings and visits, which carry
no name (measurements, codes, dates), so the desa's monthly TPK report stays true, as a child's
measurements stay after /hapusdata. ``storage.tpk.erase_target`` does it.

Programme words: *sasaran* (a target), *TPK* (Tim Pendamping Keluarga).
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.context import Context
from bot.conversation import Flow, Invalid, Step, register
from bot.conversations.tpk_common import area_today, staff_target, target_name, tlabel
from bot.core import Reply
from bot.parsing import choice_of
from storage.tpk import Screening, Visit, erase_target

NAME = "tpk_hapus"


async def _target(ctx: Context, data: dict):
    target = await staff_target(ctx, data.get("target"))
    if target is None or target.user_id is not None:
        raise Invalid("tpk_target_gone")
    return target


async def confirm_values(ctx: Context, data: dict):
    target = await _target(ctx, data)
    visits = await ctx.session.scalar(
        select(func.count()).select_from(Visit).where(Visit.target_id == target.id))
    screenings = await ctx.session.scalar(
        select(func.count()).select_from(Screening).where(Screening.target_id == target.id))
    await ctx.audit("read", "target", target.id, detail="erasure request")
    return {"target": target, "name": target_name(ctx.locale, target),
            "kind_label": tlabel(ctx, "kind", target.kind), "visits": visits,
            "screenings": screenings}


def confirm_buttons(ctx: Context, _data):
    return [[(tlabel(ctx, "erase_confirm"), "y")], [(tlabel(ctx, "cancel"), "n")]]


async def finish(ctx: Context, data: dict) -> list[Reply]:
    if data.get("confirm") != "y":
        return [ctx.reply("tpk/erase_kept")]
    target = await _target(ctx, data)
    counts = await erase_target(ctx.session, target, await area_today(ctx, target.desa_code))
    await ctx.audit("erase", "target", target.id,
                    detail=f"anonymised; {counts['visits']} visits, {counts['screenings']} "
                    f"screenings kept without name; {counts['notices']} sent notices scrubbed")
    return [ctx.reply("tpk/erased", **counts)]


FLOW = register(Flow(
    NAME,
    [Step("confirm", "tpk/confirm_erase", choice_of("y", "n"), buttons=confirm_buttons,
          values=confirm_values)],
    finish,
))
