"""A mother tells the bot her baby is born (from ``/tips``, or ``/tips lahir`` also when her
pregnancy was not recorded here): pregnancy tips end, the baby's
tips (the ``anak`` track) begin from the day of birth, and a baby she names is registered as a
child once a kader confirms it.

Programme words: *ibu nifas*: a mother in the 42 days after the birth (KF1-KF4 visits);
*IMD* (inisiasi menyusu dini): the baby at the breast in the first hour; *kader*: the posyandu
volunteer who confirms the child.

State diagram::

    [day of birth] --> [baby's name (or skip)] --name--> [sex] --> recorded
                                              \\--skip-------------> recorded

Recorded: the hamil target ends (reason lahir), a nifas target holds the day of birth, the
hamil subscription ends and an anak subscription counts from that day; a named baby is a claim
for the kader (``bot.conversations.stage.open_claim``).
"""

from __future__ import annotations

import datetime as dt

from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.conversations.stage import new_target, open_claim, parse_day, sex_buttons, today_of
from bot.core import Reply
from bot.parsing import choice_of, parse_name
from storage.targets import BORN, HAMIL, NIFAS, active_target, end
from storage.tips import after_birth

NAME = "lahir"
EARLIEST_WEEK = 20  # a birth before this week of pregnancy is a loss, not a birth


def day_buttons(ctx: Context, _data):
    return [[(ctx.label("born_today"), "hari ini"), (ctx.label("born_yesterday"), "kemarin")]]


async def parse_born(ctx: Context, answer: Answer, _data: dict) -> str:
    today = await today_of(ctx)
    born = parse_day(answer.choice or answer.text, today, future=False)
    if born > today:
        raise Invalid("birth_future")
    target = await active_target(ctx.session, ctx.user.id, HAMIL)
    if target is not None and target.hpht and born < target.hpht + dt.timedelta(weeks=EARLIEST_WEEK):
        raise Invalid("birth_too_early")
    if born < today - dt.timedelta(days=365):
        raise Invalid("birth_too_old")
    return born.isoformat()


def skip_buttons(ctx: Context, _data):
    return [[(ctx.label("skip"), "skip")]]


def parse_baby_name(_ctx: Context, answer: Answer, _data: dict) -> str | None:
    if answer.choice == "skip":
        return None
    return parse_name(answer.text)


async def finish(ctx: Context, data: dict) -> list[Reply]:
    born = dt.date.fromisoformat(data["born"])
    pregnancy = await active_target(ctx.session, ctx.user.id, HAMIL)
    if pregnancy is not None:
        end(pregnancy, born, BORN)
    nifas = await new_target(ctx, NIFAS)
    nifas.delivered_on = born
    if pregnancy is not None:
        nifas.hpht, nifas.due_date = pregnancy.hpht, pregnancy.due_date
    await ctx.session.flush()
    await after_birth(ctx.session, ctx.user.id, nifas.id, born, ctx.now)
    await ctx.audit("birth", "target", nifas.id,
                    detail=f"pregnancy {pregnancy.id}" if pregnancy else None)
    claim = None
    if data.get("baby_name"):
        claim = await open_claim(ctx, child_id=None, name=data["baby_name"],
                                 sex=data.get("baby_sex"), birth_date=born, target_id=nifas.id)
    return [ctx.reply("birth/recorded", born=born, baby=data.get("baby_name"), claim=claim)]


FLOW = register(Flow(
    NAME,
    [
        Step("born", "birth/ask_day", parse_born, buttons=day_buttons),
        Step("baby_name", "birth/ask_name", parse_baby_name, buttons=skip_buttons),
        Step("baby_sex", "birth/ask_sex", choice_of("L", "P"), buttons=sex_buttons,
             when=lambda d: d.get("baby_name") is not None),
    ],
    finish,
))
