"""``tumbuh demo``: seed a small demo kabupaten into a fresh database and chat as a kader.

The demo area is Kabupaten Lebak in Banten (WIB), one kecamatan, one desa and one posyandu, with
console users for each role and a few children, so a newcomer sees the bot work without a token.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.models import Child, User
from storage.registry import AreaRow, add_posyandu, import_areas
from storage.targets import CATIN, HAMIL, Target, due_from_hpht

DEMO_AREAS = [
    AreaRow(0, "36", "Banten", "provinsi", None, "Asia/Jakarta"),
    AreaRow(0, "36.02", "Lebak", "kabupaten", "36", None),
    AreaRow(0, "36.02.01", "Malingping", "kecamatan", "36.02", None),
    AreaRow(0, "36.02.01.2001", "Malingping Utara", "desa", "36.02.01", None),
]
# platform user id -> (role, place)
DEMO_USERS = {
    "demo-kader": "kader",
    "demo-koordinator": "koordinator",
    "demo-bidan": "bidan",
    "demo-ibu": "keluarga",
    "demo-tpk": "tpk",
}
DEMO_CHILDREN = [
    ("Siti Aminah", "P", dt.date(2024, 3, 14), "Rina"),
    ("Budi Santoso", "L", dt.date(2023, 11, 2), "Wati"),
    ("Ahmad Fauzi", "L", dt.date(2025, 6, 20), "Rina"),
    ("Dewi Lestari", "P", dt.date(2022, 8, 9), "Yuli"),
]


async def seed_demo(session, now: dt.datetime) -> bool:
    """Seed once; returns False when the demo users exist already."""
    found = await session.scalar(
        select(User.id).where(User.platform == "console", User.platform_user_id == "demo-kader")
    )
    if found is not None:
        return False
    await import_areas(session, DEMO_AREAS)
    posyandu = await add_posyandu(
        session, desa_code="36.02.01.2001", name="Melati", opens_at=dt.time(8, 0), day_of_month=10
    )
    users = {}
    for platform_id, role in DEMO_USERS.items():
        user = User(
            platform="console", platform_user_id=platform_id, chat_id=platform_id, role=role,
            locale="id", locale_chosen=False, created_at=now,
        )
        if role in ("kader", "keluarga"):
            user.posyandu_id = posyandu.id
        elif role == "koordinator":
            user.area_code = "36.02.01"
        else:
            user.area_code = "36.02.01.2001"
        if role == "keluarga":
            user.consent_version, user.consent_at = "demo", now
        session.add(user)
        users[role] = user
    await session.flush()
    for name, sex, born, mother in DEMO_CHILDREN:
        session.add(Child(
            posyandu_id=posyandu.id, name=name, sex=sex, birth_date=born, mother_name=mother,
            parent_user_id=users["keluarga"].id if mother == "Rina" else None,
            created_by=users["kader"].id, created_at=now,
        ))
    # Two women the demo TPK accompanies: a pregnant mother (week 20) and a bride-to-be.
    today = now.date()
    hpht = today - dt.timedelta(weeks=20)
    session.add_all([
        Target(kind=HAMIL, name="Rina", sex="P", birth_date=dt.date(1998, 4, 2),
               desa_code="36.02.01.2001", posyandu_id=posyandu.id, tpk_user_id=users["tpk"].id,
               hpht=hpht, due_date=due_from_hpht(hpht), children_born=1,
               last_birth_on=dt.date(2024, 3, 14), created_by=users["tpk"].id, created_at=now),
        Target(kind=CATIN, name="Nur Aini", sex="P", birth_date=dt.date(2005, 1, 9),
               desa_code="36.02.01.2001", tpk_user_id=users["tpk"].id,
               wedding_date=today + dt.timedelta(days=75), created_by=users["tpk"].id,
               created_at=now),
    ])
    return True
