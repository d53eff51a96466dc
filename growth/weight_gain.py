"""Monthly weight gain at the posyandu, as recorded in the Buku KIA / KMS.

Programme words: the *posyandu* is the monthly village health post where *kader* (volunteer
cadres) weigh children; the *Buku KIA* (maternal and child health book) holds the KMS growth
card. Each weighing gets one letter:

- **N** (naik, gained): the gain since last month's weighing is at least the **KBM**
  (Kenaikan Berat badan Minimal, minimum weight gain for the child's age, ``data/kbm.csv``);
- **T** (tidak naik, not gained): flat, falling, or below the KBM;
- **O**: weighed this month but not last month (nothing to compare with);
- **B** (baru): first weighing ever.

**2T** is T twice in a row (this month and last month), a referral trigger. **BGM** (bawah
garis merah, below the red line) is weight-for-age below -3 SD: a warning to confirm.

Decisions (documented because the Buku KIA leaves them implicit):

- "last month" is the calendar month before the current weighing's month; if the child was
  weighed several times then, the latest of those weighings is compared with;
- the KBM is taken for the child's age in completed months at the *current* weighing;
- gains are compared in whole grams (kg differences are rounded to the gram first, so
  7.8 - 7.0 kg counts as 800 g, not 799.99...);
- where the table has no KBM for the age (0 completed months, or past 60 months), any gain
  above 0 g is N;
- weighings earlier in the same calendar month are ignored (a re-weighing is judged against
  last month, not against itself); if there are only such weighings the result is B.
"""

from __future__ import annotations

import csv
import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path

from growth.age import completed_months


class GainStatus(StrEnum):
    N = "N"
    T = "T"
    O = "O"  # noqa: E741 - the programme's letter
    B = "B"


@dataclass(frozen=True)
class KbmRow:
    age_months_from: int
    age_months_to: int
    min_gain_g: int


@dataclass(frozen=True)
class Weighing:
    """A past weighing: date, weight in kg, and the N/T/O/B letter it got (if known)."""

    measured_on: date
    weight_kg: float
    status: GainStatus | str | None = None


@dataclass(frozen=True)
class WeightGain:
    """The result for the current weighing."""

    status: GainStatus
    gain_g: int | None  # None for O and B
    kbm_g: int | None  # the KBM applied, None when not applicable or not in the table
    compared_with: date | None  # the weighing from last month that was compared with
    two_t: bool  # 2T: T now and T at the compared weighing


def _parse_kbm(text: str, source: str) -> tuple[KbmRow, ...]:
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rows = []
    for n, rec in enumerate(csv.DictReader(io.StringIO("\n".join(lines))), start=2):
        try:
            row = KbmRow(
                int(rec["age_months_from"]), int(rec["age_months_to"]), int(rec["min_gain_g"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{source}: bad KBM row {n}: {rec}") from exc
        if row.age_months_from > row.age_months_to or row.min_gain_g < 0:
            raise ValueError(f"{source}: bad KBM row {n}: {rec}")
        rows.append(row)
    return tuple(rows)


@functools.cache
def _default_kbm() -> tuple[KbmRow, ...]:
    text = resources.files("growth").joinpath("data", "kbm.csv").read_text()
    return _parse_kbm(text, "growth/data/kbm.csv")


def load_kbm(path: str | Path | None = None) -> tuple[KbmRow, ...]:
    """The KBM table: the shipped ``growth/data/kbm.csv`` or a coordinator's corrected copy."""
    if path is None:
        return _default_kbm()
    return _parse_kbm(Path(path).read_text(encoding="utf-8"), str(path))


def kbm_for_age(age_months: int, table: Sequence[KbmRow] | None = None) -> int | None:
    """Minimum gain in grams for a child of ``age_months`` completed months, None if none."""
    for row in table if table is not None else load_kbm():
        if row.age_months_from <= age_months <= row.age_months_to:
            return row.min_gain_g
    return None


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def assess_weight_gain(
    birth_date: date,
    measured_on: date,
    weight_kg: float,
    previous: Sequence[Weighing],
    kbm_table: Sequence[KbmRow] | None = None,
) -> WeightGain:
    """N, T, O or B for the weighing on ``measured_on``, and whether it makes 2T."""
    this_month = _month_index(measured_on)
    earlier = [w for w in previous if _month_index(w.measured_on) < this_month]
    if not earlier:
        return WeightGain(GainStatus.B, None, None, None, False)
    last_month = [w for w in earlier if _month_index(w.measured_on) == this_month - 1]
    if not last_month:
        return WeightGain(GainStatus.O, None, None, None, False)
    ref = max(last_month, key=lambda w: w.measured_on)
    kbm = kbm_for_age(completed_months(birth_date, measured_on), kbm_table)
    if math.isnan(weight_kg) or math.isnan(ref.weight_kg):
        raise ValueError("weights must be numbers")
    gain_g = round((weight_kg - ref.weight_kg) * 1000)
    gained = gain_g >= kbm if kbm is not None else gain_g > 0
    status = GainStatus.N if gained else GainStatus.T
    two_t = status is GainStatus.T and ref.status is not None and str(ref.status) == "T"
    return WeightGain(status, gain_g, kbm, ref.measured_on, two_t)


BGM_CUTOFF = -3.0


def is_bgm(zwei: float | None) -> bool:
    """BGM (bawah garis merah): weight-for-age z below -3, the KMS red line."""
    return zwei is not None and not math.isnan(zwei) and zwei < BGM_CUTOFF
