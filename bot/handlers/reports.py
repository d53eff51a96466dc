"""``/laporan``: the monthly report of the user's area, its chart, its sub-areas and its XLSX file.

Who reads which area: a koordinator their subtree (and any part of it, through the sub-area
buttons), bidan and TPK their desa, an admin everything. Kader have ``/rekap`` for their
posyandu. Children's names appear only where ``storage.reports.names_allowed`` says so (bidan,
TPK, and coordinators of a kecamatan or desa, for an area of kecamatan size or smaller); every
report with names is written to the audit log.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.context import Context
from bot.conversation import start
from bot.conversations.report import FLOW, read_month, this_month
from bot.core import Button, Reply
from bot.reporting import chart_png, report_xlsx
from bot.router import Router
from storage.models import Area
from storage.reports import Report, build_report, names_allowed, place_of
from storage.roles import ADMIN, BIDAN, KOORDINATOR, TPK

router = Router("reports")
READERS = (KOORDINATOR, BIDAN, TPK, ADMIN)
SUB_BUTTONS = 12  # sub-areas offered as buttons
_PAYLOAD = re.compile(r"(?P<code>-|\d{2}(?:\.\d{2}){0,2}(?:\.\d{4})?):(?P<month>\d{4}-\d{2})")


@router.command("laporan", roles=READERS)
async def report_command(ctx: Context) -> list[Reply]:
    _, rest = ctx.incoming.command
    if not rest:
        return await start(ctx, FLOW)
    current = await this_month(ctx)
    month = read_month(rest, current)
    if month is None or month > current:
        return [ctx.reply("errors/report_month", current=current)]
    return await report_replies(ctx, ctx.user.area_code, month)


def _parse_payload(payload: str) -> tuple[str | None, dt.date] | None:
    match = _PAYLOAD.fullmatch(payload)
    if not match:
        return None
    try:
        month = dt.date.fromisoformat(match.group("month") + "-01")
    except ValueError:
        return None
    code = match.group("code")
    return (None if code == "-" else code), month


def _may_read(ctx: Context, code: str | None) -> bool:
    if ctx.scope.is_admin:
        return True
    return code is not None and ctx.scope.covers_area(code)


@router.callback("lp:", roles=READERS)
async def report_pressed(ctx: Context) -> list[Reply]:
    parsed = _parse_payload(ctx.incoming.payload[3:])
    if parsed is None:
        return [ctx.reply("errors/unknown_button")]
    code, month = parsed
    return await report_replies(ctx, code, month)


@router.callback("lx:", roles=READERS)
async def export_pressed(ctx: Context) -> list[Reply]:
    parsed = _parse_payload(ctx.incoming.payload[3:])
    if parsed is None:
        return [ctx.reply("errors/unknown_button")]
    code, month = parsed
    report = await _report(ctx, code, month)
    if report is None:
        return [ctx.reply("report/not_allowed")]
    if not report.has_data:
        return [ctx.reply("report/empty", report=report)]
    reply = ctx.reply("report/xlsx", report=report)
    reply.document = report_xlsx(report, ctx.locale)
    reply.document_name = f"laporan-{report.place.code or 'indonesia'}-{month:%Y-%m}.xlsx"
    return [reply]


async def _report(ctx: Context, code: str | None, month: dt.date) -> Report | None:
    """The report if this user may read that area (anything else reads as not allowed)."""
    if not _may_read(ctx, code):
        return None
    if month > await this_month(ctx):
        return None
    place = await place_of(ctx.session, code)
    if place is None:
        return None
    own_level = None
    if ctx.user.area_code:
        own = await ctx.session.get(Area, ctx.user.area_code)
        own_level = own.level if own else None
    allowed = names_allowed(ctx.user.role, own_level, place)
    report = await build_report(ctx.session, place, month, names_allowed=allowed)
    await ctx.audit("read", "report_names" if allowed else "report", code or "-",
                    detail=f"{month:%Y-%m}")
    return report


async def report_replies(ctx: Context, code: str | None, month: dt.date) -> list[Reply]:
    report = await _report(ctx, code, month)
    if report is None:
        return [ctx.reply("report/not_allowed")]
    token = f"{code or '-'}:{month:%Y-%m}"
    if not report.has_data:
        previous = (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        return [ctx.reply("report/empty", report=report, buttons=[[
            Button(ctx.label("month", previous.month) + f" {previous.year}",
                   f"lp:{code or '-'}:{previous:%Y-%m}")]])]
    buttons = [[Button(ctx.label("report_label", "xlsx"), f"lx:{token}")]]
    sub = next((s for s in report.sections if s.key == "sub_areas"), None)
    if sub is not None and report.place.sub_level != "posyandu":
        pairs = [Button(item["name"][:30], f"lp:{item['key']}:{month:%Y-%m}")
                 for item in sub.values["items"][:SUB_BUTTONS]]
        buttons += [pairs[i:i + 3] for i in range(0, len(pairs), 3)]
    reply = ctx.reply("report/report", buttons=buttons, report=report,
                      sections=report.sections)
    if ctx.settings.charts:
        locale = ctx.locale
        reply.image_factory = lambda: chart_png(report, locale)
    return [reply]
