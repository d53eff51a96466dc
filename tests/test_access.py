"""Scope: nobody reads a child outside their role's place in the area tree."""

from __future__ import annotations

from sqlalchemy import select

from storage.access import Scope, child_filter, get_child, scoped_children
from storage.models import AuditEntry, User
from tests.helpers import Talk


async def scope_of(db, name: str) -> Scope:
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(User.platform_user_id == name))
        return Scope.of(user)


async def visible(db, name: str) -> set[int]:
    kind, params = child_filter(await scope_of(db, name))
    async with db.transaction() as session:
        return {c.id for c in (await session.scalars(scoped_children(kind), params)).all()}


async def test_each_role_sees_its_own_place(db, world):
    c = world.children
    assert await visible(db, "ibu_a1") == {c["siti"]}
    assert await visible(db, "ibu_a2") == {c["budi"]}
    assert await visible(db, "kader_a") == {c["siti"], c["budi"]}
    assert await visible(db, "kader_b") == {c["rudi"]}
    assert await visible(db, "bidan_a") == {c["siti"], c["budi"]}
    assert await visible(db, "koor_malingping") == {c["siti"], c["budi"]}
    assert await visible(db, "koor_lebak") == {c["siti"], c["budi"], c["rudi"]}


async def test_family_cannot_read_another_familys_child(dispatcher, world, db):
    talk = Talk(dispatcher, "ibu_a1")
    own = await talk.press(f"c:{world.children['siti']}")
    assert "Siti Aminah" in own[0].text
    other = await talk.press(f"c:{world.children['budi']}")
    assert "Budi" not in other[0].text and "tidak ditemukan" in other[0].text
    listing = await talk.say("/anak")
    labels = [b.text for row in listing[0].buttons for b in row]
    assert labels == ["Siti Aminah"]
    scope = await scope_of(db, "ibu_a1")
    async with db.transaction() as session:
        assert await get_child(session, scope, world.children["budi"]) is None
        reads = (await session.scalars(select(AuditEntry.entity_id).where(
            AuditEntry.action == "read", AuditEntry.actor_user_id == scope.user_id))).all()
    assert reads == [str(world.children["siti"])]  # the refused read exposed nothing


async def test_kader_cannot_read_another_posyandus_child(dispatcher, world):
    talk = Talk(dispatcher, "kader_a")
    assert "Siti Aminah" in (await talk.press(f"c:{world.children['siti']}"))[0].text
    text = (await talk.press(f"c:{world.children['rudi']}"))[0].text
    assert "Rudi" not in text and "tidak ditemukan" in text


async def test_koordinator_scope_and_absent_ids(dispatcher, world):
    talk = Talk(dispatcher, "koor_malingping")
    assert "tidak ditemukan" in (await talk.press(f"c:{world.children['rudi']}"))[0].text
    assert "tidak ditemukan" in (await talk.press("c:999999"))[0].text
    assert "tidak dikenal" in (await talk.press("c:abc"))[0].text


async def test_area_cover():
    scope = Scope(1, "koordinator", "36.02", None)
    assert scope.covers_area("36.02") and scope.covers_area("36.02.01.2001")
    assert not scope.covers_area("36.021") and not scope.covers_area("36")
    assert not Scope(1, "kader", None, 3).covers_area("36.02")


async def test_name_search_within_the_scope(dispatcher, world):
    koordinator, kader = Talk(dispatcher, "koor_lebak"), Talk(dispatcher, "kader_a")
    await koordinator.say("/anak AMI")
    assert set(koordinator.buttons) == {"Siti Aminah"}
    await koordinator.say("/anak rudi")
    assert set(koordinator.buttons) == {"Rudi Hartono"}
    assert "Rudi" not in await kader.text("/anak rudi")  # another posyandu's child
    # "%" and "_" are letters to look for, not wildcards.
    for search in ("%", "_", "s_ti", "a%h"):
        none = await koordinator.text(f"/anak {search}")
        assert "Siti" not in none and "Rudi" not in none
