"""Every output of growth.zscores equals WHO's anthro on the shared reference files."""

from __future__ import annotations

import numpy as np
import pytest

from growth.zscores import OUTPUT_COLUMNS, compute_zscores


def _column(rows: list[dict[str, str]], name: str) -> np.ndarray:
    return np.array([np.nan if r[name] in ("NA", "") else float(r[name]) for r in rows])


def _strings(rows: list[dict[str, str]], name: str) -> list[str | None]:
    return [None if r.get(name, "NA") in ("NA", "") else r[name] for r in rows]


def _compute(rows: list[dict[str, str]], age_column: str) -> dict[str, np.ndarray]:
    def opt(name: str) -> np.ndarray | None:
        return _column(rows, name) if name in rows[0] else None

    return compute_zscores(
        sex=_strings(rows, "sex"),
        age_days=_column(rows, age_column),
        weight=opt("weight"),
        lenhei=opt("lenhei"),
        measure=_strings(rows, "measure"),
        headc=opt("headc"),
        armc=opt("armc"),
        triskin=opt("triskin"),
        subskin=opt("subskin"),
        oedema=_strings(rows, "oedema"),
    )


def _mismatches(rows: list[dict[str, str]], result: dict[str, np.ndarray], label: str) -> list[str]:
    problems = []
    for name in OUTPUT_COLUMNS:
        expected = _column(rows, name)
        got = result[name]
        same_nan = np.isnan(expected) == np.isnan(got)
        if name in ("clenhei", "cbmi"):  # WHO prints these unrounded (15 digits)
            close = np.isclose(expected, got, rtol=1e-12, atol=0, equal_nan=True)
        else:
            close = (expected == got) | (np.isnan(expected) & np.isnan(got))
        for i in np.flatnonzero(~(same_nan & close)):
            problems.append(f"{label} row {rows[i].get('id', rows[i].get('note'))}: "
                            f"{name} WHO={expected[i]} ours={got[i]}")  # fmt: skip
    return problems


def test_reference_file_equals_who(reference_rows: list[dict[str, str]]) -> None:
    assert len(reference_rows) == 20_000
    result = _compute(reference_rows, "age_days")
    problems = _mismatches(reference_rows, result, "reference")
    assert not problems, f"{len(problems)} mismatches, first: " + "\n".join(problems[:20])


def test_edge_cases_equal_who(edge_case_rows: list[dict[str, str]]) -> None:
    assert len(edge_case_rows) == 36
    result = _compute(edge_case_rows, "age")
    problems = _mismatches(edge_case_rows, result, "edge case")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("z", "expected"),
    [(0.015, 0.01), (0.025, 0.03), (-0.015, -0.01), (1.125, 1.12), (2.675, 2.67), (-8.36, -8.36)],
)
def test_rounding_follows_r(z: float, expected: float) -> None:
    from growth.zscores import r_round2

    assert r_round2(np.array([z]))[0] == expected


def test_age_in_months_matches_age_in_days() -> None:
    a = compute_zscores(sex=[1], age_days=[913.125], weight=[12.0], lenhei=[88.0], measure=["h"])
    b = compute_zscores(sex=[1], age_months=[30.0], weight=[12.0], lenhei=[88.0], measure=["h"])
    for name in OUTPUT_COLUMNS:
        np.testing.assert_array_equal(a[name], b[name])


def test_scalars_broadcast_and_codes() -> None:
    r = compute_zscores(sex="F", age_days=[400, 500], weight=9.0, measure=[1, 2])
    assert r["zwei"].shape == (2,)
    assert not np.isnan(r["zwei"]).any()
