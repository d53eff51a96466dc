"""``/hapusdata``: see and erase one's own data (``bot.conversations.erase``)."""

from __future__ import annotations

from bot.context import Context
from bot.conversation import start
from bot.conversations.erase import FLOW
from bot.core import Reply
from bot.router import Router
from storage.roles import ROLES

router = Router("privacy")


@router.command("hapusdata", roles=ROLES)
async def erase_command(ctx: Context) -> list[Reply]:
    return await start(ctx, FLOW)
