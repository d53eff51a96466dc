"""TPK conversations: recording a target with consent, screening a catin, the three kinds of
visit, with the bad inputs a TPK types; nothing half-stored."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from storage.models import AuditEntry, Measurement, User
from storage.outbox import OutboxMessage
from storage.targets import Target
from storage.tpk import Screening, Visit
from tests.helpers import Talk, joined

DESA = "36.02.01.2001"
# The clock is 2026-11-20 02:00 UTC = 09:00 WIB: today is 2026-11-20 in the desa.
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def tpk(dispatcher, world):
    return Talk(dispatcher, "tpk_a")


async def add_target(db, world, clock, **values) -> int:
    values.setdefault("desa_code", DESA)
    values.setdefault("created_at", clock.now - dt.timedelta(days=10))
    async with db.transaction() as session:
        target = Target(tpk_user_id=world.users["tpk_a"], **values)
        session.add(target)
        await session.flush()
        return target.id


async def count(db, model) -> int:
    async with db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def outbox_rows(db) -> list[OutboxMessage]:
    async with db.transaction() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


# ---------------------------------------------------------------- /sasaran_baru


async def test_record_pregnant_mother_with_consent(tpk, db, world):
    assert "Termasuk kelompok mana" in joined(await tpk.say("/sasaran_baru"))
    assert "Persetujuan dulu" in joined(await tpk.press("Ibu hamil"))
    assert "Nama lengkap sasaran" in joined(await tpk.press("✅ Sasaran sudah setuju datanya dicatat"))
    await tpk.say("Rina Wati")
    assert "umur 5 tahun" not in (text := await tpk.text("1/1/2021")) and "tidak masuk akal" in text
    await tpk.say("17/8/2001")
    assert "50 minggu tidak mungkin" in await tpk.text("50")
    assert "tidak mungkin" in await tpk.text("HPL 1/1/2030")
    await tpk.say("1/9/2026")
    assert "Tulis dengan angka" in await tpk.text("dua")
    assert "0 sampai 20" in await tpk.text("25")
    await tpk.say("3")
    await tpk.say("1/1/2025")
    text = await tpk.text("x")
    assert "Silakan pilih" in text and "HPL 08/06/2027" in text
    assert "tercatat sebagai sasaran" in joined(await tpk.press("✅ Simpan"))
    async with db.transaction() as session:
        target = await session.scalar(select(Target))
        consent = await session.scalar(select(AuditEntry).where(AuditEntry.action == "consent"))
    assert (target.kind, target.name, target.sex, target.desa_code) == ("hamil", "Rina Wati", "P", DESA)
    assert target.hpht == dt.date(2026, 9, 1) and target.due_date == dt.date(2027, 6, 8)
    assert target.children_born == 3 and target.last_birth_on == dt.date(2025, 1, 1)
    assert target.tpk_user_id == world.users["tpk_a"] and target.birth_date == dt.date(2001, 8, 17)
    assert consent.entity == "target" and consent.entity_id == str(target.id)
    assert consent.actor_user_id == world.users["tpk_a"]


async def test_no_consent_stores_nothing(tpk, db):
    await tpk.say("/sasaran_baru")
    await tpk.press("Catin")
    assert "Tidak ada yang dicatat" in joined(await tpk.press("Belum / tidak setuju"))
    assert await count(db, Target) == 0
    assert await count(db, AuditEntry) == 0


async def test_catin_from_nik_gives_birth_date_and_sex(tpk, db):
    await tpk.say("/sasaran_baru")
    await tpk.press("Catin")
    await tpk.press("✅ Sasaran sudah setuju datanya dicatat")
    await tpk.say("Dewi Lestari")
    assert "NIK harus 16 angka" in await tpk.text("36020157080100")
    assert "tidak ada di kalender" in await tpk.text("3602017308010001")  # 33/08
    question = await tpk.text("3602015708010001")  # 57 = 17 + 40: a woman born 17/08/2001
    assert "rencana pernikahan" in question  # the sex was read from the NIK, not asked
    assert "sudah lewat" in await tpk.text("1/1/2026")
    await tpk.say("20/2/2027")
    await tpk.press("✅ Simpan")
    async with db.transaction() as session:
        target = await session.scalar(select(Target))
    assert (target.kind, target.sex, target.birth_date) == ("catin", "P", dt.date(2001, 8, 17))
    assert target.wedding_date == dt.date(2027, 2, 20)


async def test_baduta_family_linked_to_a_registered_child(tpk, db, world):
    await tpk.say("/sasaran_baru")
    await tpk.press("Keluarga baduta/balita")
    await tpk.press("✅ Sasaran sudah setuju datanya dicatat")
    assert "tidak ditemukan" in await tpk.text("Rudi Hartono")  # posyandu B, another desa
    text = await tpk.text("siti amina")
    assert "Siti Aminah" in text and "Simpan" in text
    await tpk.press("✅ Simpan")
    async with db.transaction() as session:
        target = await session.scalar(select(Target))
    assert target.child_id == world.children["siti"] and target.name == "Siti Aminah"
    assert target.posyandu_id == world.posyandu_a


async def test_nifas_more_than_42_days_is_refused(tpk, db):
    await tpk.say("/sasaran_baru")
    await tpk.press("Ibu nifas")
    await tpk.press("✅ Sasaran sudah setuju datanya dicatat")
    await tpk.say("Sari")
    await tpk.say("2/2/1998")
    assert "masa nifas sudah lewat" in await tpk.text("1/9/2026")
    await tpk.say("16/11/2026")
    await tpk.say("2")
    await tpk.press("✅ Simpan")
    async with db.transaction() as session:
        target = await session.scalar(select(Target))
    assert target.delivered_on == dt.date(2026, 11, 16) and target.last_birth_on == target.delivered_on


async def test_only_tpk_records_targets(dispatcher, world):
    kader = Talk(dispatcher, "kader_a")
    assert "bukan untuk peran Anda" in await kader.text("/sasaran_baru")


# ---------------------------------------------------------------- /skrining_catin


async def test_screening_at_risk_with_typos_questioned(tpk, db, world, clock):
    target_id = await add_target(db, world, clock, kind="catin", name="Dewi Lestari", sex="P",
                                 birth_date=dt.date(2008, 3, 1), wedding_date=dt.date(2027, 1, 10))
    await tpk.say("/skrining_catin")
    assert "Tinggi badan" in joined(await tpk.press("Dewi Lestari (10/01/27)"))
    assert "Maksud Anda <b>150,0</b> cm" in await tpk.text("1,5")
    await tpk.say("150")
    assert "Maksud Anda <b>40,0</b> kg" in await tpk.text("400")
    await tpk.say("40")
    assert "Maksud Anda <b>22,5</b> cm" in await tpk.text("225")
    await tpk.say("22,5")
    assert "Maksud Anda <b>11,0</b> g/dL" in await tpk.text("110")
    assert await count(db, Screening) == 0  # nothing stored while questioned
    await tpk.say("11")
    await tpk.press("Terpapar asap rokok")
    result = joined(await tpk.press("Tetap 10/01/2027"))
    assert "BERISIKO" in result
    assert "(kurus)\nLILA 22,5 cm · Hb 11,0 g/dL\n" in result  # one line each, not run together
    for reason in ("umur di bawah 20 tahun", "IMT kurang (kurus)", "LILA kurang (KEK)",
                   "Hb rendah (anemia)", "asap rokok", "TTD) 1 tablet sehari selama 90 hari",
                   "menunda kehamilan", "bidan"):
        assert reason in result, reason
    async with db.transaction() as session:
        s = await session.scalar(select(Screening))
    assert s.target_id == target_id and s.result == "berisiko" and not s.self_reported
    assert s.reasons == "muda,kurus,kek,anemia,rokok" and s.imt == pytest.approx(17.78, abs=0.01)
    assert s.age_years == 18 and s.entered_by == world.users["tpk_a"]


async def test_screening_edges_are_ideal(tpk, db, world, clock):
    await add_target(db, world, clock, kind="catin", name="Ayu", sex="P",
                     birth_date=dt.date(2000, 1, 1), wedding_date=dt.date(2027, 1, 10))
    await tpk.say("/skrining_catin")
    await tpk.say("ayu")
    for answer in ("155", "50", "23,5", "12.0"):
        await tpk.say(answer)
    await tpk.press("Tidak merokok, tidak terpapar")
    result = await tpk.text("10/1/2027")
    assert "IDEAL" in result and "BERISIKO" not in result


async def test_groom_is_not_asked_lila_or_hb(tpk, db, world, clock):
    await add_target(db, world, clock, kind="catin", name="Budi", sex="L",
                     birth_date=dt.date(1999, 1, 1), wedding_date=dt.date(2027, 1, 10))
    await tpk.say("/skrining_catin Budi")
    await tpk.say("Budi")
    await tpk.say("170")
    assert "Merokok" in await tpk.text("65")
    await tpk.press("Merokok")
    result = await tpk.text("10/1/2027")
    assert "BERISIKO" in result and "merokok" in result and "anemia" not in result


async def test_catin_screens_herself(dispatcher, db, world, clock):
    mother = Talk(dispatcher, "ibu_a1")
    assert "terdaftar sebagai calon pengantin" in await mother.text("/skrining_catin")
    async with db.transaction() as session:
        session.add(Target(kind="catin", user_id=world.users["ibu_a1"], desa_code=DESA,
                           wedding_date=dt.date(2027, 3, 1), created_at=clock.now))
    assert "NIK" in await mother.text("/skrining_catin")  # her birth date is not on record
    await mother.say("3602015708010001")
    for answer in ("158", "52", "24", "12,5"):
        await mother.say(answer)
    await mother.press("Tidak merokok, tidak terpapar")
    result = joined(await mother.press("Tetap 01/03/2027"))
    assert "IDEAL" in result and "diisi sendiri" in result
    async with db.transaction() as session:
        s = await session.scalar(select(Screening))
        target = await session.get(Target, s.target_id)
    assert s.self_reported and s.entered_by == world.users["ibu_a1"]
    assert target.birth_date == dt.date(2001, 8, 17) and target.sex == "P"


async def test_corrected_threshold_changes_the_screening(dispatcher, tpk, db, world, clock):
    koor = Talk(dispatcher, "koor_malingping")
    assert "bukan untuk peran Anda" in await tpk.text("/ambang")
    assert "antara 8,0 dan 14,0" in await koor.text("/ambang hb_nonpregnant 115")
    assert "Tulis <code>/ambang</code>" in await koor.text("/ambang hb_x 11")
    text = await koor.text("/ambang hb_nonpregnant 11,5")
    assert "<code>hb_nonpregnant</code> = 11,5 (diubah untuk 36.02.01)" in text
    await add_target(db, world, clock, kind="catin", name="Ayu", sex="P",
                     birth_date=dt.date(2000, 1, 1), wedding_date=dt.date(2027, 1, 10))
    await tpk.say("/skrining_catin")
    await tpk.say("ayu")
    for answer in ("155", "50", "24", "11,6"):  # anaemic by WHO's 12.0, not by 11.5
        await tpk.say(answer)
    await tpk.press("Tidak merokok, tidak terpapar")
    assert "IDEAL" in await tpk.text("10/1/2027")
    async with db.transaction() as session:
        audit = await session.scalar(select(AuditEntry).where(AuditEntry.entity == "threshold"))
    assert audit.detail == "36.02.01=11.5"


# ---------------------------------------------------------------- /kunjungan: ibu hamil


async def hamil(db, world, clock, **values) -> int:
    values.setdefault("hpht", dt.date(2026, 9, 11))  # week 10 on 2026-11-20
    return await add_target(db, world, clock, kind="hamil", name="Rina Wati", sex="P",
                            birth_date=dt.date(2001, 8, 17), **values)


async def test_hamil_visit_with_danger_sign_notifies_the_bidan_once(tpk, db, world, clock):
    target_id = await hamil(db, world, clock)
    await tpk.say("/kunjungan")
    summary = joined(await tpk.press("Rina Wati · Ibu hamil"))
    assert "Kehamilan 10 minggu (trimester 1)" in summary and "Belum pernah dikunjungi" in summary
    await tpk.press("▶️ Mulai kunjungan")
    await tpk.press("Hari ini")
    assert "Maksud Anda <b>23,5</b> cm" in await tpk.text("235")
    await tpk.say("23,5")
    assert "Maksud Anda <b>11,0</b> g/dL" in await tpk.text("110")
    await tpk.say("11,0")
    assert "0 sampai 200" in await tpk.text("2,5")
    await tpk.say("30")
    await tpk.say("1")
    await tpk.press("Perdarahan")
    await tpk.press("Bengkak di kaki, tangan, wajah")
    await tpk.press("✅ Bengkak di kaki, tangan, wajah")  # toggled off again
    assert await count(db, Visit) == 0
    result = joined(await tpk.press("✔️ Selesai"))
    assert "TANDA BAHAYA" in result and "Perdarahan" in result and "Bengkak" not in result
    assert "fasilitas kesehatan" in result and "Bidan desa sudah diberi tahu" in result
    assert "KEK" not in result and "anemia" not in result  # 23.5 and 11.0 in trimester 1: edges
    async with db.transaction() as session:
        visit = await session.scalar(select(Visit))
    assert (visit.target_id, visit.week, visit.kek, visit.anaemia) == (target_id, 10, False, False)
    assert (visit.ttd_taken, visit.ttd_total, visit.anc_done, visit.danger_signs) == (30, 30, 1, "perdarahan")
    [notice] = await outbox_rows(db)
    assert notice.user_id == world.users["bidan_a"] and notice.kind == "notice"
    assert notice.priority == 0 and notice.dedupe_key == f"tpk-danger:{visit.id}:{world.users['bidan_a']}"
    assert "Rina Wati" in notice.text and "Perdarahan" in notice.text and "SEGERA" in notice.text
    assert "minggu\nTanda: " in notice.text  # the week and the signs on lines of their own


async def test_hamil_running_totals_and_trimester_2_cutoff(tpk, db, world, clock):
    target_id = await hamil(db, world, clock, hpht=dt.date(2026, 7, 3))  # week 20
    async with db.transaction() as session:
        session.add(Visit(target_id=target_id, kind="hamil", desa_code=DESA,
                          visited_on=dt.date(2026, 10, 20), week=15, ttd_taken=60, ttd_total=60,
                          anc_done=2, lila_cm=24, hb=11, danger_signs="", details={},
                          created_at=clock.now))
    await tpk.say("/kunjungan Rina")
    await tpk.say("rina wati")
    summary = await tpk.text("#")  # not a button: the summary is asked again
    assert "TTD: 60 dari 90" in summary
    await tpk.press("▶️ Mulai kunjungan")
    await tpk.press("Hari ini")
    await tpk.say("23,4")
    await tpk.say("10,5")  # not anaemia in trimester 2
    assert "Sejauh ini tercatat 60 dari 90" in joined(tpk.last.replies)
    await tpk.say("30")
    assert "tidak bisa berkurang" in await tpk.text("1")
    await tpk.say("2")
    result = joined(await tpk.press("Tidak ada"))
    assert "KEK" in result and "anemia" not in result and "TTD: 90 dari 90 tablet ✅" in result
    assert "TANDA BAHAYA" not in result
    async with db.transaction() as session:
        visit = (await session.scalars(select(Visit).order_by(Visit.id.desc()))).first()
    assert visit.ttd_total == 90 and visit.kek and not visit.anaemia
    assert await outbox_rows(db) == []

    await tpk.say("/kunjungan")
    await tpk.press("Rina Wati · Ibu hamil")
    await tpk.press("▶️ Mulai kunjungan")
    await tpk.press("Hari ini")
    await tpk.say("25")
    await tpk.say("10,4")  # anaemia in trimester 2
    await tpk.say("0")
    await tpk.say("2")
    assert "anemia</b> (di bawah 10,5 pada trimester 2)" in joined(await tpk.press("Tidak ada"))


async def test_hamil_without_dates_asks_the_week(tpk, db, world, clock):
    await hamil(db, world, clock, hpht=None)
    await tpk.say("/kunjungan")
    await tpk.press("Rina Wati · Ibu hamil")
    await tpk.press("▶️ Mulai kunjungan")
    await tpk.press("Hari ini")
    assert "50 minggu tidak mungkin" in await tpk.text("50")
    assert "LILA" in await tpk.text("20 minggu")
    for answer in ("24", "12", "10", "3"):
        await tpk.say(answer)
    await tpk.press("Tidak ada")
    async with db.transaction() as session:
        target = await session.scalar(select(Target))
        visit = await session.scalar(select(Visit))
    assert target.hpht == TODAY - dt.timedelta(weeks=20) and visit.week == 20


# ---------------------------------------------------------------- nifas and baduta


async def test_nifas_visit_in_kf2(tpk, db, world, clock):
    await add_target(db, world, clock, kind="nifas", name="Sari", sex="P",
                     delivered_on=dt.date(2026, 11, 16))
    await tpk.say("/kunjungan")
    summary = joined(await tpk.press("Sari · Ibu nifas"))
    assert "4 hari setelah melahirkan (KF2)" in summary and "KF1 terlewat" in summary
    await tpk.press("▶️ Mulai kunjungan")
    await tpk.press("Hari ini")
    await tpk.press("Suntik")
    await tpk.press("Ya")
    await tpk.press("Demam")
    result = joined(await tpk.press("✔️ Selesai"))
    assert "kunjungan KF2" in result and "Demam" in result and "fasilitas kesehatan" in result
    async with db.transaction() as session:
        visit = await session.scalar(select(Visit))
    assert visit.kf == "KF2" and visit.details == {"kb": "suntik", "asi": True}
    [notice] = await outbox_rows(db)
    assert "nifas (KF2)" in notice.text


async def test_baduta_visit_shows_growth_and_stores_answers(tpk, db, world, clock):
    await add_target(db, world, clock, kind="baduta", name="Siti Aminah", sex="L",
                     birth_date=dt.date(2024, 5, 1), child_id=world.children["siti"])
    async with db.transaction() as session:
        session.add(Measurement(child_id=world.children["siti"], posyandu_id=world.posyandu_a,
                                desa_code=DESA, measured_on=dt.date(2026, 11, 10), weight_kg=10.1,
                                lenhei_cm=80.2, age_days=923, stunted=True, gain="T",
                                entered_at=clock.now))
    await tpk.say("/kunjungan")
    await tpk.press("Siti Aminah · Keluarga baduta/balita")
    await tpk.press("▶️ Mulai kunjungan")
    question = joined(await tpk.press("Hari ini"))
    assert "10/11/2026: 10,1 kg, 80,2 cm, pendek (stunting), T" in question
    await tpk.press("Ya")
    await tpk.press("Tidak")
    assert "protein hewani" in joined(tpk.last.replies)
    await tpk.press("Ya")
    await tpk.press("Jamban sehat")
    result = joined(await tpk.press("✔️ Selesai"))
    assert "belum lengkap" in result and "Air minum bersih" in result
    async with db.transaction() as session:
        visit = await session.scalar(select(Visit))
    assert visit.details == {"posyandu": True, "imunisasi": False, "feeding": "mpasi",
                             "feeding_ok": True, "sanitation": ["jamban"]}
    assert await outbox_rows(db) == []


async def test_visit_of_another_desa_is_not_reachable(tpk, db, world, clock):
    other = await add_target(db, world, clock, kind="hamil", name="Orang Lain",
                             desa_code="36.02.02.2003", hpht=dt.date(2026, 9, 1))
    await tpk.say("/kunjungan")
    assert "tidak ditemukan" in await tpk.text("Orang Lain")
    replies = await tpk.press(f"f:kunjungan:0:{other}")
    assert "tidak ditemukan" in joined(replies)
    assert "tidak ditemukan" in joined(await tpk.press(f"tpk:t:{other}"))


# ---------------------------------------------------------------- /sasaran


async def test_target_list_orders_by_urgency_and_opens_a_summary(tpk, db, world, clock):
    await hamil(db, world, clock, children_born=4)  # never visited: due since registration
    await add_target(db, world, clock, kind="catin", name="Dewi", sex="P",
                     birth_date=dt.date(2000, 1, 1), wedding_date=dt.date(2027, 1, 10))
    await add_target(db, world, clock, kind="catin", name="Later", sex="P",
                     birth_date=dt.date(2000, 1, 1), wedding_date=dt.date(2027, 12, 1))
    [listing] = await tpk.say("/sasaran")
    text = listing.text
    overdue, rest = text.split("Lainnya")
    assert "Rina Wati" in overdue and "Dewi" in overdue and "4T: terlalu banyak anak" in overdue
    assert "Later" in rest and "berikutnya 02/09/2027" in rest
    # Both overdue: the one due first comes first (Dewi's screening was due 90 days before).
    assert [b.text for row in listing.buttons for b in row][:2] == ["Dewi · Catin",
                                                                     "Rina Wati · Ibu hamil"]
    summary = joined(await tpk.press("Dewi · Catin"))
    assert "Belum diskrining" in summary and "Rencana menikah: 10/01/2027" in summary
    assert "Tinggi badan" in joined(await tpk.press("▶️ Mulai skrining"))
    async with db.transaction() as session:
        reads = await session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "read"))
    assert reads >= 2


async def test_empty_list(tpk):
    assert "Belum ada sasaran" in await tpk.text("/sasaran")


async def test_erasing_a_self_joined_catin_erases_her_screening(dispatcher, db, world, clock):
    async with db.transaction() as session:
        target = Target(kind="catin", user_id=world.users["ibu_a1"], desa_code=DESA,
                        birth_date=dt.date(2001, 8, 17), sex="P", wedding_date=dt.date(2027, 3, 1),
                        created_at=clock.now)
        session.add(target)
        await session.flush()
        session.add(Screening(target_id=target.id, desa_code=DESA, screened_on=TODAY,
                              self_reported=True, age_years=25, smoking="tidak", result="ideal",
                              reasons="", created_at=clock.now))
    mother = Talk(dispatcher, "ibu_a1")
    await mother.say("/hapusdata")
    await mother.press("🗑 Hapus semua data saya")
    assert await count(db, Screening) == 0 and await count(db, Target) == 0
    async with db.transaction() as session:
        assert await session.scalar(select(User).where(User.platform_user_id == "ibu_a1")) is None
