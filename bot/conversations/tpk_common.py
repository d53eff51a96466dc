"""What the TPK flows share: the TPK's own labels, scoped targets, and the parsers for adult
measurements (LILA, Hb, height, weight), birth date or NIK, and pregnancy dating.

Programme words: *TPK* (Tim Pendamping Keluarga) visits *sasaran* (targets): *catin*, *ibu hamil*,
*ibu nifas*, families with a *baduta*. *LILA*: upper-arm circumference (cm); *Hb*: haemoglobin
(g/dL); *HPHT*: first day of the last period; *HPL*: the due date; *NIK*: the 16-digit national
id (DDMMYY of birth at digits 7-12, day + 40 for women).

Typos are questioned, never stored: Hb "110" is asked back as 11,0, LILA "235" (mm) as 23,5 cm.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import select

import templates
from bot.context import Context
from bot.conversation import Answer, Goto, Invalid, Step
from bot.measuring import match_names
from bot.parsing import LENGTH_UNITS, WEIGHT_UNITS, parse_date, parse_nik, parse_number
from growth import maternal
from storage.models import Area
from storage.roles import ADMIN, BIDAN, KELUARGA, KOORDINATOR, TPK
from storage.targets import NIFAS_DAYS, Target, hpht_from_due

HB_UNITS = {"g/dl": 1.0, "gr/dl": 1.0, "gdl": 1.0, "g": 1.0}
WOMAN_AGE = (10, 60)  # a target's plausible age in years


@cache
def _labels(locale: str):
    return templates.environment(locale).get_template("tpk/labels.j2").module


def tlabel(ctx_or_locale, name: str, *args) -> str:
    """A TPK label (``templates/<locale>/tpk/labels.j2``) as plain text."""
    locale = ctx_or_locale if isinstance(ctx_or_locale, str) else ctx_or_locale.locale
    return Markup(str(getattr(_labels(locale), name)(*args))).unescape().strip()


async def zone_of(session, area_code: str | None) -> str:
    zone = await session.scalar(select(Area.timezone).where(Area.code == area_code)) \
        if area_code else None
    return zone or "Asia/Jakarta"


async def area_today(ctx: Context, area_code: str | None) -> dt.date:
    """Today where the area is (WIB, WITA or WIT)."""
    return ctx.now.astimezone(ZoneInfo(await zone_of(ctx.session, area_code))).date()


async def get_target(ctx: Context, target_id, kinds: tuple[str, ...] | None = None) -> Target | None:
    """An active target this user may see, else None (absent and forbidden read the same):
    a TPK their desa's, a family member herself, an admin any."""
    try:
        target = await ctx.session.get(Target, int(target_id))
    except (TypeError, ValueError):
        return None
    if target is None or target.ended_on is not None:
        return None
    if kinds is not None and target.kind not in kinds:
        return None
    role = ctx.user.role
    if role == TPK and target.desa_code == ctx.user.area_code:
        return target
    if role == KELUARGA and target.user_id == ctx.user.id:
        return target
    if role == ADMIN:
        return target
    return None


# Who may open a target's summary and erase a target a TPK recorded: the desa's TPK and bidan,
# a koordinator of an area above it, an admin. Stage changes: the desa's TPK and bidan.
DESA_STAFF = (TPK, BIDAN)
ERASERS = (TPK, BIDAN, KOORDINATOR, ADMIN)


async def staff_target(ctx: Context, target_id, roles: tuple[str, ...] = ERASERS) -> Target | None:
    """An active target of the user's area, for one of ``roles`` (absent and forbidden read the
    same): TPK and bidan their desa's, a koordinator their subtree's, an admin any."""
    try:
        target = await ctx.session.get(Target, int(target_id))
    except (TypeError, ValueError):
        return None
    role = ctx.user.role
    if target is None or target.ended_on is not None or role not in roles:
        return None
    if role == ADMIN or (role in DESA_STAFF and target.desa_code == ctx.user.area_code):
        return target
    if role == KOORDINATOR and ctx.scope.covers_area(target.desa_code):
        return target
    return None


def target_name(locale: str, target: Target) -> str:
    return target.name or tlabel(locale, "self_joined", target.id)


# ---------------------------------------------------------------- parsers


def _plausible(value: float, bounds: tuple[float, float], template: str, *slips: float) -> float:
    """``value`` rounded to one decimal if within ``bounds``; else Invalid, with the reading a
    common slip gives (110 for 11,0 g/dL, 235 mm for 23,5 cm, 1,55 m for 155 cm) as the hint."""
    low, high = bounds
    if not low <= value <= high:
        hint = next((value * f for f in slips if low <= value * f <= high), None)
        raise Invalid(template, value=value, hint=hint)
    return round(value, 1)


def parse_hb(text: str | None) -> float:
    return _plausible(parse_number(text, HB_UNITS), maternal.HB_G_DL, "tpk_hb_range", 0.1)


def parse_lila(text: str | None) -> float:
    return _plausible(parse_number(text, LENGTH_UNITS), maternal.LILA_CM, "tpk_lila_range", 0.1)


def parse_height(text: str | None) -> float:
    return _plausible(parse_number(text, LENGTH_UNITS), maternal.ADULT_HEIGHT_CM,
                      "tpk_height_range", 100, 0.1)


def parse_adult_weight(text: str | None) -> float:
    return _plausible(parse_number(text, WEIGHT_UNITS), maternal.ADULT_WEIGHT_KG,
                      "tpk_weight_range", 0.1, 0.001)


def parse_count(text: str | None, high: int, template: str) -> int:
    value = parse_number(text)
    if value != int(value) or not 0 <= value <= high:
        raise Invalid(template, value=value, high=high)
    return int(value)


def nik_birth_adult(nik: str, today: dt.date) -> tuple[dt.date | None, str]:
    """Birth date and sex in an adult's NIK: the two year digits are the latest century that
    does not put the birth after today."""
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "P" if day > 40 else "L"
    day -= 40 if day > 40 else 0
    for century in (2000, 1900):
        try:
            born = dt.date(century + year, month, day)
        except ValueError:
            return None, sex
        if born <= today:
            return born, sex
    return None, sex


def parse_birth_or_nik(text: str | None, today: dt.date) -> tuple[dt.date, str | None]:
    """A birth date, or a NIK giving the birth date and the sex."""
    digits = re.sub(r"[\s.\-]", "", text or "")
    if digits.isdigit() and len(digits) > 8:
        nik = parse_nik(digits)
        born, sex = nik_birth_adult(nik, today)
        if born is None:
            raise Invalid("tpk_nik_date")
    else:
        born, sex = parse_date(text, today), None
    if born > today:
        raise Invalid("birth_future")
    age = maternal.age_years(born, today)
    if not WOMAN_AGE[0] <= age <= WOMAN_AGE[1]:
        raise Invalid("tpk_age_range", age=age)
    return born, sex


def parse_recent_day(text: str | None, today: dt.date) -> dt.date:
    """A day just past: ``bot.parsing.parse_date``, or "18/11" without a year (the latest
    18 November not after today)."""
    match = re.fullmatch(r"\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*", text or "")
    if match is None:
        return parse_date(text, today)
    try:
        day = dt.date(today.year, int(match.group(2)), int(match.group(1)))
    except ValueError:
        raise Invalid("date_impossible") from None
    return day if day <= today else day.replace(year=today.year - 1)


def parse_pregnancy(text: str | None, today: dt.date) -> dt.date:
    """The HPHT from what the TPK knows: a week of pregnancy ("12"), the HPHT ("1/6/2026"), or
    the HPL ("HPL 8/3/2027")."""
    raw = (text or "").strip()
    lowered = raw.lower()
    if re.fullmatch(r"\d{1,3}(\s*(minggu|mg|weeks?|w))?", lowered):
        week = int(re.match(r"\d+", lowered).group())
        if not 1 <= week <= maternal.WEEK_MAX:
            raise Invalid("tpk_week_range", week=week)
        return today - dt.timedelta(days=7 * week)
    if lowered.startswith(("hpl", "hpl:", "due")):
        hpht = hpht_from_due(parse_date(re.sub(r"^(hpl|due)\s*:?\s*", "", lowered), today))
    else:
        hpht = parse_date(re.sub(r"^hpht\s*:?\s*", "", lowered), today)
    week = maternal.week_of(hpht, today)
    if hpht > today or not 0 <= week <= maternal.WEEK_MAX:
        raise Invalid("tpk_week_range", week=week)
    return hpht


# ---------------------------------------------------------------- toggles


def toggle_step(name: str, question: str, options, *, values=None, when=None) -> Step:
    """A multi-choice step: each option's button toggles it (✅), "Selesai" keeps the choice,
    "Tidak ada" chooses none. ``options(data)`` gives the codes; labels are ``tlabel(kind, code)``
    with the step name as the kind. The running choice is kept in ``data["_" + name]``."""
    key = "_" + name

    def buttons(ctx: Context, data: dict):
        chosen = set(data.get(key) or [])
        rows = [[(("✅ " if code in chosen else "") + tlabel(ctx, name, code), f"t{code}")]
                for code in options(data)]
        last = [(tlabel(ctx, "nothing"), "none")]
        if chosen:
            last.append((tlabel(ctx, "done"), "done"))
        return rows + [last]

    def parse(_ctx: Context, answer: Answer, data: dict) -> list[str]:
        choice = answer.choice or ""
        codes = list(options(data))
        if choice.startswith("t") and choice[1:] in codes:
            chosen = set(data.get(key) or [])
            chosen ^= {choice[1:]}
            data[key] = [code for code in codes if code in chosen]
            raise Goto(name)
        if choice == "none":
            data.pop(key, None)
            return []
        if choice == "done" and data.get(key):
            return list(data[key])
        raise Invalid("choose_button")

    return Step(name, question, parse, buttons=buttons, values=values, when=when)


def yes_no(ctx: Context, _data=None):
    return [[(ctx.label("yes"), "y"), (ctx.label("no"), "n")]]


def recent_day_buttons(ctx: Context, _data) -> list[list[tuple[str, str]]]:
    """Today / yesterday, for a step read by ``parse_recent_day``."""
    return [[(tlabel(ctx, "day_today"), "hari ini"), (tlabel(ctx, "day_yesterday"), "kemarin")]]


def delivery_day(text: str | None, today: dt.date) -> dt.date:
    """The day a mother gave birth, for a nifas target: not in the future, within the 42 days."""
    day = parse_date(text, today)
    if day > today:
        raise Invalid("date_future")
    if (today - day).days > NIFAS_DAYS:
        raise Invalid("tpk_nifas_over")
    return day


def one_match(pairs: list[tuple[int, str]], text: str | None, data: dict) -> int:
    """The id of the one target whose name matches ``text``; Invalid when none or several (the
    several are kept in ``data["candidates"]`` for the question's buttons)."""
    found = match_names(pairs, text or "")
    if not found:
        raise Invalid("tpk_target_unknown", name=text or "")
    if len(found) > 1:
        data["candidates"] = found
        raise Invalid("child_ambiguous", name=text or "")
    data.pop("candidates", None)
    return found[0]
