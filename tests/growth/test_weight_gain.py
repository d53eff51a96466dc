from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from growth.weight_gain import (
    GainStatus,
    Weighing,
    assess_weight_gain,
    is_bgm,
    kbm_for_age,
    load_kbm,
)

BORN = date(2023, 1, 10)


@pytest.mark.parametrize(
    ("months", "grams"),
    [(0, None), (1, 800), (2, 900), (3, 800), (4, 600), (5, 500), (6, 400), (7, 300),
     (10, 300), (11, 200), (60, 200), (61, None)],
)  # fmt: skip
def test_kbm_table(months: int, grams: int | None) -> None:
    assert kbm_for_age(months) == grams


def test_kbm_from_other_file(tmp_path: Path) -> None:
    path = tmp_path / "kbm.csv"
    path.write_text("# corrected\nage_months_from,age_months_to,min_gain_g\n1,60,100\n")
    table = load_kbm(path)
    assert kbm_for_age(7, table) == 100
    path.write_text("age_months_from,age_months_to,min_gain_g\n1,x,100\n")
    with pytest.raises(ValueError, match="bad KBM row"):
        load_kbm(path)


def test_first_weighing_is_b() -> None:
    r = assess_weight_gain(BORN, date(2023, 6, 10), 7.0, [])
    assert r.status is GainStatus.B and r.gain_g is None


def test_same_month_only_is_b() -> None:
    r = assess_weight_gain(BORN, date(2023, 6, 20), 7.0, [Weighing(date(2023, 6, 2), 6.9)])
    assert r.status is GainStatus.B


def test_missed_last_month_is_o() -> None:
    r = assess_weight_gain(BORN, date(2023, 6, 10), 7.0, [Weighing(date(2023, 4, 10), 6.0)])
    assert r.status is GainStatus.O


def test_n_at_exactly_kbm_despite_float_noise() -> None:
    # 5 completed months -> KBM 500 g; 7.3 - 6.8 is 0.49999999999999956 kg in floating point
    r = assess_weight_gain(BORN, date(2023, 6, 10), 7.3, [Weighing(date(2023, 5, 10), 6.8)])
    assert (r.status, r.gain_g, r.kbm_g) == (GainStatus.N, 500, 500)


def test_t_below_kbm_and_latest_of_last_month_used() -> None:
    previous = [Weighing(date(2023, 5, 2), 6.0), Weighing(date(2023, 5, 25), 6.9)]
    r = assess_weight_gain(BORN, date(2023, 6, 10), 7.3, previous)
    assert r.status is GainStatus.T and r.gain_g == 400 and r.compared_with == date(2023, 5, 25)


def test_falling_is_t_and_2t() -> None:
    previous = [Weighing(date(2024, 2, 10), 9.0, "T")]
    r = assess_weight_gain(BORN, date(2024, 3, 9), 8.9, previous)
    assert r.status is GainStatus.T and r.two_t
    r = assess_weight_gain(BORN, date(2024, 3, 9), 8.9, [Weighing(date(2024, 2, 10), 9.0, "N")])
    assert r.status is GainStatus.T and not r.two_t


def test_last_month_across_year_boundary() -> None:
    r = assess_weight_gain(BORN, date(2024, 1, 5), 9.5, [Weighing(date(2023, 12, 20), 9.2)])
    assert r.status is GainStatus.N and r.kbm_g == 200


def test_bgm() -> None:
    assert is_bgm(-3.01) and not is_bgm(-3.0) and not is_bgm(None) and not is_bgm(float("nan"))
