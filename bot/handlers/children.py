"""``/anak``: the children this user may see, as paged buttons, and one child's page.

Every read goes through ``storage.access`` (a family sees its own children, a kader their
posyandu's, bidan/TPK/koordinator their area's) and is written to the audit log.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, bindparam, func, select

from bot.context import Context
from bot.core import Button, Reply
from bot.measuring import chart_factory, local_today
from bot.router import Router
from growth.age import completed_months
from growth.categories import categorize
from storage.access import child_filter, get_child, scoped_children
from storage.measurements import history
from storage.models import Child
from storage.roles import KELUARGA, STAFF

router = Router("children")
PAGE = 8
READERS = (*STAFF, KELUARGA)


@router.command("anak", roles=READERS)
async def children_command(ctx: Context) -> list[Reply]:
    _, search = ctx.incoming.command
    return [await children_page(ctx, 0, search.strip())]


@router.callback("cp:", roles=READERS)
async def children_page_pressed(ctx: Context) -> list[Reply]:
    page_text, _, search = ctx.incoming.payload[3:].partition(":")
    try:
        page = max(0, int(page_text))
    except ValueError:
        return [ctx.reply("errors/unknown_button")]
    reply = await children_page(ctx, page, search)
    reply.edit = True
    return [reply]


@cache
def _page_statements(kind: str, searching: bool) -> tuple[Select, Select]:
    """(count, one page) of a kind of scope, with or without a name search: built once."""
    query = scoped_children(kind)
    if searching:
        query = query.where(func.lower(Child.name).like(bindparam("pattern"), escape="/"))
    count = select(func.count()).select_from(query.subquery())
    page = (query.with_only_columns(Child.id, Child.name).order_by(Child.name, Child.id)
            .offset(bindparam("offset")).limit(PAGE))
    return count, page


def _like_pattern(search: str) -> str:
    """``search`` anywhere in the name, its own % and _ taken literally."""
    escaped = search.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


async def children_page(ctx: Context, page: int, search: str = "") -> Reply:
    kind, params = child_filter(ctx.scope)
    count, listing = _page_statements(kind, bool(search))
    if search:
        params = {**params, "pattern": _like_pattern(search)}
    total = await ctx.session.scalar(count, params)
    if not total:
        return ctx.reply("children/none", search=search)
    pages = (total + PAGE - 1) // PAGE
    page = min(page, pages - 1)
    rows = await ctx.session.execute(listing, {**params, "offset": page * PAGE})
    buttons = [[Button(name, f"c:{child_id}")] for child_id, name in rows]
    nav = []
    if page > 0:
        nav.append(Button("«", _page_payload(page - 1, search)))
    if page < pages - 1:
        nav.append(Button("»", _page_payload(page + 1, search)))
    if nav:
        buttons.append(nav)
    return ctx.reply("children/list", buttons=buttons, total=total, page=page + 1, pages=pages)


def _page_payload(page: int, search: str) -> str:
    payload = f"cp:{page}:{search}"
    while len(payload.encode()) > 64:  # Telegram's limit: shorten the search, not the page
        search = search[:-1]
        payload = f"cp:{page}:{search}"
    return payload


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
    measurements = await history(ctx.session, child.id)
    reply = ctx.reply(
        "children/view", child=child, months=completed_months(child.birth_date, today),
        history=measurements[-6:], latest=measurements[-1] if measurements else None,
        label=category_label,
    )
    if measurements and ctx.settings.charts:
        points = [(m.measured_on, m.weight_kg, m.clenhei) for m in measurements]
        reply.image_factory = chart_factory(child, points, ctx.locale)
    return [reply]


def category_label(index: str, z: float | None, locale: str) -> str:
    category = categorize(index, z)
    return category.label(locale) if category else "–"
