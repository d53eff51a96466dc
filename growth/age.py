"""Child's age from birth date and measurement date.

WHO's computation needs the age in whole days; people and the Buku KIA speak of completed
months (a child is "5 bulan" from the day it turns 5 months until the day before 6 months).
"""

from __future__ import annotations

import calendar
from datetime import date

DAYS_PER_MONTH = 30.4375  # WHO: 365.25 / 12


def age_in_days(birth_date: date, measured_on: date) -> int:
    """Days between birth and measurement. Raises ValueError if measured before birth."""
    days = (measured_on - birth_date).days
    if days < 0:
        raise ValueError(f"measurement date {measured_on} is before birth date {birth_date}")
    return days


def completed_months(birth_date: date, measured_on: date) -> int:
    """Calendar months completed on ``measured_on`` (0 in the first month of life).

    A month is complete on the same day of the month as the birth day; when the month is too
    short (born on the 31st), on its last day.
    """
    age_in_days(birth_date, measured_on)  # validates the order
    months = (measured_on.year - birth_date.year) * 12 + measured_on.month - birth_date.month
    last_day = calendar.monthrange(measured_on.year, measured_on.month)[1]
    if measured_on.day < birth_date.day and measured_on.day != last_day:
        months -= 1
    return months


def age_in_months(days: float) -> float:
    """Exact age in months as WHO counts it (days / 30.4375); used for chart x positions."""
    return days / DAYS_PER_MONTH
