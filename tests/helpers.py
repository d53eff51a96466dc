"""Test helpers: a seeded registry (``World``) and ``Talk``, a chat user driving the dispatcher."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from bot.core import Incoming, Outcome, Reply
from bot.dispatch import Dispatcher
from storage.models import Child, User
from storage.registry import AreaRow, add_posyandu, create_invite, import_areas

AREAS = [
    AreaRow(0, "36", "Banten", "provinsi", None, "WIB"),
    AreaRow(0, "36.02", "Lebak", "kabupaten", "36", None),
    AreaRow(0, "36.02.01", "Malingping", "kecamatan", "36.02", None),
    AreaRow(0, "36.02.01.2001", "Malingping Utara", "desa", "36.02.01", None),
    AreaRow(0, "36.02.02", "Wanasalam", "kecamatan", "36.02", None),
    AreaRow(0, "36.02.02.2003", "Cipeucang", "desa", "36.02.02", None),
    AreaRow(0, "94", "Papua", "provinsi", None, "WIT"),
    AreaRow(0, "94.71", "Kota Jayapura", "kabupaten", "94", None),
    AreaRow(0, "94.71.01", "Jayapura Utara", "kecamatan", "94.71", None),
    AreaRow(0, "94.71.01.1001", "Gurabesi", "desa", "94.71.01", None),
]


@dataclass
class World:
    posyandu_a: int = 0  # in kecamatan Malingping
    posyandu_b: int = 0  # in kecamatan Wanasalam
    posyandu_c: int = 0  # in Jayapura (WIT)
    join_a: str = ""
    users: dict[str, int] = field(default_factory=dict)  # name -> users.id
    children: dict[str, int] = field(default_factory=dict)  # name -> children.id
    invites: dict[str, str] = field(default_factory=dict)  # name -> code


async def build_world(session, now: dt.datetime) -> World:
    world = World()
    await import_areas(session, AREAS)
    a = await add_posyandu(session, desa_code="36.02.01.2001", name="Melati",
                           opens_at=dt.time(8), day_of_month=10)
    b = await add_posyandu(session, desa_code="36.02.02.2003", name="Mawar",
                           opens_at=dt.time(8), nth_weekday=2, weekday="tue")
    c = await add_posyandu(session, desa_code="94.71.01.1001", name="Anggrek",
                           opens_at=dt.time(9), day_of_month=5)
    world.posyandu_a, world.posyandu_b, world.posyandu_c = a.id, b.id, c.id
    world.join_a = a.join_code
    people = {
        "kader_a": dict(role="kader", posyandu_id=a.id),
        "kader_b": dict(role="kader", posyandu_id=b.id),
        "ibu_a1": dict(role="keluarga", posyandu_id=a.id, consent_version="t", consent_at=now),
        "ibu_a2": dict(role="keluarga", posyandu_id=a.id, consent_version="t", consent_at=now),
        "koor_malingping": dict(role="koordinator", area_code="36.02.01"),
        "koor_lebak": dict(role="koordinator", area_code="36.02"),
        "bidan_a": dict(role="bidan", area_code="36.02.01.2001"),
        "tpk_a": dict(role="tpk", area_code="36.02.01.2001"),
    }
    for name, values in people.items():
        user = User(platform="test", platform_user_id=name, chat_id=name, locale="id",
                    locale_chosen=False, created_at=now, **values)
        session.add(user)
        await session.flush()
        world.users[name] = user.id
    kids = [
        ("siti", a.id, "ibu_a1", "Siti Aminah"),
        ("budi", a.id, "ibu_a2", "Budi Santoso"),
        ("rudi", b.id, None, "Rudi Hartono"),
        ("yohana", c.id, None, "Yohana Wenda"),
    ]
    for key, posyandu_id, parent, name in kids:
        child = Child(posyandu_id=posyandu_id, name=name, sex="L", birth_date=dt.date(2024, 5, 1),
                      parent_user_id=world.users.get(parent) if parent else None, created_at=now)
        session.add(child)
        await session.flush()
        world.children[key] = child.id
    for role, kwargs in {
        "kader": dict(posyandu_id=a.id),
        "bidan": dict(area_code="36.02.01.2001"),
        "koordinator": dict(area_code="36.02.01"),
    }.items():
        invite = await create_invite(session, role=role, now=now, **kwargs)
        world.invites[role] = invite.code
    return world


_update_ids = itertools.count(1000)


class Talk:
    """One chat user talking to the dispatcher; remembers the last buttons it was shown."""

    def __init__(self, dispatcher: Dispatcher, user_id: str, *, platform: str = "test",
                 language: str | None = "id") -> None:
        self.dispatcher = dispatcher
        self.user_id = user_id
        self.platform = platform
        self.language = language
        self.buttons: dict[str, str] = {}  # label -> payload
        self.last: Outcome | None = None

    async def send(self, incoming: Incoming) -> list[Reply]:
        self.last = await self.dispatcher.handle(incoming)
        labels = {b.text: b.payload for r in self.last.replies for row in r.buttons for b in row}
        if labels:
            self.buttons = labels
        return self.last.replies

    def incoming(self, **values) -> Incoming:
        values.setdefault("update_id", next(_update_ids))
        return Incoming(platform=self.platform, user_id=self.user_id, chat_id=self.user_id,
                        language=self.language, **values)

    async def say(self, text: str) -> list[Reply]:
        return await self.send(self.incoming(text=text))

    async def press(self, label_or_payload: str) -> list[Reply]:
        payload = self.buttons.get(label_or_payload, label_or_payload)
        return await self.send(self.incoming(payload=payload))

    async def text(self, text: str) -> str:
        """Say something and get all reply texts joined (for assertions)."""
        return joined(await self.say(text))


def joined(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def add_children(db, posyandu_id: int, count: int, now: dt.datetime) -> list[int]:
    ids = []
    async with db.transaction() as session:
        for i in range(count):
            child = Child(posyandu_id=posyandu_id, name=f"Anak {i:02d}", sex="P" if i % 2 else "L",
                          birth_date=dt.date(2023, 1 + i % 12, 1), created_at=now)
            session.add(child)
            await session.flush()
            ids.append(child.id)
    return ids
