"""``/undang``: a koordinator (or admin) invites someone to a role in their own area.

State diagram::

    /undang --> [role] --> [place] --> invite link + code
                 kader: a posyandu in the area (buttons or its number)
                 bidan, tpk: a desa code in the area
                 koordinator, peserta: an area code in the area ("." = my own area)

The place is checked against the inviter's scope, so nobody can be invited outside it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.core import Reply
from bot.parsing import choice_of
from bot.roles import INVITABLE_BY_KOORDINATOR
from storage import registry
from storage.access import posyandu_query
from storage.models import Area, Posyandu
from storage.roles import PLACE_OF_ROLE

ROLE_CODES = {role[:3]: role for role in INVITABLE_BY_KOORDINATOR}


def role_buttons(ctx: Context, _data):
    pairs = [(ctx.label("role", role), code) for code, role in ROLE_CODES.items()]
    return [pairs[i : i + 2] for i in range(0, len(pairs), 2)]


def role_of(data: dict) -> str:
    return ROLE_CODES[data["role"]]


async def place_buttons(ctx: Context, data: dict):
    if PLACE_OF_ROLE[role_of(data)] == "posyandu":
        rows = await ctx.session.execute(
            posyandu_query(ctx.scope).with_only_columns(Posyandu.id, Posyandu.name)
            .order_by(Posyandu.name).limit(8)
        )
        return [[(f"{name} (#{pid})", str(pid))] for pid, name in rows]
    if PLACE_OF_ROLE[role_of(data)] == "area" and ctx.user.area_code:
        return [[(ctx.label("own_area"), ctx.user.area_code)]]
    return []


async def place_values(ctx: Context, data: dict):
    return {"role": role_of(data), "place": PLACE_OF_ROLE[role_of(data)]}


async def parse_place(ctx: Context, answer: Answer, data: dict):
    value = answer.choice or (answer.text or "").strip().lstrip("#")
    kind = PLACE_OF_ROLE[role_of(data)]
    if kind == "posyandu":
        if not value.isdigit():
            raise Invalid("posyandu_number")
        found = await ctx.session.scalar(
            posyandu_query(ctx.scope).where(Posyandu.id == int(value)).with_only_columns(Posyandu.id)
        )
        if found is None:
            raise Invalid("posyandu_not_in_area")
        return int(value)
    if value == "." and ctx.user.area_code:
        value = ctx.user.area_code
    area = await ctx.session.get(Area, value)
    if area is None:
        raise Invalid("area_unknown", code=value)
    if not ctx.scope.covers_area(area.code):
        raise Invalid("area_outside")
    if kind == "desa" and area.level != "desa":
        raise Invalid("area_not_desa")
    return area.code


async def finish(ctx: Context, data: dict) -> list[Reply]:
    role = role_of(data)
    place = data["place"]
    invite = await registry.create_invite(
        ctx.session,
        role=role,
        posyandu_id=place if isinstance(place, int) else None,
        area_code=place if isinstance(place, str) else None,
        created_by=ctx.user.id,
        days=ctx.settings.invite_days,
        now=ctx.now,
    )
    await ctx.audit("create_invite", "invite", invite.code, detail=role)
    username = ctx.bot_username or await registry.get_value(ctx.session, "bot_username")
    zone = await zone_of_user(ctx)
    return [ctx.reply(
        "invite/created",
        role=role,
        code=invite.code,
        link=registry.deep_link(username, invite.code),
        expires=invite.expires_at.astimezone(ZoneInfo(zone)),
    )]


async def zone_of_user(ctx: Context) -> str:
    code = ctx.user.area_code
    if code is None and ctx.user.posyandu_id is not None:
        code = await ctx.session.scalar(
            select(Posyandu.desa_code).where(Posyandu.id == ctx.user.posyandu_id)
        )
    zone = await ctx.session.scalar(select(Area.timezone).where(Area.code == code)) if code else None
    return zone or "Asia/Jakarta"


FLOW = register(
    Flow(
        "undang",
        [
            Step("role", "invite/ask_role", choice_of(*ROLE_CODES), buttons=role_buttons),
            Step("place", "invite/ask_place", parse_place, buttons=place_buttons,
                 values=place_values),
        ],
        finish,
    )
)
