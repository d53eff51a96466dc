"""TPK commands: ``/sasaran`` (the desa's targets with what is due this week and their risk
flags, paged buttons), a target's risk summary (button) with its actions (visit or screen, end
the stage, erase), and the commands that start the TPK flows; ``/ambang`` for coordinators to
see and correct the thresholds the rules use.

Button payloads: ``tpk:t:<id>`` summary, ``tpk:v:`` visit, ``tpk:s:`` screening, ``tpk:b:`` /
``l:`` / ``m:`` / ``o:`` a stage ends (birth, loss, married, moved), ``tpk:x:`` erase,
``tpk:p:<page>:<desa>`` a page of the list (edited in place).

Programme words: *TPK* (Tim Pendamping Keluarga), *sasaran* (targets: catin, ibu hamil, ibu
nifas, families with a baduta), *ambang* (threshold, e.g. the Hb cut-off for anaemia).
"""

from __future__ import annotations

from bot.context import Context
from bot.conversation import start
from bot.conversations import tpk_erase, tpk_screening, tpk_stage, tpk_target, tpk_visit
from bot.conversations.tpk_common import DESA_STAFF, area_today, staff_target, target_name, tlabel
from bot.core import Button, Reply
from bot.router import Router
from growth import maternal
from storage.roles import ADMIN, BIDAN, KELUARGA, KOORDINATOR, TPK
from storage.targets import CATIN, KINDS, STAGE_ENDS, active_target
from storage.tpk import (
    DUE,
    LIST_LIMIT,
    NATIONAL,
    OVERDUE,
    desa_list,
    set_threshold,
    threshold_rows,
)

router = Router("tpk")
PAGE = 8  # targets with a button per page of the list (most urgent first)
LISTERS = (TPK, BIDAN, KOORDINATOR, ADMIN)  # who may open /sasaran and a target's summary


@router.command("sasaran", roles=LISTERS)
async def targets_command(ctx: Context) -> list[Reply]:
    """A TPK or bidan: their desa's targets. A koordinator or admin: ``/sasaran KODE_DESA``."""
    if ctx.user.role in DESA_STAFF:
        desa = ctx.user.area_code
    else:
        _, args = ctx.incoming.command
        desa = args.strip()
        if not desa or not ctx.scope.covers_area(desa):
            return [ctx.reply("errors/tpk_desa_usage")]
    return [await list_page(ctx, desa, 0)]


async def list_page(ctx: Context, desa: str, page: int) -> Reply:
    """The list's text (every target, by urgency) and one page of buttons, with « » to page."""
    today = await area_today(ctx, desa)
    lines = await desa_list(ctx.session, desa, today)
    await ctx.audit("read", "targets", desa)
    if not lines:
        return ctx.reply("tpk/list_empty")
    pages = (len(lines) + PAGE - 1) // PAGE
    page = max(0, min(page, pages - 1))
    overdue = [x for x in lines if x.due.status == OVERDUE]
    due = [x for x in lines if x.due.status == DUE]
    others = [x for x in lines if x.due.status not in (OVERDUE, DUE)]
    buttons = [[Button(f"{target_name(ctx.locale, x.target)} · "
                       f"{tlabel(ctx, 'kind', x.target.kind)}", f"tpk:t:{x.target.id}")]
               for x in lines[page * PAGE:(page + 1) * PAGE]]
    nav = []
    if page > 0:
        nav.append(Button("«", f"tpk:p:{page - 1}:{desa}"))
    if page < pages - 1:
        nav.append(Button("»", f"tpk:p:{page + 1}:{desa}"))
    if nav:
        buttons.append(nav)
    counts = {kind: sum(1 for x in lines if x.target.kind == kind) for kind in KINDS}
    return ctx.reply("tpk/list", buttons=buttons, overdue=overdue, due=due, others=others,
                     counts=counts, today=today, limit=LIST_LIMIT, page=page + 1, pages=pages,
                     name=lambda t: target_name(ctx.locale, t), tl=lambda *a: tlabel(ctx, *a))


@router.callback("tpk:", roles=LISTERS)
async def target_pressed(ctx: Context) -> list[Reply]:
    _, action, target_id = (ctx.incoming.payload.split(":", 2) + ["", ""])[:3]
    if action == "p":
        return await page_pressed(ctx, target_id)
    target = await staff_target(ctx, target_id)
    if target is None:
        return [ctx.reply("tpk/target_not_found")]
    is_tpk = ctx.user.role == TPK
    if action == "v" and is_tpk and target.kind != CATIN:
        data = tpk_visit.start_data(target)
        data["summary"] = "go"  # the summary was just shown
        return await start(ctx, tpk_visit.FLOW, data)
    if action == "s" and is_tpk and target.kind == CATIN:
        return await start(ctx, tpk_screening.FLOW, tpk_screening.start_data(target))
    reason = tpk_stage.CHANGES.get(action)
    if reason is not None and ctx.user.role in DESA_STAFF \
            and reason in STAGE_ENDS.get(target.kind, ()):
        return await start(ctx, tpk_stage.FLOW, tpk_stage.start_data(target.id, reason))
    if action == "x":
        if target.user_id is not None:  # she joined herself: her own /hapusdata erases it
            return [ctx.reply("tpk/erase_self_joined", name=target_name(ctx.locale, target))]
        return await start(ctx, tpk_erase.FLOW, {"target": target.id})
    if action != "t":
        return [ctx.reply("errors/unknown_button")]
    values = await tpk_visit.summary_values(ctx, target)
    return [ctx.reply("tpk/summary", buttons=summary_buttons(ctx, target), **values)]


async def page_pressed(ctx: Context, rest: str) -> list[Reply]:
    page_text, _, desa = rest.partition(":")
    if ctx.user.role in DESA_STAFF:
        desa = ctx.user.area_code  # a TPK or bidan only ever pages their own desa
    try:
        page = int(page_text)
    except ValueError:
        return [ctx.reply("errors/unknown_button")]
    if not desa or not ctx.scope.covers_area(desa):
        return [ctx.reply("errors/unknown_button")]
    reply = await list_page(ctx, desa, page)
    reply.edit = True
    return [reply]


def summary_buttons(ctx: Context, target) -> list[list[Button]]:
    """Visit or screen (TPK); end the stage in a way that fits its kind (TPK, bidan); erase."""
    rows = []
    if ctx.user.role == TPK:
        if target.kind == CATIN:
            rows.append([Button(tlabel(ctx, "start_screening"), f"tpk:s:{target.id}")])
        else:
            rows.append([Button(tlabel(ctx, "start_visit"), f"tpk:v:{target.id}")])
    if ctx.user.role in DESA_STAFF:
        for letter, reason in tpk_stage.CHANGES.items():
            if reason in STAGE_ENDS.get(target.kind, ()):
                rows.append([Button(tlabel(ctx, "stage_end", reason), f"tpk:{letter}:{target.id}")])
    rows.append([Button(tlabel(ctx, "erase_target"), f"tpk:x:{target.id}")])
    return rows


@router.command("kunjungan", roles=(TPK,))
async def visit_command(ctx: Context) -> list[Reply]:
    return await start(ctx, tpk_visit.FLOW)


@router.command("sasaran_baru", roles=(TPK,))
async def new_target_command(ctx: Context) -> list[Reply]:
    return await start(ctx, tpk_target.FLOW)


@router.command("skrining_catin", roles=(TPK, KELUARGA))
async def screening_command(ctx: Context) -> list[Reply]:
    if ctx.user.role == KELUARGA:
        # A catin who joined herself screens herself (her answers are stored as self-reported).
        target = await active_target(ctx.session, ctx.user.id, CATIN)
        if target is None:
            return [ctx.reply("tpk/no_catin_self")]
        return await start(ctx, tpk_screening.FLOW, tpk_screening.start_data(target))
    return await start(ctx, tpk_screening.FLOW)


@router.command("ambang", roles=(KOORDINATOR, ADMIN))
async def thresholds_command(ctx: Context) -> list[Reply]:
    """``/ambang``: the figures in force here; ``/ambang NAME VALUE``: correct one for my area
    (an admin's correction is national)."""
    area = NATIONAL if ctx.user.role == ADMIN else ctx.user.area_code or NATIONAL
    _, args = ctx.incoming.command
    parts = args.replace(",", ".").split()
    if parts:
        if len(parts) != 2 or parts[0] not in maternal.Thresholds.names():
            return [ctx.reply("errors/tpk_threshold_usage", names=maternal.Thresholds.names())]
        try:
            value = float(parts[1])
        except ValueError:
            return [ctx.reply("errors/tpk_threshold_usage", names=maternal.Thresholds.names())]
        low, high = maternal.RANGES[parts[0]]
        if not low <= value <= high:
            return [ctx.reply("errors/tpk_threshold_range", name=parts[0], low=low, high=high)]
        await set_threshold(ctx.session, parts[0], value, area, ctx.user.id, ctx.now)
        await ctx.audit("update", "threshold", parts[0], detail=f"{area or 'national'}={value}")
    rows = await threshold_rows(ctx.session, area)
    figures = [(name, rows.get(name, (getattr(maternal.DEFAULTS, name), None)))
               for name in maternal.Thresholds.names()]
    return [ctx.reply("tpk/thresholds", figures=figures, area=area,
                      changed=parts[0] if parts else None,
                      tl=lambda *a: tlabel(ctx, *a))]
