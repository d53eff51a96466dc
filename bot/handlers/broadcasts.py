"""``/siaran``: a coordinator's broadcasts (*siaran*) with their status, and starting a new one.

The list shows, per broadcast, its audience and what happened to its outbox rows: recipients,
sent, failed, blocked (the person blocked the bot), still waiting. A planned broadcast can be
cancelled before it starts; a running one stopped (what is not sent yet is never sent). Only
the author sees and changes a broadcast; anyone else's id reads as absent.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.context import Context
from bot.conversation import start
from bot.conversations.broadcast import FLOW
from bot.core import Button, Reply
from bot.router import Router
from scheduler.broadcasts import render
from storage import broadcasts as bc
from storage.models import Area
from storage.roles import ADMIN, KOORDINATOR

router = Router("broadcasts")
AUTHORS = (KOORDINATOR, ADMIN)
NEW_WORDS = ("baru", "new", "buat")


@router.command("siaran", roles=AUTHORS)
async def broadcasts_command(ctx: Context) -> list[Reply]:
    _, rest = ctx.incoming.command
    if rest.strip().lower() in NEW_WORDS:
        return await start(ctx, FLOW)
    return [await listing(ctx)]


@router.callback("bc:", roles=AUTHORS)
async def broadcast_pressed(ctx: Context) -> list[Reply]:
    action, _, rest = ctx.incoming.payload[3:].partition(":")
    if action == "new":
        return await start(ctx, FLOW)
    if action == "list":
        reply = await listing(ctx)
        reply.edit = True
        return [reply]
    if not rest.isdigit() or len(rest) > 12 or action not in ("v", "x", "xy"):
        return [ctx.reply("errors/unknown_button")]
    broadcast = await bc.get_own(ctx.session, ctx.user, int(rest))
    if broadcast is None:
        return [ctx.reply("broadcast/not_found")]
    if action == "v":
        reply = await view(ctx, broadcast)
        reply.edit = True
        return [reply]
    if action == "x":
        if broadcast.status not in (bc.PLANNED, bc.SENDING):
            return [await view(ctx, broadcast, note="broadcast/already_ended")]
        return [ctx.reply("broadcast/ask_end", broadcast=broadcast, buttons=[[
            Button(ctx.label("broadcast_label", "confirm_" + broadcast.status),
                   f"bc:xy:{broadcast.id}"),
            Button(ctx.label("no"), f"bc:v:{broadcast.id}"),
        ]])]
    return [await end(ctx, broadcast)]


async def end(ctx: Context, broadcast: bc.Broadcast) -> Reply:
    if broadcast.status == bc.PLANNED and await bc.cancel(ctx.session, broadcast, ctx.now):
        await ctx.audit("cancel", "broadcast", broadcast.id)
        return await view(ctx, broadcast, note="broadcast/cancelled")
    if broadcast.status == bc.SENDING:
        stopped = await bc.stop(ctx.session, broadcast, ctx.now)
        if stopped >= 0:
            await ctx.audit("stop", "broadcast", broadcast.id, detail=str(stopped))
            return await view(ctx, broadcast, note="broadcast/stopped", stopped=stopped)
    return await view(ctx, broadcast, note="broadcast/already_ended")


async def listing(ctx: Context) -> Reply:
    found = await bc.mine(ctx.session, ctx.user)
    items = []
    buttons: list[list[Button]] = []
    for broadcast in found:
        counts = await bc.settle(ctx.session, broadcast, ctx.now)
        area = await ctx.session.get(Area, broadcast.area_code)
        items.append(_item(ctx, broadcast, area, counts))
        buttons.append(_buttons(ctx, broadcast))
    buttons.append([Button(ctx.label("broadcast_label", "new"), "bc:new")])
    return ctx.reply("broadcast/list", items=items, buttons=buttons)


def _item(ctx: Context, broadcast: bc.Broadcast, area: Area, counts: bc.Counts) -> dict:
    zone = ZoneInfo(area.timezone)
    return {
        "b": broadcast, "area": area, "counts": counts,
        "planned": broadcast.planned_at.astimezone(zone),
        "snippet": _snippet(ctx, broadcast, area),
    }


def _snippet(ctx: Context, broadcast: bc.Broadcast, area: Area, length: int = 70) -> str:
    if broadcast.template:
        return ctx.label("broadcast_label", "template_" + broadcast.template)
    text = " ".join((broadcast.text or "").split())
    return text if len(text) <= length else text[: length - 1] + "…"


def _buttons(ctx: Context, broadcast: bc.Broadcast) -> list[Button]:
    row = [Button(ctx.label("broadcast_label", "view", broadcast.id), f"bc:v:{broadcast.id}")]
    if broadcast.status in (bc.PLANNED, bc.SENDING):
        row.append(Button(ctx.label("broadcast_label", "end_" + broadcast.status, broadcast.id),
                          f"bc:x:{broadcast.id}"))
    return row


async def view(ctx: Context, broadcast: bc.Broadcast, note: str | None = None, **values) -> Reply:
    counts = await bc.settle(ctx.session, broadcast, ctx.now)
    area = await ctx.session.get(Area, broadcast.area_code)
    buttons = [_buttons(ctx, broadcast),
               [Button(ctx.label("broadcast_label", "all"), "bc:list")]]
    return ctx.reply(
        "broadcast/view", buttons=buttons, item=_item(ctx, broadcast, area, counts),
        message=render(ctx.locale, broadcast, area), note=note, **values,
    )
