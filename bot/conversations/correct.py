"""``/ralat``: a kader corrects or deletes their own latest measurement of a child.

State diagram::

    /ralat --> [which] --> [action] --fix--> [weight] --> [length] --> [sure] --> corrected
                                    \\--delete----------------------> [sure] --> deleted

Only a child's latest measurement can be changed (the N/T of later weighings rest on it), and
only by the kader who entered it. The change is recorded in the audit log (ids and fields,
not the values). Deleting it makes an earlier measurement of that month the month's latest
(``Measurement.latest_of_month``, refreshed here).
"""

from __future__ import annotations

from sqlalchemy import delete, select

from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.conversations.measure import parse_length, parse_weight
from bot.core import Reply
from bot.measuring import Entry, check, fill, open_follow_up, result_reply, usual_position
from bot.parsing import choice_of, yes_no_buttons
from storage.measurements import last_entry_by, refresh_latest_of_month
from storage.models import Child, FollowUp, Measurement

NAME = "ralat"


async def correctable(ctx: Context) -> list[tuple[Measurement, Child]]:
    """This kader's latest entries that are still their child's latest measurement."""
    found = []
    for measurement in await last_entry_by(ctx.session, ctx.user.id):
        latest = await ctx.session.scalar(
            select(Measurement.id).where(Measurement.child_id == measurement.child_id)
            .order_by(Measurement.measured_on.desc(), Measurement.id.desc()).limit(1)
        )
        child = await ctx.session.get(Child, measurement.child_id)
        if latest == measurement.id and child.posyandu_id == ctx.user.posyandu_id:
            found.append((measurement, child))
    return found


async def which_buttons(ctx: Context, _data):
    return [[(f"{child.name} {m.measured_on:%d/%m}: {m.weight_kg or '-'} kg "
              f"{m.lenhei_cm or '-'} cm", str(m.id))]
            for m, child in await correctable(ctx)]


async def parse_which(ctx: Context, answer: Answer, _data: dict) -> int:
    allowed = {str(m.id) for m, _ in await correctable(ctx)}
    if answer.choice in allowed:
        return int(answer.choice)
    raise Invalid("choose_button")


def action_buttons(ctx: Context, _data):
    return [[(ctx.label("fix_numbers"), "fix"), (ctx.label("delete"), "del")]]


async def sure_values(ctx: Context, data: dict):
    measurement = await ctx.session.get(Measurement, data["which"])
    child = await ctx.session.get(Child, measurement.child_id)
    checked = None
    if data["action"] == "fix":
        checked = await check(ctx, child, corrected_entry(measurement, data), replacing=measurement.id)
    return {"m": measurement, "child": child, "checked": checked}


def corrected_entry(measurement: Measurement, data: dict) -> Entry:
    position = data.get("position", measurement.position)
    return Entry(measurement.child_id, measurement.measured_on, data["weight"], data["length"],
                 position, measurement.armc_cm, measurement.headc_cm)


async def finish(ctx: Context, data: dict) -> list[Reply]:
    if data["sure"] != "y":
        return [ctx.reply("flow/cancelled")]
    measurement = await ctx.session.get(Measurement, data["which"])
    if measurement is None or measurement.entered_by != ctx.user.id:
        raise Invalid("measurement_gone")
    await ctx.session.execute(delete(FollowUp).where(FollowUp.measurement_id == measurement.id))
    if data["action"] == "del":
        await ctx.session.delete(measurement)
        await ctx.session.flush()
        # An earlier measurement of that month may now be its latest.
        await refresh_latest_of_month(ctx.session, measurement.child_id, [measurement.measured_on])
        await ctx.audit("delete", "measurement", measurement.id,
                        detail=f"child {measurement.child_id}")
        return [ctx.reply("measure/deleted")]
    child = await ctx.session.get(Child, measurement.child_id)
    checked = await check(ctx, child, corrected_entry(measurement, data), replacing=measurement.id)
    old_date = measurement.measured_on
    fill(measurement, checked)
    if measurement.measured_on != old_date:
        # Only the date decides the month's latest (today a correction keeps the date).
        await ctx.session.flush()
        await refresh_latest_of_month(ctx.session, measurement.child_id,
                                      [old_date, measurement.measured_on])
    open_follow_up(ctx, checked, measurement.id)
    await ctx.audit("update", "measurement", measurement.id, detail="weight,length")
    return [ctx.reply("measure/corrected"), result_reply(ctx, checked)]


async def length_values(ctx: Context, data: dict):
    measurement = await ctx.session.get(Measurement, data["which"])
    child = await ctx.session.get(Child, measurement.child_id)
    return {"usual": usual_position(child.birth_date, measurement.measured_on)}


def fixing(data: dict) -> bool:
    return data.get("action") == "fix"


FLOW = register(Flow(
    NAME,
    [
        Step("which", "measure/ask_which", parse_which, buttons=which_buttons),
        Step("action", "measure/ask_action", choice_of("fix", "del"), buttons=action_buttons),
        Step("weight", "measure/ask_weight", parse_weight, when=fixing),
        Step("length", "measure/ask_length", parse_length, when=fixing, values=length_values),
        Step("sure", "measure/ask_sure", choice_of("y", "n"), buttons=yes_no_buttons,
             values=sure_values),
    ],
    finish,
))
