"""Random, including absurd, inputs never raise: NaN and flags instead."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from growth.assessment import assess_child
from growth.zscores import OUTPUT_COLUMNS, compute_zscores

anything = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-10, max_value=300),
    st.none(),
)
codes = st.one_of(st.sampled_from(["l", "h", "L", "x", "", "y", "n", "1", "2", "m", "F"]),
                  st.none(), st.integers(-3, 5))  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 6),
    data=st.data(),
)
def test_compute_never_raises(n: int, data: st.DataObject) -> None:
    def floats() -> list[float | None]:
        return data.draw(st.lists(anything, min_size=n, max_size=n))

    def strs() -> list[object]:
        return data.draw(st.lists(codes, min_size=n, max_size=n))

    result = compute_zscores(
        sex=strs(), age_days=floats(), weight=floats(), lenhei=floats(), measure=strs(),
        headc=floats(), armc=floats(), triskin=floats(), subskin=floats(), oedema=strs(),
    )  # fmt: skip
    for name in OUTPUT_COLUMNS:
        assert result[name].shape == (n,)
    for ind in ("len", "wei", "wfl", "bmi", "hc", "ac", "ts", "ss"):
        z, f = result[f"z{ind}"], result[f"f{ind}"]
        assert np.array_equal(np.isnan(z), np.isnan(f))  # a flag exactly where there is a z
        assert set(f[~np.isnan(f)].tolist()) <= {0.0, 1.0}


@settings(max_examples=100, deadline=None)
@given(
    days=st.integers(0, 2500),
    weight=st.one_of(st.none(), st.floats(min_value=-5, max_value=200)),
    lenhei=st.one_of(st.none(), st.floats(min_value=-5, max_value=300)),
    position=st.sampled_from(["l", "h", None]),
    oedema=st.booleans(),
)
def test_assessment_never_raises(days: int, weight: float | None, lenhei: float | None,
                                 position: str | None, oedema: bool) -> None:  # fmt: skip
    born = date(2020, 1, 1)
    a = assess_child("f", born, born + timedelta(days=days), weight, lenhei, position,  # type: ignore[arg-type]
                     oedema=oedema)  # fmt: skip
    assert a.age_days == days
