"""Rules for mothers and brides-to-be, as the TPK applies them (pure: no storage, no bot).

Programme words:
- *catin* (calon pengantin): a bride- or groom-to-be, screened (Elsimil) about 3 months before
  the wedding. The result is "ideal" or "berisiko" (at risk) with each reason named; it is
  advice, never a bar to marriage.
- *IMT* (indeks massa tubuh): adult body-mass index, kg / m². Kemenkes: kurus < 18.5, normal
  18.5-25.0, gemuk > 25.0-27.0, obesitas > 27.0.
- *LILA* (lingkar lengan atas): mid-upper-arm circumference in cm. *KEK* (kurang energi kronis,
  chronic energy deficiency): LILA < 23.5 cm (exactly 23.5 is not KEK).
- *Hb*: haemoglobin in g/dL. Anaemia in pregnancy: Hb < 11.0 in trimester 1 and 3, < 10.5 in
  trimester 2; non-pregnant women < 12.0 (WHO; Elsimil quotes 11 or 11.5: unconfirmed, so the
  figure is data a coordinator can correct).
- *TTD* (tablet tambah darah): iron-folic acid tablets, at least 90 in a pregnancy.
- *ANC* (antenatal care): at least 6 visits, 1-2-3 per trimester (cumulative 1, 3, 6).
- *KF* (kunjungan nifas): post-natal visits KF1 0-2 days, KF2 3-7, KF3 8-28, KF4 29-42.
- *4T*: terlalu muda (< 20), terlalu tua (> 35), terlalu dekat (< 2 years since the last birth),
  terlalu banyak (> 3 children). The last two are unconfirmed: data, like every threshold here.

Every threshold lives in ``Thresholds``; the defaults below are DOMAIN.md's figures and a
coordinator's correction (``storage.tpk``) replaces them by name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields, replace

# Reasons and advice are codes; templates name them in each language.
YOUNG, OLD, CLOSE, MANY = "muda", "tua", "dekat", "banyak"  # 4T
THIN, KEK, ANAEMIA = "kurus", "kek", "anemia"  # catin reasons besides YOUNG and OLD
SMOKE = "rokok"
IDEAL, AT_RISK = "ideal", "berisiko"


@dataclass(frozen=True)
class Thresholds:
    """Every figure the rules use. Field names are the names coordinators correct."""

    lila_kek: float = 23.5  # cm: KEK below this
    hb_t1: float = 11.0  # g/dL: anaemia below this in trimester 1
    hb_t2: float = 10.5
    hb_t3: float = 11.0
    hb_nonpregnant: float = 12.0  # WHO; Elsimil 11 or 11.5 (unconfirmed)
    imt_thin: float = 18.5  # kurus below this
    imt_normal_max: float = 25.0  # gemuk above this
    imt_fat_max: float = 27.0  # obesitas above this
    age_young: float = 20  # 4T and catin: younger than this
    age_old: float = 35  # older than this
    birth_gap_months: float = 24  # 4T "too close": fewer months since the last birth
    many_children: float = 3  # 4T "too many": more children than this
    ttd_target: float = 90  # tablets in a pregnancy
    # Visits by stage (days): the next visit is due this long after the last one.
    visit_hamil_days: float = 30
    visit_baduta_days: float = 30
    catin_screen_days: float = 90  # screen a catin this many days before the wedding

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def with_values(self, values: dict[str, float]) -> Thresholds:
        known = {k: float(v) for k, v in values.items() if k in self.names()}
        return replace(self, **known)


DEFAULTS = Thresholds()
# Plausible ranges for a corrected value (a typo such as 115 for 11.5 is refused).
RANGES: dict[str, tuple[float, float]] = {
    "lila_kek": (18, 30), "hb_t1": (8, 14), "hb_t2": (8, 14), "hb_t3": (8, 14),
    "hb_nonpregnant": (8, 14), "imt_thin": (15, 22), "imt_normal_max": (20, 30),
    "imt_fat_max": (22, 35), "age_young": (14, 25), "age_old": (30, 45),
    "birth_gap_months": (6, 60), "many_children": (1, 10), "ttd_target": (30, 180),
    "visit_hamil_days": (7, 90), "visit_baduta_days": (7, 120), "catin_screen_days": (14, 365),
}

# What a person can measure (questioned, not stored, outside these).
LILA_CM = (15.0, 50.0)
HB_G_DL = (4.0, 20.0)
ADULT_HEIGHT_CM = (120.0, 200.0)
ADULT_WEIGHT_KG = (30.0, 200.0)
WEEK_MAX = 42

DANGER_HAMIL = ("perdarahan", "pusing", "bengkak", "demam", "janin", "ketuban")
DANGER_NIFAS = ("perdarahan", "demam", "payudara", "pusing", "bayi")
KB_METHODS = ("belum", "mal", "pil", "suntik", "implan", "iud", "steril", "kondom")
KF_WINDOWS = (("KF1", 0, 2), ("KF2", 3, 7), ("KF3", 8, 28), ("KF4", 29, 42))


def imt(weight_kg: float, height_cm: float) -> float:
    """Adult body-mass index, kg/m²."""
    metres = height_cm / 100
    return weight_kg / (metres * metres)


def imt_category(value: float, th: Thresholds = DEFAULTS) -> str:
    """kurus < 18.5 <= normal <= 25.0 < gemuk <= 27.0 < obesitas (Kemenkes)."""
    if value < th.imt_thin:
        return "kurus"
    if value <= th.imt_normal_max:
        return "normal"
    if value <= th.imt_fat_max:
        return "gemuk"
    return "obesitas"


def is_kek(lila_cm: float, th: Thresholds = DEFAULTS) -> bool:
    return lila_cm < th.lila_kek


def hb_cutoff(trimester_: int | None, th: Thresholds = DEFAULTS) -> float:
    """The anaemia cut-off: by trimester in pregnancy, the non-pregnant one otherwise."""
    return {1: th.hb_t1, 2: th.hb_t2, 3: th.hb_t3}.get(trimester_, th.hb_nonpregnant)


def is_anaemic(hb: float, trimester_: int | None, th: Thresholds = DEFAULTS) -> bool:
    return hb < hb_cutoff(trimester_, th)


def trimester(week: int) -> int:
    """1: weeks 0-13, 2: 14-27, 3: 28 and later (as ``storage.targets.trimester``)."""
    return 1 if week < 14 else 2 if week < 28 else 3


def age_years(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class CatinResult:
    result: str  # IDEAL or AT_RISK
    reasons: tuple[str, ...]  # codes: muda, tua, kurus, kek, anemia, rokok
    advice: tuple[str, ...]  # codes: ttd90, gizi, tunda, bidan, rokok
    imt: float | None
    imt_category: str | None


def screen_catin(*, age: int, sex: str, height_cm: float | None, weight_kg: float | None,
                 lila_cm: float | None, hb: float | None, smoking: bool,
                 th: Thresholds = DEFAULTS) -> CatinResult:
    """Elsimil's screening: "berisiko" when any reason applies, each named.

    LILA and Hb are screened for brides (the KEK and anaemia cut-offs are women's); the age
    limits, IMT and smoke apply to both. A missing measurement is no reason either way.
    """
    reasons: list[str] = []
    if age < th.age_young:
        reasons.append(YOUNG)
    elif age > th.age_old:
        reasons.append(OLD)
    value = imt(weight_kg, height_cm) if height_cm and weight_kg else None
    if value is not None and value < th.imt_thin:
        reasons.append(THIN)
    female = sex != "L"
    if female and lila_cm is not None and is_kek(lila_cm, th):
        reasons.append(KEK)
    if female and hb is not None and is_anaemic(hb, None, th):
        reasons.append(ANAEMIA)
    if smoking:
        reasons.append(SMOKE)
    advice: list[str] = []
    if ANAEMIA in reasons:
        advice.append("ttd90")
    if THIN in reasons or KEK in reasons or ANAEMIA in reasons:
        advice.append("gizi")
    if YOUNG in reasons or THIN in reasons or KEK in reasons or ANAEMIA in reasons:
        advice.append("tunda")
    if SMOKE in reasons:
        advice.append("rokok")
    if reasons:
        advice.append("bidan")
    return CatinResult(
        AT_RISK if reasons else IDEAL, tuple(reasons), tuple(advice), value,
        imt_category(value, th) if value is not None else None,
    )


def four_t(*, age: int | None, children_born: int | None, last_birth_on: dt.date | None,
           day: dt.date, th: Thresholds = DEFAULTS) -> tuple[str, ...]:
    """The 4T risks known from what is on record (unknown facts raise no flag)."""
    risks: list[str] = []
    if age is not None and age < th.age_young:
        risks.append(YOUNG)
    if age is not None and age > th.age_old:
        risks.append(OLD)
    if last_birth_on is not None and months_between(last_birth_on, day) < th.birth_gap_months:
        risks.append(CLOSE)
    if children_born is not None and children_born > th.many_children:
        risks.append(MANY)
    return tuple(risks)


def months_between(start: dt.date, end: dt.date) -> int:
    """Completed calendar months from ``start`` to ``end``."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (end.day < start.day)


def kf_window(days_since_birth: int) -> str | None:
    """KF1 (0-2 days), KF2 (3-7), KF3 (8-28), KF4 (29-42); None outside the 42 days."""
    for name, first, last in KF_WINDOWS:
        if first <= days_since_birth <= last:
            return name
    return None


def kf_dates(delivered_on: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """Each KF window as (name, first day, last day)."""
    return [(name, delivered_on + dt.timedelta(days=first), delivered_on + dt.timedelta(days=last))
            for name, first, last in KF_WINDOWS]


ANC_CUMULATIVE = {1: 1, 2: 3, 3: 6}  # Permenkes 21/2021: 1-2-3 per trimester


def anc_expected(week: int) -> int:
    """ANC visits expected by the end of the trimester of ``week`` (1, 3 or 6)."""
    return ANC_CUMULATIVE[trimester(week)]


def anc_behind(week: int, done: int) -> int:
    """Visits missing from the trimesters already over (0 when on track)."""
    current = trimester(week)
    before = ANC_CUMULATIVE.get(current - 1, 0)
    return max(0, before - done)


def ttd_total(previous_total: int, taken: int) -> int:
    return previous_total + taken


def ttd_met(total: int, th: Thresholds = DEFAULTS) -> bool:
    return total >= th.ttd_target


def week_of(hpht: dt.date, day: dt.date) -> int:
    """Completed weeks since HPHT."""
    return (day - hpht).days // 7
