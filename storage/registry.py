"""The registry: areas (imported from CSV), posyandu with their opening rule, and invites.

Area CSV columns: ``code,name,level,parent_code,timezone``. Codes follow Kemendagri
(Permendagri 137/2017): provinsi ``PP``, kabupaten/kota ``PP.KK``, kecamatan ``PP.KK.CC``,
desa/kelurahan ``PP.KK.CC.DDDD``. A time zone (WIB, WITA, WIT or the IANA name) is given where
it changes and inherited below. An import checks every row first and stores nothing when any
row is wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Area, Invite, KeyValue, Posyandu, User, utcnow
from storage.roles import PLACE_OF_ROLE, ROLES

LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")
LEVEL_ALIASES = {"kota": "kabupaten", "kabupaten/kota": "kabupaten", "kelurahan": "desa",
                 "desa/kelurahan": "desa", "province": "provinsi"}
CODE_PATTERNS = {
    "provinsi": re.compile(r"^\d{2}$"),
    "kabupaten": re.compile(r"^\d{2}\.\d{2}$"),
    "kecamatan": re.compile(r"^\d{2}\.\d{2}\.\d{2}$"),
    "desa": re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"),
}
ZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# No 0/O or 1/I: codes are read off paper and typed on small phones.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class RegistryError(ValueError):
    """A refused registry change; the message is for the person at the command line."""


@dataclass(frozen=True, slots=True)
class AreaRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str | None
    timezone: str | None


def parse_area_csv(lines: Iterable[str]) -> list[AreaRow]:
    """Parse and check the CSV on its own; raise RegistryError listing every bad line."""
    reader = csv.DictReader(lines)
    needed = {"code", "name", "level", "parent_code", "timezone"}
    missing = needed - set(reader.fieldnames or [])
    if missing:
        raise RegistryError(f"line 1: missing column(s): {', '.join(sorted(missing))}")
    rows, problems = [], []
    for number, raw in enumerate(reader, start=2):
        values = {k: (raw.get(k) or "").strip() for k in needed}
        level = LEVEL_ALIASES.get(values["level"].lower(), values["level"].lower())
        code, parent = values["code"], values["parent_code"] or None
        zone = values["timezone"] or None
        if level not in LEVELS:
            problems.append(f"line {number}: level {values['level']!r} is not one of {', '.join(LEVELS)}")
            continue
        if not CODE_PATTERNS[level].match(code):
            problems.append(f"line {number}: code {code!r} is not a {level} code")
            continue
        if not values["name"]:
            problems.append(f"line {number}: name is empty")
        expected_parent = code.rsplit(".", 1)[0] if "." in code else None
        if parent != expected_parent:
            problems.append(
                f"line {number}: parent_code {parent!r} does not match code {code} "
                f"(expected {expected_parent!r})"
            )
        if zone is not None:
            zone = ZONES.get(zone.upper(), zone)
            if zone not in ZONES.values():
                problems.append(f"line {number}: timezone {values['timezone']!r} is not WIB, WITA or WIT")
        rows.append(AreaRow(number, code, values["name"], level, parent, zone))
    if problems:
        raise RegistryError("\n".join(problems))
    return rows


async def import_areas(session: AsyncSession, rows: list[AreaRow]) -> int:
    """Insert or update areas; parents may come from the same file or the database."""
    existing = {
        a.code: a
        for a in (
            await session.execute(
                select(Area).where(Area.code.in_({r.code for r in rows} | {r.parent_code for r in rows if r.parent_code}))
            )
        ).scalars()
    }
    zones: dict[str, str] = {code: area.timezone for code, area in existing.items()}
    problems = []
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: r.code.count(".")):
        if row.code in seen:
            problems.append(f"line {row.line}: code {row.code} appears twice")
            continue
        seen.add(row.code)
        given = ZONES.get(row.timezone.upper(), row.timezone) if row.timezone else None
        zone = given or (zones.get(row.parent_code) if row.parent_code else None)
        if row.parent_code and row.parent_code not in zones:
            problems.append(f"line {row.line}: parent {row.parent_code} is neither in the file nor imported")
            continue
        if zone is None:
            problems.append(f"line {row.line}: no timezone given and none to inherit")
            continue
        zones[row.code] = zone
    if problems:
        raise RegistryError("\n".join(problems))
    for row in sorted(rows, key=lambda r: r.code.count(".")):
        area = existing.get(row.code)
        if area is None:
            area = Area(code=row.code)
            session.add(area)
        area.name, area.level, area.parent_code = row.name, row.level, row.parent_code
        area.timezone = zones[row.code]
    await session.flush()
    return len(rows)


def new_code(length: int = 6) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


async def add_posyandu(
    session: AsyncSession,
    *,
    desa_code: str,
    name: str,
    opens_at: dt.time,
    day_of_month: int | None = None,
    nth_weekday: int | None = None,
    weekday: str | int | None = None,
) -> Posyandu:
    desa = await session.get(Area, desa_code)
    if desa is None or desa.level != "desa":
        raise RegistryError(f"desa {desa_code} is not in the registry (import areas first)")
    if (day_of_month is None) == (nth_weekday is None):
        raise RegistryError("give either --day-of-month or --nth-weekday with --weekday")
    if day_of_month is not None and not 1 <= day_of_month <= 28:
        raise RegistryError("--day-of-month must be 1..28 (every month has it)")
    weekday_index = None
    if nth_weekday is not None:
        if not 1 <= nth_weekday <= 4:
            raise RegistryError("--nth-weekday must be 1..4 (every month has it)")
        if isinstance(weekday, str):
            if weekday.lower()[:3] not in WEEKDAYS:
                raise RegistryError("--weekday must be one of mon..sun")
            weekday_index = WEEKDAYS.index(weekday.lower()[:3])
        elif isinstance(weekday, int) and 0 <= weekday <= 6:
            weekday_index = weekday
        else:
            raise RegistryError("--nth-weekday needs --weekday mon..sun")
    if not name.strip():
        raise RegistryError("--name is empty")
    posyandu = Posyandu(
        desa_code=desa_code,
        name=name.strip(),
        day_of_month=day_of_month,
        nth_weekday=nth_weekday,
        weekday=weekday_index,
        opens_at=opens_at,
        join_code=await _unused_code(session),
    )
    session.add(posyandu)
    await session.flush()
    return posyandu


async def _unused_code(session: AsyncSession) -> str:
    while True:
        code = new_code()
        taken = await session.scalar(select(Posyandu.id).where(Posyandu.join_code == code))
        if taken is None and await session.get(Invite, code) is None:
            return code


async def create_invite(
    session: AsyncSession,
    *,
    role: str,
    area_code: str | None = None,
    posyandu_id: int | None = None,
    created_by: int | None = None,
    days: int = 14,
    now: dt.datetime | None = None,
) -> Invite:
    """An invite for one person to take ``role`` at a place; checks the place fits the role."""
    if role not in ROLES:
        raise RegistryError(f"role {role!r} is not one of {', '.join(ROLES)}")
    place = PLACE_OF_ROLE[role]
    if place == "posyandu":
        if posyandu_id is None or await session.get(Posyandu, posyandu_id) is None:
            raise RegistryError(f"a {role} invite needs an existing --posyandu ID")
        area_code = None
    elif place in ("area", "desa"):
        area = await session.get(Area, area_code) if area_code else None
        if area is None:
            raise RegistryError(f"a {role} invite needs an existing --area CODE")
        if place == "desa" and area.level != "desa":
            raise RegistryError(f"a {role} works in a desa: give a desa code (PP.KK.CC.DDDD)")
        posyandu_id = None
    else:
        area_code = posyandu_id = None
    now = now or utcnow()
    invite = Invite(
        code=await _unused_code(session),
        role=role,
        area_code=area_code,
        posyandu_id=posyandu_id,
        created_by=created_by,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    session.add(invite)
    await session.flush()
    return invite


@dataclass(frozen=True, slots=True)
class CodeLookup:
    """What a ``/start`` code turned out to be."""

    kind: str  # "invite", "posyandu", "used", "expired", "unknown"
    invite: Invite | None = None
    posyandu: Posyandu | None = None


async def look_up_code(session: AsyncSession, raw: str, now: dt.datetime) -> CodeLookup:
    code = raw.strip().upper()
    if not code or len(code) > 16:
        return CodeLookup("unknown")
    invite = await session.get(Invite, code)
    if invite is not None:
        if invite.used_at is not None:
            return CodeLookup("used", invite)
        if invite.expires_at <= now:
            return CodeLookup("expired", invite)
        return CodeLookup("invite", invite)
    posyandu = await session.scalar(select(Posyandu).where(Posyandu.join_code == code))
    if posyandu is not None:
        return CodeLookup("posyandu", posyandu=posyandu)
    return CodeLookup("unknown")


def redeem(invite: Invite, user: User, now: dt.datetime) -> None:
    """Give the user the invite's role and place; an invite works once."""
    invite.used_at, invite.used_by = now, user.id
    user.role = invite.role
    user.area_code = invite.area_code
    user.posyandu_id = invite.posyandu_id
    if invite.posyandu_id is not None:
        user.area_code = None


async def get_value(session: AsyncSession, key: str) -> str | None:
    row = await session.get(KeyValue, key)
    return row.value if row else None


async def set_value(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(KeyValue, key)
    if row is None:
        session.add(KeyValue(key=key, value=value))
    else:
        row.value = value


def deep_link(bot_username: str | None, code: str) -> str:
    return f"https://t.me/{bot_username or 'TumbuhBot'}?start={code}"
