"""A mother tells the bot her pregnancy has ended without a birth (from ``/tips``, a gentle
button). Pregnancy tips stop at once (a tip already queued is not sent), and she gets one short
supportive message with the way to the desa's bidan. Nothing more is sent about the pregnancy.

Programme words: *bidan desa*: the village midwife; *HPHT*: see ``storage.targets``.

State diagram::

    [are you sure? (gentle)] --Ya--> hamil target ended (keguguran), tips stopped, support
                             \\--Batal--> nothing changes
"""

from __future__ import annotations

from bot.context import Context
from bot.conversation import Flow, Step, register
from bot.conversations.stage import today_of
from bot.core import Reply
from bot.parsing import choice_of
from storage.models import Posyandu
from storage.targets import HAMIL, LOSS, active_target, end
from storage.tips import STOPPED_BY_LOSS, bidan_contact, bidan_of, end_pregnancy_tips

NAME = "kehilangan"


def confirm_buttons(ctx: Context, _data):
    return [[(ctx.label("loss_yes"), "y")], [(ctx.label("loss_no"), "n")]]


async def finish(ctx: Context, data: dict) -> list[Reply]:
    if data["confirm"] != "y":
        return [ctx.reply("loss/kept")]
    today = await today_of(ctx)
    pregnancy = await active_target(ctx.session, ctx.user.id, HAMIL)
    if pregnancy is not None:
        end(pregnancy, today, LOSS)
        await ctx.audit("loss", "target", pregnancy.id)
    await end_pregnancy_tips(ctx.session, ctx.user.id, today, STOPPED_BY_LOSS)
    posyandu = await ctx.session.get(Posyandu, ctx.user.posyandu_id)
    bidan = await bidan_of(ctx.session, posyandu.desa_code) if posyandu else None
    return [ctx.reply("loss/support", bidan=bidan_contact(bidan))]


FLOW = register(Flow(
    NAME,
    [Step("confirm", "loss/ask", choice_of("y", "n"), buttons=confirm_buttons)],
    finish,
))
