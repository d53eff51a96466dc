"""``/undang``: starts the invite conversation for coordinators and admins."""

from __future__ import annotations

from bot.context import Context
from bot.conversation import start
from bot.conversations.invite import FLOW
from bot.core import Reply
from bot.router import Router
from storage.roles import ADMIN, KOORDINATOR

router = Router("invite")


@router.command("undang", roles=(KOORDINATOR, ADMIN))
async def invite_command(ctx: Context) -> list[Reply]:
    return await start(ctx, FLOW)
