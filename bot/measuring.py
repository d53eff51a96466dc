"""Measuring a child, shared by ``/ukur`` (step by step), the one-line form and the batch.

A kader at the posyandu (posyandu: the monthly community health post) weighs and measures; here
the numbers are checked (``growth.plausibility`` and WHO's flags), assessed (``growth``), stored
with their results, and turned into the answer the kader sees: each index with its z-score and
Permenkes category, N/T (naik / tidak naik) against last month, advice, and the growth chart.
Stunting, wasting, BGM (below the red line) or 2T (not gaining twice) open a follow-up for the
kader and a referral notice to the desa's bidan.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process
from sqlalchemy import and_, bindparam, func, insert, select

import templates
from bot.context import Context
from bot.core import Reply
from growth import Assessment, Weighing, assess_child, render_growth_chart
from growth.age import completed_months
from growth.plausibility import Previous, change_problems, range_problems
from storage import outbox
from storage.measurements import history, month_bounds, refresh_latest_of_month
from storage.models import Area, Child, FollowUp, Measurement, Posyandu, User
from storage.roles import BIDAN

MAX_AGE_MONTHS = 60
MATCH_THRESHOLD = 80


def usual_position(birth: dt.date, on: dt.date) -> str:
    """Lying (PB) under 24 months, standing (TB) from 24 months: WHO's 731-day rule."""
    return "l" if (on - birth).days < 731 else "h"


def sex_code(child: Child) -> str:
    return "m" if child.sex == "L" else "f"


def match_names(names: list[tuple[int, str]], text: str, limit: int = 5) -> list[int]:
    """Ids of the children whose name matches what was typed: exact, then names that start
    with it, then close spellings ("siti aminha" finds "Siti Aminah")."""
    wanted = " ".join(text.casefold().split())
    if not wanted:
        return []
    exact = [i for i, name in names if name.casefold() == wanted]
    if exact:
        return exact
    found = [i for i, name in names if name.casefold().startswith(wanted)]
    scored = process.extract(wanted, {i: name.casefold() for i, name in names},
                             scorer=fuzz.WRatio, limit=limit, score_cutoff=MATCH_THRESHOLD)
    found += [i for _, _, i in scored if i not in found]
    return found[:limit]


def match_children(children: list[Child], text: str, limit: int = 5) -> list[Child]:
    by_id = {c.id: c for c in children}
    return [by_id[i] for i in match_names([(c.id, c.name) for c in children], text, limit)]


# The one-line form runs these for every message: statements built once (building one costs
# about as much as running it on SQLite).
_PLACE = (
    select(Posyandu.name, Posyandu.desa_code, Area.timezone)
    .outerjoin(Area, Posyandu.desa_code == Area.code)
    .where(Posyandu.id == bindparam("posyandu"))
)
# The posyandu's place and its children of exactly this name (none: one row, child NULL).
_PLACE_AND_EXACT_NAME = _PLACE.add_columns(Child).outerjoin(
    Child, and_(Child.posyandu_id == Posyandu.id, func.lower(Child.name) == bindparam("name"))
)
_NAMES = select(Child.id, Child.name).where(Child.posyandu_id == bindparam("posyandu"))
_INSERT_MEASUREMENT = insert(Measurement.__table__)  # Core: no ORM object is needed
_BIDANS = select(User).where(User.role == BIDAN, User.area_code == bindparam("desa"))


async def find_children(session, posyandu_id: int, text: str) -> list[Child]:
    """``match_names`` for one posyandu. The one-line form is hot: an exact name is found by
    SQL alone, in the statement that reads the posyandu's place (``local_today`` after this
    costs no query); otherwise only (id, name) pairs are loaded to match, then the chosen
    children."""
    wanted = " ".join(text.split())
    rows = (await session.execute(
        _PLACE_AND_EXACT_NAME, {"posyandu": posyandu_id, "name": wanted.lower()}
    )).all()
    if rows:
        _places(session)[posyandu_id] = Place(posyandu_id, *rows[0][:3])
    exact = [row[3] for row in rows if row[3] is not None]
    if exact and all(c.name.casefold() == wanted.casefold() for c in exact):
        return exact
    names = (await session.execute(_NAMES, {"posyandu": posyandu_id})).all()
    ids = match_names(list(names), text)
    if not ids:
        return []
    found = {c.id: c for c in await session.scalars(select(Child).where(Child.id.in_(ids)))}
    return [found[i] for i in ids]


@dataclass(frozen=True, slots=True)
class Place:
    """What measuring needs of a posyandu: its name (referral notices), desa and time zone."""

    id: int
    name: str
    desa_code: str
    timezone: str | None


async def posyandu_place(session, posyandu_id: int) -> Place | None:
    """The posyandu's ``Place``, read once per transaction (a batch of 50 lines, or
    ``local_today`` then ``save``, share it): kept in ``session.info``, which lives and dies
    with the session of one update."""
    places = _places(session)
    if posyandu_id not in places:
        row = (await session.execute(_PLACE, {"posyandu": posyandu_id})).first()
        places[posyandu_id] = None if row is None else Place(posyandu_id, *row)
    return places[posyandu_id]


def _places(session) -> dict[int, Place | None]:
    return session.info.setdefault("measuring.places", {})


async def local_today(ctx: Context, posyandu_id: int) -> dt.date:
    """Today's date where the posyandu is (WIB, WITA or WIT)."""
    place = await posyandu_place(ctx.session, posyandu_id)
    zone = place.timezone if place is not None else None
    return ctx.now.astimezone(ZoneInfo(zone or "Asia/Jakarta")).date()


@dataclass
class Entry:
    """What the kader gave for one measurement (JSON-able through ``as_data``)."""

    child_id: int
    measured_on: dt.date
    weight_kg: float | None
    lenhei_cm: float | None
    position: str | None = None  # None: the usual one for the age
    armc_cm: float | None = None
    headc_cm: float | None = None

    def as_data(self) -> dict:
        return {**self.__dict__, "measured_on": self.measured_on.isoformat()}

    @classmethod
    def from_data(cls, data: dict) -> Entry:
        values = {k: data.get(k) for k in cls.__dataclass_fields__}
        values["measured_on"] = dt.date.fromisoformat(values["measured_on"])
        return cls(**values)


@dataclass
class Checked:
    entry: Entry
    child: Child
    assessment: Assessment
    position: str
    problems: list[str] = field(default_factory=list)  # re-check before storing
    previous: list[Measurement] = field(default_factory=list)  # to the end of the entry's month
    notified: int = 0  # bidan told of a referral when it was saved


def date_problem(child: Child, measured_on: dt.date, today: dt.date) -> str | None:
    """The reason a date cannot be a measurement date for this child (template name)."""
    if measured_on > today:
        return "date_future"
    if measured_on < child.birth_date:
        return "date_before_birth"
    if completed_months(child.birth_date, measured_on) >= MAX_AGE_MONTHS:
        return "child_over_60_months"
    return None


async def check(ctx: Context, child: Child, entry: Entry, replacing: int | None = None) -> Checked:
    """Assess an entry and list what needs re-checking; ``replacing`` is the id of the
    measurement a correction replaces (left out of the comparison)."""
    # Two kaders of a posyandu may enter the same child at once. On PostgreSQL the second
    # waits here until the first has committed, then reads its row: asked to re-check, and
    # never a second "latest of the month" (SQLite runs one transaction at a time anyway).
    # One lock per posyandu, not per child, so a batch of many children cannot deadlock.
    await ctx.db.advisory_lock(ctx.session, "measurements", str(child.posyandu_id))
    # Up to the month's end: ``save`` sees whether the month already holds a measurement
    # (later ones are left out of every comparison below).
    month_end = month_bounds(entry.measured_on)[1]
    previous = [m for m in await history(ctx.session, child.id, before=month_end)
                if m.id != replacing]
    position = entry.position or usual_position(child.birth_date, entry.measured_on)
    weighings = [Weighing(m.measured_on, m.weight_kg, m.gain) for m in previous
                 if m.weight_kg is not None and m.measured_on < entry.measured_on]
    assessment = assess_child(
        sex_code(child), child.birth_date, entry.measured_on, entry.weight_kg, entry.lenhei_cm,
        position, armc_cm=entry.armc_cm, headc_cm=entry.headc_cm, previous=weighings,
    )
    problems = range_problems(entry.weight_kg, entry.lenhei_cm, entry.armc_cm, entry.headc_cm)
    last = next((m for m in reversed(previous) if m.measured_on <= entry.measured_on), None)
    if last is not None:
        problems += change_problems(
            entry.measured_on, entry.weight_kg, assessment.clenhei,
            Previous(last.measured_on, last.weight_kg, last.clenhei),
        )
    if not problems:
        problems += [str(reason) for reason in assessment.remeasure_reasons]
    if any(m.measured_on == entry.measured_on for m in previous):
        problems.append("measured_same_day")
    return Checked(entry, child, assessment, position, problems, previous)


async def save(ctx: Context, checked: Checked) -> int:
    """Store the measurement with its results; open a follow-up when the child needs one.
    Returns the new measurement's id."""
    child = checked.child
    place = await posyandu_place(ctx.session, child.posyandu_id)
    result = await ctx.session.execute(_INSERT_MEASUREMENT, {
        "child_id": child.id, "posyandu_id": child.posyandu_id, "desa_code": place.desa_code,
        "entered_by": ctx.user.id, "entered_at": ctx.now, **result_values(checked),
    })
    measurement_id = result.inserted_primary_key[0]
    if same_month(checked.previous, checked.entry.measured_on):
        # Rare (re-measure, back-dated entry): which row is the month's latest changes.
        await refresh_latest_of_month(ctx.session, child.id, [checked.entry.measured_on])
    await ctx.audit("create", "measurement", measurement_id, detail=f"child {child.id}")
    open_follow_up(ctx, checked, measurement_id)
    checked.notified = await notify_bidan(ctx, checked, measurement_id, place)
    return measurement_id


def same_month(measurements: list[Measurement], day: dt.date) -> bool:
    """Whether any of ``measurements`` lies in ``day``'s calendar month. Without one, a new
    measurement is its month's latest as stored (``latest_of_month`` defaults to true)."""
    return any(m.measured_on.year == day.year and m.measured_on.month == day.month
               for m in measurements)


async def notify_bidan(ctx: Context, checked: Checked, measurement_id: int,
                       posyandu: Place) -> int:
    """Queue a referral notice to each bidan of the posyandu's desa (through the outbox)."""
    reasons = [str(r) for r in checked.assessment.referral_reasons]
    if not reasons:
        return 0
    bidans = (await ctx.session.scalars(_BIDANS, {"desa": posyandu.desa_code})).all()
    for bidan in bidans:
        text = templates.render(
            bidan.locale, "measure/referral_notice", child=checked.child, posyandu=posyandu,
            a=checked.assessment, reasons=reasons, entry=checked.entry,
        )
        await outbox.enqueue(
            ctx.session, outbox.Message(text, kind="notice"),
            dedupe_key=f"referral:{measurement_id}:{bidan.id}", chat_id=bidan.chat_id,
            platform=bidan.platform, user_id=bidan.id, now=ctx.now,
        )
    return len(bidans)


def fill(measurement: Measurement, checked: Checked) -> None:
    """Copy the inputs and WHO results of a checked entry onto a measurement row."""
    for name, value in result_values(checked).items():
        setattr(measurement, name, value)


def result_values(checked: Checked) -> dict:
    """The inputs and WHO results of a checked entry, by ``Measurement`` column."""
    entry, a = checked.entry, checked.assessment
    return {
        "measured_on": entry.measured_on,
        "weight_kg": entry.weight_kg, "lenhei_cm": entry.lenhei_cm,
        "position": checked.position if entry.lenhei_cm is not None else None,
        "armc_cm": entry.armc_cm, "headc_cm": entry.headc_cm,
        "oedema": False,
        "age_days": a.age_days, "clenhei": a.clenhei,
        "zlen": a.length_for_age.z, "zwei": a.weight_for_age.z,
        "zwfl": a.weight_for_length.z, "zbmi": a.bmi_for_age.z,
        "flagged": any(i.flagged for i in (a.length_for_age, a.weight_for_age,
                                           a.weight_for_length, a.bmi_for_age)),
        "cat_lhfa": _code(a.length_for_age),
        "cat_wfa": _code(a.weight_for_age),
        "cat_wflh": _code(a.weight_for_length),
        "gain": a.weight_gain.status.value if a.weight_gain else None,
        "two_t": a.two_t, "bgm": a.bgm,
        "stunted": a.stunted,
        "wasted": "wasting" in a.referral_reasons,
    }


def open_follow_up(ctx: Context, checked: Checked, measurement_id: int) -> None:
    reasons = follow_up_reasons(checked.assessment)
    if reasons:
        ctx.session.add(FollowUp(
            child_id=checked.child.id, posyandu_id=checked.child.posyandu_id,
            measurement_id=measurement_id, reasons=",".join(reasons), created_at=ctx.now,
            recheck_on=checked.entry.measured_on + dt.timedelta(days=ctx.settings.followup_days),
        ))


def follow_up_reasons(a: Assessment) -> list[str]:
    reasons = [str(r) for r in a.referral_reasons]
    if a.weight_gain is not None and a.weight_gain.status.value == "T" and "2t" not in reasons:
        reasons.append("t")
    return reasons


def _code(index) -> str | None:
    return index.category.code if index.category is not None else None


def result_reply(ctx: Context, checked: Checked, *, chart: bool | None = None) -> Reply:
    """The status message, with the growth chart drawn later in a worker thread."""
    a, child, entry = checked.assessment, checked.child, checked.entry
    reply = ctx.reply(
        "measure/result", child=child, entry=entry, a=a, position=checked.position,
        advice=advice_keys(a), notified=checked.notified,
    )
    if ctx.settings.charts if chart is None else chart:
        # Lengths on the chart are WHO's corrected ones, as the z-scores use them.
        points = [(m.measured_on, m.weight_kg, m.clenhei) for m in checked.previous
                  if m.measured_on < entry.measured_on]
        points.append((entry.measured_on, entry.weight_kg, a.clenhei))
        reply.image_factory = chart_factory(child, points, ctx.locale)
    return reply


def chart_factory(child: Child, points: list, locale: str):
    """A function drawing the child's chart, run later in a worker thread (plain values only:
    no database objects cross into the thread)."""
    sex, born, name = sex_code(child), child.birth_date, child.name
    return lambda: render_growth_chart(sex, born, points, name, locale=locale)


def advice_keys(a: Assessment) -> list[str]:
    """Which advice templates apply, most urgent first."""
    keys = [str(r) for r in a.referral_reasons]
    if a.weight_gain is not None and a.weight_gain.status.value == "T" and "2t" not in keys:
        keys.append("t")
    wfl = a.weight_for_length.category
    if wfl is not None and wfl.rank >= 3 and not a.weight_for_length.flagged:
        keys.append("overweight")
    return keys or ["good"]
