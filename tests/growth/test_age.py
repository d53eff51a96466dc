from __future__ import annotations

from datetime import date

import pytest

from growth.age import age_in_days, age_in_months, completed_months


def test_age_in_days() -> None:
    assert age_in_days(date(2024, 1, 1), date(2024, 1, 1)) == 0
    assert age_in_days(date(2022, 1, 1), date(2024, 1, 1)) == 730
    assert age_in_days(date(2024, 2, 28), date(2024, 3, 1)) == 2  # leap year
    with pytest.raises(ValueError):
        age_in_days(date(2024, 1, 2), date(2024, 1, 1))


@pytest.mark.parametrize(
    ("born", "measured", "months"),
    [
        (date(2024, 1, 15), date(2024, 1, 15), 0),
        (date(2024, 1, 15), date(2024, 2, 14), 0),
        (date(2024, 1, 15), date(2024, 2, 15), 1),
        (date(2024, 1, 31), date(2024, 2, 28), 0),
        (date(2024, 1, 31), date(2024, 2, 29), 1),  # last day of a short month
        (date(2023, 1, 31), date(2023, 2, 28), 1),
        (date(2022, 3, 10), date(2024, 3, 9), 23),
        (date(2022, 3, 10), date(2024, 3, 10), 24),
    ],
)
def test_completed_months(born: date, measured: date, months: int) -> None:
    assert completed_months(born, measured) == months


def test_age_in_months() -> None:
    assert age_in_months(1826.25) == 60.0
