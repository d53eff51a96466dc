"""Areas import, posyandu and invites."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import func, select

from storage.models import Area
from storage.registry import (
    RegistryError,
    add_posyandu,
    create_invite,
    import_areas,
    look_up_code,
    parse_area_csv,
)

GOOD = """code,name,level,parent_code,timezone
36,Banten,provinsi,,WIB
36.02,Lebak,kabupaten,36,
36.02.01,Malingping,kecamatan,36.02,
36.02.01.2001,Malingping Utara,desa,36.02.01,
81,Maluku,provinsi,,WIT
81.01,Maluku Tenggara,kabupaten,81,
"""


async def test_import_inherits_time_zone(db):
    rows = parse_area_csv(io.StringIO(GOOD))
    async with db.transaction() as session:
        assert await import_areas(session, rows) == 6
    async with db.transaction() as session:
        desa = await session.get(Area, "36.02.01.2001")
        maluku = await session.get(Area, "81.01")
    assert desa.timezone == "Asia/Jakarta" and desa.parent_code == "36.02.01"
    assert maluku.timezone == "Asia/Jayapura"


def test_bad_rows_are_reported_with_line_numbers():
    bad = GOOD + "36.02.01.20X1,Salah,desa,36.02.01,\n36.02.02,Wanasalam,kecamatan,36.01,\n36.03,X,kota,36,WET\n"
    with pytest.raises(RegistryError) as error:
        parse_area_csv(io.StringIO(bad))
    message = str(error.value)
    assert "line 8: code '36.02.01.20X1'" in message
    assert "line 9: parent_code '36.01'" in message
    assert "line 10: timezone 'WET'" in message


def test_missing_column_is_refused():
    with pytest.raises(RegistryError, match="missing column"):
        parse_area_csv(io.StringIO("code,name,level\n36,Banten,provinsi\n"))


async def test_nothing_imported_when_a_parent_is_missing(db):
    rows = parse_area_csv(io.StringIO(
        "code,name,level,parent_code,timezone\n36,Banten,provinsi,,WIB\n32.01,Bogor,kabupaten,32,\n"))
    async with db.transaction() as session:
        with pytest.raises(RegistryError, match="line 3: parent 32"):
            await import_areas(session, rows)
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Area)) == 0


async def test_posyandu_rules(db, world):
    async with db.transaction() as session:
        with pytest.raises(RegistryError, match="either"):
            await add_posyandu(session, desa_code="36.02.01.2001", name="X", opens_at=dt.time(8))
        with pytest.raises(RegistryError, match="not in the registry"):
            await add_posyandu(session, desa_code="36.02.01", name="X", opens_at=dt.time(8),
                               day_of_month=3)
        with pytest.raises(RegistryError, match="weekday"):
            await add_posyandu(session, desa_code="36.02.01.2001", name="X", opens_at=dt.time(8),
                               nth_weekday=2, weekday="funday")
        p = await add_posyandu(session, desa_code="36.02.01.2001", name="Kenanga",
                               opens_at=dt.time(7, 30), nth_weekday=2, weekday="Tuesday")
        assert (p.nth_weekday, p.weekday) == (2, 1) and len(p.join_code) == 6


async def test_invite_place_must_fit_role(db, world, clock):
    async with db.transaction() as session:
        with pytest.raises(RegistryError, match="desa"):
            await create_invite(session, role="bidan", area_code="36.02.01")
        with pytest.raises(RegistryError, match="posyandu"):
            await create_invite(session, role="kader", area_code="36.02.01")
        with pytest.raises(RegistryError, match="role"):
            await create_invite(session, role="raja", area_code="36.02.01")
        invite = await create_invite(session, role="koordinator", area_code="36.02", now=clock.now)
        found = await look_up_code(session, " " + invite.code.lower() + " ", clock.now)
        assert found.kind == "invite"
        later = clock.now + dt.timedelta(days=15)
        assert (await look_up_code(session, invite.code, later)).kind == "expired"
        assert (await look_up_code(session, world.join_a, clock.now)).kind == "posyandu"
        assert (await look_up_code(session, "", clock.now)).kind == "unknown"
