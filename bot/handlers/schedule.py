"""``/jadwal``: starts moving or cancelling one posyandu opening (coordinators and admins)."""

from __future__ import annotations

from bot.context import Context
from bot.conversation import start
from bot.conversations.posyandu_schedule import FLOW
from bot.core import Reply
from bot.router import Router
from storage.access import posyandu_query
from storage.models import Posyandu
from storage.roles import ADMIN, KOORDINATOR

router = Router("schedule")


@router.command("jadwal", roles=(KOORDINATOR, ADMIN))
async def schedule_command(ctx: Context) -> list[Reply]:
    found = await ctx.session.scalar(
        posyandu_query(ctx.scope).with_only_columns(Posyandu.id).limit(1)
    )
    if found is None:
        return [ctx.reply("schedule/no_posyandu")]
    return await start(ctx, FLOW)
