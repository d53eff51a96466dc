"""``tumbuh demo``: seed a small demo kabupaten into a fresh database and chat as a kader.

The demo area is Kabupaten Lebak in Banten (WIB), one kecamatan, one desa and one posyandu, with
console users for each role and a few children, so a newcomer sees the bot work without a token.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.models import Child, User
from storage.registry import AreaRow, add_posyandu, import_areas

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
    return True
