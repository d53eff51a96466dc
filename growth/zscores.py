"""Vectorised WHO Child Growth Standards 2006 z-scores (0-60 months), as WHO's ``anthro`` does.

Reproduces ``anthro_zscores()`` of WHO's R package (the reference implementation) to the last
rounded digit, over NumPy arrays:

- age in days rounded half up; z-scores only below 60 months (1826.25 days), months = days /
  30.4375; arm circumference and skinfolds from day 91;
- the 0.7 cm position correction (standing under 731 days +0.7, lying from 731 days -0.7), none
  when the position is unknown, and none for standing under 9 months (``c9mo_flag`` = 1);
- LMS z-scores, with WHO's *restricted* form beyond +/-3 SD for weight-for-age,
  weight-for-length/height, BMI, arm circumference and skinfolds;
- weight-for-length (45-110 cm, under 731 days) / -height (65-120 cm), L, M and S interpolated
  between 0.1 cm rows exactly as WHO's code does it in floating point;
- oedema blanks the weight-based z-scores; a measurement <= 0 gives no age-based z-score;
- z rounded to 2 decimals the way R's ``round()`` does, then flags of biological
  implausibility on the rounded value.

Missing values are NaN everywhere; flags are floats (0.0, 1.0 or NaN when there is no z-score),
so every output is a float64 array of the input length. Nothing here raises on absurd values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from growth.tables import MAX_AGE_DAYS, LmsTable, age_table, length_table, sd_value

DAYS_PER_MONTH = 30.4375  # 365.25 / 12, WHO's constant
LYING, STANDING = 1, 2  # measure codes; 0 = unknown

# Output columns in WHO's order (cmeasure and csex left out: they only echo cleaned input).
OUTPUT_COLUMNS: tuple[str, ...] = (
    "clenhei", "cbmi", "c9mo_flag",
    "zlen", "flen", "zwei", "fwei", "zwfl", "fwfl", "zbmi", "fbmi",
    "zhc", "fhc", "zac", "fac", "zts", "fts", "zss", "fss",
)  # fmt: skip
INDICATORS: tuple[str, ...] = ("len", "wei", "wfl", "bmi", "hc", "ac", "ts", "ss")
# Flags of biological implausibility: z outside these limits ((-5, 5) for the others).
_LIMITS = {"len": (-6.0, 6.0), "wei": (-6.0, 5.0)}

ArrayLike = Any  # sequences or arrays; kept loose on purpose (numbers, strings or None)


def round_half_up(x: np.ndarray) -> np.ndarray:
    """WHO's ``round_up``: x.5 goes up (ages are never negative here)."""
    floor = np.floor(x)
    return floor + (x - floor >= 0.5)


def _r_round2_exact(z: np.ndarray) -> np.ndarray:
    """R >= 4.0's ``round(z, 2)``: the nearer of the two 2-decimal candidates, ties to even."""
    ax = np.abs(z)
    x100 = ax * 100.0
    low_i = np.floor(x100)
    low = low_i / 100.0
    high = np.ceil(x100) / 100.0
    d_high = high - ax
    d_low = ax - low
    up = (d_high < d_low) | ((d_high == d_low) & (np.fmod(low_i, 2.0) == 1.0))
    return np.copysign(np.where(up, high, low), z)


def r_round2(z: np.ndarray) -> np.ndarray:
    """``round(z, 2)`` as R >= 4.0 does it.

    R picks whichever 2-decimal candidate is nearer to ``z`` in double arithmetic, which can
    differ from NumPy's ``rint(100 z) / 100`` when ``100 z`` lands on or next to a .5
    (R: round(0.015, 2) = 0.01, NumPy 0.02). Fast path with NumPy, exact R rule near ties.
    """
    with np.errstate(invalid="ignore"):
        x100 = z * 100.0
        nearest = np.rint(x100)
        out = nearest / 100.0
        near_tie = np.abs(np.abs(x100 - nearest) - 0.5) < 1e-6
    idx = np.flatnonzero(near_tie)
    if idx.size:
        out[idx] = _r_round2_exact(z[idx])
    return out


def _as_float(values: ArrayLike | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    arr = np.asarray(values)
    if arr.dtype.kind in "fiub":
        out = arr.astype(np.float64, copy=True)
    else:  # object/str arrays: None, "" or junk become NaN
        out = np.array([_to_float(v) for v in arr.ravel()], dtype=np.float64)
    out = np.broadcast_to(out.reshape(-1) if out.ndim else out, (n,)).copy()
    return out


def _to_float(value: object) -> float:
    if value is None:
        return np.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan


def _codes(values: ArrayLike | None, n: int, mapping: dict[str, int]) -> np.ndarray:
    """Map codes (case-insensitive strings or ints) to small ints; unknown -> 0."""
    if values is None:
        return np.zeros(n, dtype=np.int8)
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        out = arr.astype(np.int8)
    elif arr.dtype.kind == "f":
        out = np.where(np.isfinite(arr), arr, 0).astype(np.int64)
        out = np.where((out >= -128) & (out <= 127), out, 0).astype(np.int8)
    elif arr.dtype.kind == "b":
        out = arr.astype(np.int8)
    else:  # map each distinct value once, not every cell
        flat = np.array(["" if v is None else str(v) for v in arr.ravel().tolist()])
        uniq, inverse = np.unique(flat, return_inverse=True)
        lookup = np.array([mapping.get(u.strip().lower(), 0) for u in uniq.tolist()], np.int8)
        out = lookup[inverse.reshape(-1)] if uniq.size else np.zeros(0, np.int8)
    return np.broadcast_to(out.reshape(-1) if out.ndim else out, (n,)).copy()


def sex_codes(values: ArrayLike | None, n: int) -> np.ndarray:
    """1 = male, 2 = female, 0 = unknown. Accepts 1/2 and m/f (any case)."""
    codes = _codes(values, n, {"1": 1, "2": 2, "m": 1, "f": 2, "1.0": 1, "2.0": 2})
    return np.where((codes == 1) | (codes == 2), codes, 0).astype(np.int8)


def measure_codes(values: ArrayLike | None, n: int) -> np.ndarray:
    """1 = lying (l), 2 = standing (h), 0 = unknown."""
    codes = _codes(values, n, {"l": LYING, "h": STANDING})
    return np.where((codes == LYING) | (codes == STANDING), codes, 0).astype(np.int8)


def oedema_mask(values: ArrayLike | None, n: int) -> np.ndarray:
    """True for oedema: ``y`` or ``1`` (WHO's coding); anything else, missing included, is no."""
    if values is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(values)
    if arr.dtype.kind == "b":
        return np.broadcast_to(arr.reshape(-1) if arr.ndim else arr, (n,)).copy()
    return _codes(values, n, {"y": 1, "1": 1, "1.0": 1, "true": 1}) == 1


def _lms_z(y: np.ndarray, l: np.ndarray, m: np.ndarray, s: np.ndarray) -> np.ndarray:  # noqa: E741
    return ((y / m) ** l - 1) / (s * l)


def _restrict(z: np.ndarray, y: np.ndarray, lms: tuple[np.ndarray, ...]) -> np.ndarray:
    """WHO's restricted LMS beyond +/-3 SD, in place on ``z`` (SD values from interpolated LMS)."""
    for sign in (1, -1):
        idx = np.flatnonzero(z > 3) if sign == 1 else np.flatnonzero(z < -3)
        if idx.size == 0:
            continue
        l, m, s = (a[idx] for a in lms)  # noqa: E741
        sd3, sd2 = sd_value(m, l, s, 3 * sign), sd_value(m, l, s, 2 * sign)
        if sign == 1:
            z[idx] = 3 + (y[idx] - sd3) / (sd3 - sd2)
        else:
            z[idx] = -3 + (y[idx] - sd3) / (sd2 - sd3)
    return z


def _flags(z: np.ndarray, low: float, high: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        flag = ((z < low) | (z > high)).astype(np.float64)
    flag[np.isnan(z)] = np.nan
    return flag


def _age_indicator(
    table: LmsTable,
    y: np.ndarray,
    flat_idx: np.ndarray,
    valid: np.ndarray,
    restricted: bool,
    min_day: int = 0,
    days: np.ndarray | None = None,
) -> np.ndarray:
    """Age-indexed z-score (unrounded), NaN outside ``valid`` (age, sex, oedema) or the table.

    ``flat_idx`` is (sex - 1) * table size + age in days, precomputed once for all tables.
    """
    n = y.shape[0]
    with np.errstate(invalid="ignore"):
        ok = valid & (y > 0)  # WHO: a measurement <= 0 gives no z-score
        if min_day and days is not None:
            ok &= days >= min_day
    idx = np.flatnonzero(ok)
    z = np.full(n, np.nan)
    if idx.size == 0:
        return z
    fi = flat_idx[idx]
    flat = table.flat
    m, s = flat["m"].take(fi), flat["s"].take(fi)
    yy = y[idx]
    with np.errstate(all="ignore"):
        if table.l_is_one:
            zz = (yy / m - 1) / s  # pow(x, 1) == x and s * 1 == s: same doubles, no pow
        else:
            zz = _lms_z(yy, flat["l"].take(fi), m, s)
        if restricted:
            for sign in (1, -1):
                sub = np.flatnonzero(zz > 3) if sign == 1 else np.flatnonzero(zz < -3)
                if sub.size == 0:
                    continue
                sd3 = flat[f"sd{3 * sign}"].take(fi[sub])
                sd2 = flat[f"sd{2 * sign}"].take(fi[sub])
                if sign == 1:
                    zz[sub] = 3 + (yy[sub] - sd3) / (sd3 - sd2)
                else:
                    zz[sub] = -3 + (yy[sub] - sd3) / (sd2 - sd3)
    z[idx] = zz
    return z


def _wfl_indicator(
    weight: np.ndarray,
    clenhei: np.ndarray,
    cmeasure: np.ndarray,
    days: np.ndarray,
    months: np.ndarray,
    sex: np.ndarray,
    oedema: np.ndarray,
) -> np.ndarray:
    """Weight-for-length/height z-score (unrounded)."""
    n = weight.shape[0]
    z = np.full(n, np.nan)
    with np.errstate(invalid="ignore"):
        no_age = np.isnan(days)
        no_measure = cmeasure == 0
        use_l = (~no_age & (days < 731)) | (no_age & (cmeasure == LYING)) | (
            no_age & no_measure & (clenhei < 87)
        )
        use_h = ~use_l & (
            (~no_age & (days >= 731)) | (no_age & (cmeasure == STANDING))
            | (no_age & no_measure & (clenhei >= 87))
        )
        in_l = use_l & (clenhei >= 45) & (clenhei <= 110)
        in_h = use_h & (clenhei >= 65) & (clenhei <= 120)
        age_ok = no_age | ((days <= MAX_AGE_DAYS) & (months < 60))
        ok = (in_l | in_h) & ~oedema & age_ok & (sex > 0)
    for table, part in ((length_table("wfl"), in_l), (length_table("wfh"), in_h)):
        idx = np.flatnonzero(ok & part)
        if idx.size == 0:
            continue
        x = clenhei[idx]
        # WHO's interpolation, operation for operation: 103.1 - 0.7 = 102.39999999999999
        # gives low = 102.3 and high = trunc(1024.9999999999999 + ...) = 102.5.
        x10 = x * 10
        low_k = np.trunc(x10)
        high_k = np.trunc(x10 + 1)
        diff = (x - low_k / 10) / 0.1
        row = sex[idx].astype(np.intp) - 1
        last = table.size - 1
        lo = np.clip(low_k.astype(np.intp) - table.first, 0, last)
        hi = np.clip(high_k.astype(np.intp) - table.first, 0, last)
        interp = diff > 0
        lms = []
        for arr in (table.l, table.m, table.s):
            a_lo, a_hi = arr[row, lo], arr[row, hi]
            # The upper row past the table end only matters when diff > 0, which the range
            # check above already excludes.
            lms.append(np.where(interp, a_lo + diff * (a_hi - a_lo), a_lo))
        l, m, s = lms  # noqa: E741
        y = weight[idx]
        with np.errstate(all="ignore"):
            zz = _lms_z(y, l, m, s)
            _restrict(zz, y, (l, m, s))
        z[idx] = zz
    return z


def compute_zscores(
    sex: ArrayLike,
    age_days: ArrayLike | None = None,
    weight: ArrayLike | None = None,
    lenhei: ArrayLike | None = None,
    measure: ArrayLike | None = None,
    headc: ArrayLike | None = None,
    armc: ArrayLike | None = None,
    triskin: ArrayLike | None = None,
    subskin: ArrayLike | None = None,
    oedema: ArrayLike | None = None,
    *,
    age_months: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """All eight WHO indicators for arrays of children, exactly as WHO's ``anthro_zscores``.

    ``sex``: 1/2 or "m"/"f"; ``age_days`` (may be fractional) or ``age_months`` (exact, WHO's
    ``is_age_in_month``); ``weight`` kg; ``lenhei``, ``headc``, ``armc`` cm; ``triskin``,
    ``subskin`` mm; ``measure``: "l"/"h" (or codes 1/2), anything else unknown; ``oedema``:
    "y"/"1"/True. Scalars broadcast. Returns float64 arrays keyed by ``OUTPUT_COLUMNS``.
    """
    sizes = [
        np.size(a) for a in (sex, age_days, age_months, weight, lenhei, measure, headc, armc,
                             triskin, subskin, oedema)
        if a is not None
    ]  # fmt: skip
    n = max(sizes) if sizes else 0
    csex = sex_codes(sex, n)
    if age_months is not None:
        months = _as_float(age_months, n)
        raw_days = months * DAYS_PER_MONTH
    else:
        raw_days = _as_float(age_days, n)
        months = raw_days / DAYS_PER_MONTH
    with np.errstate(invalid="ignore"):
        bad_age = ~(raw_days >= 0) | ~np.isfinite(raw_days)  # negative ages count as unknown
    raw_days[bad_age] = np.nan
    months[bad_age] = np.nan

    inputs = (
        csex, raw_days, months, _as_float(weight, n), _as_float(lenhei, n),
        measure_codes(measure, n), oedema_mask(oedema, n), _as_float(headc, n),
        _as_float(armc, n), _as_float(triskin, n), _as_float(subskin, n),
    )  # fmt: skip
    out = {name: np.empty(n) for name in OUTPUT_COLUMNS}
    # Chunks keep the many temporaries in the CPU cache: about twice as fast on 1e6 rows.
    for start in range(0, n, CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        for name, values in _compute_chunk(*(a[part] for a in inputs)).items():
            out[name][part] = values
    return out


CHUNK_ROWS = 32_768


def _compute_chunk(
    csex: np.ndarray,
    raw_days: np.ndarray,
    months: np.ndarray,
    w: np.ndarray,
    lh: np.ndarray,
    cmeasure: np.ndarray,
    oed: np.ndarray,
    headc: np.ndarray,
    armc: np.ndarray,
    triskin: np.ndarray,
    subskin: np.ndarray,
) -> dict[str, np.ndarray]:
    days = round_half_up(raw_days)
    cmeasure = cmeasure.copy()
    with np.errstate(invalid="ignore"):
        c9mo = (cmeasure == STANDING) & (months < 9)
        cmeasure[c9mo] = 0
        clenhei = lh.copy()
        add = (days < 731) & (cmeasure == STANDING)
        sub = (days >= 731) & (cmeasure == LYING)
    clenhei[add] = lh[add] + 0.7
    clenhei[sub] = lh[sub] - 0.7
    with np.errstate(all="ignore"):
        cbmi = w / ((clenhei / 100) ** 2)

    has_sex = csex > 0
    with np.errstate(invalid="ignore"):
        valid = has_sex & (days <= MAX_AGE_DAYS) & (months < 60)  # NaN age -> False
    size = MAX_AGE_DAYS + 1
    flat_idx = np.where(valid, (csex.astype(np.intp) - 1) * size + np.nan_to_num(days), 0)
    flat_idx = flat_idx.astype(np.intp)
    no_oedema = valid & ~oed
    late = 91  # arm circumference and skinfolds start at 91 days

    def age_z(
        table: str, y: np.ndarray, ok: np.ndarray, restricted: bool, start: int = 0
    ) -> np.ndarray:
        return _age_indicator(age_table(table), y, flat_idx, ok, restricted, start, days)

    raw = {
        "len": age_z("lhfa", clenhei, valid, False),
        "wei": age_z("wfa", w, no_oedema, True),
        "wfl": _wfl_indicator(w, clenhei, cmeasure, days, months, csex, oed),
        "bmi": age_z("bmifa", cbmi, no_oedema, True),
        "hc": age_z("hcfa", headc, valid, False),
        "ac": age_z("acfa", armc, valid, True, late),
        "ts": age_z("tsfa", triskin, valid, True, late),
        "ss": age_z("ssfa", subskin, valid, True, late),
    }
    out: dict[str, np.ndarray] = {
        "clenhei": clenhei,
        "cbmi": cbmi,
        "c9mo_flag": c9mo.astype(np.float64),
    }
    for name in INDICATORS:
        z = r_round2(raw[name])
        out[f"z{name}"] = z
        out[f"f{name}"] = _flags(z, *_LIMITS.get(name, (-5.0, 5.0)))
    return out


# ---------------------------------------------------------------- one row, in plain floats
#
# The bot assesses one child per message; the array path above costs about 0.4 ms for one row,
# almost all of it NumPy's per-call overhead. ``zscores_one`` follows ``_compute_chunk`` step by
# step in Python floats and gives the same doubles: + - * / are IEEE in both, squares are x * x
# as NumPy's ``** 2`` does, and every other power goes through ``np.power`` on scalars, which
# runs NumPy's own (SIMD) power loop, not libm's ``pow`` (they differ in the last bit for about
# 1 input in 20 on AVX-512 machines). An input Python refuses (a division by zero, the floor of
# an infinity) falls back to the array path, so the results never differ.


def _pow(base: float, exponent: float) -> float:
    return float(np.power(base, exponent))


def _round2(z: float) -> float:
    """``r_round2`` for one float."""
    if not math.isfinite(z):
        return z
    x100 = z * 100.0
    nearest = math.copysign(round(x100), x100)  # np.rint: half to even, keeps -0.0
    if abs(abs(x100 - nearest) - 0.5) >= 1e-6:
        return nearest / 100.0
    ax = abs(z)
    x100 = ax * 100.0
    low_i = float(math.floor(x100))
    low, high = low_i / 100.0, math.ceil(x100) / 100.0
    d_high, d_low = high - ax, ax - low
    up = d_high < d_low or (d_high == d_low and math.fmod(low_i, 2.0) == 1.0)
    return math.copysign(high if up else low, z)


def _flag(z: float, low: float, high: float) -> float:
    if math.isnan(z):
        return math.nan
    return 1.0 if (z < low or z > high) else 0.0


def _restricted(z: float, y: float, sd3: float, sd2: float, sdm3: float, sdm2: float) -> float:
    """WHO's restricted LMS beyond +/-3 SD (the +3 side first, as the array path does)."""
    if z > 3:
        z = 3 + (y - sd3) / (sd3 - sd2)
    if z < -3:
        z = -3 + (y - sdm3) / (sdm2 - sdm3)
    return z


def _age_one(table: LmsTable, y: float, flat_index: int, restricted: bool) -> float:
    """``_age_indicator`` for one row already known to be valid (y > 0, age and sex known)."""
    flat = table.flat
    m, s = flat["m"].item(flat_index), flat["s"].item(flat_index)
    if table.l_is_one:
        z = (y / m - 1) / s
    else:
        l = flat["l"].item(flat_index)  # noqa: E741
        z = (_pow(y / m, l) - 1) / (s * l)
    if restricted and (z > 3 or z < -3):
        sd = [flat[f"sd{k}"].item(flat_index) for k in (3, 2, -3, -2)]
        z = _restricted(z, y, *sd)
    return z


def _wfl_one(weight: float, clenhei: float, measure: int, days: float, months: float,
             sex: int, oedema: bool) -> float:
    """``_wfl_indicator`` for one row."""
    no_age = math.isnan(days)
    if no_age:
        lying = measure == LYING or (measure == 0 and clenhei < 87)
        standing = not lying and (measure == STANDING or (measure == 0 and clenhei >= 87))
    else:
        lying, standing = days < 731, days >= 731
    in_l = lying and 45 <= clenhei <= 110
    in_h = standing and 65 <= clenhei <= 120
    age_ok = no_age or (days <= MAX_AGE_DAYS and months < 60)
    if not ((in_l or in_h) and not oedema and age_ok and sex > 0):
        return math.nan
    table = length_table("wfl" if in_l else "wfh")
    x10 = clenhei * 10
    low_k = float(math.trunc(x10))
    high_k = float(math.trunc(x10 + 1))
    diff = (clenhei - low_k / 10) / 0.1
    last = table.size - 1
    lo = min(max(int(low_k) - table.first, 0), last)
    hi = min(max(int(high_k) - table.first, 0), last)
    row = sex - 1
    lms = []
    for arr in (table.l, table.m, table.s):
        a_lo = arr.item(row, lo)
        lms.append(a_lo + diff * (arr.item(row, hi) - a_lo) if diff > 0 else a_lo)
    l, m, s = lms  # noqa: E741
    z = (_pow(weight / m, l) - 1) / (s * l)
    if z > 3 or z < -3:
        sd = [m * _pow(1 + l * s * k, 1 / l) for k in (3, 2, -3, -2)]
        z = _restricted(z, weight, *sd)
    return z


def zscores_one(
    sex: int,
    age_days: float,
    weight: float = math.nan,
    lenhei: float = math.nan,
    measure: int = 0,
    headc: float = math.nan,
    armc: float = math.nan,
    triskin: float = math.nan,
    subskin: float = math.nan,
    oedema: bool = False,
) -> dict[str, float]:
    """One child, exactly as ``compute_zscores`` on arrays of length one, about 20x cheaper.

    ``sex``: 1/2 (anything else unknown); ``age_days`` a float (NaN unknown); measurements
    in floats, NaN when missing; ``measure``: ``LYING``/``STANDING``/0. Returns the
    ``OUTPUT_COLUMNS`` as floats.
    """
    try:
        with np.errstate(all="ignore"):  # np.power of a negative base: NaN, quietly
            return _zscores_one(sex, float(age_days), float(weight), float(lenhei), measure,
                                float(headc), float(armc), float(triskin), float(subskin),
                                bool(oedema))
    except (ArithmeticError, ValueError):  # something only the IEEE arrays handle
        result = compute_zscores(
            sex=np.array([sex if sex in (1, 2) else 0], np.int8),
            age_days=np.array([age_days], np.float64),
            weight=np.array([weight], np.float64), lenhei=np.array([lenhei], np.float64),
            measure=np.array([measure if measure in (LYING, STANDING) else 0], np.int8),
            headc=np.array([headc], np.float64), armc=np.array([armc], np.float64),
            triskin=np.array([triskin], np.float64), subskin=np.array([subskin], np.float64),
            oedema=np.array([bool(oedema)]),
        )
        return {name: float(values[0]) for name, values in result.items()}


def _zscores_one(sex: int, raw_days: float, w: float, lh: float, measure: int, headc: float,
                 armc: float, triskin: float, subskin: float, oedema: bool,
                 ) -> dict[str, float]:
    if sex not in (1, 2):
        sex = 0
    if measure not in (LYING, STANDING):
        measure = 0
    if not (raw_days >= 0) or not math.isfinite(raw_days):
        raw_days = math.nan
    months = raw_days / DAYS_PER_MONTH
    if math.isnan(raw_days):
        days = math.nan
    else:
        floor = float(math.floor(raw_days))
        days = floor + (1.0 if raw_days - floor >= 0.5 else 0.0)
    c9mo = measure == STANDING and months < 9
    if c9mo:
        measure = 0
    clenhei = lh
    if days < 731 and measure == STANDING:
        clenhei = lh + 0.7
    elif days >= 731 and measure == LYING:
        clenhei = lh - 0.7
    tenth = clenhei / 100
    cbmi = w / (tenth * tenth)

    valid = sex > 0 and days <= MAX_AGE_DAYS and months < 60
    flat_index = (sex - 1) * (MAX_AGE_DAYS + 1) + int(days) if valid else 0
    no_oedema = valid and not oedema
    late = days >= 91  # arm circumference and skinfolds start at 91 days

    def age_z(table: str, y: float, ok: bool, restricted: bool) -> float:
        if not (ok and y > 0):
            return math.nan
        return _age_one(age_table(table), y, flat_index, restricted)

    raw = {
        "len": age_z("lhfa", clenhei, valid, False),
        "wei": age_z("wfa", w, no_oedema, True),
        "wfl": _wfl_one(w, clenhei, measure, days, months, sex, oedema),
        "bmi": age_z("bmifa", cbmi, no_oedema, True),
        "hc": age_z("hcfa", headc, valid, False),
        "ac": age_z("acfa", armc, valid and late, True),
        "ts": age_z("tsfa", triskin, valid and late, True),
        "ss": age_z("ssfa", subskin, valid and late, True),
    }
    out = {"clenhei": clenhei, "cbmi": cbmi, "c9mo_flag": 1.0 if c9mo else 0.0}
    for name in INDICATORS:
        z = _round2(raw[name])
        low, high = _LIMITS.get(name, (-5.0, 5.0))
        out[f"z{name}"] = z
        out[f"f{name}"] = _flag(z, low, high)
    return out



def compute_one(**kwargs: object) -> dict[str, float]:
    """Scalar convenience wrapper around :func:`compute_zscores` (one child)."""
    result = compute_zscores(**{k: [v] for k, v in kwargs.items()})  # type: ignore[arg-type]
    return {k: float(v[0]) for k, v in result.items()}


__all__: Sequence[str] = (
    "OUTPUT_COLUMNS", "INDICATORS", "compute_zscores", "compute_one", "zscores_one", "r_round2",
    "sex_codes", "measure_codes", "oedema_mask",
)  # fmt: skip
