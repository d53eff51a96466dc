"""``/tips`` (the family's tracks, stage and next tip; hour, pause, birth, loss) and
``/berhenti`` (stop every message: tips and posyandu reminders; ``/start`` resumes).

Programme words: *HPHT*/*HPL* (first day of the last period / due date), *catin* (bride- or
groom-to-be), *balita* (child under five); see ``storage.tips`` for the tracks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.context import Context
from bot.conversation import FLOWS, start
from bot.conversations.stage import flow_data, subscribe_children, today_of
from bot.core import Button, Reply
from bot.router import Router
from storage.models import Area, Child, Posyandu
from storage.outbox import OutboxMessage
from storage.roles import KELUARGA
from storage.targets import HAMIL, Target
from storage.tips import (
    ANAK,
    CATIN,
    SLOTS,
    STAGES,
    ChildClaim,
    TipSubscription,
    active_subscriptions,
    add_months,
    cancel_pending,
    preference,
    stage_key,
    stage_on,
)
from storage.tips import (
    PENDING as CLAIM_PENDING,
)

router = Router("tips")
FAMILY = (KELUARGA,)


@dataclass
class TrackView:
    track: str
    stage: int  # may lie outside the track (before its first tip, after its last)
    anchor: dt.date
    child: str | None  # the child's name (anak, once confirmed)
    next_day: dt.date | None
    next_stage: int | None


def anchor_of(sub: TipSubscription, target: Target | None, child: Child | None) -> dt.date | None:
    if sub.track == HAMIL:
        return target.hpht if target else None
    if sub.track == CATIN:
        return target.wedding_date if target else None
    if child is not None:
        return child.birth_date
    return target.delivered_on if target else None


def stage_start(track: str, anchor: dt.date, stage: int) -> dt.date:
    """The first day of a stage."""
    if track == ANAK:
        return add_months(anchor, stage)
    return anchor + dt.timedelta(days=7 * stage)


def next_tip(track: str, anchor: dt.date, first_day: dt.date, sent: set[str],
             sub_id: int) -> tuple[dt.date, int] | None:
    """The day and stage of the next tip not sent yet, from ``first_day`` on."""
    stages = STAGES[track]
    stage = max(stage_on(track, anchor, first_day), stages[0])
    while stage in stages:
        if stage_key(sub_id, stage) not in sent:
            return max(first_day, stage_start(track, anchor, stage)), stage
        stage += 1
    return None


async def zone_of(ctx: Context) -> ZoneInfo:
    zone = await ctx.session.scalar(
        select(Area.timezone).join(Posyandu, Posyandu.desa_code == Area.code)
        .where(Posyandu.id == ctx.user.posyandu_id))
    return ZoneInfo(zone or "Asia/Jakarta")


async def overview(ctx: Context) -> dict:
    """Everything ``/tips`` shows: the hour, pause/stop, each track's stage and next tip."""
    pref = await preference(ctx.session, ctx.user.id)
    slot = pref.slot if pref else None
    local = ctx.now.astimezone(await zone_of(ctx))
    today = await today_of(ctx)
    # Children linked before tips existed (or by the kader's shared contact) follow the anak
    # track too; subscribing is idempotent.
    await subscribe_children(ctx, list(await ctx.session.scalars(
        select(Child).where(Child.parent_user_id == ctx.user.id))), today)
    # Today's tip is still to come before the slot's hour; after it, tomorrow is the next chance.
    first_day = today if slot and local.hour < SLOTS[slot] else today + dt.timedelta(days=1)
    views = []
    for sub in await active_subscriptions(ctx.session, ctx.user.id):
        target = await ctx.session.get(Target, sub.target_id) if sub.target_id else None
        child = await ctx.session.get(Child, sub.child_id) if sub.child_id else None
        anchor = anchor_of(sub, target, child)
        if anchor is None:
            continue
        sent = set(await ctx.session.scalars(
            select(OutboxMessage.dedupe_key)
            .where(OutboxMessage.dedupe_key.like(f"tip:{sub.id}:%"))))
        upcoming = next_tip(sub.track, anchor, first_day, sent, sub.id)
        views.append(TrackView(sub.track, stage_on(sub.track, anchor, today), anchor,
                               child.name if child else None,
                               *(upcoming if upcoming else (None, None))))
    claims = await ctx.session.scalar(
        select(func.count()).select_from(ChildClaim)
        .where(ChildClaim.user_id == ctx.user.id, ChildClaim.status == CLAIM_PENDING))
    return {
        "slot": slot, "hour": SLOTS.get(slot or "", None), "views": views,
        "paused": bool(pref and pref.paused_at), "stopped": bool(pref and pref.stopped_at),
        "claims": claims or 0, "today": today,
    }


def tips_buttons(ctx: Context, info: dict) -> list[list[Button]]:
    tracks = {view.track for view in info["views"]}
    rows = [[Button(("✓ " if info["slot"] == name else "") + ctx.label("slot", name),
                    f"tp:slot:{name}") for name in SLOTS]]
    if info["stopped"] or info["paused"]:
        rows.append([Button(ctx.label("tips_resume"), "tp:resume")])
    elif tracks:
        rows.append([Button(ctx.label("tips_pause"), "tp:pause")])
    if HAMIL in tracks:
        rows.append([Button(ctx.label("tips_birth"), "tp:birth"),
                     Button(ctx.label("tips_dates"), "tp:stage:hamil")])
        rows.append([Button(ctx.label("tips_loss"), "tp:loss")])
    else:
        rows.append([Button(ctx.label("who", "hamil"), "tp:stage:hamil")])
    last = [Button(ctx.label("tips_add_child"), "tp:stage:balita")]
    if CATIN in tracks or not tracks:
        label = ctx.label("tips_wedding") if CATIN in tracks else ctx.label("who", "catin")
        last.insert(0, Button(label, "tp:stage:catin"))
    rows.append(last)
    rows.append([Button("❓ " + ctx.label("command", "tanya"), "m:tanya")])
    return rows


async def tips_page(ctx: Context) -> Reply:
    info = await overview(ctx)
    return ctx.reply("tips/settings", buttons=tips_buttons(ctx, info), **info)


# ``/tips <word>`` starts what a button of ``/tips`` starts (typed shortcuts).
SHORTCUTS = {"hamil": ("stage", "hamil"), "catin": ("stage", "catin"),
             "balita": ("stage", "balita"), "anak": ("stage", "balita"), "jam": ("stage", "jam"),
             "lahir": ("birth", ""), "kehilangan": ("loss", ""), "siapa": ("stage", "siapa")}


@router.command("tips", roles=FAMILY)
async def tips_command(ctx: Context) -> list[Reply]:
    _, argument = ctx.incoming.command
    shortcut = SHORTCUTS.get(argument.strip().lower())
    if shortcut is not None:
        return await tips_action(ctx, *shortcut)
    return [await tips_page(ctx)]


@router.callback("tp:", roles=FAMILY)
async def tips_pressed(ctx: Context) -> list[Reply]:
    action, _, value = ctx.incoming.payload[3:].partition(":")
    return await tips_action(ctx, action, value)


async def tips_action(ctx: Context, action: str, value: str) -> list[Reply]:
    if action == "stage" and value == "siapa":
        return await start(ctx, FLOWS["siapa"])
    if action == "stage" and value in ("hamil", "catin", "balita", "jam"):
        flow = FLOWS["jam_tips" if value == "jam" else value]
        data = await flow_data(ctx)
        data["ask_slot"] = data["ask_slot"] or value == "jam"
        return await start(ctx, flow, data)
    if action == "birth":  # also for a mother whose pregnancy was never recorded here
        return await start(ctx, FLOWS["lahir"])
    if action == "loss":
        if await _active_pregnancy(ctx) is None:
            return [ctx.reply("tips/no_pregnancy")]
        return await start(ctx, FLOWS["kehilangan"])
    pref = await preference(ctx.session, ctx.user.id, create=True, now=ctx.now)
    if action == "slot" and value in SLOTS:
        pref.slot = value
    elif action == "pause":
        pref.paused_at = pref.paused_at or ctx.now
    elif action == "resume":
        pref.paused_at = pref.stopped_at = None
    else:
        return [ctx.reply("errors/unknown_button")]
    pref.updated_at = ctx.now
    await ctx.session.flush()
    reply = await tips_page(ctx)
    reply.edit = True
    return [reply]


async def _active_pregnancy(ctx: Context) -> TipSubscription | None:
    found = await active_subscriptions(ctx.session, ctx.user.id, HAMIL)
    return found[0] if found else None


@router.command("berhenti", "stop", roles=FAMILY)
async def stop_command(ctx: Context) -> list[Reply]:
    pref = await preference(ctx.session, ctx.user.id, create=True, now=ctx.now)
    pref.stopped_at, pref.updated_at = ctx.now, ctx.now
    await cancel_pending(ctx.session, ctx.user.id, kinds=("tip", "reminder"))
    await ctx.audit("stop", "messages", ctx.user.id)
    return [ctx.reply("tips/stopped")]


async def resume_messages(ctx: Context) -> list[Reply]:
    """``/start`` after ``/berhenti``: messages again (called by ``bot.handlers.start``)."""
    if ctx.user.role != KELUARGA:
        return []
    pref = await preference(ctx.session, ctx.user.id)
    if pref is None or pref.stopped_at is None:
        return []
    pref.stopped_at = pref.paused_at = None
    pref.updated_at = ctx.now
    await ctx.audit("resume", "messages", ctx.user.id)
    return [ctx.reply("tips/resumed")]
