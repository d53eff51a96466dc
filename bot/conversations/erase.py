"""``/hapusdata``: a user sees what is stored about them and their children and can erase it
(UU 27/2022: the data subject may have processing stopped and data erased).

State diagram::

    /hapusdata --> [confirm] (shows what is stored) --Hapus--> erased, told so
                                                    \\--Batal--> nothing changes

Shown first: the account and consent, their stage (pregnancy dates, wedding date, day of a
birth), the tips they follow and at which hour, children claimed and waiting for the kader, and
the children linked to them with the number of weighings.

Erasing deletes their stages (targets), tip subscriptions and preferences, claims and the user
(their conversation and pending messages go with the account), and anonymises the children
linked to them: name, NIK, mother's name and the family contact are cleared and the birth date
kept to its month, while the measurements stay so the area's statistics stay true. The audit
log keeps that it happened (with counts), never the data.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from bot.context import Context
from bot.conversation import Flow, Step, register
from bot.core import Reply
from bot.parsing import choice_of
from storage.models import Child, Measurement
from storage.targets import Target
from storage.tips import ChildClaim, TipPreference, TipSubscription

NAME = "hapusdata"
ERASED_NAME = "(dihapus)"


async def linked_children(ctx: Context) -> list[Child]:
    return list((await ctx.session.scalars(
        select(Child).where(Child.parent_user_id == ctx.user.id).order_by(Child.name)
    )).all())


async def own_rows(ctx: Context, model, *where) -> list:
    return list((await ctx.session.scalars(
        select(model).where(model.user_id == ctx.user.id, *where).order_by(*model.__table__.primary_key)
    )).all())


async def confirm_values(ctx: Context, _data: dict):
    children = await linked_children(ctx)
    measured = await ctx.session.scalar(
        select(func.count()).select_from(Measurement)
        .where(Measurement.child_id.in_([c.id for c in children]))
    ) if children else 0
    await ctx.audit("read", "user", ctx.user.id, detail="data subject request")
    return {
        "children": children, "measured": measured,
        "targets": await own_rows(ctx, Target),
        "subscriptions": await own_rows(ctx, TipSubscription, TipSubscription.ended_on.is_(None)),
        "preference": await ctx.session.get(TipPreference, ctx.user.id),
        "claims": await own_rows(ctx, ChildClaim, ChildClaim.status == "pending"),
    }


def confirm_buttons(ctx: Context, _data):
    return [[(ctx.label("erase_yes"), "y")], [(ctx.label("erase_no"), "n")]]


async def finish(ctx: Context, data: dict) -> list[Reply]:
    if data["confirm"] != "y":
        return [ctx.reply("privacy/kept")]
    children = await linked_children(ctx)
    for child in children:
        child.name, child.nik, child.mother_name = ERASED_NAME, None, None
        child.family_platform_user_id, child.parent_user_id = None, None
        child.birth_date = child.birth_date.replace(day=1)
    # Explicit deletes (not only the database's cascades): what is erased is visible here.
    counts = {}
    for model in (TipSubscription, ChildClaim, TipPreference, Target):
        result = await ctx.session.execute(delete(model).where(model.user_id == ctx.user.id))
        counts[model.__tablename__] = result.rowcount or 0
    detail = (f"{len(children)} children anonymised, {counts['targets']} targets, "
              f"{counts['tip_subscriptions']} subscriptions, {counts['child_claims']} claims deleted")
    await ctx.audit("erase", "user", ctx.user.id, detail=detail)
    ctx.forget_user = True
    return [ctx.reply("privacy/erased", children=len(children))]


FLOW = register(Flow(
    NAME,
    [Step("confirm", "privacy/ask_erase", choice_of("y", "n"), buttons=confirm_buttons,
          values=confirm_values)],
    finish,
))
