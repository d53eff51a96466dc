"""storage.tpk: when each target is due, thresholds by area, and the report section against a
hand-computed fixture."""

from __future__ import annotations

import datetime as dt

import pytest

import templates
from growth.maternal import DEFAULTS
from storage.targets import Target
from storage.tpk import (
    DUE,
    LATER,
    NONE,
    OVERDUE,
    Screening,
    Visit,
    desa_list,
    due_of,
    report_rows,
    set_threshold,
    thresholds_for,
    tpk_report,
)

UTC = dt.UTC
TODAY = dt.date(2026, 11, 20)
DESA_A, DESA_B = "36.02.01.2001", "36.02.02.2003"


def target(kind, created=dt.date(2026, 11, 1), **values) -> Target:
    return Target(kind=kind, desa_code=DESA_A,
                  created_at=dt.datetime.combine(created, dt.time(3), UTC), **values)


@pytest.mark.parametrize(("wedding", "status", "due_on"), [
    (dt.date(2027, 2, 15), OVERDUE, dt.date(2026, 11, 17)),  # 3 months before passed
    (dt.date(2027, 2, 20), DUE, dt.date(2026, 11, 22)),  # inside this week
    (dt.date(2027, 6, 1), LATER, dt.date(2027, 3, 3)),
])
def test_catin_screening_due_90_days_before_the_wedding(wedding, status, due_on):
    due = due_of(target("catin", wedding_date=wedding), TODAY, DEFAULTS, last_visit=None,
                 screened=False)
    assert (due.status, due.due_on, due.what) == (status, due_on, "screening")


def test_screened_catin_is_not_due_and_unknown_wedding_is_due_now():
    catin = target("catin", wedding_date=dt.date(2027, 1, 1))
    assert due_of(catin, TODAY, DEFAULTS, last_visit=None, screened=True).status == NONE
    undated = target("catin", created=TODAY)
    assert due_of(undated, TODAY, DEFAULTS, last_visit=None, screened=False).status == DUE


@pytest.mark.parametrize(("last", "status"), [
    (None, OVERDUE),  # registered 1 November, never visited
    (dt.date(2026, 10, 1), OVERDUE),  # due 31 October
    (dt.date(2026, 10, 25), DUE),  # due 24 November, this week
    (dt.date(2026, 11, 15), LATER),
])
def test_hamil_monthly(last, status):
    due = due_of(target("hamil"), TODAY, DEFAULTS, last_visit=last, screened=False)
    assert due.status == status


def test_interval_is_data():
    fortnightly = DEFAULTS.with_values({"visit_hamil_days": 14})
    due = due_of(target("hamil"), TODAY, fortnightly, last_visit=dt.date(2026, 11, 10),
                 screened=False)
    assert (due.status, due.due_on) == (DUE, dt.date(2026, 11, 24))


def test_nifas_by_kf_windows():
    mother = target("nifas", created=dt.date(2026, 11, 16), delivered_on=dt.date(2026, 11, 16))
    due = due_of(mother, TODAY, DEFAULTS, last_visit=None, screened=False)
    # KF1 (days 0-2) passed without a visit: overdue, the visit owed now counts for KF2.
    assert (due.status, due.what, due.due_on, due.deadline) == (
        OVERDUE, "KF2", dt.date(2026, 11, 19), dt.date(2026, 11, 23))
    assert due.missed == ("KF1",)
    # Visited in KF2 after the miss: the miss stays a flag, the next window is what is due.
    caught_up = due_of(mother, TODAY, DEFAULTS, last_visit=TODAY, screened=False,
                       kf_done={"KF2"})
    assert (caught_up.status, caught_up.what, caught_up.missed) == (DUE, "KF3", ("KF1",))
    # Visited in KF1, then KF2 missed: overdue again in KF3 until the next visit.
    later = dt.date(2026, 11, 25)
    again = due_of(mother, later, DEFAULTS, last_visit=dt.date(2026, 11, 17), screened=False,
                   kf_done={"KF1"})
    assert (again.status, again.what, again.deadline, again.missed) == (
        OVERDUE, "KF3", dt.date(2026, 12, 14), ("KF2",))
    # After day 42 nothing is due, missed or not.
    assert due_of(mother, dt.date(2026, 12, 29), DEFAULTS, last_visit=None,
                  screened=False).status == NONE
    visited = due_of(mother, TODAY, DEFAULTS, last_visit=TODAY, screened=False,
                     kf_done={"KF1", "KF2"})
    assert (visited.status, visited.what, visited.due_on, visited.missed) == (
        DUE, "KF3", dt.date(2026, 11, 24), ())  # KF3 opens on day 8, inside this week
    # Registered after KF1 closed: KF1 was not the TPK's to miss.
    late = target("nifas", created=dt.date(2026, 11, 20), delivered_on=dt.date(2026, 11, 16))
    assert due_of(late, TODAY, DEFAULTS, last_visit=None, screened=False).missed == ()
    over = target("nifas", delivered_on=dt.date(2026, 9, 1))
    assert due_of(over, TODAY, DEFAULTS, last_visit=None, screened=False).status == NONE


async def test_most_specific_threshold_wins(db, world, clock):
    async with db.transaction() as session:
        await set_threshold(session, "hb_nonpregnant", 11.5, "", None, clock.now)
        await set_threshold(session, "hb_nonpregnant", 11.0, "36.02", None, clock.now)
        await set_threshold(session, "hb_nonpregnant", 11.2, "36.02", None, clock.now)  # update
        with pytest.raises(ValueError):
            await set_threshold(session, "hb_nonpregnant", 115, "36.02", None, clock.now)
        with pytest.raises(ValueError):
            await set_threshold(session, "nope", 1, "36.02", None, clock.now)
    async with db.transaction() as session:
        assert (await thresholds_for(session, DESA_A)).hb_nonpregnant == 11.2
        assert (await thresholds_for(session, "94.71.01.1001")).hb_nonpregnant == 11.5
        assert (await thresholds_for(session, DESA_A)).hb_t2 == 10.5


async def test_desa_list_flags(db, world, clock):
    async with db.transaction() as session:
        mother = target("hamil", name="Rina", birth_date=dt.date(2008, 1, 1), children_born=4,
                        hpht=dt.date(2026, 5, 1))
        other = target("hamil", name="Luar", hpht=dt.date(2026, 5, 1))
        other.desa_code = DESA_B
        session.add_all([mother, other])
        await session.flush()
        session.add(Visit(target_id=mother.id, kind="hamil", desa_code=DESA_A,
                          visited_on=dt.date(2026, 11, 1), week=26, kek=True, anaemia=True,
                          anc_done=1, danger_signs="bengkak", details={}, created_at=clock.now))
    async with db.transaction() as session:
        [line] = await desa_list(session, DESA_A, TODAY)
    assert line.target.name == "Rina" and line.due.status == LATER
    assert line.flags == ["4t_muda", "4t_banyak", "kek", "anemia", "danger", "anc_behind"]


# ---------------------------------------------------------------- the report section


async def report_fixture(db, clock):
    """Targets and records of November 2026 (see the expected figures in the test)."""
    def add(session, kind, created, desa=DESA_A, **values):
        t = Target(kind=kind, desa_code=desa,
                   created_at=dt.datetime.combine(created, dt.time(3), UTC), **values)
        session.add(t)
        return t

    def visit(session, t, day, **values):
        values.setdefault("danger_signs", "")
        session.add(Visit(target_id=t.id, kind=t.kind, desa_code=t.desa_code, visited_on=day,
                          details={}, created_at=clock.now, **values))

    def screening(session, t, day, result, reasons=""):
        session.add(Screening(target_id=t.id, desa_code=t.desa_code, screened_on=day,
                              age_years=22, smoking="tidak", result=result, reasons=reasons,
                              created_at=clock.now))

    async with db.transaction() as session:
        t1 = add(session, "hamil", dt.date(2026, 10, 1), due_date=dt.date(2026, 11, 15))
        t2 = add(session, "hamil", dt.date(2026, 10, 1), due_date=dt.date(2027, 3, 1))
        t3 = add(session, "hamil", dt.date(2026, 9, 1), due_date=dt.date(2026, 11, 25),
                 ended_on=dt.date(2026, 11, 20), end_reason="lahir")
        add(session, "hamil", dt.date(2026, 12, 5))  # after the month
        t5 = add(session, "nifas", dt.date(2026, 11, 2), delivered_on=dt.date(2026, 11, 1))
        add(session, "baduta", dt.date(2026, 6, 1))
        t7 = add(session, "catin", dt.date(2026, 9, 1), wedding_date=dt.date(2026, 11, 28))
        t8 = add(session, "catin", dt.date(2026, 9, 1), wedding_date=dt.date(2026, 11, 5))
        t9 = add(session, "catin", dt.date(2026, 9, 1), wedding_date=dt.date(2026, 12, 20))
        add(session, "catin", dt.date(2026, 8, 1), ended_on=dt.date(2026, 10, 20),
            end_reason="menikah")
        t11 = add(session, "hamil", dt.date(2026, 10, 1), desa=DESA_B,
                  due_date=dt.date(2026, 11, 10))  # another kecamatan
        await session.flush()
        visit(session, t1, dt.date(2026, 10, 5), ttd_total=60)
        visit(session, t1, dt.date(2026, 11, 3), ttd_total=95, kek=True)
        visit(session, t2, dt.date(2026, 11, 10), anaemia=True, danger_signs="perdarahan")
        visit(session, t3, dt.date(2026, 10, 20), ttd_total=80)
        visit(session, t5, dt.date(2026, 11, 4), kf="KF2")
        visit(session, t11, dt.date(2026, 11, 4), kek=True, ttd_total=100)
        screening(session, t7, dt.date(2026, 11, 1), "berisiko", "kek,anemia")
        screening(session, t8, dt.date(2026, 11, 10), "ideal")
        screening(session, t9, dt.date(2026, 11, 15), "berisiko", "muda")


async def test_report_section_against_hand_computed_figures(db, world, clock):
    await report_fixture(db, clock)
    async with db.transaction() as session:
        r = await tpk_report(session, "36.02.01", dt.date(2026, 11, 17))
    assert r.month == dt.date(2026, 11, 1)
    assert r.targets == {"catin": 3, "hamil": 3, "nifas": 1, "baduta": 1}
    assert (r.visits, r.visited, r.due, r.danger) == (3, 3, 5, 1)
    assert (r.weddings, r.screened_before_wedding) == (2, 1)
    assert (r.screenings, r.at_risk) == (3, 2)
    assert r.reasons == {"muda": 1, "tua": 0, "kurus": 0, "kek": 1, "anemia": 1, "rokok": 0}
    assert (r.hamil_visited, r.kek, r.anaemia, r.kek_or_anaemia) == (2, 1, 1, 2)
    assert (r.ttd_due, r.ttd_met) == (2, 1)
    # The kabupaten sees the other kecamatan's mother too.
    async with db.transaction() as session:
        lebak = await tpk_report(session, "36.02", dt.date(2026, 11, 1))
    assert lebak.targets["hamil"] == 4 and lebak.kek == 2 and (lebak.ttd_due, lebak.ttd_met) == (3, 2)
    async with db.transaction() as session:
        empty = await tpk_report(session, "94", dt.date(2026, 11, 1))
    assert empty.visits == 0 and empty.share(empty.visited, empty.due) is None


async def test_report_chat_text_and_rows(db, world, clock):
    await report_fixture(db, clock)
    async with db.transaction() as session:
        r = await tpk_report(session, "36.02.01", dt.date(2026, 11, 1))
    text = templates.render("id", "tpk/report", r=r)
    assert "Dikunjungi: 3 dari 5 sasaran (60%)" in text
    assert "diskrining sebelum menikah 1 (50%)" in text
    assert "KEK atau anemia 2 (100%)" in text and "TTD ≥ 90: 1 dari 2" in text
    assert "Family assistance" in templates.render("en", "tpk/report", r=r)
    rows = report_rows(r, lambda key: templates.render("id", "tpk/report_label", key=key))
    assert rows[0] == ["Sasaran catin", 3, None, None]
    assert ["Catin diskrining sebelum menikah", 1, 2, 50.0] in rows
    assert ["Ibu hamil (HPL bulan ini) TTD ≥ 90", 1, 2, 50.0] in rows
