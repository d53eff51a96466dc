"""/hapusdata: see what is stored, erase it; measurements stay without names."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.models import AuditEntry, Child, Measurement, User
from tests.helpers import Talk, joined


async def test_erase_removes_the_user_and_anonymises_children(dispatcher, db, world, clock):
    kader = Talk(dispatcher, "kader_a")
    await kader.say("/ukur Siti 12,5 90")
    mother = Talk(dispatcher, "ibu_a1")
    question = joined(await mother.say("/hapusdata"))
    assert "Siti Aminah" in question and "1 hasil penimbangan" in question
    assert "dihapus" in joined(await mother.press("🗑 Hapus semua data saya"))
    async with db.transaction() as session:
        assert await session.scalar(select(User).where(User.platform_user_id == "ibu_a1")) is None
        siti = await session.get(Child, world.children["siti"])
        assert (siti.name, siti.nik, siti.mother_name, siti.parent_user_id) == (
            "(dihapus)", None, None, None)
        assert siti.birth_date == dt.date(2024, 5, 1)
        assert await session.scalar(select(func.count()).select_from(Measurement)) == 1
        erase = await session.scalar(select(AuditEntry).where(AuditEntry.action == "erase"))
        assert erase.actor_user_id == world.users["ibu_a1"] and "Siti" not in (erase.detail or "")
    # Writing again: a stranger, told how to join.
    assert "/start KODE" in await mother.text("halo")


async def test_erase_cancelled_keeps_everything(dispatcher, db, world):
    mother = Talk(dispatcher, "ibu_a2")
    await mother.say("/hapusdata")
    assert "tidak ada yang dihapus" in joined(await mother.press("Batal"))
    async with db.transaction() as session:
        assert await session.scalar(select(User).where(User.platform_user_id == "ibu_a2"))
        assert (await session.get(Child, world.children["budi"])).name == "Budi Santoso"
