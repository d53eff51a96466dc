"""What a TPK does with a target besides visiting: end its stage (birth, loss, wedding, moved),
erase it, page through /sasaran, be warned of a duplicate, and date a visit in the past week."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from storage.models import AuditEntry
from storage.outbox import OutboxMessage
from storage.targets import (
    BORN,
    ERASED,
    LOSS,
    MARRIED,
    MOVED,
    Target,
    earliest_birth,
    record_birth,
)
from storage.tpk import Screening, Visit, same_name
from tests.helpers import Talk, joined

DESA, OTHER_DESA = "36.02.01.2001", "36.02.02.2003"
TODAY = dt.date(2026, 11, 20)  # the clock: 2026-11-20 09:00 WIB


@pytest.fixture
def tpk(dispatcher, world):
    return Talk(dispatcher, "tpk_a")


async def add_target(db, world, clock, **values) -> int:
    values.setdefault("desa_code", DESA)
    values.setdefault("created_at", clock.now - dt.timedelta(days=10))
    values.setdefault("sex", "P")
    async with db.transaction() as session:
        target = Target(tpk_user_id=world.users["tpk_a"], **values)
        session.add(target)
        await session.flush()
        return target.id


async def get(db, target_id) -> Target:
    async with db.transaction() as session:
        return await session.get(Target, target_id)


async def all_targets(db) -> list[Target]:
    async with db.transaction() as session:
        return list((await session.scalars(select(Target).order_by(Target.id))).all())


def labels(replies) -> list[str]:
    return [b.text for r in replies for row in r.buttons for b in row]


async def rina(db, world, clock, **values) -> int:
    values = {"kind": "hamil", "name": "Rina Wati", "birth_date": dt.date(2001, 8, 17),
              "hpht": dt.date(2026, 3, 1), "due_date": dt.date(2026, 12, 6),
              "children_born": 2, "last_birth_on": dt.date(2022, 5, 1),
              "posyandu_id": world.posyandu_a, **values}
    return await add_target(db, world, clock, **values)


# ---------------------------------------------------------------- pure row logic


def test_record_birth_copies_the_person_and_ends_the_pregnancy():
    now = dt.datetime(2026, 11, 20, 2, tzinfo=dt.UTC)
    hamil = Target(kind="hamil", user_id=7, name="Rina", sex="P", birth_date=dt.date(2001, 1, 1),
                   desa_code=DESA, posyandu_id=3, tpk_user_id=9, hpht=dt.date(2026, 3, 1),
                   due_date=dt.date(2026, 12, 6), children_born=None)
    assert earliest_birth(hamil) == dt.date(2026, 7, 19)  # HPHT + 20 weeks
    nifas = record_birth(hamil, dt.date(2026, 11, 19), actor_id=9, now=now)
    assert (hamil.ended_on, hamil.end_reason) == (dt.date(2026, 11, 19), BORN)
    assert (nifas.kind, nifas.user_id, nifas.name, nifas.desa_code, nifas.posyandu_id) == (
        "nifas", 7, "Rina", DESA, 3)
    assert (nifas.delivered_on, nifas.last_birth_on, nifas.hpht) == (
        dt.date(2026, 11, 19), dt.date(2026, 11, 19), dt.date(2026, 3, 1))
    assert nifas.children_born is None  # unknown stays unknown
    with pytest.raises(ValueError):
        record_birth(hamil, dt.date(2026, 11, 19), actor_id=9, now=now)  # already ended


def test_same_name_ignores_case_spacing_and_a_slip():
    assert same_name("Rina  WATI", "rina wati")
    assert same_name("Siti Aminah", "Siti Aminha")
    assert not same_name("Rina", "Rini")  # short names: only an exact match
    assert not same_name("Rina Wati", "Dewi Lestari")


# ---------------------------------------------------------------- stage changes


async def test_birth_ends_the_pregnancy_and_opens_the_nifas_stage(tpk, db, world, clock):
    target_id = await rina(db, world, clock)
    await tpk.say("/sasaran")
    summary = await tpk.press("Rina Wati · Ibu hamil")
    assert labels(summary) == ["▶️ Mulai kunjungan", "👶 Sudah melahirkan",
                               "🕊 Keguguran / kehilangan", "🚚 Pindah / tidak didampingi lagi",
                               "🗑 Hapus data sasaran"]
    assert "Kapan ibu melahirkan" in joined(await tpk.press("👶 Sudah melahirkan"))
    assert "Tanggal lahir itu belum lewat" in await tpk.text("25/11/2026")
    assert "paling cepat 19/07/2026" in await tpk.text("1/5/2026")
    confirm = joined(await tpk.press("Kemarin"))
    assert "melahirkan pada 19/11/2026" in confirm
    assert "sudah melahirkan (19/11/2026)" in joined(await tpk.press("✅ Ya, catat"))
    pregnancy, nifas = await all_targets(db)
    assert pregnancy.id == target_id and (pregnancy.ended_on, pregnancy.end_reason) == (
        dt.date(2026, 11, 19), BORN)
    assert (nifas.kind, nifas.name, nifas.birth_date, nifas.desa_code, nifas.tpk_user_id) == (
        "nifas", "Rina Wati", dt.date(2001, 8, 17), DESA, world.users["tpk_a"])
    assert (nifas.children_born, nifas.delivered_on, nifas.last_birth_on, nifas.posyandu_id) == (
        3, dt.date(2026, 11, 19), dt.date(2026, 11, 19), world.posyandu_a)
    assert nifas.ended_on is None and nifas.created_by == world.users["tpk_a"]
    # She is now a nifas target in the list, with KF2 due.
    listing = await tpk.text("/sasaran")
    assert "Rina Wati (Ibu nifas)" in listing
    async with db.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == "target").order_by(AuditEntry.id))).all()
    assert "birth" in actions and "end" in actions


async def test_loss_asks_first_and_cancel_changes_nothing(tpk, db, world, clock):
    target_id = await rina(db, world, clock)
    await tpk.press(f"tpk:t:{target_id}")
    assert "kehamilannya berakhir" in joined(await tpk.press("🕊 Keguguran / kehilangan"))
    assert "Tidak ada yang diubah" in joined(await tpk.press("Batal"))
    assert (await get(db, target_id)).ended_on is None
    await tpk.press(f"tpk:t:{target_id}")
    await tpk.press("🕊 Keguguran / kehilangan")
    assert "Pendampingan kehamilan Rina Wati selesai" in joined(await tpk.press("✅ Ya, catat"))
    target = await get(db, target_id)
    assert (target.ended_on, target.end_reason) == (TODAY, LOSS)
    assert len(await all_targets(db)) == 1  # no nifas stage after a loss


async def test_catin_married_or_moved(tpk, db, world, clock):
    catin = await add_target(db, world, clock, kind="catin", name="Dewi",
                             wedding_date=dt.date(2027, 1, 10))
    other = await add_target(db, world, clock, kind="baduta", name="Keluarga Budi")
    summary = await tpk.press(f"tpk:t:{catin}")
    assert labels(summary) == ["▶️ Mulai skrining", "💍 Sudah menikah",
                               "🚚 Pindah / tidak didampingi lagi", "🗑 Hapus data sasaran"]
    # A button that does not fit the kind (a birth for a catin) does nothing.
    assert "Tombol itu tidak dikenal" in joined(await tpk.press(f"tpk:b:{catin}"))
    assert (await get(db, catin)).ended_on is None
    await tpk.press("💍 Sudah menikah")
    await tpk.press("✅ Ya, catat")
    assert (await get(db, catin)).end_reason == MARRIED
    await tpk.press(f"tpk:t:{other}")
    await tpk.press("🚚 Pindah / tidak didampingi lagi")
    assert "tidak didampingi lagi" in joined(await tpk.press("✅ Ya, catat"))
    assert (await get(db, other)).end_reason == MOVED
    assert "Belum ada sasaran" in await tpk.text("/sasaran")


async def test_bidan_may_end_a_stage_koordinator_may_not(dispatcher, db, world, clock):
    target_id = await rina(db, world, clock)
    bidan = Talk(dispatcher, "bidan_a")
    assert "Rina Wati" in await bidan.text("/sasaran")
    summary = await bidan.press("Rina Wati · Ibu hamil")
    assert "▶️ Mulai kunjungan" not in labels(summary) and "👶 Sudah melahirkan" in labels(summary)
    koor = Talk(dispatcher, "koor_malingping")
    assert "kode desa" in await koor.text("/sasaran")
    assert "Rina Wati" in await koor.text(f"/sasaran {DESA}")
    summary = await koor.press("Rina Wati · Ibu hamil")
    assert labels(summary) == ["🗑 Hapus data sasaran"]
    await koor.press(f"tpk:l:{target_id}")
    assert (await get(db, target_id)).ended_on is None
    kader = Talk(dispatcher, "kader_a")
    assert "bukan untuk peran Anda" in await kader.text("/sasaran")


# ---------------------------------------------------------------- erasure


async def test_erasing_a_recorded_target_keeps_anonymous_figures(tpk, db, world, clock):
    target_id = await rina(db, world, clock)
    async with db.transaction() as session:
        visit = Visit(target_id=target_id, kind="hamil", desa_code=DESA,
                      visited_on=dt.date(2026, 11, 10), week=36, hb=10.0, anaemia=True,
                      danger_signs="perdarahan", details={}, created_at=clock.now)
        session.add(visit)
        await session.flush()
        for key, status in ((f"tpk-danger:{visit.id}:1", "sent"),
                            (f"tpk-danger:{visit.id}:2", "pending")):
            session.add(OutboxMessage(dedupe_key=key, kind="notice", priority=0, platform="test",
                                      chat_id="x", text="SEGERA Rina Wati", status=status,
                                      not_before=clock.now))
    await tpk.press(f"tpk:t:{target_id}")
    confirm = joined(await tpk.press("🗑 Hapus data sasaran"))
    assert "Hapus data Rina Wati" in confirm and "1 kunjungan dan 0 skrining" in confirm
    assert "Data tidak dihapus" in joined(await tpk.press("Batal"))
    assert (await get(db, target_id)).name == "Rina Wati"
    await tpk.press(f"tpk:t:{target_id}")
    await tpk.press("🗑 Hapus data sasaran")
    assert "sudah dihapus" in joined(await tpk.press("🗑 Ya, hapus datanya"))
    target = await get(db, target_id)
    assert (target.name, target.birth_date, target.children_born, target.last_birth_on) == (
        "(dihapus)", None, None, None)
    assert (target.hpht, target.due_date) == (dt.date(2026, 3, 1), dt.date(2026, 12, 1))
    assert (target.ended_on, target.end_reason) == (TODAY, ERASED)
    async with db.transaction() as session:
        kept = await session.scalar(select(Visit))
        notices = {m.status: m.text for m in (await session.scalars(select(OutboxMessage))).all()}
        erase = await session.scalar(select(AuditEntry).where(AuditEntry.action == "erase"))
    assert (kept.hb, kept.anaemia) == (10.0, True)
    # Sent: its text no longer names her. Waiting: still goes (a danger sign reaches the bidan).
    assert notices == {"sent": "(dihapus)", "pending": "SEGERA Rina Wati"}
    assert erase.entity_id == str(target_id) and "Rina" not in (erase.detail or "")
    assert "Belum ada sasaran" in await tpk.text("/sasaran")
    assert "tidak ditemukan" in joined(await tpk.press(f"tpk:x:{target_id}"))


async def test_erase_by_koordinator_of_the_area_only(dispatcher, db, world, clock):
    here = await add_target(db, world, clock, kind="catin", name="Dewi",
                            wedding_date=dt.date(2027, 1, 10))
    there = await add_target(db, world, clock, kind="catin", name="Jauh", desa_code=OTHER_DESA)
    async with db.transaction() as session:
        session.add(Screening(target_id=here, desa_code=DESA, screened_on=TODAY, age_years=25,
                              smoking="tidak", result="ideal", reasons="", created_at=clock.now))
    koor = Talk(dispatcher, "koor_malingping")
    assert "tidak ditemukan" in joined(await koor.press(f"tpk:x:{there}"))
    assert "kode desa" in await koor.text(f"/sasaran {OTHER_DESA}")
    confirm = joined(await koor.press(f"tpk:x:{here}"))
    assert "0 kunjungan dan 1 skrining" in confirm
    await koor.press("🗑 Ya, hapus datanya")
    assert (await get(db, here)).name == "(dihapus)" and (await get(db, there)).name == "Jauh"
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Screening)) == 1


async def test_self_joined_target_is_erased_by_herself(tpk, db, world, clock):
    target_id = await add_target(db, world, clock, kind="hamil", user_id=world.users["ibu_a1"],
                                 hpht=dt.date(2026, 3, 1))
    text = joined(await tpk.press(f"tpk:x:{target_id}"))
    assert "/hapusdata" in text and "Sasaran #" in text
    assert (await get(db, target_id)).ended_on is None
    # A birth recorded by the TPK keeps her account on the nifas stage.
    await tpk.press(f"tpk:b:{target_id}")
    await tpk.press("Hari ini")
    assert "akunnya" in joined(tpk.last.replies)
    await tpk.press("✅ Ya, catat")
    nifas = (await all_targets(db))[-1]
    assert (nifas.kind, nifas.user_id, nifas.delivered_on) == ("nifas", world.users["ibu_a1"], TODAY)


async def test_a_birth_or_loss_recorded_by_the_tpk_moves_her_own_tips(tpk, db, world, clock):
    from storage.tips import TipSubscription, subscribe

    mothers = {}
    for name in ("ibu_a1", "ibu_a2"):
        mothers[name] = await add_target(db, world, clock, kind="hamil", user_id=world.users[name],
                                         hpht=dt.date(2026, 3, 1))
        async with db.transaction() as session:
            await subscribe(session, world.users[name], "hamil", target_id=mothers[name],
                            now=clock.now)
    await tpk.press(f"tpk:b:{mothers['ibu_a1']}")
    await tpk.press("Hari ini")
    await tpk.press("✅ Ya, catat")
    await tpk.press(f"tpk:l:{mothers['ibu_a2']}")
    await tpk.press("✅ Ya, catat")
    async with db.transaction() as session:
        subs = (await session.scalars(select(TipSubscription).order_by(TipSubscription.id))).all()
    by_user = {}
    for sub in subs:
        by_user.setdefault(sub.user_id, []).append((sub.track, sub.end_reason))
    assert by_user[world.users["ibu_a1"]] == [("hamil", "lahir"), ("anak", None)]
    assert by_user[world.users["ibu_a2"]] == [("hamil", "keguguran")]


# ---------------------------------------------------------------- paging


async def test_target_list_pages_in_place(tpk, db, world, clock):
    for i in range(19):
        await add_target(db, world, clock, kind="catin", name=f"Catin {i:02d}",
                         wedding_date=dt.date(2027, 1, 1) + dt.timedelta(days=i))
    [first] = await tpk.say("/sasaran")
    names = [b.text for row in first.buttons for b in row]
    assert len(names) == 9 and names[0] == "Catin 00 · Catin" and names[-1] == "»"
    assert "halaman 1 dari 3" in first.text
    [second] = await tpk.press("»")
    assert second.edit
    names = [b.text for row in second.buttons for b in row]
    assert names[0] == "Catin 08 · Catin" and names[-2:] == ["«", "»"]
    [third] = await tpk.press("»")
    names = [b.text for row in third.buttons for b in row]
    assert names == ["Catin 16 · Catin", "Catin 17 · Catin", "Catin 18 · Catin", "«"]
    [back] = await tpk.press("«")
    assert [b.text for row in back.buttons for b in row][0] == "Catin 08 · Catin"
    # A forged page of another desa shows the TPK's own desa.
    [forged] = await tpk.press(f"tpk:p:0:{OTHER_DESA}")
    assert "Catin 00" in forged.text
    assert "Tombol itu tidak dikenal" in joined(await tpk.press("tpk:p:x:"))


# ---------------------------------------------------------------- duplicates


async def record(tpk, kind_label, name, birth):
    await tpk.say("/sasaran_baru")
    await tpk.press(kind_label)
    await tpk.press("✅ Sasaran sudah setuju datanya dicatat")
    await tpk.say(name)
    await tpk.say(birth)


async def test_duplicate_is_asked_before_storing(tpk, db, world, clock):
    await rina(db, world, clock)
    await record(tpk, "Ibu hamil", "rina   WATI", "17/8/2001")
    await tpk.say("12")
    await tpk.press("Lewati")
    question = joined(await tpk.press("✅ Simpan"))
    assert "Sudah ada <b>Rina Wati</b> (lahir 17/08/2001)" in question
    assert "Tetap catat sebagai orang baru?" in question
    assert "Tidak ada yang dicatat" in joined(await tpk.press("Batal, orangnya sama"))
    assert len(await all_targets(db)) == 1
    await record(tpk, "Ibu hamil", "Rina Wati", "17/8/2001")
    await tpk.say("12")
    await tpk.press("Lewati")
    await tpk.press("✅ Simpan")
    assert "tercatat sebagai sasaran" in joined(await tpk.press("Tetap catat sebagai orang baru"))
    assert len(await all_targets(db)) == 2
    # Another birth date, or another kind: another person, no question.
    await record(tpk, "Ibu hamil", "Rina Wati", "1/1/1999")
    await tpk.say("12")
    await tpk.press("Lewati")
    assert "tercatat sebagai sasaran" in joined(await tpk.press("✅ Simpan"))
    await record(tpk, "Catin", "Rina Wati", "17/8/2001")
    await tpk.press("Perempuan")
    await tpk.say("20/2/2027")
    assert "tercatat sebagai sasaran" in joined(await tpk.press("✅ Simpan"))
    assert len(await all_targets(db)) == 4


# ---------------------------------------------------------------- visit date


async def test_visit_dated_yesterday_or_typed(tpk, db, world, clock):
    target_id = await rina(db, world, clock, hpht=dt.date(2026, 8, 28))  # week 12 today
    async with db.transaction() as session:
        session.add(Visit(target_id=target_id, kind="hamil", desa_code=DESA,
                          visited_on=dt.date(2026, 11, 15), week=11, ttd_taken=10, ttd_total=10,
                          anc_done=1, details={}, created_at=clock.now))
    await tpk.press(f"tpk:t:{target_id}")
    assert "Kapan kunjungannya" in joined(await tpk.press("▶️ Mulai kunjungan"))
    assert "paling lama 7 hari" in await tpk.text("10/11/2026")
    # "21/11" without a year is the last 21 November (2025): more than 7 days ago.
    assert "paling lama 7 hari" in await tpk.text("21/11")
    assert "belum lewat" in await tpk.text("21/11/2026")
    assert "tidak bisa sebelum" in await tpk.text("14/11")
    await tpk.press("Kemarin")
    for answer in ("24", "12", "5", "1"):
        await tpk.say(answer)
    await tpk.press("Tidak ada")
    async with db.transaction() as session:
        visit = (await session.scalars(select(Visit).order_by(Visit.id.desc()))).first()
    assert visit.visited_on == dt.date(2026, 11, 19) and visit.week == 11 and visit.ttd_total == 15


async def test_nifas_visit_typed_date_gives_its_kf_window(tpk, db, world, clock):
    target_id = await add_target(db, world, clock, kind="nifas", name="Sari",
                                 delivered_on=dt.date(2026, 11, 16))
    await tpk.press(f"tpk:v:{target_id}")
    assert "tidak bisa sebelum" in await tpk.text("15/11")
    await tpk.say("17/11")  # day 1: KF1
    await tpk.press("Suntik")
    await tpk.press("Ya")
    await tpk.press("Tidak ada")
    async with db.transaction() as session:
        visit = await session.scalar(select(Visit))
    assert (visit.visited_on, visit.kf) == (dt.date(2026, 11, 17), "KF1")
    # KF1 visited: nothing was missed, KF2 is due this week.
    summary = joined(await tpk.press(f"tpk:t:{target_id}"))
    assert "terlewat" not in summary and "KF2 minggu ini" in summary
