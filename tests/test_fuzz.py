"""Random text and random button payloads, at every step of every conversation, never raise and
always get an answer (and never the internal-error answer)."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import build_dispatcher, router
from bot.conversation import FLOWS
from bot.core import Contact, Incoming
from bot.settings import Settings
from storage.db import Database
from storage.models import Child, Measurement, User
from tests.helpers import build_world

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)

# How to reach each step of each flow: (who, the input that starts it, good answers in order).
# A new flow must be added here, or the completeness check below fails.
# {child} and {measurement} are a fresh child of the kader's posyandu and its last weighing,
# entered by that kader 35 days before NOW.
PATHS = {
    "gabung": ("stranger", "/start {join_a}", ["y", "hamil"]),
    "siapa": ("ibu_a1", "/tips siapa", ["hamil", "hpht", "1/9/2026"]),
    "undang": ("koor_malingping", "/undang", ["Bidan desa", "36.02.01.2001"]),
    "ukur": ("kader_a", "/ukur", ["{child}", "today", "12,5", "88", "skip", "save"]),
    "anak_baru": ("kader_a", "/anak_baru",
                  ["Nama Baru", "L", "1/1/2025", "Ibu Baru", "y", "skip", "skip"]),
    "ralat": ("kader_a", "/ralat", ["{measurement}", "fix", "12,5", "88", "y"]),
    "hapusdata": ("ibu_a1", "/hapusdata", ["n"]),
    "hamil": ("ibu_a1", "/tips hamil", ["hpht", "1/9/2026", "pagi"]),
    "catin": ("ibu_a1", "/tips catin", ["20/6/2027", "pagi"]),
    "balita": ("ibu_a1", "/tips balita", ["Anak Baru", "1/5/2025", "L", "pagi"]),
    "jam_tips": ("ibu_a1", "/tips jam", ["pagi"]),
    "lahir": ("ibu_a1", "/tips lahir", ["hari ini", "Bayi Fuzz", "P"]),
    "kehilangan": ("ibu_a1", "/tips kehilangan", ["n"]),
    "aksi": ("koor_malingping", "/aksi", ["pmt", "Membagikan telur untuk balita", "skip"]),
    "jadwal": ("koor_malingping", "/jadwal", ["1", "2026-12-10", "move", "12/12", "08:00"]),
    "siaran": ("koor_malingping", "/siaran baru", ["posyandu", "10/12/2026", "08:00", "Balai desa", "36.02.01", "keluarga", "ok", "ok", "later", "25/11/2026 08:00"]),
    "laporan": ("koor_malingping", "/laporan", ["2026-11"]),
    # TPK flows branch by target kind; a path follows one branch, padded with its last answer.
    "sasaran_baru": ("tpk_a", "/sasaran_baru", ["hamil", "y", "Ibu Fuzz", "17/8/2001", "12", "2",
                                                "1/1/2025", "save", "y", "save", "save", "save"]),
    "skrining": ("tpk_a", "/skrining_catin", ["{catin}", "150", "45", "23", "11", "tidak",
                                              "keep", "keep"]),
    "kunjungan": ("tpk_a", "/kunjungan", ["{hamil}", "go", "hari ini", "24", "11", "30", "1",
                                          "none", "none", "none", "none", "none", "none", "none",
                                          "none", "none", "none"]),
    # Started by a summary button (an opener "tpk:..." is sent as a button payload).
    "tpk_tahap": ("tpk_a", "tpk:b:{hamil_id}", ["hari ini", "y"]),
    "tpk_hapus": ("tpk_a", "tpk:x:{hamil_id}", ["n"]),
}
STAFF = {"koor_malingping": "koordinator", "kader_a": "kader", "ibu_a1": "keluarga",
         "tpk_a": "tpk"}

payloads = st.one_of(
    st.text(max_size=64),
    st.builds(lambda f, s, v: f"f:{f}:{s}:{v}", st.sampled_from([*FLOWS, "x"]),
              st.integers(-2, 5), st.text(max_size=20)),
    st.builds(lambda p, v: f"{p}{v}", st.sampled_from(["c:", "cp:", "m:", "lang:", "f:",
                                                     "tpk:t:", "tpk:v:", "tpk:s:", "tpk:p:",
                                                     "tpk:b:", "tpk:x:", "tpk:o:"]),
              st.text(max_size=20)),
)
inputs = st.lists(
    st.one_of(
        st.tuples(st.just("text"), st.text(max_size=200)),
        st.tuples(st.just("text"), st.sampled_from(
            ["/start", "/batal", "/kembali", "/menu", "/bantuan", "/anak", "/undang", "/start ",
             "/aksi", "/jadwal", "/start x y", "7,5", "7½", "-1", "١٢", "/"])),
        st.tuples(st.just("payload"), payloads),
        st.tuples(st.just("contact"), st.text(max_size=20)),
        st.tuples(st.just("photo"), st.text(min_size=1, max_size=10)),
    ),
    min_size=1, max_size=4,
)


def test_every_flow_has_a_path():
    router()  # importing the conversations registers them
    assert set(PATHS) == set(FLOWS)
    for name, (_, _, answers) in PATHS.items():
        assert len(answers) >= len(FLOWS[name].steps) - 1


def test_random_input_never_crashes(sqlite_template, tmp_path):
    path = tmp_path / "fuzz.db"
    shutil.copy(sqlite_template, path)
    loop = asyncio.new_event_loop()
    db = Database(f"sqlite:///{path}")
    cfg = Settings(database_url=db.url, _env_file=None)
    dispatcher = build_dispatcher(cfg, db, clock=lambda: NOW)
    world = loop.run_until_complete(_world(db))
    counter = itertools.count()
    update_ids = itertools.count(1)
    router()

    async def send(user: str, kind: str, value: str) -> None:
        values = {"text": None}
        if kind == "text":
            values["text"] = value
        elif kind == "payload":
            values["payload"] = value
        elif kind == "contact":
            values["contact"] = Contact(value or "0")
        else:
            values["photo_id"] = value
        outcome = await dispatcher.handle(Incoming(
            platform="test", user_id=user, chat_id=user, update_id=next(update_ids), **values))
        assert outcome.replies, (kind, value)
        for reply in outcome.replies:
            assert reply.text or reply.image, (kind, value)
            assert "terjadi gangguan" not in reply.text, (kind, value)

    async def drive(flow: str, step: int, steps: list[tuple[str, str]]) -> None:
        who, opener, answers = PATHS[flow]
        user = f"{who}-{next(counter)}"
        names = await _clone_user(db, who, user, world)
        await send(user, "payload" if opener.startswith("tpk:") else "text", opener.format(**names))
        for answer in answers[:step]:
            await send(user, "text", answer.format(**names))
        for kind, value in steps:
            await send(user, kind, value)

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(sorted(PATHS)), st.integers(0, 3), inputs)
    def check(flow, step, steps):
        step = min(step, len(FLOWS[flow].steps) - 1)
        loop.run_until_complete(drive(flow, step, steps))

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(["stranger", *STAFF]), inputs)
    def check_outside_flows(who, steps):
        async def go():
            user = f"{who}-{next(counter)}"
            await _clone_user(db, who, user, world)
            for kind, value in steps:
                await send(user, kind, value)

        loop.run_until_complete(go())

    try:
        check()
        check_outside_flows()
    finally:
        loop.run_until_complete(db.dispose())
        loop.close()


async def _world(db):
    async with db.transaction() as session:
        return await build_world(session, NOW)


async def _clone_user(db: Database, template: str, new_id: str, world) -> dict:
    """A fresh user with the template user's role and place (strangers have none); a kader
    also gets a fresh child with one weighing they entered. Returns the names for PATHS."""
    names = {"join_a": world.join_a}
    if template == "stranger":
        return names
    async with db.transaction() as session:
        source = await session.scalar(select(User).where(User.platform_user_id == template))
        user = User(
            platform="test", platform_user_id=new_id, chat_id=new_id, role=source.role,
            area_code=source.area_code, posyandu_id=source.posyandu_id, locale="id",
            locale_chosen=False, consent_version=source.consent_version,
            consent_at=source.consent_at, created_at=NOW,
        )
        session.add(user)
        await session.flush()
        if source.role == "kader":
            child = Child(posyandu_id=source.posyandu_id, name=f"Fuzz {new_id}", sex="L",
                          birth_date=dt.date(2024, 5, 1), created_at=NOW)
            session.add(child)
            await session.flush()
            measured = (NOW - dt.timedelta(days=35)).date()
            measurement = Measurement(
                child_id=child.id, posyandu_id=child.posyandu_id, desa_code="36.02.01.2001",
                measured_on=measured, weight_kg=12.0, lenhei_cm=87.0, position="h",
                entered_by=user.id, entered_at=NOW, age_days=(measured - child.birth_date).days,
                clenhei=87.0, gain="B",
            )
            session.add(measurement)
            await session.flush()
            names.update(child=child.name, measurement=measurement.id)
        if source.role == "keluarga":  # pregnant, so /tips kehilangan and lahir reach their flows
            from storage.targets import Target

            session.add(Target(kind="hamil", user_id=user.id, desa_code="36.02.01.2001",
                               posyandu_id=source.posyandu_id, hpht=dt.date(2026, 5, 1),
                               due_date=dt.date(2027, 2, 5), created_at=NOW))
        if source.role == "tpk":  # a catin to screen and an ibu hamil to visit, of this TPK
            from storage.targets import Target

            catin = Target(kind="catin", name=f"Catin {new_id}", sex="P", desa_code=source.area_code,
                           birth_date=dt.date(2001, 8, 17), wedding_date=dt.date(2027, 2, 1),
                           created_at=NOW)
            hamil = Target(kind="hamil", name=f"Hamil {new_id}", sex="P", desa_code=source.area_code,
                           hpht=dt.date(2026, 8, 1), created_at=NOW)
            session.add_all([catin, hamil])
            await session.flush()
            names.update(catin=catin.name, hamil=hamil.name, hamil_id=hamil.id)
    return names
