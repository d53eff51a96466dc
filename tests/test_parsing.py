"""What cadres type: decimal commas, units, fractions, Indonesian dates, NIK."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.conversation import Invalid
from bot.parsing import (
    LENGTH_UNITS,
    WEIGHT_UNITS,
    nik_birth,
    parse_date,
    parse_name,
    parse_nik,
    parse_number,
)

TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize("text, value", [
    ("7,5", 7.5), ("7.5", 7.5), ("7.5 kg", 7.5), ("7,5kg", 7.5), ("7½", 7.5), ("7 ½", 7.5),
    ("7 1/2", 7.5), ("8", 8.0), ("7500 gr", 7.5), ("7500 gram", 7.5), (" 12,25 ", 12.25),
    ("７,５", 7.5),
])
def test_weights(text, value):
    assert parse_number(text, WEIGHT_UNITS) == pytest.approx(value)


@pytest.mark.parametrize("text, reason", [
    ("tujuh koma lima", "number_words"), ("", "number_missing"), ("7,5,1", "number_format"),
    ("7.500,5", "number_format"), ("abc", "number_format"), ("-7", "number_format"),
    ("7,5 liter", "number_format"), ("1e3", "number_format"),
])
def test_bad_numbers(text, reason):
    with pytest.raises(Invalid) as error:
        parse_number(text, WEIGHT_UNITS)
    assert error.value.template == reason


def test_lengths():
    assert parse_number("72,5 cm", LENGTH_UNITS) == 72.5
    assert parse_number("725 mm", LENGTH_UNITS) == pytest.approx(72.5)


@pytest.mark.parametrize("text, value", [
    ("29/4/2025", dt.date(2025, 4, 29)), ("29-04-2025", dt.date(2025, 4, 29)),
    ("29 April 2025", dt.date(2025, 4, 29)), ("29 apr 2025", dt.date(2025, 4, 29)),
    ("3 Agustus 2024", dt.date(2024, 8, 3)), ("3 agt 24", dt.date(2024, 8, 3)),
    ("29.4.25", dt.date(2025, 4, 29)), ("2025-04-29", dt.date(2025, 4, 29)),
    ("hari ini", TODAY), ("kemarin", dt.date(2026, 11, 19)), ("1 Mei 2026", dt.date(2026, 5, 1)),
])
def test_dates(text, value):
    assert parse_date(text, TODAY) == value


@pytest.mark.parametrize("text, reason", [
    ("31/2/2025", "date_impossible"), ("besok lusa", "date_format"), ("29 Foo 2025", "date_format"),
    ("", "date_format"), ("2025", "date_format"),
])
def test_bad_dates(text, reason):
    with pytest.raises(Invalid) as error:
        parse_date(text, TODAY)
    assert error.value.template == reason


def test_names_and_nik():
    assert parse_name("  siti   aminah ") == "siti aminah"
    for bad in ("", "1", "12345", "/ukur", "x" * 81):
        with pytest.raises(Invalid):
            parse_name(bad)
    assert parse_nik("3602 0169 0425 0001") == "3602016904250001"
    with pytest.raises(Invalid):
        parse_nik("360201690425")
    # Girl born 29 April 2025: day 29 + 40 = 69.
    assert nik_birth("3602016904250001") == (dt.date(2025, 4, 29), "P")
    assert nik_birth("3602012904250001") == (dt.date(2025, 4, 29), "L")
    assert nik_birth("3602013102250001") == (None, "L")
