"""``zscores_one`` (the bot's one-child path) gives exactly the doubles of ``compute_zscores``."""

from __future__ import annotations

import math
from unittest import mock

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from growth import zscores
from growth.zscores import (
    LYING,
    OUTPUT_COLUMNS,
    STANDING,
    compute_zscores,
    measure_codes,
    oedema_mask,
    sex_codes,
    zscores_one,
)
from tests.growth.test_reference import _column, _mismatches, _strings

MEASUREMENTS = ("weight", "lenhei", "headc", "armc", "triskin", "subskin")


def _array_row(sex: int, days: float, measure: int, oedema: bool, **values: float) -> dict:
    result = compute_zscores(
        sex=np.array([sex], np.int8), age_days=np.array([days], np.float64),
        measure=np.array([measure], np.int8), oedema=np.array([oedema]),
        **{name: np.array([values[name]], np.float64) for name in MEASUREMENTS},
    )  # fmt: skip
    return {name: float(v[0]) for name, v in result.items()}


def _identical(a: float, b: float) -> bool:
    """The same double, sign of zero included (-0.0 is shown as "-0,00"); NaN equals NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _differences(expected: dict, got: dict) -> list[str]:
    """Columns whose values are not the same double."""
    assert set(got) == set(OUTPUT_COLUMNS)
    return [f"{name}: arrays {expected[name]!r}, one {got[name]!r}" for name in OUTPUT_COLUMNS
            if not _identical(expected[name], got[name])]


def unrounded():
    """Both paths without the rounding to 2 decimals: the raw z-scores must agree too."""
    return mock.patch.multiple(zscores, r_round2=lambda z: z, _round2=lambda z: z)


def _same(sex: int, days: float, measure: int, oedema: bool, **values: float) -> None:
    expected = _array_row(sex, days, measure, oedema, **values)
    got = zscores_one(sex, days, measure=measure, oedema=oedema, **values)
    assert not _differences(expected, got), (sex, days, measure, oedema, values)
    with unrounded():
        expected = _array_row(sex, days, measure, oedema, **values)
        got = zscores_one(sex, days, measure=measure, oedema=oedema, **values)
    assert not _differences(expected, got), ("unrounded", sex, days, measure, oedema, values)


absurd = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e-300, 5e-324, 1e308, -1.0]),
)


def _measurement(low: float, high: float):
    return st.one_of(st.floats(min_value=low, max_value=high), st.just(math.nan), absurd)


@settings(max_examples=1500, deadline=None)
@given(
    sex=st.sampled_from([1, 2, 1, 2, 0, 3]),
    days=st.one_of(st.integers(0, 1900).map(float), st.floats(0, 1900),
                   st.sampled_from([730.49, 730.5, 1826.0, 1826.25, 1827.0, 90.5, 273.9]),
                   absurd),
    measure=st.sampled_from([LYING, STANDING, 0, 5]),
    oedema=st.booleans(),
    weight=_measurement(0.5, 40),
    lenhei=_measurement(35, 130),
    headc=_measurement(25, 60),
    armc=_measurement(5, 30),
    triskin=_measurement(2, 30),
    subskin=_measurement(2, 30),
)
@example(sex=1, days=400.0, measure=LYING, oedema=False, weight=9.0, lenhei=0.0,
         headc=math.nan, armc=math.nan, triskin=math.nan, subskin=math.nan)  # BMI over 0 cm
@example(sex=2, days=200.0, measure=STANDING, oedema=False, weight=60.0, lenhei=70.0,
         headc=math.nan, armc=math.nan, triskin=math.nan, subskin=math.nan)  # far beyond +3
def test_one_row_equals_arrays(sex, days, measure, oedema, **values) -> None:
    _same(sex, days, measure, oedema, **values)


def test_many_plausible_rows_equal_arrays() -> None:
    """50,000 children around WHO's medians and far beyond, near every boundary of the code:
    day 91/731/1826, 9 months, 45/65/87/110/120 cm, +/-3 SD."""
    rng = np.random.default_rng(20240517)
    n = 50_000
    days = np.where(rng.random(n) < 0.3,
                    rng.choice([90, 91, 273, 274, 730, 731, 1826, 1827], n)
                    + rng.choice([0.0, 0.49, 0.5], n),
                    rng.integers(0, 1860, n).astype(float))  # fmt: skip
    lenhei = np.where(rng.random(n) < 0.3,
                      rng.choice([44.95, 45.0, 65.0, 86.95, 87.0, 110.0, 110.05, 120.0], n)
                      + rng.choice([0.0, 0.7, -0.7], n),
                      np.where(rng.random(n) < 0.5, np.round(rng.uniform(40, 125, n), 1),
                               np.round(rng.uniform(40, 125, n), 2)))  # fmt: skip
    weight = np.round(np.exp(rng.normal(np.log(2.5 + days / 180), 0.35)), 1)
    columns = {
        "sex": rng.integers(1, 3, n).astype(np.int8),
        "age_days": days,  # zscores_one's parameter names are compute_zscores' ones
        "measure": rng.choice([LYING, STANDING, 0], n).astype(np.int8),
        "oedema": rng.random(n) < 0.05,
        "weight": np.where(rng.random(n) < 0.05, np.nan, weight),
        "lenhei": np.where(rng.random(n) < 0.05, np.nan, lenhei),
        "headc": np.where(rng.random(n) < 0.5, np.nan, np.round(rng.uniform(28, 58, n), 1)),
        "armc": np.where(rng.random(n) < 0.5, np.nan, np.round(rng.uniform(6, 25, n), 1)),
        "triskin": np.where(rng.random(n) < 0.7, np.nan, np.round(rng.uniform(2, 25, n), 1)),
        "subskin": np.where(rng.random(n) < 0.7, np.nan, np.round(rng.uniform(2, 25, n), 1)),
    }
    rows = [{name: values[i].item() for name, values in columns.items()} for i in range(n)]

    def differences() -> list[str]:
        arrays = compute_zscores(**columns)
        problems = []
        for i, row in enumerate(rows):
            got = zscores_one(**row)
            expected = {name: float(arrays[name][i]) for name in OUTPUT_COLUMNS}
            problems += [f"row {i}: {d}" for d in _differences(expected, got)]
        return problems

    problems = differences()
    assert not problems, f"{len(problems)} differences, first: " + "\n".join(problems[:10])
    with unrounded():
        problems = differences()
    assert not problems, f"{len(problems)} unrounded, first: " + "\n".join(problems[:10])
    arrays = compute_zscores(**columns)
    assert np.isfinite(arrays["zwfl"]).sum() > n // 2  # the sample reaches every indicator
    assert (np.abs(arrays["zwei"]) > 3).sum() > 100  # and the restricted form


def _one_by_one(rows: list[dict[str, str]], age_column: str) -> dict[str, np.ndarray]:
    n = len(rows)
    sex = sex_codes(_strings(rows, "sex"), n)
    measure = measure_codes(_strings(rows, "measure"), n)
    oedema = oedema_mask(_strings(rows, "oedema"), n)
    days = _column(rows, age_column)
    values = {name: (_column(rows, name) if name in rows[0] else np.full(n, np.nan))
              for name in MEASUREMENTS}  # fmt: skip
    out = {name: np.empty(n) for name in OUTPUT_COLUMNS}
    for i in range(n):
        one = zscores_one(int(sex[i]), float(days[i]), measure=int(measure[i]),
                          oedema=bool(oedema[i]),
                          **{name: float(v[i]) for name, v in values.items()})  # fmt: skip
        for name in OUTPUT_COLUMNS:
            out[name][i] = one[name]
    return out


def test_reference_rows_one_by_one_equal_who(reference_rows: list[dict[str, str]]) -> None:
    problems = _mismatches(reference_rows, _one_by_one(reference_rows, "age_days"), "one")
    assert not problems, f"{len(problems)} mismatches, first: " + "\n".join(problems[:20])


def test_edge_cases_one_by_one_equal_who(edge_case_rows: list[dict[str, str]]) -> None:
    problems = _mismatches(edge_case_rows, _one_by_one(edge_case_rows, "age"), "edge case")
    assert not problems, "\n".join(problems)


def test_falls_back_where_python_floats_refuse() -> None:
    """0 cm gives a division by zero in Python floats; the answer is still the arrays' one."""
    got = zscores_one(1, 400.0, weight=9.0, lenhei=0.0, measure=LYING)
    assert got["cbmi"] == math.inf
    _same(1, 400.0, LYING, False, weight=9.0, lenhei=0.0, headc=math.nan, armc=math.nan,
          triskin=math.nan, subskin=math.nan)
