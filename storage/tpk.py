"""TPK pendampingan: catin screenings, visits, thresholds as data, due visits and report figures.

Programme words: *TPK* (Tim Pendamping Keluarga) accompanies *sasaran* (targets, see
``storage.targets``): *catin* (brides-to-be, screened before the wedding), *ibu hamil*, *ibu
nifas* (the 42 days after a birth, visited in the *KF* windows) and families with a *baduta*
(child under two). *KEK*: LILA < 23.5 cm; *TTD*: iron tablets (90 in a pregnancy); *ANC*:
antenatal check-ups. The rules themselves are in ``growth.maternal``.

- ``Threshold`` rows correct a figure of ``growth.maternal.Thresholds`` for an area subtree
  (``area_code`` "" is the whole country); the most specific area wins.
- ``Screening``: one catin screening (Elsimil's fields and its result with reasons).
- ``Visit``: one TPK visit; ``kind`` says which branch (hamil, nifas, baduta). What reports filter
  on has its own column (flags KEK, anaemia, danger, the TTD running total, the KF window); the
  rest of the answers are in ``details`` (JSON).
- ``due_of``: when a target's next visit (or screening) is due, by its stage; ``desa_list``: a
  TPK's targets with that and their flags; ``tpk_report``: the report section, counted in SQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    and_,
    case,
    distinct,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from growth import maternal
from growth.maternal import DEFAULTS, Thresholds
from storage.models import Base, Child, Measurement, UTCDateTime, utcnow
from storage.targets import BADUTA, BORN, CATIN, HAMIL, KINDS, NIFAS, Target

NATIONAL = ""  # the area_code of a threshold for the whole country
LIST_LIMIT = 40  # targets named in a list; the rest are counted


class Threshold(Base):
    """A corrected figure (``growth.maternal.Thresholds`` field) for an area subtree."""

    __tablename__ = "tpk_thresholds"
    __table_args__ = (UniqueConstraint("name", "area_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    area_code: Mapped[str] = mapped_column(String(16), default=NATIONAL)  # "" = national
    value: Mapped[float] = mapped_column(Float)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Screening(Base):
    """A catin screening (Elsimil): measurements, smoke, and the result with its reasons."""

    __tablename__ = "tpk_screenings"
    __table_args__ = (
        Index("ix_tpk_screenings_target", "target_id", "screened_on"),
        Index("ix_tpk_screenings_desa_date", "desa_code", "screened_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"))
    desa_code: Mapped[str] = mapped_column(String(16))
    screened_on: Mapped[dt.date] = mapped_column(Date)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    self_reported: Mapped[bool] = mapped_column(Boolean, default=False)  # the catin herself
    age_years: Mapped[int] = mapped_column(SmallInteger)
    height_cm: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    imt: Mapped[float | None] = mapped_column(Float)
    lila_cm: Mapped[float | None] = mapped_column(Float)
    hb: Mapped[float | None] = mapped_column(Float)
    smoking: Mapped[str] = mapped_column(String(10))  # tidak, merokok, terpapar
    wedding_date: Mapped[dt.date | None] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(10))  # ideal, berisiko
    reasons: Mapped[str] = mapped_column(String(64), default="")  # comma-separated codes
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Visit(Base):
    """One TPK visit to a target: hamil, nifas or baduta (the branch asked)."""

    __tablename__ = "tpk_visits"
    __table_args__ = (
        Index("ix_tpk_visits_target", "target_id", "visited_on"),
        Index("ix_tpk_visits_desa_date", "desa_code", "visited_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    desa_code: Mapped[str] = mapped_column(String(16))
    visited_on: Mapped[dt.date] = mapped_column(Date)
    tpk_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    week: Mapped[int | None] = mapped_column(SmallInteger)  # hamil: week of pregnancy
    kf: Mapped[str | None] = mapped_column(String(3))  # nifas: KF1..KF4
    lila_cm: Mapped[float | None] = mapped_column(Float)
    hb: Mapped[float | None] = mapped_column(Float)
    kek: Mapped[bool] = mapped_column(Boolean, default=False)
    anaemia: Mapped[bool] = mapped_column(Boolean, default=False)
    ttd_taken: Mapped[int | None] = mapped_column(SmallInteger)  # since the last visit
    ttd_total: Mapped[int | None] = mapped_column(SmallInteger)  # running total in the pregnancy
    anc_done: Mapped[int | None] = mapped_column(SmallInteger)
    danger_signs: Mapped[str] = mapped_column(String(80), default="")  # comma-separated codes
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---------------------------------------------------------------- thresholds


def ancestors(code: str) -> list[str]:
    """The national level and every area above and including ``code``, widest first."""
    parts = code.split(".") if code else []
    return [NATIONAL] + [".".join(parts[: i + 1]) for i in range(len(parts))]


async def threshold_rows(session: AsyncSession, area_code: str) -> dict[str, tuple[float, str]]:
    """name -> (value, area it was set for), the most specific correction for ``area_code``."""
    rows = await session.execute(
        select(Threshold.name, Threshold.area_code, Threshold.value)
        .where(Threshold.area_code.in_(ancestors(area_code)))
    )
    found: dict[str, tuple[float, str]] = {}
    for name, code, value in sorted(rows.all(), key=lambda r: len(r[1])):
        found[name] = (value, code)
    return found


async def thresholds_for(session: AsyncSession, area_code: str) -> Thresholds:
    rows = await threshold_rows(session, area_code)
    return DEFAULTS.with_values({name: value for name, (value, _) in rows.items()})


async def set_threshold(session: AsyncSession, name: str, value: float, area_code: str,
                        user_id: int | None, now: dt.datetime) -> None:
    """Correct one figure for an area subtree (raises ValueError for an unknown name or a value
    outside its plausible range)."""
    if name not in Thresholds.names():
        raise ValueError(f"unknown threshold {name}")
    low, high = maternal.RANGES[name]
    if not low <= value <= high:
        raise ValueError(f"{name} must lie between {low} and {high}")
    row = await session.scalar(
        select(Threshold).where(Threshold.name == name, Threshold.area_code == area_code)
    )
    if row is None:
        session.add(Threshold(name=name, area_code=area_code, value=value, set_by=user_id,
                              set_at=now))
    else:
        row.value, row.set_by, row.set_at = value, user_id, now


# ---------------------------------------------------------------- due visits

OVERDUE, DUE, LATER, NONE = "overdue", "due", "later", "none"


@dataclass(frozen=True)
class Due:
    status: str  # overdue (deadline passed), due (this week), later, none (nothing to do)
    due_on: dt.date | None = None
    deadline: dt.date | None = None
    what: str = "visit"  # visit, screening, KF1..KF4
    missed: tuple[str, ...] = ()  # nifas: KF windows that passed without a visit


def due_of(target: Target, today: dt.date, th: Thresholds, *, last_visit: dt.date | None,
           screened: bool, kf_done: set[str] | frozenset = frozenset()) -> Due:
    """When the target's next visit or screening is due, by stage (intervals are thresholds).

    - catin: one screening, due ``catin_screen_days`` before the wedding (at once when the
      wedding date is unknown); nothing once screened.
    - hamil / baduta: every ``visit_*_days`` after the last visit (at once when never visited).
    - nifas: each KF window in turn, due from its first day, overdue after its last; a window
      that passed without a visit is ``missed``, and keeps the target overdue (the visit is
      still owed: it counts for the window it falls in) until a visit is made after it. The
      windows follow each other with no gap, so "until the next window starts" means "until
      the next window is visited"; after day 42 nothing is due (the weekly job ends the stage).
    "due" means due by the end of the 7-day week starting ``today``.
    """
    week_end = today + dt.timedelta(days=6)
    registered = target.created_at.date() if target.created_at else today

    def status(due_on: dt.date, deadline: dt.date, what: str, missed=()) -> Due:
        if deadline < today:
            return Due(OVERDUE, due_on, deadline, what, missed)
        if due_on <= week_end:
            return Due(DUE, due_on, deadline, what, missed)
        return Due(LATER, due_on, deadline, what, missed)

    if target.kind == CATIN:
        if screened:
            return Due(NONE, what="screening")
        if target.wedding_date is None:
            return status(registered, registered, "screening")
        due_on = target.wedding_date - dt.timedelta(days=int(th.catin_screen_days))
        return status(due_on, due_on, "screening")
    if target.kind == NIFAS:
        if target.delivered_on is None:
            return status(registered, registered, "visit")
        missed = []
        missed_end: dt.date | None = None  # the last day of the latest missed window
        for name, first, last in maternal.kf_dates(target.delivered_on):
            if name in kf_done:
                continue
            if last < today:
                if last >= registered:  # before the TPK knew her, nothing was missed
                    missed.append(name)
                    missed_end = last
                continue
            if missed_end is not None and (last_visit is None or last_visit <= missed_end):
                # A missed window and no visit since: overdue, due now in this window.
                return Due(OVERDUE, first, last, name, tuple(missed))
            return status(first, last, name, tuple(missed))
        return Due(NONE, what="visit", missed=tuple(missed))
    interval = th.visit_hamil_days if target.kind == HAMIL else th.visit_baduta_days
    due_on = last_visit + dt.timedelta(days=int(interval)) if last_visit else registered
    return status(due_on, due_on, "visit")


@dataclass
class TargetLine:
    """One target in a TPK's list: who, the stage, what is due, and the risk flags."""

    target: Target
    due: Due
    flags: list[str] = field(default_factory=list)
    last_visit: dt.date | None = None

    @property
    def order(self) -> tuple:
        rank = {OVERDUE: 0, DUE: 1, LATER: 2, NONE: 3}[self.due.status]
        return (rank, self.due.due_on or dt.date.max, (self.target.name or "").lower())


def active_in(desa_code: str):
    return and_(Target.desa_code == desa_code, Target.ended_on.is_(None))


async def desa_list(session: AsyncSession, desa_code: str, today: dt.date,
                    th: Thresholds | None = None) -> list[TargetLine]:
    """Every active target of a desa with what is due and its flags, most urgent first.

    A desa has tens to a few hundred targets: each query below is one statement for all of them.
    """
    th = th or await thresholds_for(session, desa_code)
    targets = list((await session.scalars(
        select(Target).where(active_in(desa_code)).order_by(Target.id)
    )).all())
    if not targets:
        return []
    ids = [t.id for t in targets]
    last_visits = dict((await session.execute(
        select(Visit.target_id, func.max(Visit.visited_on))
        .where(Visit.target_id.in_(ids)).group_by(Visit.target_id)
    )).all())
    kf_done: dict[int, set[str]] = {}
    for target_id, kf in await session.execute(
        select(Visit.target_id, Visit.kf).where(Visit.target_id.in_(ids), Visit.kf.is_not(None))
    ):
        kf_done.setdefault(target_id, set()).add(kf)
    latest = await latest_flags(session, ids)
    screenings = await latest_screenings(session, ids)
    lines = []
    for target in targets:
        screening = screenings.get(target.id)
        due = due_of(target, today, th, last_visit=last_visits.get(target.id),
                     screened=screening is not None, kf_done=kf_done.get(target.id, set()))
        flags = risk_flags(target, today, th, latest.get(target.id), screening, due)
        lines.append(TargetLine(target, due, flags, last_visits.get(target.id)))
    lines.sort(key=lambda line: line.order)
    return lines


async def latest_flags(session: AsyncSession, target_ids: list[int]) -> dict[int, Visit]:
    """Each target's latest visit."""
    newest = (
        select(Visit.target_id, func.max(Visit.id).label("id"))
        .where(Visit.target_id.in_(target_ids)).group_by(Visit.target_id).subquery()
    )
    rows = await session.scalars(select(Visit).join(newest, newest.c.id == Visit.id))
    return {v.target_id: v for v in rows}


async def latest_screenings(session: AsyncSession, target_ids: list[int]) -> dict[int, Screening]:
    newest = (
        select(Screening.target_id, func.max(Screening.id).label("id"))
        .where(Screening.target_id.in_(target_ids)).group_by(Screening.target_id).subquery()
    )
    rows = await session.scalars(select(Screening).join(newest, newest.c.id == Screening.id))
    return {s.target_id: s for s in rows}


def risk_flags(target: Target, today: dt.date, th: Thresholds, visit: Visit | None,
               screening: Screening | None, due: Due) -> list[str]:
    """Codes of what the TPK should know before a visit (templates name them)."""
    flags: list[str] = []
    if screening is not None and screening.reasons:
        flags += [f"catin_{code}" for code in screening.reasons.split(",")]
    if target.kind == HAMIL:
        age = maternal.age_years(target.birth_date, today) if target.birth_date else None
        flags += [f"4t_{code}" for code in maternal.four_t(
            age=age, children_born=target.children_born, last_birth_on=target.last_birth_on,
            day=today, th=th)]
    if visit is not None and visit.kind == target.kind:
        if visit.kek:
            flags.append("kek")
        if visit.anaemia:
            flags.append("anemia")
        if visit.danger_signs:
            flags.append("danger")
        if target.kind == HAMIL and visit.week is not None and visit.anc_done is not None \
                and maternal.anc_behind(current_week(target, today) or visit.week, visit.anc_done):
            flags.append("anc_behind")
    flags += [f"missed_{name}" for name in due.missed]
    return flags


def current_week(target: Target, today: dt.date) -> int | None:
    hpht = target.hpht or (target.due_date - dt.timedelta(days=280) if target.due_date else None)
    return maternal.week_of(hpht, today) if hpht else None


async def target_visits(session: AsyncSession, target_id: int, limit: int = 3) -> list[Visit]:
    rows = await session.scalars(
        select(Visit).where(Visit.target_id == target_id)
        .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(limit)
    )
    return list(rows.all())


async def last_hamil_totals(session: AsyncSession, target_id: int) -> tuple[int, int]:
    """(TTD running total, ANC visits) as of the latest visit of this pregnancy."""
    row = (await session.execute(
        select(Visit.ttd_total, Visit.anc_done).where(Visit.target_id == target_id,
                                                      Visit.kind == HAMIL)
        .order_by(Visit.visited_on.desc(), Visit.id.desc()).limit(1)
    )).first()
    return (row[0] or 0, row[1] or 0) if row else (0, 0)


async def latest_measurement(session: AsyncSession, child_id: int | None) -> Measurement | None:
    if child_id is None:
        return None
    return await session.scalar(
        select(Measurement).where(Measurement.child_id == child_id)
        .order_by(Measurement.measured_on.desc(), Measurement.id.desc()).limit(1)
    )


async def children_of_desa(session: AsyncSession, desa_code: str) -> list[tuple[int, str]]:
    """(id, name) of the children registered at the desa's posyandu."""
    from storage.models import Posyandu

    rows = await session.execute(
        select(Child.id, Child.name).join(Posyandu, Posyandu.id == Child.posyandu_id)
        .where(Posyandu.desa_code == desa_code).order_by(Child.name)
    )
    return list(rows.all())


# ---------------------------------------------------------------- report


@dataclass
class TpkReport:
    """The TPK section of a coordinator's monthly report for an area subtree."""

    area_code: str
    month: dt.date  # first day of the month
    targets: dict[str, int]  # active targets in the month by group (catin, hamil, nifas, baduta)
    visits: int  # visits made in the month
    visited: int  # hamil/nifas/baduta targets visited at least once in the month
    due: int  # hamil/nifas/baduta targets active in the month (each due at least one visit)
    weddings: int  # catin whose wedding falls in the month
    screened_before_wedding: int  # of those, screened on or before the wedding day
    screenings: int  # screenings done in the month
    at_risk: int  # of those, berisiko
    reasons: dict[str, int]  # reason code -> screenings of the month naming it
    hamil_visited: int  # ibu hamil visited in the month
    kek: int  # of those, with KEK at a visit of the month
    anaemia: int  # with anaemia at a visit of the month
    kek_or_anaemia: int
    ttd_due: int  # ibu hamil whose HPL falls in the month
    ttd_met: int  # of those, TTD running total >= the target (90)
    danger: int  # visits of the month with a danger sign (each told to the bidan)

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return 100.0 * part / whole if whole else None


REASON_CODES = (maternal.YOUNG, maternal.OLD, maternal.THIN, maternal.KEK, maternal.ANAEMIA,
                maternal.SMOKE)


def _has_code(column, code: str):
    """``code`` is one of the comma-separated codes in ``column`` (portable SQL)."""
    return (literal(",") + column + literal(",")).like(f"%,{code},%")


async def tpk_report(session: AsyncSession, area_code: str, month: dt.date) -> TpkReport:
    """Figures for the area subtree ``area_code`` and the month of ``month``, counted in SQL."""
    from storage.access import in_subtree  # storage.access imports the models: import late

    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    in_area = in_subtree(Target.desa_code, area_code)
    month_end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
    active = and_(in_area, Target.created_at < month_end,
                  or_(Target.ended_on.is_(None), Target.ended_on >= first))
    by_kind = dict((await session.execute(
        select(Target.kind, func.count()).where(active).group_by(Target.kind)
    )).all())
    targets = {kind: by_kind.get(kind, 0) for kind in KINDS}

    visit_in_month = and_(in_subtree(Visit.desa_code, area_code),
                          Visit.visited_on.between(first, last))
    visits, visited, danger = (await session.execute(
        select(func.count(Visit.id), func.count(distinct(Visit.target_id)),
               func.count(case((Visit.danger_signs != "", Visit.id))))
        .where(visit_in_month)
    )).one()
    due = sum(targets[kind] for kind in (HAMIL, NIFAS, BADUTA))

    screened = (
        select(Screening.id).where(Screening.target_id == Target.id,
                                   Screening.screened_on <= Target.wedding_date)
        .exists()
    )
    weddings, screened_before = (await session.execute(
        select(func.count(Target.id), func.count(case((screened, Target.id))))
        .where(in_area, Target.kind == CATIN, Target.wedding_date.between(first, last))
    )).one()

    screening_in_month = and_(in_subtree(Screening.desa_code, area_code),
                              Screening.screened_on.between(first, last))
    columns = [func.count(Screening.id),
               func.count(case((Screening.result == maternal.AT_RISK, Screening.id)))]
    columns += [func.count(case((_has_code(Screening.reasons, code), Screening.id)))
                for code in REASON_CODES]
    screenings, at_risk, *reason_counts = (await session.execute(
        select(*columns).where(screening_in_month)
    )).one()

    hamil_visits = and_(visit_in_month, Visit.kind == HAMIL)
    hamil_visited, kek, anaemia, either = (await session.execute(
        select(func.count(distinct(Visit.target_id)),
               func.count(distinct(case((Visit.kek, Visit.target_id)))),
               func.count(distinct(case((Visit.anaemia, Visit.target_id)))),
               func.count(distinct(case((or_(Visit.kek, Visit.anaemia), Visit.target_id)))))
        .where(hamil_visits)
    )).one()

    th = await thresholds_for(session, area_code)
    best_total = (
        select(func.max(Visit.ttd_total)).where(Visit.target_id == Target.id, Visit.kind == HAMIL)
        .scalar_subquery()
    )
    ttd_due, ttd_met = (await session.execute(
        select(func.count(Target.id),
               func.count(case((func.coalesce(best_total, 0) >= th.ttd_target, Target.id))))
        .where(in_area, Target.kind == HAMIL, Target.due_date.between(first, last),
               or_(Target.ended_on.is_(None), Target.end_reason == BORN))
    )).one()
    return TpkReport(
        area_code=area_code, month=first, targets=targets, visits=visits, visited=visited,
        due=due, weddings=weddings, screened_before_wedding=screened_before,
        screenings=screenings, at_risk=at_risk,
        reasons=dict(zip(REASON_CODES, reason_counts, strict=True)),
        hamil_visited=hamil_visited, kek=kek, anaemia=anaemia, kek_or_anaemia=either,
        ttd_due=ttd_due, ttd_met=ttd_met, danger=danger,
    )


def report_rows(report: TpkReport, label) -> list[list[Any]]:
    """The section as spreadsheet rows [indicator, value, of, percent]; ``label(key)`` names an
    indicator in the reader's language (``templates.render(locale, "tpk/report_label", ...)``)."""

    def row(key: str, value: int, whole: int | None = None) -> list[Any]:
        share = report.share(value, whole) if whole is not None else None
        return [label(key), value, whole, round(share, 1) if share is not None else None]

    rows = [row(f"targets_{kind}", report.targets[kind]) for kind in KINDS]
    rows += [
        row("visited", report.visited, report.due),
        row("visits", report.visits),
        row("screened_before_wedding", report.screened_before_wedding, report.weddings),
        row("at_risk", report.at_risk, report.screenings),
    ]
    rows += [row(f"reason_{code}", report.reasons[code], report.screenings)
             for code in REASON_CODES]
    rows += [
        row("kek", report.kek, report.hamil_visited),
        row("anaemia", report.anaemia, report.hamil_visited),
        row("kek_or_anaemia", report.kek_or_anaemia, report.hamil_visited),
        row("ttd_met", report.ttd_met, report.ttd_due),
        row("danger", report.danger, report.visits),
    ]
    return rows


# ---------------------------------------------------------------- duplicates, erasure, nifas end


def same_name(a: str, b: str) -> bool:
    """Case and spacing do not make another person; a one-letter slip does not either
    (``rapidfuzz`` ratio of at least 90 on names of 8 letters or more)."""
    from rapidfuzz import fuzz

    a, b = " ".join(a.casefold().split()), " ".join(b.casefold().split())
    return a == b or (min(len(a), len(b)) >= 8 and fuzz.ratio(a, b) >= 90)


async def duplicates(session: AsyncSession, desa_code: str, kind: str, name: str,
                     birth_date: dt.date | None) -> list[Target]:
    """Active targets of the desa of the same kind that look like the same person: the same
    name (``same_name``) and, when both are known, the same birth date."""
    rows = await session.scalars(
        select(Target).where(active_in(desa_code), Target.kind == kind,
                             Target.name.is_not(None)).order_by(Target.id)
    )
    return [t for t in rows if same_name(t.name, name)
            and (birth_date is None or t.birth_date is None or t.birth_date == birth_date)]


async def erase_target(session: AsyncSession, target: Target, day: dt.date) -> dict[str, int]:
    """Erase a TPK-recorded target (``storage.targets.anonymise``). Her screenings and visits
    stay, anonymous (measurements, codes and dates, no name): the month's TPK report counts
    them, as a child's measurements stay after /hapusdata. The danger notices already sent to
    the bidan name her: their stored text is replaced; one still waiting is sent first (a
    danger sign must reach the bidan). Returns counts for the audit log."""
    from sqlalchemy import update

    from storage.outbox import PENDING, SENDING, OutboxMessage
    from storage.targets import ERASED_NAME, anonymise

    visit_ids = list((await session.scalars(
        select(Visit.id).where(Visit.target_id == target.id))).all())
    notices = 0
    for visit_id in visit_ids:
        result = await session.execute(
            update(OutboxMessage).where(
                OutboxMessage.dedupe_key.like(f"tpk-danger:{visit_id}:%"),
                OutboxMessage.status.not_in((PENDING, SENDING)))
            .values(text=ERASED_NAME).execution_options(synchronize_session=False))
        notices += result.rowcount or 0
    screenings = await session.scalar(
        select(func.count()).select_from(Screening).where(Screening.target_id == target.id))
    anonymise(target, day)
    return {"visits": len(visit_ids), "screenings": screenings or 0, "notices": notices}


async def end_finished_nifas(session: AsyncSession, desa_codes, today: dt.date) -> int:
    """End (reason DONE, on day 42) the nifas stages of these desas whose 42 days are over."""
    from storage.targets import DONE, NIFAS_DAYS, end

    cutoff = today - dt.timedelta(days=NIFAS_DAYS)
    rows = (await session.scalars(
        select(Target).where(Target.kind == NIFAS, Target.ended_on.is_(None),
                             Target.delivered_on < cutoff, Target.desa_code.in_(desa_codes))
    )).all()
    for target in rows:
        end(target, target.delivered_on + dt.timedelta(days=NIFAS_DAYS), DONE)
    return len(rows)
