"""``/tanya`` (Tanya gizi): a menu of common questions about nutrition and growth, each with a
short answer from a template (``templates/<locale>/tanya/<key>.j2``).

Programme words: *TTD* (tablet tambah darah): iron-folic acid tablets; *MP-ASI*: complementary
food from 6 months; *CTPS*: handwashing with soap; *ANC*: antenatal check-ups.
"""

from __future__ import annotations

from bot.context import Context
from bot.core import Button, Reply
from bot.router import Router

router = Router("tanya")
QUESTIONS = ("stunting", "ttd", "anc", "bahaya", "asi", "mpasi", "protein", "piring", "timbang",
             "ctps")


def question_buttons(ctx: Context) -> list[list[Button]]:
    return [[Button(ctx.label("question", key), f"tq:{key}")] for key in QUESTIONS]


@router.command("tanya", keeps_flow=True)
async def questions_command(ctx: Context) -> list[Reply]:
    return [ctx.reply("tanya/menu", buttons=question_buttons(ctx))]


@router.callback("tq:")
async def question_pressed(ctx: Context) -> list[Reply]:
    key = ctx.incoming.payload[3:]
    if key == "menu":
        reply = ctx.reply("tanya/menu", buttons=question_buttons(ctx))
        reply.edit = True
        return [reply]
    if key not in QUESTIONS:
        return [ctx.reply("errors/unknown_button")]
    reply = ctx.reply(f"tanya/{key}",
                      buttons=[[Button(ctx.label("question_more"), "tq:menu")]])
    reply.edit = True
    return [reply]
