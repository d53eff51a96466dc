"""A kader confirms or refuses a family's claim of a child (``kl:y:<id>`` / ``kl:n:<id>``,
buttons of the notice the outbox brought, or of ``/konfirmasi``, the list of claims waiting).

Confirming links an existing child to the family, or registers the new child the family
described (created by the kader), and starts the child's tips (the ``anak`` track). The family
is told either way through the outbox; a refused claim links nothing. Only a kader of the
claim's posyandu may decide; a claim decided before is not decided again.
"""

from __future__ import annotations

from sqlalchemy import select

import templates
from bot.context import Context
from bot.core import Button, Reply
from bot.measuring import MAX_AGE_MONTHS, local_today
from bot.router import Router
from growth.age import completed_months
from storage import outbox
from storage.models import Child, User
from storage.roles import KADER
from storage.tips import (
    ANAK,
    CONFIRMED,
    PENDING,
    REFUSED,
    ChildClaim,
    TipSubscription,
    bidan_contact,
    subscribe,
)

router = Router("claims")
LIST_LIMIT = 10


@router.callback("kl:", roles=(KADER,))
async def claim_pressed(ctx: Context) -> list[Reply]:
    answer, _, claim_id = ctx.incoming.payload[3:].partition(":")
    if answer not in ("y", "n") or not claim_id.isdigit():
        return [ctx.reply("errors/unknown_button")]
    claim = await ctx.session.get(ChildClaim, int(claim_id))
    if claim is None or claim.posyandu_id != ctx.user.posyandu_id:
        return [ctx.reply("claims/not_found")]
    if claim.status != PENDING:
        return [ctx.reply("claims/already", confirmed=claim.status == CONFIRMED)]
    family = await ctx.session.get(User, claim.user_id)
    child = await ctx.session.get(Child, claim.child_id) if claim.child_id else None
    if answer == "y" and child is not None and child.parent_user_id not in (None, claim.user_id):
        answer = "taken"  # linked to another family meanwhile: nothing is changed
    claim.decided_at, claim.decided_by = ctx.now, ctx.user.id
    if answer == "y":
        claim.status = CONFIRMED
        child = await confirm(ctx, claim, child)
    else:
        claim.status = REFUSED
    await ctx.audit("confirm" if answer == "y" else "refuse", "child_claim", claim.id)
    name = child.name if child is not None else claim.name
    await tell_family(ctx, family, claim, name)
    reply = ctx.reply("claims/decided", confirmed=answer == "y", taken=answer == "taken",
                      name=name)
    reply.edit = True
    return [reply]


async def confirm(ctx: Context, claim: ChildClaim, child: Child | None) -> Child:
    if child is None:  # a new child the family described: registered now, by the kader
        child = Child(posyandu_id=claim.posyandu_id, name=claim.name, sex=claim.sex or "P",
                      birth_date=claim.birth_date, created_by=ctx.user.id, created_at=ctx.now)
        ctx.session.add(child)
        await ctx.session.flush()
        await ctx.audit("create", "child", child.id)
        claim.child_id = child.id
    child.parent_user_id = claim.user_id
    # The claim's copy of the details is not needed any more (least data).
    claim.name, claim.sex, claim.birth_date = None, None, None
    today = await local_today(ctx, claim.posyandu_id)
    if child.birth_date <= today and completed_months(child.birth_date, today) < MAX_AGE_MONTHS:
        await start_child_tips(ctx, claim, child)
    return child


async def start_child_tips(ctx: Context, claim: ChildClaim, child: Child) -> None:
    """A baby reported born already has tips counted from the day of birth: they now follow
    the child itself; any other child gets its own subscription."""
    if claim.target_id is not None:
        sub = (await ctx.session.scalars(select(TipSubscription).where(
            TipSubscription.user_id == claim.user_id, TipSubscription.track == ANAK,
            TipSubscription.target_id == claim.target_id, TipSubscription.child_id.is_(None),
            TipSubscription.ended_on.is_(None)).limit(1))).first()
        if sub is not None:
            sub.child_id = child.id
            return
    await subscribe(ctx.session, claim.user_id, ANAK, child_id=child.id, now=ctx.now)


async def tell_family(ctx: Context, family: User | None, claim: ChildClaim, name: str | None):
    if family is None:
        return
    locale = family.locale if family.locale in templates.LOCALES else templates.DEFAULT_LOCALE
    text = templates.render(locale, "claims/family_" + claim.status, name=name)
    await outbox.enqueue(
        ctx.session, outbox.Message(text, kind="notice"),
        dedupe_key=f"claim:{claim.id}:{claim.status}", chat_id=family.chat_id,
        platform=family.platform, user_id=family.id, now=ctx.now,
    )


@router.command("konfirmasi", roles=(KADER,))
async def pending_claims(ctx: Context) -> list[Reply]:
    claims = (await ctx.session.scalars(
        select(ChildClaim).where(ChildClaim.posyandu_id == ctx.user.posyandu_id,
                                 ChildClaim.status == PENDING)
        .order_by(ChildClaim.id).limit(LIST_LIMIT)
    )).all()
    if not claims:
        return [ctx.reply("claims/none")]
    replies = []
    for claim in claims:
        child = await ctx.session.get(Child, claim.child_id) if claim.child_id else None
        rows = [[Button(templates.label(ctx.locale, "claim_yes"), f"kl:y:{claim.id}")],
                [Button(templates.label(ctx.locale, "claim_no"), f"kl:n:{claim.id}")]]
        family = await ctx.session.get(User, claim.user_id)
        replies.append(ctx.reply(
            "claims/kader_notice", buttons=rows, child=child, name=claim.name,
            birth_date=claim.birth_date or child.birth_date, sex=claim.sex,
            family=bidan_contact(family)))
    return replies
