"""Joining as a family (keluarga) with a posyandu's join code, consent first (UU 27/2022).

State diagram::

    /start <join code> --> [consent] --Setuju--> registered as keluarga of the posyandu
                                    \\--Tidak---> nothing stored; told how to join later

Nothing about the person or their children is stored before they accept; what they accepted
(the consent text's version) and when is recorded so it can be proven.
"""

from __future__ import annotations

from sqlalchemy import update

from bot.context import Context
from bot.conversation import Flow, Step, register
from bot.core import Reply
from bot.parsing import choice_of
from storage.models import Child
from storage.roles import KELUARGA

CONSENT_VERSION = "2026-11-v2"  # bump with every change of templates/*/consent/ask.j2


def consent_buttons(ctx: Context, _data):
    return [[(ctx.label("consent_yes"), "y")], [(ctx.label("consent_no"), "n")]]


async def finish(ctx: Context, data: dict) -> list[Reply]:
    if data["consent"] != "y":
        if ctx.user.role is None:
            ctx.forget_user = True  # not even the chat id stays
        return [ctx.reply("consent/refused")]
    user = ctx.user
    user.role, user.posyandu_id, user.area_code = KELUARGA, data["posyandu_id"], None
    user.consent_version, user.consent_at = CONSENT_VERSION, ctx.now
    await ctx.audit("consent", "user", user.id, detail=CONSENT_VERSION)
    # Children whose kader shared this family's contact are theirs from now on.
    linked = await ctx.session.execute(
        update(Child)
        .where(Child.posyandu_id == user.posyandu_id, Child.parent_user_id.is_(None),
               Child.family_platform_user_id == user.platform_user_id)
        .values(parent_user_id=user.id)
    )
    return [ctx.reply("consent/accepted", posyandu=data["posyandu"], linked=linked.rowcount or 0)]


FLOW = register(
    Flow(
        "gabung",
        [
            Step("consent", "consent/ask", choice_of("y", "n"), buttons=consent_buttons,
                 values=lambda _ctx, _data: {"version": CONSENT_VERSION}),
        ],
        finish,
    )
)
