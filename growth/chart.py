"""Growth chart PNG (KMS style) for one child: weight-for-age above, length/height-for-age below.

WHO lines at -3, -2, 0, +2, +3 SD with the familiar KMS colour bands, the child's points
joined, Indonesian labels. matplotlib is imported inside the function so ``import growth``
stays light. Never pyplot: a ``Figure`` + ``FigureCanvasAgg`` per (sex, x range, locale) is drawn
once into a cached template; each chart restores that background into its own ``RendererAgg``
and draws only the child's line and name, so charts are fast and safe from worker threads.
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from growth.tables import age_table, sd_value
from growth.zscores import DAYS_PER_MONTH, sex_codes

Point = tuple[date, float | None, float | None]  # (measured_on, weight kg, length/height cm)

_SDS = (-3, -2, 0, 2, 3)
# Bands between consecutive SD lines, KMS colours: red, yellow, green, yellow, red.
_BAND_COLOURS = ("#f4a6a6", "#fbe7a1", "#c8e6b0", "#c8e6b0", "#fbe7a1", "#f4a6a6")
_TEXT = {
    "id": {
        "x": "Umur (bulan)",
        "weight": "Berat badan (kg)",
        "length": "Panjang/Tinggi badan (cm)",
        "wfa": "Berat badan menurut umur (BB/U)",
        "lhfa": "Panjang/tinggi badan menurut umur (PB/U, TB/U)",
        "boys": "laki-laki",
        "girls": "perempuan",
    },
    "en": {
        "x": "Age (months)",
        "weight": "Weight (kg)",
        "length": "Length/height (cm)",
        "wfa": "Weight-for-age",
        "lhfa": "Length/height-for-age",
        "boys": "boy",
        "girls": "girl",
    },
}
WIDTH_PX, HEIGHT_PX, DPI = 800, 1000, 100


@functools.cache
def _curves(table: str, sex: int, step: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Ages in months and the SD lines (rows: -3, -2, 0, +2, +3) sampled every ``step`` days."""
    t = age_table(table)
    days = np.arange(0, 1827, step)
    days = np.append(days, [730, 731, 1826])  # keep the length->height step at 24 months
    days = np.unique(days)
    row = sex - 1
    lms = (t.m[row, days], t.l[row, days], t.s[row, days])
    lines = np.vstack([lms[0] if k == 0 else sd_value(*lms, k) for k in _SDS])
    return days / DAYS_PER_MONTH, lines


def _panel(ax: Any, months: np.ndarray, lines: np.ndarray, ylabel: str, title: str,
           xlabel: str, xmax: float) -> None:  # fmt: skip
    ymin = float(lines[0].min()) * 0.9
    ymax = float(lines[-1].max()) * 1.05
    bounds = [np.full_like(months, ymin), *lines, np.full_like(months, ymax)]
    for lower, upper, colour in zip(bounds[:-1], bounds[1:], _BAND_COLOURS, strict=True):
        ax.fill_between(months, lower, upper, color=colour, linewidth=0)
    for k, line in zip(_SDS, lines, strict=True):
        ax.plot(months, line, color="#2e7d32" if k == 0 else "#555555",
                linewidth=1.6 if k == 0 else 0.9)  # fmt: skip
        ax.annotate(f"{k:+d}" if k else "0", (xmax, float(np.interp(xmax, months, line))),
                    fontsize=8, xytext=(3, -3), textcoords="offset points",
                    annotation_clip=False)  # fmt: skip
    ax.set_xlim(0, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_xticks(np.arange(0, xmax + 1, 3 if xmax <= 24 else 6))
    ax.grid(True, color="white", linewidth=0.6)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)


@dataclass(frozen=True)
class _Template:
    """A pre-rendered chart without the child's data: read-only once built, shared by threads."""

    figure: Any
    background: Any  # matplotlib BufferRegion of the whole canvas
    transforms: tuple[Any, Any]  # frozen data->pixel transforms of the two panels
    clips: tuple[Any, Any]  # frozen panel boxes, to clip the child's line


_template_lock = threading.Lock()


@functools.cache
def _build_template(code: int, xmax: float, locale: str) -> _Template:
    # Drawing axes, ticks and bands is most of the cost, so it is done once per
    # (sex, x range, locale); each chart then only draws the child's points and the name.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    text = _TEXT[locale]
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    canvas = FigureCanvasAgg(fig)
    axes = fig.subplots(2, 1)
    for ax, table, ylabel in ((axes[0], "wfa", "weight"), (axes[1], "lhfa", "length")):
        months, lines = _curves(table, code)
        keep = months <= xmax + 0.5
        _panel(ax, months[keep], lines[:, keep], text[ylabel], text[table], text["x"], xmax)
    fig.subplots_adjust(left=0.09, right=0.95, top=0.92, bottom=0.06, hspace=0.3)
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    transforms = (axes[0].transData.frozen(), axes[1].transData.frozen())
    clips = (axes[0].bbox.frozen(), axes[1].bbox.frozen())
    return _Template(fig, background, transforms, clips)


def _template(code: int, xmax: float, locale: str) -> _Template:
    with _template_lock:  # functools.cache alone could build the same template twice
        return _build_template(code, xmax, locale)


def render_growth_chart(
    sex: str | int,
    birth_date: date,
    points: Sequence[Point],
    name: str,
    locale: str = "id",
) -> bytes:
    """PNG bytes (800 x 1000 px) of the child's weight-for-age and length/height-for-age.

    ``points`` are (measurement date, weight kg, length/height cm); None values are skipped,
    as are points before birth or from 60 months. The x axis shows 0-24 months while the
    child is younger, else 0-60. Safe to call from worker threads.
    """
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.lines import Line2D
    from matplotlib.text import Text
    from PIL import Image

    code = int(sex_codes([sex], 1)[0])
    if code == 0:
        raise ValueError(f"sex must be 'm'/'f' or 1/2, not {sex!r}")
    locale = locale if locale in _TEXT else "id"
    text = _TEXT[locale]
    pts = sorted((p for p in points if 0 <= (p[0] - birth_date).days < 1827),
                 key=lambda p: p[0])  # fmt: skip
    ages = [(p[0] - birth_date).days / DAYS_PER_MONTH for p in pts]
    xmax = 24.0 if not ages or max(ages) < 23 else 60.0
    tpl = _template(code, xmax, locale)

    renderer = RendererAgg(WIDTH_PX, HEIGHT_PX, DPI)
    renderer.restore_region(tpl.background)
    for panel, idx in ((0, 1), (1, 2)):
        xs = [a for a, p in zip(ages, pts, strict=True) if p[idx] is not None]
        ys = [float(p[idx]) for p in pts if p[idx] is not None]  # type: ignore[arg-type]
        if not xs:
            continue
        line = Line2D(xs, ys, color="#0d47a1", linewidth=2, marker="o", markersize=5)
        line.set_figure(tpl.figure)
        line.set_transform(tpl.transforms[panel])
        line.set_clip_box(tpl.clips[panel])
        line.draw(renderer)
    sex_word = text["boys"] if code == 1 else text["girls"]
    title = Text(WIDTH_PX / 2, HEIGHT_PX - 38, f"{name} ({sex_word})", fontsize=14,
                 fontweight="bold", ha="center", va="center")  # fmt: skip
    title.set_figure(tpl.figure)
    title.draw(renderer)

    image = Image.frombuffer("RGBA", (WIDTH_PX, HEIGHT_PX), renderer.buffer_rgba(), "raw",
                             "RGBA", 0, 1).convert("RGB")  # fmt: skip
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()
