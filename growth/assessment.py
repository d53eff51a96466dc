"""One child's assessment at one measurement, as the bot shows it to a kader (pure, no I/O).

Combines the WHO z-scores (``growth.zscores``), the Permenkes 2/2020 categories
(``growth.categories``) and the Buku KIA weight-gain letter (``growth.weight_gain``).

Referral reasons: stunting (length/height-for-age < -2), wasting (weight-for-length/height
< -2), BGM (weight-for-age < -3) and 2T. A z-score WHO flags as biologically implausible is
not a referral reason: it asks the kader to measure again (``remeasure``), as does a child
under 9 months measured standing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Literal

from growth.age import age_in_days, completed_months
from growth.categories import Category, Index, categorize
from growth.weight_gain import (
    BGM_CUTOFF,
    KbmRow,
    Weighing,
    WeightGain,
    assess_weight_gain,
)
from growth.zscores import LYING, STANDING, zscores_one

Position = Literal["l", "h"]


class ReferralReason(StrEnum):
    STUNTING = "stunting"
    WASTING = "wasting"
    BGM = "bgm"
    TWO_T = "2t"


class RemeasureReason(StrEnum):
    LENGTH_FOR_AGE = "implausible_length_for_age"
    WEIGHT_FOR_AGE = "implausible_weight_for_age"
    WEIGHT_FOR_LENGTH = "implausible_weight_for_length"
    BMI_FOR_AGE = "implausible_bmi_for_age"
    HEAD_CIRCUMFERENCE = "implausible_head_circumference"
    ARM_CIRCUMFERENCE = "implausible_arm_circumference"
    STANDING_UNDER_9_MONTHS = "standing_under_9_months"


@dataclass(frozen=True)
class IndexResult:
    """One index: z-score (None when not computable), its category, and WHO's flag."""

    z: float | None
    category: Category | None
    flagged: bool

    @property
    def usable(self) -> bool:
        return self.z is not None and not self.flagged


@dataclass(frozen=True)
class Assessment:
    age_days: int
    age_months: int  # completed calendar months, for display
    length_for_age: IndexResult  # PB/U or TB/U
    weight_for_age: IndexResult  # BB/U
    weight_for_length: IndexResult  # BB/PB or BB/TB
    bmi_for_age: IndexResult  # IMT/U
    head_circumference_for_age: IndexResult  # no Permenkes category
    arm_circumference_for_age: IndexResult  # no Permenkes category
    clenhei: float | None  # length/height after WHO's 0.7 cm position correction
    position_used: Position | None  # "l": scored as length (< 731 days), "h": as height
    standing_under_9_months: bool  # WHO's c9mo_flag: no correction applied
    weight_gain: WeightGain | None  # None when no weight was taken
    two_t: bool
    bgm: bool
    remeasure: bool
    remeasure_reasons: tuple[RemeasureReason, ...]
    referral_reasons: tuple[ReferralReason, ...]

    @property
    def stunted(self) -> bool:
        return ReferralReason.STUNTING in self.referral_reasons

    @property
    def refer(self) -> bool:
        return bool(self.referral_reasons)


def _opt(value: float) -> float | None:
    return None if math.isnan(value) else value


def _index(z: float, flag: float, index: Index | None) -> IndexResult:
    zz = _opt(z)
    category = categorize(index, zz) if index is not None else None
    return IndexResult(zz, category, flag == 1.0)


def assess_child(
    sex: str | int,
    birth_date: date,
    measured_on: date,
    weight_kg: float | None,
    lenhei_cm: float | None,
    position: Position | None = None,
    *,
    armc_cm: float | None = None,
    headc_cm: float | None = None,
    oedema: bool = False,
    previous: Sequence[Weighing] = (),
    kbm_table: Sequence[KbmRow] | None = None,
) -> Assessment:
    """Assess one measurement. ``sex``: "m"/"f" or 1/2; ``position``: "l" lying, "h" standing.

    ``previous`` are earlier weighings with their N/T letters (for O/B and 2T). Raises
    ValueError for a measurement before birth or an unknown sex.
    """
    days = age_in_days(birth_date, measured_on)
    if str(sex).strip().lower() not in {"m", "f", "1", "2"}:
        raise ValueError(f"sex must be 'm'/'f' or 1/2, not {sex!r}")
    nan = math.nan
    # One child is the bot's hot path: the scalar twin of ``compute_zscores`` (same doubles).
    v = zscores_one(
        1 if str(sex).strip().lower() in ("m", "1") else 2,
        days,
        weight=nan if weight_kg is None else weight_kg,
        lenhei=nan if lenhei_cm is None else lenhei_cm,
        measure={"l": LYING, "h": STANDING}.get(position or "", 0),
        headc=nan if headc_cm is None else headc_cm,
        armc=nan if armc_cm is None else armc_cm,
        oedema=bool(oedema),
    )
    lfa = _index(v["zlen"], v["flen"], "lhfa")
    wfa = _index(v["zwei"], v["fwei"], "wfa")
    wfl = _index(v["zwfl"], v["fwfl"], "wflh")
    bmi = _index(v["zbmi"], v["fbmi"], "bmifa")
    hc = _index(v["zhc"], v["fhc"], None)
    ac = _index(v["zac"], v["fac"], None)
    c9 = v["c9mo_flag"] == 1.0

    gain = None
    if weight_kg is not None and not math.isnan(weight_kg):
        gain = assess_weight_gain(birth_date, measured_on, weight_kg, previous, kbm_table)
    two_t = gain is not None and gain.two_t
    bgm = wfa.usable and wfa.z is not None and wfa.z < BGM_CUTOFF

    remeasure = [
        reason
        for reason, res in (
            (RemeasureReason.LENGTH_FOR_AGE, lfa),
            (RemeasureReason.WEIGHT_FOR_AGE, wfa),
            (RemeasureReason.WEIGHT_FOR_LENGTH, wfl),
            (RemeasureReason.BMI_FOR_AGE, bmi),
            (RemeasureReason.HEAD_CIRCUMFERENCE, hc),
            (RemeasureReason.ARM_CIRCUMFERENCE, ac),
        )
        if res.flagged
    ]
    if c9:
        remeasure.append(RemeasureReason.STANDING_UNDER_9_MONTHS)

    referral = []
    if lfa.usable and lfa.z is not None and lfa.z < -2:
        referral.append(ReferralReason.STUNTING)
    if wfl.usable and wfl.z is not None and wfl.z < -2:
        referral.append(ReferralReason.WASTING)
    if bgm:
        referral.append(ReferralReason.BGM)
    if two_t:
        referral.append(ReferralReason.TWO_T)

    clenhei = _opt(v["clenhei"])
    return Assessment(
        age_days=days,
        age_months=completed_months(birth_date, measured_on),
        length_for_age=lfa,
        weight_for_age=wfa,
        weight_for_length=wfl,
        bmi_for_age=bmi,
        head_circumference_for_age=hc,
        arm_circumference_for_age=ac,
        clenhei=clenhei,
        position_used=None if clenhei is None else ("l" if days < 731 else "h"),
        standing_under_9_months=c9,
        weight_gain=gain,
        two_t=two_t,
        bgm=bgm,
        remeasure=bool(remeasure),
        remeasure_reasons=tuple(remeasure),
        referral_reasons=tuple(referral),
    )
