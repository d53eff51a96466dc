"""Parsers for what people type: numbers, dates, names, NIK, and button choices.

Each returns a value or raises ``Invalid`` with the template of the reason (under
``templates/<locale>/errors/``). Cadres write "7,5", "7.5 kg", "7½" or "7500 gr" for the same
weight and "29/4/2025", "29-04-2025" or "29 April 2025" for the same date; all are read.
NIK (Nomor Induk Kependudukan) is the 16-digit national id: 6 area digits, the birth date as
DDMMYY (day + 40 for girls), then 4 serial digits.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from bot.conversation import Answer, Invalid

FRACTIONS = {"½": 0.5, "¼": 0.25, "¾": 0.75}
MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nopember": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}
NUMBER_WORDS = re.compile(
    r"\b(nol|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|sebelas|belas|puluh|"
    r"koma|setengah|one|two|three|four|five|six|seven|eight|nine|ten)\b", re.IGNORECASE)
_NUMBER = re.compile(r"^(\d+)(?:[.,](\d+))?\s*([½¼¾])?$")


def parse_number(text: str | None, units: dict[str, float] | None = None) -> float:
    """A decimal number with a comma or a point, an optional fraction sign and unit.

    ``units`` maps unit words to factors (e.g. {"kg": 1, "g": 0.001}); an unknown unit or any
    other text is refused with the reason ``number_format``.
    """
    # Full-width digits become ASCII; the fraction signs are kept (NFKC would turn ½ into 1⁄2).
    raw = "".join(
        ch if ch in FRACTIONS else unicodedata.normalize("NFKC", ch) for ch in (text or "")
    ).strip().lower().replace("\u2044", "/")
    if not raw:
        raise Invalid("number_missing")
    if NUMBER_WORDS.search(raw):
        raise Invalid("number_words")
    factor = 1.0
    if units:
        for unit, unit_factor in sorted(units.items(), key=lambda kv: -len(kv[0])):
            if raw.endswith(unit) and (len(raw) == len(unit) or not raw[-len(unit) - 1].isalpha()):
                raw, factor = raw[: -len(unit)].strip(), unit_factor
                break
    for sign, value in FRACTIONS.items():
        if raw.endswith(sign) and raw[:-1].strip().isdigit():
            return (int(raw[:-1].strip()) + value) * factor
    # "7 1/2"
    match = re.fullmatch(r"(\d+)\s+1/2", raw)
    if match:
        return (int(match.group(1)) + 0.5) * factor
    match = _NUMBER.match(raw)
    if not match or raw.count(",") + raw.count(".") > 1:
        raise Invalid("number_format")
    whole, decimals, fraction = match.groups()
    value = float(f"{whole}.{decimals or 0}") + FRACTIONS.get(fraction or "", 0.0)
    return value * factor


WEIGHT_UNITS = {"kg": 1.0, "kilo": 1.0, "gram": 0.001, "gr": 0.001, "g": 0.001}
LENGTH_UNITS = {"cm": 1.0, "mm": 0.1, "m": 100.0}


def parse_date(text: str | None, today: dt.date) -> dt.date:
    """29/4/2025, 29-04-2025, 29.4.25, 29 April 2025, 2025-04-29, "hari ini", "kemarin"."""
    raw = (text or "").strip().lower()
    if raw in ("hari ini", "today", "sekarang"):
        return today
    if raw in ("kemarin", "yesterday"):
        return today - dt.timedelta(days=1)
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", raw):
            year, month, day = (int(p) for p in raw.split("-"))
            return dt.date(year, month, day)
        match = re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})", raw)
        if match:
            day, month, year = (int(p) for p in match.groups())
            return dt.date(_full_year(year, today), month, day)
        match = re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{2}|\d{4})", raw)
        if match and match.group(2) in MONTHS:
            day, year = int(match.group(1)), int(match.group(3))
            return dt.date(_full_year(year, today), MONTHS[match.group(2)], day)
    except ValueError:
        raise Invalid("date_impossible") from None
    raise Invalid("date_format")


def _full_year(year: int, today: dt.date) -> int:
    if year >= 100:
        return year
    century = today.year // 100 * 100
    return century + year if century + year <= today.year else century - 100 + year


def parse_name(text: str | None) -> str:
    name = " ".join((text or "").split())
    if len(name) < 2 or not any(ch.isalpha() for ch in name):
        raise Invalid("name_format")
    if len(name) > 80 or name.startswith("/"):
        raise Invalid("name_format")
    return name


def parse_nik(text: str | None) -> str:
    digits = re.sub(r"[\s.\-]", "", text or "")
    if not re.fullmatch(r"\d{16}", digits):
        raise Invalid("nik_format")
    return digits


def nik_birth(nik: str) -> tuple[dt.date | None, str]:
    """Birth date and sex ("L"/"P") written in a NIK. The NIK holds two year digits; the
    children registered here are under five, so the year is taken as 20YY. None for a date
    that does not exist."""
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "P" if day > 40 else "L"
    if day > 40:
        day -= 40
    try:
        return dt.date(2000 + year, month, day), sex
    except ValueError:
        return None, sex


def choice_of(*allowed: str):
    """A step whose answer must be one of its buttons (pressed, or the label typed)."""

    def parse(_ctx, answer: Answer, _data: dict) -> str:
        if answer.choice in allowed:
            return answer.choice
        raise Invalid("choose_button")

    return parse


def yes_no_buttons(ctx, _data):
    return [[(ctx.label("yes"), "y"), (ctx.label("no"), "n")]]
