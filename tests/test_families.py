"""Families joining with a posyandu code: consent, their stage (pregnancy, wedding, child
claims confirmed by the kader), /tips, /berhenti, birth and loss, Tanya gizi, and /hapusdata."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot.conversations.join_family import CONSENT_VERSION
from scheduler.jobs import run_job
from storage.models import AuditEntry, Child, ConversationSession, User
from storage.outbox import OutboxMessage
from storage.targets import Target
from storage.tips import ChildClaim, TipPreference, TipSubscription
from tests.helpers import Talk, joined

UTC = dt.UTC
# The clock stands at 2026-11-20 09:00 WIB; HPHT 11/9/2026 is exactly week 10.
HPHT_WEEK_10 = "11/9/2026"


async def join_pregnant(dispatcher, world, who="new_mother", date=HPHT_WEEK_10,
                        basis="Saya tahu HPHT (hari pertama haid terakhir)", slot="Malam 19.00"):
    mother = Talk(dispatcher, who)
    await mother.say(f"/start {world.join_a}")
    await mother.press("✅ Setuju")
    await mother.press("🤰 Ibu hamil")
    await mother.press(basis)
    text = joined(await mother.say(date))
    if slot:
        text = joined(await mother.press(slot))
    return mother, text


async def rows(db, prefix="") -> list[OutboxMessage]:
    async with db.transaction() as session:
        return list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(prefix))
            .order_by(OutboxMessage.id)))


async def user_id(db, platform_user_id) -> int | None:
    async with db.transaction() as session:
        return await session.scalar(
            select(User.id).where(User.platform_user_id == platform_user_id))


async def test_pregnant_mother_joins_and_is_told_her_week(dispatcher, db, world):
    mother, text = await join_pregnant(dispatcher, world)
    assert "10 minggu" in text and "trimester 1" in text
    assert "HPL: Jumat, 18 Juni 2027" in text  # Naegele: HPHT + 280 days
    assert "tips berikutnya: Jumat, 20 November 2026, pukul 19.00" in text
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(User.platform_user_id == "new_mother"))
        assert (user.role, user.consent_version) == ("keluarga", CONSENT_VERSION)
        target = await session.scalar(select(Target).where(Target.user_id == user.id))
        assert (target.kind, target.hpht, target.due_date) == (
            "hamil", dt.date(2026, 9, 11), dt.date(2027, 6, 18))
        assert (target.desa_code, target.posyandu_id) == ("36.02.01.2001", world.posyandu_a)
        assert (await session.get(TipPreference, user.id)).slot == "malam"
        sub = await session.scalar(select(TipSubscription).where(TipSubscription.user_id == user.id))
        assert (sub.track, sub.target_id) == ("hamil", target.id)
        assert await session.scalar(select(AuditEntry.detail).where(
            AuditEntry.action == "consent", AuditEntry.actor_user_id == user.id)) == CONSENT_VERSION


async def test_hpl_and_weeks_give_the_same_pregnancy(dispatcher, db, world):
    _, by_hpl = await join_pregnant(dispatcher, world, "by_hpl", "18 Juni 2027",
                                    "Saya tahu HPL (perkiraan lahir)")
    _, by_weeks = await join_pregnant(dispatcher, world, "by_weeks", "10 minggu",
                                      "Saya tahu usia kehamilan (minggu)")
    _, short_year = await join_pregnant(dispatcher, world, "short_year", "18-06-27",
                                        "Saya tahu HPL (perkiraan lahir)")
    for text in (by_hpl, by_weeks, short_year):
        assert "10 minggu" in text
    async with db.transaction() as session:
        hphts = set(await session.scalars(select(Target.hpht)))
    assert hphts == {dt.date(2026, 9, 11)}


async def test_dates_outside_a_pregnancy_are_questioned_and_nothing_is_stored(
        dispatcher, db, world):
    mother = Talk(dispatcher, "typo_mother")
    await mother.say(f"/start {world.join_a}")
    await mother.press("✅ Setuju")
    await mother.press("🤰 Ibu hamil")
    await mother.press("Saya tahu HPHT (hari pertama haid terakhir)")
    assert "46 minggu" in await mother.text("1/1/2026")  # week 46: too late
    assert "Kapan HPHT" in joined(mother.last.replies)  # the same question again
    assert "sudah lewat" in await mother.text("1/12/2026")  # HPHT in the future
    assert "tidak bisa dibaca" in await mother.text("kemarin dulu")
    assert "belum 1 minggu" in await mother.text("18/11/2026")  # two days ago: week 0
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Target)) == 0
    await mother.press("Saya tahu HPHT (hari pertama haid terakhir)")  # stale: asked again
    assert "Jam berapa" in await mother.text("11/9/2026")


async def test_hpl_too_far_is_questioned(dispatcher, world):
    mother = Talk(dispatcher, "far_mother")
    await mother.say(f"/start {world.join_a}")
    await mother.press("✅ Setuju")
    await mother.press("🤰 Ibu hamil")
    await mother.press("Saya tahu HPL (perkiraan lahir)")
    assert "lebih dari 40 minggu lagi" in await mother.text("20/9/2027")
    await mother.say("/kembali")
    await mother.press("Saya tahu usia kehamilan (minggu)")
    assert "50 minggu" in await mother.text("50")
    assert "dengan angka" in await mother.text("sepuluh")


async def test_consent_refused_stores_nothing_and_says_how_to_join(dispatcher, db, world):
    stranger = Talk(dispatcher, "no_thanks")
    await stranger.say(f"/start {world.join_a}")
    text = joined(await stranger.press("Tidak setuju"))
    assert "/start KODE" in text and "tidak ada data Anda yang disimpan" in text
    async with db.transaction() as session:
        assert await session.scalar(select(User).where(User.platform_user_id == "no_thanks")) is None
        for model in (Target, TipSubscription, TipPreference, ChildClaim, ConversationSession):
            assert await session.scalar(select(func.count()).select_from(model)) == 0


async def test_catin_is_told_about_elsimil(dispatcher, db, world):
    bride = Talk(dispatcher, "bride")
    await bride.say(f"/start {world.join_a}")
    await bride.press("✅ Setuju")
    await bride.press("💍 Calon pengantin")
    assert "lebih dari 2 tahun" in await bride.text("20/6/2030")
    assert "sudah lewat lebih dari 4 minggu" in await bride.text("1/1/2026")
    await bride.say("20 Juni 2027")
    text = joined(await bride.press("Pagi 07.00"))
    assert "Skrining Elsimil" in text and "Sabtu, 20 Maret 2027" in text  # 3 months before
    # Tips begin 12 weeks before the wedding (28 March 2027 is 84 days before).
    assert "tips berikutnya: Minggu, 28 Maret 2027, pukul 07.00" in text
    async with db.transaction() as session:
        target = await session.scalar(select(Target))
        assert (target.kind, target.wedding_date) == ("catin", dt.date(2027, 6, 20))


async def test_claimed_child_is_linked_only_after_the_kader_confirms(dispatcher, db, world, clock):
    async with db.transaction() as session:
        rudi = await session.get(Child, world.children["rudi"])  # no parent; posyandu B
        rudi.posyandu_id = world.posyandu_a
    father = Talk(dispatcher, "father")
    await father.say(f"/start {world.join_a}")
    await father.press("✅ Setuju")
    await father.press("👶 Orang tua balita")
    await father.say("rudi hartono")  # lower case, still found
    assert "Jam berapa" in await father.text("1 Mei 2024")  # matched: no sex asked
    text = joined(await father.press("Pagi 07.00"))
    assert "Kader Posyandu akan memastikan" in text
    assert "Belum ada data anak" in await father.text("/anak")  # nothing visible yet
    notices = await rows(db, "claim:")
    assert [n.user_id for n in notices] == [world.users["kader_a"]]
    assert "Rudi Hartono" in notices[0].text
    kader = Talk(dispatcher, "kader_a")
    kader.buttons = {b[0]: b[1] for row in notices[0].buttons for b in row}
    ibu = Talk(dispatcher, "ibu_a1")  # another family cannot decide
    assert "bukan untuk peran Anda" in joined(
        await ibu.press(kader.buttons["✅ Benar, anak keluarga ini"]))
    assert "sekarang terhubung" in joined(await kader.press("✅ Benar, anak keluarga ini"))
    assert "sudah dikonfirmasi" in joined(await kader.press("✅ Benar, anak keluarga ini"))
    father_id = await user_id(db, "father")
    async with db.transaction() as session:
        assert (await session.get(Child, world.children["rudi"])).parent_user_id == father_id
        sub = await session.scalar(select(TipSubscription).where(TipSubscription.user_id == father_id))
        assert (sub.track, sub.child_id) == ("anak", world.children["rudi"])
    told = await rows(db, "claim:1:confirmed")
    assert told and told[0].user_id == father_id and "Rudi Hartono" in told[0].text
    await father.say("/anak")
    assert "Rudi Hartono" in father.buttons


async def test_new_child_registered_by_family_waits_for_the_kader(dispatcher, db, world):
    mother = Talk(dispatcher, "new_parent")
    await mother.say(f"/start {world.join_a}")
    await mother.press("✅ Setuju")
    await mother.press("👶 Orang tua balita")
    await mother.say("Putri Ayu")
    assert "belum ada di data posyandu" in await mother.text("3/3/2025")
    await mother.press("Perempuan")
    await mother.press("Siang 12.00")
    async with db.transaction() as session:
        assert await session.scalar(select(Child).where(Child.name == "Putri Ayu")) is None
    kader = Talk(dispatcher, "kader_a")
    listing = await kader.say("/konfirmasi")
    assert "Putri Ayu" in joined(listing) and "anak baru" in joined(listing)
    assert "tidak dihubungkan" in joined(await kader.press("❌ Bukan / belum yakin"))
    async with db.transaction() as session:
        assert await session.scalar(select(Child).where(Child.name == "Putri Ayu")) is None
        assert await session.scalar(select(ChildClaim.status)) == "refused"
    assert "belum bisa memastikan" in (await rows(db, "claim:1:refused"))[0].text
    assert "Tidak ada anak" in await kader.text("/konfirmasi")


async def test_tips_settings_change_hour_and_pause(dispatcher, db, world):
    mother, _ = await join_pregnant(dispatcher, world)
    page = await mother.text("/tips")
    assert "minggu ke-10" in page and "✓ Malam 19.00" in mother.buttons
    page = joined(await mother.press("Pagi 07.00"))
    assert "Jam tips: Pagi 07.00" in page and "Sabtu, 21 November 2026, pukul 07.00" in page
    page = joined(await mother.press("⏸ Jeda tips"))
    assert "dijeda" in page
    me = await user_id(db, "new_mother")
    assert await run_job(db, "tips-wib", dt.datetime(2026, 11, 21, 0, 0, tzinfo=UTC)) == 0
    await mother.press("▶️ Lanjutkan pesan")
    assert await run_job(db, "tips-wib", dt.datetime(2026, 11, 21, 0, 0, tzinfo=UTC)) == 1
    assert [r.user_id for r in await rows(db, "tip:")] == [me]


async def test_changed_hpl_moves_the_stage(dispatcher, db, world):
    mother, _ = await join_pregnant(dispatcher, world)
    await mother.say("/tips")
    await mother.press("📅 Ubah HPHT/HPL")
    await mother.press("Saya tahu usia kehamilan (minggu)")
    text = await mother.text("20")  # no hour asked again: she has one
    assert "diperbarui" in text and "20 minggu" in text
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Target)) == 1
    assert await run_job(db, "tips-wib", dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)) == 1
    assert "minggu ke-20" in (await rows(db, "tip:"))[0].text


async def test_birth_moves_the_mother_to_the_child_track(dispatcher, db, world, clock):
    mother, _ = await join_pregnant(dispatcher, world, date="1/3/2026")  # week 37
    await mother.say("/tips")
    await mother.press("👶 Bayi sudah lahir")
    assert "terlalu awal" in await mother.text("1/6/2026")  # week 13
    await mother.press("Kemarin")
    await mother.say("Bayu")
    text = joined(await mother.press("Laki-laki"))
    assert "Selamat atas kelahiran Bayu" in text and "Kader akan memastikan" in text
    me = await user_id(db, "new_mother")
    async with db.transaction() as session:
        targets = {t.kind: t for t in await session.scalars(select(Target))}
        assert (targets["hamil"].ended_on, targets["hamil"].end_reason) == (
            dt.date(2026, 11, 19), "lahir")
        assert targets["nifas"].delivered_on == dt.date(2026, 11, 19)
        subs = {s.track: s for s in await session.scalars(select(TipSubscription))}
        assert subs["hamil"].ended_on is not None and subs["anak"].ended_on is None
        assert subs["anak"].target_id == targets["nifas"].id
    # Tips now come for the newborn (month 0), not the pregnancy.
    assert await run_job(db, "tips-wib", dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)) == 1
    assert "Bulan pertama bayi" in (await rows(db, "tip:"))[0].text
    # The kader confirms the baby: the subscription follows the child.
    kader = Talk(dispatcher, "kader_a")
    await kader.say("/konfirmasi")
    await kader.press("✅ Benar, anak keluarga ini")
    async with db.transaction() as session:
        bayu = await session.scalar(select(Child).where(Child.name == "Bayu"))
        assert (bayu.parent_user_id, bayu.birth_date, bayu.sex) == (me, dt.date(2026, 11, 19), "L")
        subs = list(await session.scalars(select(TipSubscription).where(
            TipSubscription.track == "anak")))
        assert [(s.child_id, s.target_id is not None) for s in subs] == [(bayu.id, True)]


async def test_pregnancy_loss_stops_tips_at_once_and_gently(dispatcher, db, world):
    async with db.transaction() as session:  # the desa's bidan uses Telegram
        bidan = await session.get(User, world.users["bidan_a"])
        bidan.platform, bidan.platform_user_id = "telegram", "777"
    mother, _ = await join_pregnant(dispatcher, world, slot="Pagi 07.00")
    at = dt.datetime(2026, 11, 21, 0, 0, tzinfo=UTC)  # 07:00 WIB
    assert await run_job(db, "tips-wib", at) == 1  # queued, not sent yet
    await mother.say("/tips")
    await mother.press("🕊 Kehamilan saya berakhir")
    text = joined(await mother.press("Ya, hentikan tips kehamilan"))
    assert "turut berduka" in text and 'href="tg://user?id=777"' in text
    (queued,) = await rows(db, "tip:")
    assert queued.status == "stopped"  # the queued pregnancy tip is not sent
    for day in range(1, 30):
        assert await run_job(db, "tips-wib", at + dt.timedelta(days=day)) == 0
    async with db.transaction() as session:
        target = await session.scalar(select(Target))
        assert target.end_reason == "keguguran"
    assert "Tidak ada kehamilan" in joined(await mother.press("tp:loss"))


async def test_berhenti_stops_tips_and_posyandu_reminders_until_start(dispatcher, db, world):
    mother, _ = await join_pregnant(dispatcher, world, slot="Pagi 07.00")
    h1 = dt.datetime(2026, 12, 9, 9, 0, tzinfo=UTC)  # 16:00 WIB the day before posyandu A
    assert await run_job(db, "posyandu-h1-wib", h1) == 4  # ibu_a1, ibu_a2, the mother, kader
    text = await mother.text("/berhenti")
    assert "dihentikan" in text and "/start" in text
    me = await user_id(db, "new_mother")
    reminder = [r for r in await rows(db, "posyandu:") if r.user_id == me][0]
    assert reminder.status == "stopped"
    assert await run_job(db, "posyandu-day-wib", dt.datetime(2026, 12, 9, 23, 30, tzinfo=UTC)) == 2
    assert me not in {r.user_id for r in await rows(db, f"posyandu:{world.posyandu_a}:2026-12-10:H0")}
    assert await run_job(db, "tips-wib", dt.datetime(2026, 11, 21, 0, 0, tzinfo=UTC)) == 0
    assert "dinyalakan lagi" in await mother.text("/start")
    assert await run_job(db, "tips-wib", dt.datetime(2026, 11, 21, 0, 0, tzinfo=UTC)) == 1


async def test_families_of_counts_pregnancy_not_an_empty_family(dispatcher, db, world):
    lone = Talk(dispatcher, "lone")
    await lone.say(f"/start {world.join_a}")
    await lone.press("✅ Setuju")
    await lone.press("Lainnya")
    await join_pregnant(dispatcher, world)
    await run_job(db, "posyandu-h1-wib", dt.datetime(2026, 12, 9, 9, 0, tzinfo=UTC))
    owners = {r.user_id for r in await rows(db, "posyandu:")}
    assert await user_id(db, "new_mother") in owners
    assert await user_id(db, "lone") not in owners


async def test_tanya_gizi_answers(dispatcher, world):
    guest = Talk(dispatcher, "curious")  # no registration needed
    assert "Tanya gizi" in await guest.text("/tanya")
    answer = joined(await guest.press("Berapa tablet tambah darah (TTD)?"))
    assert "90 tablet" in answer and "teh" in answer and "Sumber" in answer
    assert "Pertanyaan lain" in "".join(guest.buttons)
    await guest.press("« Pertanyaan lain")
    assert "6 bulan" in joined(await guest.press("Kapan mulai MP-ASI?"))
    assert "tidak dikenal" in joined(await guest.press("tq:nothing"))


async def test_hapusdata_shows_and_erases_stage_tips_and_claims(dispatcher, db, world):
    mother, _ = await join_pregnant(dispatcher, world)
    await mother.say("/tips balita")
    await mother.say("Kakak Ayu")
    await mother.say("2/2/2024")
    await mother.press("Perempuan")
    shown = await mother.text("/hapusdata")
    assert "HPHT 11/09/2026" in shown and "HPL 18/06/2027" in shown
    assert "Tips: Kehamilan, jam Malam 19.00" in shown and "1 permintaan anak" in shown
    assert "dihapus" in joined(await mother.press("🗑 Hapus semua data saya"))
    async with db.transaction() as session:
        for model in (Target, TipSubscription, TipPreference, ChildClaim):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
        erase = await session.scalar(select(AuditEntry).where(AuditEntry.action == "erase"))
        assert "1 targets" in erase.detail and "Ayu" not in erase.detail


async def test_a_family_linked_before_tips_gets_its_child_track_from_tips(dispatcher, db, world):
    mother = Talk(dispatcher, "ibu_a1")  # Siti was linked before tips existed; no hour chosen
    page = await mother.text("/tips")
    assert "<b>Anak</b> (Siti Aminah): umur 30 bulan" in page and "pilih jam tips" in page
    page = joined(await mother.press("Pagi 07.00"))
    assert "tips berikutnya: Sabtu, 21 November 2026, pukul 07.00" in page
    # Claiming her own child again only confirms the tips; nothing goes to the kader.
    await mother.say("/tips balita")
    await mother.say("Siti Aminah")
    assert "Tersimpan" in await mother.text("1/5/2024")
    assert await rows(db, "claim:") == []
    assert await run_job(db, "tips-wib", dt.datetime(2026, 11, 21, 0, 0, tzinfo=UTC)) == 1
    assert "Anak umur 30 bulan" in (await rows(db, "tip:"))[0].text
