"""``/anak``: the children this user may see, as paged buttons, and one child's page.

Every read goes through ``storage.access`` (a family sees its own children, a kader their
posyandu's, bidan/TPK/koordinator their area's) and is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.context import Context
from bot.core import Button, Reply
from bot.router import Router
from storage.access import children_query, get_child
from storage.models import Area, Child, Posyandu
from storage.roles import KELUARGA, STAFF

router = Router("children")
PAGE = 8
READERS = (*STAFF, KELUARGA)


@router.command("anak", roles=READERS)
async def children_command(ctx: Context) -> list[Reply]:
    return [await children_page(ctx, 0)]


@router.callback("cp:", roles=READERS)
async def children_page_pressed(ctx: Context) -> list[Reply]:
    try:
        page = max(0, int(ctx.incoming.payload[3:]))
    except ValueError:
        return [ctx.reply("errors/unknown_button")]
    reply = await children_page(ctx, page)
    reply.edit = True
    return [reply]


async def children_page(ctx: Context, page: int) -> Reply:
    query = children_query(ctx.scope)
    total = await ctx.session.scalar(select(func.count()).select_from(query.subquery()))
    if not total:
        return ctx.reply("children/none")
    pages = (total + PAGE - 1) // PAGE
    page = min(page, pages - 1)
    rows = await ctx.session.execute(
        query.with_only_columns(Child.id, Child.name).order_by(Child.name, Child.id)
        .offset(page * PAGE).limit(PAGE)
    )
    buttons = [[Button(name, f"c:{child_id}")] for child_id, name in rows]
    nav = []
    if page > 0:
        nav.append(Button("«", f"cp:{page - 1}"))
    if page < pages - 1:
        nav.append(Button("»", f"cp:{page + 1}"))
    if nav:
        buttons.append(nav)
    return ctx.reply("children/list", buttons=buttons, total=total, page=page + 1, pages=pages)


@router.callback("c:", roles=READERS)
async def child_pressed(ctx: Context) -> list[Reply]:
    try:
        child_id = int(ctx.incoming.payload[2:])
    except ValueError:
        return [ctx.reply("errors/unknown_button")]
    child = await get_child(ctx.session, ctx.scope, child_id)
    if child is None:
        # Absent and forbidden read the same, so ids cannot be probed.
        return [ctx.reply("children/not_found")]
    await ctx.audit("read", "child", child.id)
    today = await local_today(ctx, child.posyandu_id)
    return [ctx.reply("children/view", child=child, months=completed_months(child.birth_date, today))]


async def local_today(ctx: Context, posyandu_id: int) -> dt.date:
    """Today's date where the posyandu is (WIB, WITA or WIT)."""
    zone = await ctx.session.scalar(
        select(Area.timezone).join(Posyandu, Posyandu.desa_code == Area.code)
        .where(Posyandu.id == posyandu_id)
    )
    return ctx.now.astimezone(ZoneInfo(zone or "Asia/Jakarta")).date()


def completed_months(birth: dt.date, on: dt.date) -> int:
    months = (on.year - birth.year) * 12 + on.month - birth.month
    if on.day < birth.day:
        months -= 1
    return max(0, months)
