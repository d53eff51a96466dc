"""Is a measurement physically possible? Typos are questioned before anything is stored.

Three checks, each giving reason codes the bot turns into Indonesian questions:
- ranges: a weight or length no child under five can have (75 kg, 7.2 cm);
- change since the last measurement: more weight gained or lost than a child can in that time,
  or a length that went down by more than 1.5 cm (measurement error beyond tolerance);
- WHO's implausibility flags (done by ``growth.assessment``; passed in here as ``flagged``).

The limits are deliberately wide: they catch typos (a missing comma, kg for g, a swapped field),
not unusual children.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WEIGHT_KG = (0.5, 40.0)
LENHEI_CM = (35.0, 130.0)
ARMC_CM = (6.0, 30.0)
HEADC_CM = (25.0, 60.0)
MAX_GAIN_KG_PER_30_DAYS = 2.5  # newborns gain about 1 kg a month; twice that is not a child
MIN_GAIN_ALLOWANCE_KG = 0.5  # scales and clothes: small differences over a few days
MAX_LOSS_SHARE = 0.2  # a loss of a fifth of the weight is a typo or an emergency: re-check
MAX_LENGTH_DROP_CM = 1.5


@dataclass(frozen=True)
class Previous:
    measured_on: date
    weight_kg: float | None
    clenhei: float | None  # length/height after WHO's position correction


def range_problems(
    weight_kg: float | None,
    lenhei_cm: float | None,
    armc_cm: float | None = None,
    headc_cm: float | None = None,
) -> list[str]:
    problems = []
    for code, value, (low, high) in (
        ("weight_range", weight_kg, WEIGHT_KG),
        ("length_range", lenhei_cm, LENHEI_CM),
        ("armc_range", armc_cm, ARMC_CM),
        ("headc_range", headc_cm, HEADC_CM),
    ):
        if value is not None and not low <= value <= high:
            problems.append(code)
    return problems


def change_problems(
    measured_on: date, weight_kg: float | None, clenhei: float | None, previous: Previous | None
) -> list[str]:
    if previous is None:
        return []
    problems = []
    days = max((measured_on - previous.measured_on).days, 1)
    if weight_kg is not None and previous.weight_kg is not None:
        change = weight_kg - previous.weight_kg
        allowed_gain = MIN_GAIN_ALLOWANCE_KG + MAX_GAIN_KG_PER_30_DAYS * days / 30
        if change > allowed_gain:
            problems.append("weight_jump")
        elif -change > max(MIN_GAIN_ALLOWANCE_KG, MAX_LOSS_SHARE * previous.weight_kg):
            problems.append("weight_drop")
    if clenhei is not None and previous.clenhei is not None:
        if previous.clenhei - clenhei > MAX_LENGTH_DROP_CM:
            problems.append("length_drop")
    return problems
