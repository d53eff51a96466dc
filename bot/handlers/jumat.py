"""``/aksi``: starts logging a Jum'at Serius action (on a Friday, for a participant of a kabupaten)."""

from __future__ import annotations

from bot.context import Context
from bot.conversation import start
from bot.conversations.jumat_aksi import FLOW, FRIDAY, local_today, zone_and_kabupaten
from bot.core import Reply
from bot.router import Router
from scheduler.jumat import next_friday
from storage.roles import KOORDINATOR, PESERTA

router = Router("jumat")


@router.command("aksi", roles=(PESERTA, KOORDINATOR))
async def action_command(ctx: Context) -> list[Reply]:
    zone, kabupaten, _ = await zone_and_kabupaten(ctx)
    if kabupaten is None:
        return [ctx.reply("jumat/no_kabupaten")]
    today = local_today(ctx, zone)
    if today.weekday() != FRIDAY:
        return [ctx.reply("jumat/not_friday", friday=next_friday(today))]
    return await start(ctx, FLOW)
