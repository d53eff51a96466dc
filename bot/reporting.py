"""Files of a monthly report (``storage.reports.Report``): the chart PNG and the XLSX workbook.

Both are pure functions of a finished report (no database), so the bot draws them after the
transaction, in a worker thread (``Reply.image_factory``), and ``tumbuh report`` writes the
same workbook from the command line. matplotlib and openpyxl are imported inside the functions:
starting the bot does not pay for them.
"""

from __future__ import annotations

import datetime as dt
import io

from markupsafe import Markup

import templates
from storage.reports import Report, Sheet

BAR_COLOR = "#c0392b"
LINE_COLOR = "#2c3e50"
MAX_BARS = 30  # a kabupaten has up to ~30 kecamatan; a longer list is cut to the highest


def label(locale: str, key: str) -> str:
    return templates.label(locale, "report_label", key)


def month_label(locale: str, month: dt.date, short: bool = False) -> str:
    name = templates.label(locale, "month", month.month)
    return f"{name[:3]} {month.year % 100:02d}" if short else f"{name} {month.year}"


def chart_png(report: Report, locale: str) -> bytes:
    """Stunting prevalence by sub-area (bars) and over the last 12 months (line), one PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4.6), dpi=100)
    FigureCanvasAgg(figure)
    bars_ax, line_ax = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
    bars = [(name, pct) for name, pct in report.bars if pct is not None]
    bars = sorted(bars, key=lambda item: item[1], reverse=True)[:MAX_BARS][::-1]
    if bars:
        names = [name if len(name) <= 22 else name[:21] + "…" for name, _ in bars]
        bars_ax.barh(range(len(bars)), [pct for _, pct in bars], color=BAR_COLOR)
        bars_ax.set_yticks(range(len(bars)), names, fontsize=7 if len(bars) > 15 else 9)
    bars_ax.set_xlabel("%")
    bars_ax.set_title(f"{label(locale, 'chart_bars')} ({label(locale, report.place.sub_level)})",
                      fontsize=10)
    bars_ax.grid(axis="x", alpha=0.3)
    points = [(i, pct) for i, (_, pct) in enumerate(report.trend) if pct is not None]
    if points:
        line_ax.plot([i for i, _ in points], [p for _, p in points], marker="o",
                     color=LINE_COLOR)
        for i, pct in points[-1:]:
            line_ax.annotate(f"{pct:.1f} %", (i, pct), textcoords="offset points",
                             xytext=(0, 8), ha="center", fontsize=9)
    line_ax.set_xticks(range(len(report.trend)),
                       [month_label(locale, m, short=True) for m, _ in report.trend],
                       rotation=60, fontsize=8)
    line_ax.set_ylim(bottom=0)
    line_ax.set_ylabel("%")
    line_ax.set_title(label(locale, "chart_trend"), fontsize=10)
    line_ax.grid(alpha=0.3)
    figure.suptitle(f"{report.place.name} · {month_label(locale, report.month)}", fontsize=12)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def report_xlsx(report: Report, locale: str) -> bytes:
    """One sheet per table, a header row, numbers as numbers, dates as dates, shares as %."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    book.properties.title = f"{report.place.name} {report.month:%Y-%m}"
    bold = Font(bold=True)
    used: set[str] = set()
    for section in report.sections:
        for table in section.sheets:
            sheet = book.create_sheet(_title(label(locale, "sheet_" + table.name), used))
            header = []
            for column in table.columns:
                cell = WriteOnlyCell(sheet, value=label(locale, column))
                cell.font = bold
                header.append(cell)
            sheet.append(header)
            formats = [_format(table, column) for column in table.columns]
            words = [column in table.label_columns for column in table.columns]
            for row in table.rows:
                sheet.append([_cell(sheet, _name(table, locale, value) if word and value else value,
                                    fmt)
                              for value, fmt, word in zip(row, formats, words, strict=True)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _name(table: Sheet, locale: str, key: str) -> str:
    """A label cell in the reader's language (plain text: the sheet is not HTML)."""
    if table.label_template is None:
        return label(locale, key)
    return Markup(templates.render(locale, table.label_template, key=key)).unescape()


def _title(text: str, used: set[str]) -> str:
    title = "".join(ch for ch in text if ch not in "[]:*?/\\")[:31] or "Sheet"
    base, n = title, 2
    while title in used:
        title = f"{base[:28]} {n}"
        n += 1
    used.add(title)
    return title


def _format(table: Sheet, column: str) -> str | None:
    if column in table.percent_columns:
        return "0.0%"
    if column == "month":
        return "mmm yyyy"
    return None


def _cell(sheet, value, fmt: str | None):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, dt.date) and fmt is None:
        cell.number_format = "yyyy-mm-dd"
    elif fmt is not None:
        cell.number_format = fmt
    return cell

