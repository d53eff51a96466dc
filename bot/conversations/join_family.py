"""Joining as a family (keluarga) with a posyandu's join code, consent first (UU 27/2022).

State diagram::

    /start <join code> --> [consent] --Setuju--> joined (flow siapa:) [who are you?]
                                  \\                 --ibu hamil---------> flow hamil
                                   \\                |--calon pengantin--> flow catin
                                    \\               |--orang tua balita-> flow balita
                                     \\              \\--lainnya----------> done
                                      \\--Tidak---> nothing stored; told how to join later

Accepting joins at once (the consent is the gate; the stage is optional and can be given later
in ``/tips``); the "who are you?" question comes in the same message as the welcome.

Nothing about the person or their children is stored before they accept; what they accepted
(the consent text's version) and when is recorded so it can be proven. The stage questions
(``bot.conversations.stage``: HPHT or HPL, wedding date, child claim, the hour for tips) are
flows of their own, so ``/tips`` can ask them again later.
"""

from __future__ import annotations

from sqlalchemy import select, update

from bot.context import Context
from bot.conversation import Flow, Step, register, start
from bot.conversations.stage import (
    SLOT_FLOW,
    STAGE_FLOWS,
    flow_data,
    subscribe_children,
    today_of,
)
from bot.core import Reply
from bot.parsing import choice_of
from storage.models import Child
from storage.roles import KELUARGA

# Bump with every change of templates/*/consent/ask.j2.
CONSENT_VERSION = "2026-11-v3"
WHO = ("hamil", "catin", "balita", "lain")


def consent_buttons(ctx: Context, _data):
    return [[(ctx.label("consent_yes"), "y")], [(ctx.label("consent_no"), "n")]]


def who_buttons(ctx: Context, _data):
    return [[(ctx.label("who", name), name)] for name in WHO]


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
    children = list((await ctx.session.scalars(
        select(Child).where(Child.parent_user_id == user.id))).all())
    await subscribe_children(ctx, children, await today_of(ctx))
    welcome = ctx.text("consent/accepted", posyandu=data["posyandu"], linked=linked.rowcount or 0)
    [question] = await start(ctx, WHO_FLOW)
    question.text = f"{welcome}\n\n{question.text}"  # one message, with the answer buttons
    return [question]


async def finish_who(ctx: Context, data: dict) -> list[Reply]:
    if data["who"] == "lain":
        return [ctx.reply("stage/other")]
    flow = STAGE_FLOWS[data["who"]]
    linked = await ctx.session.scalar(
        select(Child.id).where(Child.parent_user_id == ctx.user.id).limit(1))
    if data["who"] == "balita" and linked is not None:
        flow = SLOT_FLOW  # their children are linked already: only the hour is missing
    return await start(ctx, flow, await flow_data(ctx))


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

WHO_FLOW = register(Flow(
    "siapa", [Step("who", "stage/ask_who", choice_of(*WHO), buttons=who_buttons)], finish_who,
))
