"""Monthly area reports for coordinators: nutrition figures, SKDN by sub-area, trend, follow-up.

Programme words used here:
- *stunting*: PB/U or TB/U (length/height-for-age) z < -2; *severe* (sangat pendek) z < -3.
- *wasting*: BB/PB or BB/TB (weight-for-length/height) z < -2; *overweight* (gizi lebih) z > +2.
- *underweight*: BB/U (weight-for-age) z < -2.
- *SKDN* (posyandu tally): S balita registered, K with Buku KIA/KMS, D weighed this month,
  N gaining, T not gaining, O weighed this month but not last, B first weighing; D/S, N/D, K/S.
- *2T*: not gaining twice in a row; *BGM* (bawah garis merah): weight-for-age below the red line.

Rules of counting: each child counts once in a month, by its LATEST measurement of the month:
the row flagged ``Measurement.latest_of_month`` (stored, kept by
``storage.measurements.refresh_latest_of_month``; a window function over a year of a kabupaten's
1.8 M rows took 10-20 s). A partial index over those rows holds every column the monthly totals
read, so the 13 months of totals (trend, previous month, a year before) are one scan of that
index, grouped by day in SQL and added up per month here. A z-score of a measurement with a WHO implausibility flag is left out of the
prevalences (WHO survey practice) but the child still counts as measured. Prevalence is a share
of the children with that index (a weighing without length has no PB/U). Everything is
aggregated in SQL; only the per-sub-area and per-month results come back to Python.

A report is a list of sections (``REPORT_SECTIONS``): each is ``async def(rc) -> Section | None``
returning its chat template, its values and its sheets for the XLSX file. To add one (e.g. the
TPK visits of issue 8): write the function and append it to ``REPORT_SECTIONS``; add its chat
template ``templates/<locale>/report/section_<key>.j2`` and the column names it uses to the
``report_label`` macro of ``labels.j2``. The TPK section (issue 8: *TPK*, Tim Pendamping Keluarga,
visits catin, ibu hamil, ibu nifas and families of baduta) is built that way from
``storage.tpk.tpk_report``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    cast,
    exists,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import in_subtree
from storage.measurements import five_years_before, month_bounds
from storage.models import Area, Child, FollowUp, Measurement, Posyandu

# The level below each level, and how many characters of a desa code name that sub-area
# (Kemendagri codes are fixed-width: 36 / 36.02 / 36.02.01 / 36.02.01.2001).
SUB_LEVEL: dict[str | None, tuple[str, int | None]] = {
    None: ("provinsi", 2),
    "provinsi": ("kabupaten", 5),
    "kabupaten": ("kecamatan", 8),
    "kecamatan": ("desa", 13),
    "desa": ("posyandu", None),
}
NATIONAL = "nasional"
TREND_MONTHS = 12
NAMES_SHOWN = 30  # children listed by name in chat (all of them in the XLSX file)


# ------------------------------------------------------------------ the place and month


@dataclass(frozen=True)
class Place:
    """The report's area; ``code`` None is the whole country (an admin's report)."""

    code: str | None
    level: str
    name: str
    timezone: str = "Asia/Jakarta"

    @property
    def sub_level(self) -> str:
        return SUB_LEVEL[None if self.code is None else self.level][0]


async def place_of(session: AsyncSession, code: str | None) -> Place | None:
    if code is None:
        return Place(None, NATIONAL, "Indonesia")
    area = await session.get(Area, code)
    return Place(area.code, area.level, area.name, area.timezone) if area else None


def in_area(column, code: str | None):
    """``column`` lies in ``code`` or below; no code is the whole country (an admin's report)."""
    return true() if code is None else in_subtree(column, code)


def add_months(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_key(column):
    """'YYYY-MM' of a date column, the same text on SQLite and PostgreSQL."""
    return func.substr(cast(column, String), 1, 7)


# ------------------------------------------------------------------ figures


@dataclass
class Figures:
    """Nutrition figures of one area (or sub-area) in one month, by latest measurement."""

    measured: int = 0
    flagged: int = 0
    with_length: int = 0
    stunted: int = 0
    severe: int = 0
    with_wfl: int = 0
    wasted: int = 0
    overweight: int = 0
    with_weight: int = 0
    underweight: int = 0
    # SKDN's D split by weight gain (from the same latest measurements).
    n: int = 0
    t: int = 0
    o: int = 0
    b: int = 0

    INDICATORS = (("stunted", "with_length"), ("severe", "with_length"),
                  ("wasted", "with_wfl"), ("underweight", "with_weight"),
                  ("overweight", "with_wfl"))

    def pct(self, name: str) -> float | None:
        whole = getattr(self, dict(self.INDICATORS)[name])
        return None if not whole else 100.0 * getattr(self, name) / whole

    def add(self, other: Figures) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _latest(first: dt.date, last: dt.date, area: str | None, *, narrow: bool = False):
    """Each child's latest measurement of each month between ``first`` and ``last`` in the
    area. ``narrow``: only the columns of the monthly totals (all in the partial index)."""
    columns = [Measurement.measured_on, Measurement.flagged, Measurement.zlen, Measurement.zwei,
               Measurement.zwfl]
    if not narrow:
        columns += [Measurement.id, Measurement.child_id, Measurement.posyandu_id,
                    Measurement.desa_code, Measurement.gain, Measurement.two_t, Measurement.bgm]
    return (
        select(*columns)
        .where(Measurement.latest_of_month, Measurement.measured_on.between(first, last),
               in_area(Measurement.desa_code, area))
        .subquery()
    )


def _count(condition) -> Any:
    """Rows meeting ``condition``: COUNT(*) FILTER (WHERE ...), PostgreSQL and SQLite >= 3.30
    (on SQLite 20 % faster than SUM(CASE ...) over a year of a kabupaten)."""
    return func.count().filter(condition)


def _figure_columns(latest, *, gains: bool = True) -> list:
    usable = latest.c.flagged.is_(False)
    columns = [
        func.count().label("measured"),
        _count(latest.c.flagged.is_(True)).label("flagged"),
        _count(and_(usable, latest.c.zlen.is_not(None))).label("with_length"),
        _count(and_(usable, latest.c.zlen < -2)).label("stunted"),
        _count(and_(usable, latest.c.zlen < -3)).label("severe"),
        _count(and_(usable, latest.c.zwfl.is_not(None))).label("with_wfl"),
        _count(and_(usable, latest.c.zwfl < -2)).label("wasted"),
        _count(and_(usable, latest.c.zwfl > 2)).label("overweight"),
        _count(and_(usable, latest.c.zwei.is_not(None))).label("with_weight"),
        _count(and_(usable, latest.c.zwei < -2)).label("underweight"),
    ]
    if gains:
        columns += [
            _count(latest.c.gain == "N").label("n"),
            _count(latest.c.gain == "T").label("t"),
            _count(latest.c.gain == "O").label("o"),
            _count(latest.c.gain == "B").label("b"),
        ]
    return columns


def _figures(row) -> Figures:
    values = row._mapping
    return Figures(**{name: int(values.get(name) or 0) for name in Figures.__dataclass_fields__})


def sub_key(place: Place, posyandu_column, desa_column):
    """The sub-area a row belongs to: a code prefix, or the posyandu id below a desa."""
    _, width = SUB_LEVEL[None if place.code is None else place.level]
    if width is None:
        return cast(posyandu_column, String)
    return func.substr(desa_column, 1, width)


async def figures_by_sub_area(session: AsyncSession, place: Place,
                              month: dt.date) -> dict[str, Figures]:
    first, last = month_bounds(month)
    latest = _latest(first, last, place.code)
    key = sub_key(place, latest.c.posyandu_id, latest.c.desa_code).label("key")
    rows = await session.execute(select(key, *_figure_columns(latest)).group_by(key))
    return {row.key: _figures(row) for row in rows}


async def monthly_figures(session: AsyncSession, place: Place, first_month: dt.date,
                          last_month: dt.date) -> dict[dt.date, Figures]:
    """Area totals of each month from ``first_month`` to ``last_month`` (first days as keys; a
    month without measurements is absent), without SKDN's N/T/O/B (this month's come from
    ``figures_by_sub_area``). Grouped by day in SQL (a date is cheap to group by on both engines,
    a month key is text built per row), added up per month here: at most 31 rows a month."""
    latest = _latest(first_month.replace(day=1), month_bounds(last_month)[1], place.code,
                     narrow=True)
    rows = await session.execute(
        select(latest.c.measured_on, *_figure_columns(latest, gains=False))
        .group_by(latest.c.measured_on)
    )
    months: dict[dt.date, Figures] = {}
    for row in rows:
        day = row.measured_on
        if isinstance(day, str):  # a grouped date may come back as text on SQLite
            day = dt.date.fromisoformat(day)
        months.setdefault(day.replace(day=1), Figures()).add(_figures(row))
    return months


async def month_figures(session: AsyncSession, place: Place, month: dt.date) -> Figures | None:
    """Area totals of one month (without N/T/O/B); None when no child was measured."""
    return (await monthly_figures(session, place, month, month)).get(month.replace(day=1))


@dataclass
class Registered:
    s: int = 0
    k: int = 0


async def registered_by_sub_area(session: AsyncSession, place: Place,
                                 month: dt.date) -> dict[str, Registered]:
    """SKDN's S and K: balita (under five at the month's end) registered, and with a KIA book."""
    _, last = month_bounds(month)
    key = sub_key(place, Child.posyandu_id, Posyandu.desa_code).label("key")
    rows = await session.execute(
        select(key, func.count(), func.coalesce(func.sum(cast(Child.has_kia, Integer)), 0))
        .join(Posyandu, Posyandu.id == Child.posyandu_id)
        .where(in_area(Posyandu.desa_code, place.code), Child.birth_date <= last,
               Child.birth_date > five_years_before(last))
        .group_by(key)
    )
    return {k: Registered(int(s), int(kia)) for k, s, kia in rows}


async def sub_area_names(session: AsyncSession, place: Place, keys) -> dict[str, str]:
    keys = [k for k in keys if k]
    if not keys:
        return {}
    if place.sub_level == "posyandu":
        ids = [int(k) for k in keys if k.isdigit()]
        rows = await session.execute(select(Posyandu.id, Posyandu.name).where(Posyandu.id.in_(ids)))
        return {str(i): name for i, name in rows}
    rows = await session.execute(select(Area.code, Area.name).where(Area.code.in_(keys)))
    return dict(rows.all())


# ------------------------------------------------------------------ follow-up lists


@dataclass(frozen=True)
class Pending:
    """A child whose latest measurement this month needs action and has none done yet."""

    child_id: int
    name: str
    sex: str
    birth_date: dt.date
    posyandu: str
    desa_code: str
    measured_on: dt.date
    zlen: float | None
    stunted: bool
    two_t: bool
    bgm: bool


def _pending_query(place: Place, month: dt.date):
    first, last = month_bounds(month)
    latest = _latest(first, last, place.code)
    stunted = and_(latest.c.flagged.is_(False), latest.c.zlen < -2)
    since = dt.datetime.combine(first, dt.time(), dt.UTC)
    followed = exists().where(FollowUp.child_id == latest.c.child_id,
                              FollowUp.done_at.is_not(None), FollowUp.done_at >= since)
    needs = and_(or_(stunted, latest.c.two_t, latest.c.bgm), ~followed)
    return latest, stunted, needs


async def pending_children(session: AsyncSession, place: Place, month: dt.date) -> list[Pending]:
    """By name: only for the roles allowed to see names in that area (``names_allowed``)."""
    latest, stunted, needs = _pending_query(place, month)
    rows = await session.execute(
        select(Child.id, Child.name, Child.sex, Child.birth_date, Posyandu.name,
               latest.c.desa_code, latest.c.measured_on, latest.c.zlen, stunted,
               latest.c.two_t, latest.c.bgm)
        .select_from(latest)
        .join(Child, Child.id == latest.c.child_id)
        .join(Posyandu, Posyandu.id == latest.c.posyandu_id)
        .where(needs)
        .order_by(Posyandu.name, Child.name, Child.id)
    )
    return [Pending(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], bool(r[8]), bool(r[9]),
                    bool(r[10])) for r in rows]


@dataclass(frozen=True)
class PendingCount:
    posyandu: str
    desa_code: str
    children: int
    stunted: int
    two_t: int
    bgm: int


async def pending_counts(session: AsyncSession, place: Place, month: dt.date) -> list[PendingCount]:
    """The same children, counted per posyandu (no names)."""
    latest, stunted, needs = _pending_query(place, month)
    rows = await session.execute(
        select(Posyandu.name, Posyandu.desa_code, func.count(), _count(stunted),
               _count(latest.c.two_t.is_(True)), _count(latest.c.bgm.is_(True)))
        .select_from(latest)
        .join(Posyandu, Posyandu.id == latest.c.posyandu_id)
        .where(needs)
        .group_by(Posyandu.id, Posyandu.name, Posyandu.desa_code)
        .order_by(func.count().desc(), Posyandu.name)
    )
    return [PendingCount(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in rows]


# ------------------------------------------------------------------ report and sections


@dataclass
class Sheet:
    """One table of the XLSX file: ``columns`` are ``report_label`` keys; cells are numbers,
    dates or text (percentages as fractions, shown as % by the writer)."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    percent_columns: set[str] = field(default_factory=set)
    label_columns: set[str] = field(default_factory=set)  # cells that are label keys
    label_template: str | None = None  # renders those keys (``key=``); None: ``report_label``


@dataclass
class Section:
    key: str  # the chat template is report/section_<key>
    values: dict[str, Any]
    sheets: list[Sheet] = field(default_factory=list)


@dataclass
class ReportContext:
    """What a section gets: the session, the area, the month, and what the reader may see.
    ``cache`` lets sections share a query's result (e.g. this month's figures by sub-area)."""

    session: AsyncSession
    place: Place
    month: dt.date  # the first day of the month
    names_allowed: bool
    cache: dict[str, Any] = field(default_factory=dict)

    async def once(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        if key not in self.cache:
            self.cache[key] = await compute()
        return self.cache[key]

    async def by_sub_area(self) -> dict[str, Figures]:
        return await self.once("by_sub_area", lambda: figures_by_sub_area(
            self.session, self.place, self.month))

    async def months(self) -> dict[dt.date, Figures]:
        """Totals of the 12 months before this one (trend, previous month, a year before), in
        one query (this month's come from ``by_sub_area``)."""
        return await self.once("months", lambda: monthly_figures(
            self.session, self.place, add_months(self.month, -TREND_MONTHS),
            add_months(self.month, -1)))

    async def totals(self, month: dt.date) -> Figures | None:
        """All figures of the area for one month (this month: the sum of its sub-areas, with
        N/T/O/B; other months: without them)."""
        if month == self.month:
            by_sub = await self.by_sub_area()
            if not by_sub:
                return None
            total = Figures()
            for figures in by_sub.values():
                total.add(figures)
            return total
        if add_months(self.month, -TREND_MONTHS) <= month < self.month:
            return (await self.months()).get(month)
        return await self.once(f"totals:{month}", lambda: month_figures(
            self.session, self.place, month))

    async def trend(self) -> dict[dt.date, Figures]:
        """The last ``TREND_MONTHS`` months (this one included) that have measurements."""
        first = add_months(self.month, -(TREND_MONTHS - 1))
        trend = {m: f for m, f in (await self.months()).items() if m >= first}
        now = await self.totals(self.month)
        if now is not None:
            trend[self.month] = now
        return trend


def _ratio(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def _share(figures: Figures, name: str) -> float | None:
    """A prevalence as a fraction (the XLSX cell is formatted as %); none for counts."""
    pct = None if name == "measured" else figures.pct(name)
    return None if pct is None else pct / 100


async def summary_section(rc: ReportContext) -> Section:
    now = await rc.totals(rc.month) or Figures()
    before = add_months(rc.month, -1)
    year_before = add_months(rc.month, -12)
    previous, last_year = await rc.totals(before), await rc.totals(year_before)
    names = ("measured", "stunted", "severe", "wasted", "underweight", "overweight")
    rows = []
    for name in names:
        row: list[Any] = [name, getattr(now, name), _share(now, name)]
        for other in (previous, last_year):
            if other is None:
                row += [None, None, None]
                continue
            row += [getattr(other, name), _share(other, name),
                    getattr(now, name) - getattr(other, name)]
        rows.append(row)
    sheet = Sheet(
        "summary",
        ["indicator", "count", "pct", "prev_count", "prev_pct", "prev_change",
         "year_count", "year_pct", "year_change"],
        rows, percent_columns={"pct", "prev_pct", "year_pct"}, label_columns={"indicator"},
    )
    return Section("summary", {
        "now": now, "previous": previous, "last_year": last_year, "before": before,
        "year_before": year_before, "names": names,
    }, [sheet])


async def sub_areas_section(rc: ReportContext) -> Section:
    figures = await rc.by_sub_area()
    registered = await registered_by_sub_area(rc.session, rc.place, rc.month)
    keys = sorted(set(figures) | set(registered))
    names = await sub_area_names(rc.session, rc.place, keys)
    rows, items = [], []
    for key in keys:
        f, r = figures.get(key, Figures()), registered.get(key, Registered())
        d = f.measured
        stunting = f.pct("stunted")
        items.append({"key": key, "name": names.get(key, key), "f": f, "r": r,
                      "ds": _ratio(d, r.s), "nd": _ratio(f.n, d), "ks": _ratio(r.k, r.s)})
        rows.append([key, names.get(key, key), r.s, r.k, d, f.n, f.t, f.o, f.b,
                     _ratio(d, r.s), _ratio(f.n, d), _ratio(r.k, r.s), f.stunted,
                     None if stunting is None else stunting / 100, f.severe, f.wasted,
                     f.underweight, f.overweight])
    sheet = Sheet(
        "sub_areas",
        ["code", "sub_area", "s", "k", "d", "n", "t", "o", "b", "ds", "nd", "ks", "stunted",
         "stunted_pct", "severe", "wasted", "underweight", "overweight"],
        rows, percent_columns={"ds", "nd", "ks", "stunted_pct"},
    )
    total = Registered(sum(r.s for r in registered.values()), sum(r.k for r in registered.values()))
    return Section("sub_areas", {"items": items, "level": rc.place.sub_level, "total": total},
                   [sheet])


async def trend_section(rc: ReportContext) -> Section:
    monthly = await rc.trend()
    months = [add_months(rc.month, -i) for i in range(TREND_MONTHS - 1, -1, -1)]
    points = [(m, monthly.get(m)) for m in months]
    rows = [[m, f.measured, f.stunted, None if f.pct("stunted") is None else f.pct("stunted") / 100]
            for m, f in points if f is not None]
    sheet = Sheet("trend", ["month", "measured", "stunted", "stunted_pct"], rows,
                  percent_columns={"stunted_pct"})
    return Section("trend", {"points": points}, [sheet])


async def follow_up_section(rc: ReportContext) -> Section:
    if rc.names_allowed:
        children = await pending_children(rc.session, rc.place, rc.month)
        rows = [[c.name, c.sex, c.birth_date, c.posyandu, c.desa_code, c.measured_on, c.zlen,
                 "ya" if c.stunted else "", "ya" if c.two_t else "", "ya" if c.bgm else ""]
                for c in children]
        sheet = Sheet("follow_up", ["child", "sex", "birth_date", "posyandu_col", "desa",
                                    "measured_on", "zlen", "stunting", "two_t", "bgm"], rows)
        return Section("follow_up", {"children": children, "shown": children[:NAMES_SHOWN],
                                     "names": True}, [sheet])
    counts = await pending_counts(rc.session, rc.place, rc.month)
    rows = [[c.posyandu, c.desa_code, c.children, c.stunted, c.two_t, c.bgm] for c in counts]
    sheet = Sheet("follow_up", ["posyandu_col", "desa", "children", "stunting", "two_t", "bgm"], rows)
    return Section("follow_up", {"counts": counts, "shown": counts[:NAMES_SHOWN], "names": False,
                                 "total": sum(c.children for c in counts)}, [sheet])


async def _tpk_figures(rc: ReportContext):
    """``tpk_report`` of the area; for the whole country (an admin), the sum of its provinces."""
    from storage.targets import Target
    from storage.tpk import TpkReport, tpk_report

    if rc.place.code is not None:
        return await tpk_report(rc.session, rc.place.code, rc.month)
    provinces = (await rc.session.scalars(
        select(func.substr(Target.desa_code, 1, 2)).distinct())).all()
    total: TpkReport | None = None
    for code in sorted(provinces):
        part = await tpk_report(rc.session, code, rc.month)
        if total is None:
            total = part
            continue
        for name in TpkReport.__dataclass_fields__:
            mine, theirs = getattr(total, name), getattr(part, name)
            if isinstance(mine, dict):
                setattr(total, name, {k: mine.get(k, 0) + theirs.get(k, 0)
                                      for k in mine | theirs})
            elif isinstance(mine, int):
                setattr(total, name, mine + theirs)
    return total


async def tpk_section(rc: ReportContext) -> Section:
    """TPK family support in the month: targets, visits, catin screening, KEK/anaemia, TTD.
    An area without any TPK target, visit or screening that month gets one line, no table."""
    from storage.tpk import report_rows

    report = await _tpk_figures(rc)
    has_data = report is not None and bool(
        sum(report.targets.values()) or report.visits or report.screenings or report.weddings)
    if not has_data:
        return Section("tpk", {"report": report, "has_data": False})
    # Keys in the cells; the XLSX writer names them in the reader's language.
    rows = [[key, value, whole, _ratio(value, whole) if whole is not None else None]
            for key, value, whole, _ in report_rows(report, lambda key: key)]
    sheet = Sheet("tpk", ["indicator", "count", "of", "pct"], rows, percent_columns={"pct"},
                  label_columns={"indicator"}, label_template="tpk/report_label")
    return Section("tpk", {"report": report, "has_data": True}, [sheet])


Builder = Callable[[ReportContext], Awaitable[Section | None]]
# The report, in order: append a builder to add a section.
REPORT_SECTIONS: list[Builder] = [summary_section, sub_areas_section, trend_section,
                                  follow_up_section, tpk_section]


@dataclass
class Report:
    place: Place
    month: dt.date
    has_data: bool
    names_allowed: bool
    sections: list[Section]
    # For the chart: stunting % by sub-area, and the 12-month trend.
    bars: list[tuple[str, float | None]] = field(default_factory=list)
    trend: list[tuple[dt.date, float | None]] = field(default_factory=list)


async def build_report(session: AsyncSession, place: Place, month: dt.date, *,
                       names_allowed: bool) -> Report:
    if session.get_bind().dialect.name == "postgresql":
        # asyncpg prepares statements; after 5 runs PostgreSQL may switch to a generic plan that
        # cannot see the area's range and reads the whole table (0.5 s -> 2.8 s for the 12
        # months). For this transaction only, plan each statement with its values.
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    rc = ReportContext(session, place, month.replace(day=1), names_allowed)
    if await rc.totals(rc.month) is None:
        # No child measured that month: say so, never a table of zeros.
        return Report(place, rc.month, False, names_allowed, [])
    sections = [s for s in [await build(rc) for build in REPORT_SECTIONS] if s is not None]
    by_sub = await rc.by_sub_area()
    sub_names = await sub_area_names(session, place, list(by_sub))
    bars = [(sub_names.get(k, k), f.pct("stunted")) for k, f in sorted(by_sub.items())]
    monthly = await rc.trend()
    trend = [(m, monthly[m].pct("stunted") if m in monthly else None)
             for m in (add_months(rc.month, -i) for i in range(TREND_MONTHS - 1, -1, -1))]
    return Report(place, rc.month, True, names_allowed, sections, bars, trend)


def names_allowed(role: str | None, own_level: str | None, place: Place) -> bool:
    """Who may read children's names in a report (UU 27/2022: least data). Names are for those
    who act on them: bidan and TPK of their desa, and a koordinator whose own area is a
    kecamatan or a desa. Kabupaten-level and higher coordinators (and admins) get counts per
    posyandu; the kecamatan that acts holds the names."""
    if place.code is None or place.level not in ("kecamatan", "desa"):
        return False
    if role in ("bidan", "tpk"):
        return True
    return role == "koordinator" and own_level in ("kecamatan", "desa")

