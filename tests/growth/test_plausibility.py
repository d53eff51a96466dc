from datetime import date

from growth.plausibility import Previous, change_problems, range_problems


def test_ranges():
    assert range_problems(75, 70) == ["weight_range"]
    assert range_problems(8.2, 7.2) == ["length_range"]
    assert range_problems(8.2, 72.5, armc_cm=140, headc_cm=45) == ["armc_range"]
    assert range_problems(8.2, 72.5) == []
    assert range_problems(None, None) == []


def test_changes_since_last_time():
    last = Previous(date(2026, 10, 10), 8.0, 70.0)
    today = date(2026, 11, 10)
    assert change_problems(today, 8.3, 71.0, last) == []
    assert change_problems(today, 12.0, 71.0, last) == ["weight_jump"]
    assert change_problems(today, 6.0, 71.0, last) == ["weight_drop"]
    assert change_problems(today, 8.3, 68.4, last) == ["length_drop"]
    assert change_problems(today, 8.3, 68.6, last) == []  # within 1.5 cm
    assert change_problems(today, 8.3, 71.0, None) == []
    same_day = Previous(date(2026, 11, 10), 8.0, 70.0)
    assert change_problems(today, 8.4, 70.0, same_day) == []
