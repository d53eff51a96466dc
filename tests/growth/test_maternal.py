"""The rules for mothers and brides-to-be, at their edges (DOMAIN.md "Mothers and brides")."""

from __future__ import annotations

import datetime as dt

import pytest

from growth import maternal
from growth.maternal import DEFAULTS, Thresholds


@pytest.mark.parametrize(("weight", "height", "expected"), [
    (45.0, 160.0, "kurus"),  # 17.58
    (47.36, 160.0, "normal"),  # 18.5 exactly is normal
    (64.0, 160.0, "normal"),  # 25.0 exactly is still normal
    (66.0, 160.0, "gemuk"),  # 25.78
    (69.12, 160.0, "gemuk"),  # 27.0 exactly is gemuk
    (70.0, 160.0, "obesitas"),
])
def test_adult_imt_categories(weight, height, expected):
    value = round(maternal.imt(weight, height), 6)
    assert maternal.imt_category(value) == expected


def test_imt_value():
    assert maternal.imt(50, 160) == pytest.approx(19.53, abs=0.01)


@pytest.mark.parametrize(("lila", "kek"), [(23.4, True), (23.5, False), (23.6, False), (20, True)])
def test_kek_below_23_5_only(lila, kek):
    assert maternal.is_kek(lila) is kek


@pytest.mark.parametrize(("hb", "trimester", "anaemic"), [
    (11.0, 1, False), (10.9, 1, True),  # trimester 1: < 11.0
    (10.5, 2, False), (10.4, 2, True), (10.9, 2, False),  # trimester 2: < 10.5
    (11.0, 3, False), (10.99, 3, True),  # trimester 3: < 11.0
    (12.0, None, False), (11.9, None, True),  # not pregnant: WHO < 12.0
])
def test_anaemia_by_trimester(hb, trimester, anaemic):
    assert maternal.is_anaemic(hb, trimester) is anaemic


def test_corrected_non_pregnant_cutoff():
    elsimil = DEFAULTS.with_values({"hb_nonpregnant": 11.5, "unknown": 3})
    assert maternal.is_anaemic(11.6, None, elsimil) is False
    assert maternal.is_anaemic(11.6, None) is True
    assert elsimil.hb_t2 == 10.5


def test_trimester_edges():
    assert [maternal.trimester(w) for w in (0, 13, 14, 27, 28, 41)] == [1, 1, 2, 2, 3, 3]


def test_catin_ideal():
    r = maternal.screen_catin(age=24, sex="P", height_cm=155, weight_kg=50, lila_cm=23.5,
                              hb=12.0, smoking=False)
    assert r.result == maternal.IDEAL and r.reasons == () and r.advice == ()
    assert r.imt_category == "normal"


def test_catin_at_risk_names_each_reason_and_what_to_do():
    r = maternal.screen_catin(age=18, sex="P", height_cm=150, weight_kg=40, lila_cm=22.0,
                              hb=10.8, smoking=True)
    assert r.result == maternal.AT_RISK
    assert r.reasons == ("muda", "kurus", "kek", "anemia", "rokok")
    assert r.advice == ("ttd90", "gizi", "tunda", "rokok", "bidan")


@pytest.mark.parametrize(("age", "reason"), [(19, "muda"), (20, None), (35, None), (36, "tua")])
def test_catin_age_edges(age, reason):
    r = maternal.screen_catin(age=age, sex="P", height_cm=155, weight_kg=50, lila_cm=25,
                              hb=13, smoking=False)
    assert r.reasons == ((reason,) if reason else ())


def test_groom_is_not_judged_by_women_cutoffs():
    r = maternal.screen_catin(age=26, sex="L", height_cm=168, weight_kg=60, lila_cm=None,
                              hb=11.5, smoking=False)
    assert r.result == maternal.IDEAL


def test_only_anaemia_advises_ttd_not_delay_for_old_age():
    r = maternal.screen_catin(age=37, sex="P", height_cm=155, weight_kg=50, lila_cm=25,
                              hb=13, smoking=False)
    assert r.reasons == ("tua",) and r.advice == ("bidan",)


def test_four_t():
    day = dt.date(2026, 11, 20)
    assert maternal.four_t(age=19, children_born=0, last_birth_on=None, day=day) == ("muda",)
    assert maternal.four_t(age=36, children_born=4, last_birth_on=dt.date(2025, 6, 1),
                           day=day) == ("tua", "dekat", "banyak")
    # Exactly 24 months since the last birth is not too close; 3 children is not too many.
    assert maternal.four_t(age=30, children_born=3, last_birth_on=dt.date(2024, 11, 20),
                           day=day) == ()
    assert maternal.four_t(age=30, children_born=3, last_birth_on=dt.date(2024, 11, 21),
                           day=day) == ("dekat",)
    # Unknown facts raise nothing.
    assert maternal.four_t(age=None, children_born=None, last_birth_on=None, day=day) == ()
    strict = DEFAULTS.with_values({"many_children": 2})
    assert maternal.four_t(age=30, children_born=3, last_birth_on=None, day=day,
                           th=strict) == ("banyak",)


@pytest.mark.parametrize(("days", "window"), [
    (0, "KF1"), (2, "KF1"), (3, "KF2"), (7, "KF2"), (8, "KF3"), (28, "KF3"), (29, "KF4"),
    (42, "KF4"), (43, None), (-1, None),
])
def test_kf_windows(days, window):
    assert maternal.kf_window(days) == window


def test_anc_expected_and_behind():
    assert [maternal.anc_expected(w) for w in (5, 13, 14, 27, 28, 40)] == [1, 1, 3, 3, 6, 6]
    assert maternal.anc_behind(10, 0) == 0  # trimester 1 is not over yet
    assert maternal.anc_behind(20, 0) == 1  # trimester 1 passed without a visit
    assert maternal.anc_behind(30, 2) == 1  # 3 were due by the end of trimester 2
    assert maternal.anc_behind(30, 3) == 0


def test_ttd_running_total():
    assert maternal.ttd_total(60, 30) == 90 and maternal.ttd_met(90)
    assert not maternal.ttd_met(89)


def test_threshold_names_and_ranges_agree():
    assert set(Thresholds.names()) == set(maternal.RANGES)
    for name in Thresholds.names():
        low, high = maternal.RANGES[name]
        assert low <= getattr(DEFAULTS, name) <= high
