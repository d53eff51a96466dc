"""``/start [code]``: join with an invite (staff) or a posyandu's join code (families)."""

from __future__ import annotations

from bot.context import Context
from bot.conversation import FLOWS, start
from bot.core import Reply
from bot.handlers.tips import resume_messages
from bot.router import Router
from storage import registry
from storage.models import Area, Posyandu
from storage.roles import KELUARGA

router = Router("start")


@router.command("start")
async def start_command(ctx: Context) -> list[Reply]:
    # After /berhenti, /start turns the messages on again.
    return await resume_messages(ctx) + await _start(ctx)


async def _start(ctx: Context) -> list[Reply]:
    _, argument = ctx.incoming.command or ("/start", "")
    if not argument:
        if ctx.user.role is None:
            return [ctx.reply("start/how_to_join")]
        return [ctx.reply("start/welcome_back", place=await place_name(ctx))]
    found = await registry.look_up_code(ctx.session, argument, ctx.now)
    if found.kind == "invite":
        invite = found.invite
        registry.redeem(invite, ctx.user, ctx.now)
        await ctx.audit("redeem_invite", "invite", invite.code, detail=invite.role)
        return [ctx.reply("start/registered", place=await place_name(ctx))]
    if found.kind == "used" and found.invite.used_by == ctx.user.id:
        return [ctx.reply("start/already_registered", place=await place_name(ctx))]
    if found.kind == "posyandu":
        return await join_posyandu(ctx, found.posyandu)
    return [ctx.reply(f"start/code_{found.kind}")]


async def join_posyandu(ctx: Context, posyandu: Posyandu) -> list[Reply]:
    user = ctx.user
    if user.role not in (None, KELUARGA):
        return [ctx.reply("start/staff_has_role", place=await place_name(ctx))]
    if user.role == KELUARGA and user.posyandu_id == posyandu.id:
        return [ctx.reply("start/already_joined", posyandu=posyandu.name)]
    return await start(ctx, FLOWS["gabung"], {"posyandu_id": posyandu.id, "posyandu": posyandu.name})


async def place_name(ctx: Context) -> str:
    """The user's place in words, e.g. "Posyandu Melati" or "Kecamatan Malingping"."""
    user = ctx.user
    if user.posyandu_id is not None:
        posyandu = await ctx.session.get(Posyandu, user.posyandu_id)
        return ctx.label("place_posyandu", posyandu.name) if posyandu else ""
    if user.area_code is not None:
        area = await ctx.session.get(Area, user.area_code)
        return ctx.label("place_area", area.level, area.name) if area else ""
    return ""
