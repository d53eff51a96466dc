"""Cadres report measurements: step by step, one line, a batch; bad input changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from growth.zscores import compute_one
from storage.models import AuditEntry, Child, FollowUp, Measurement, User
from tests.helpers import Talk, joined

BORN = dt.date(2024, 5, 1)  # every child of the test world; 30 months on 2026-11-20
TODAY = dt.date(2026, 11, 20)


async def measurements(db, child_id: int | None = None) -> list[Measurement]:
    async with db.transaction() as session:
        query = select(Measurement).order_by(Measurement.measured_on, Measurement.id)
        if child_id is not None:
            query = query.where(Measurement.child_id == child_id)
        return list((await session.scalars(query)).all())


async def add_measurement(db, child_id: int, on: dt.date, weight: float, length: float,
                          gain: str = "B", entered_by: int | None = None) -> None:
    async with db.transaction() as session:
        child = await session.get(Child, child_id)
        session.add(Measurement(
            child_id=child_id, posyandu_id=child.posyandu_id, desa_code="36.02.01.2001",
            measured_on=on, weight_kg=weight, lenhei_cm=length, position="h",
            entered_by=entered_by, entered_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            age_days=(on - child.birth_date).days, clenhei=length, gain=gain,
        ))


@pytest.fixture
def kader(dispatcher, world):
    return Talk(dispatcher, "kader_a")


async def test_step_by_step_result_equals_who(kader, db, world):
    replies = await kader.say("/ukur")
    labels = [b.text for row in replies[-1].buttons for b in row]
    assert labels == ["Budi Santoso (01/05/24)", "Siti Aminah (01/05/24)"]
    await kader.press("Siti Aminah (01/05/24)")
    await kader.press("Hari ini (20/11)")
    await kader.say("12,5")
    question = await kader.text("90")
    assert "Lingkar lengan" in question
    confirm = await kader.press("Lewati")
    assert "Periksa dulu" in confirm[0].text and "Tinggi: 90,0 cm (berdiri)" in confirm[0].text
    assert await measurements(db) == []  # nothing before the confirmation
    [result] = await kader.press("✅ Simpan")
    who = compute_one(sex=1, age_days=(TODAY - BORN).days, weight=12.5, lenhei=90.0, measure="h")
    assert f"TB/U: {who['zlen']:.2f}".replace(".", ",") in result.text
    assert f"BB/U: {who['zwei']:.2f}".replace(".", ",") in result.text
    assert "Penimbangan: <b>B</b>" in result.text
    chart = result.image  # drawn by the dispatcher after the transaction
    assert chart.startswith(b"\x89PNG") and len(chart) < 150_000
    [stored] = await measurements(db)
    assert stored.zlen == pytest.approx(who["zlen"], abs=0.005)
    assert stored.position == "h" and stored.entered_by == world.users["kader_a"]
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)
                                    .where(AuditEntry.entity == "measurement")) == 1


@pytest.mark.parametrize("typed, reason", [
    ("tujuh koma lima", "Tulis dengan angka"),
    ("75", "Maksud Anda <b>7,5</b> kg"),
    ("7.500,5", "bukan angka yang bisa dibaca"),
    ("12500 gram x", "bukan angka"),
])
async def test_bad_weights_are_questioned(kader, db, typed, reason):
    await kader.say("/ukur")
    await kader.say("Siti Aminah")
    await kader.say("hari ini")
    replies = await kader.say(typed)
    assert reason in replies[0].text
    assert "Berat badan dalam kg" in replies[-1].text  # the same question again
    assert await measurements(db) == []
    assert "Panjang/tinggi" in (await kader.text("12,5 kg"))


async def test_bad_lengths_dates_and_children(kader, db, world):
    await kader.say("/ukur")
    assert "tidak ada di posyandu Anda" in await kader.text("Rudi Hartono")  # posyandu B
    assert "tidak ada di posyandu Anda" in await kader.text("Zainudin")
    await kader.say("siti aminha")  # a typo still finds Siti Aminah
    assert "belum lewat" in await kader.text("21/11/2026")
    assert "sebelum anak lahir" in await kader.text("1/1/2024")
    assert "tidak bisa dibaca" in await kader.text("besok")
    await kader.say("19/11/2026")
    await kader.say("12,5")
    assert "Maksud Anda <b>72,5</b> cm" in await kader.text("725")
    assert "tidak mungkin" in await kader.text("7,2")
    assert await measurements(db) == []


async def test_child_over_60_months_is_refused(kader, db, world, clock):
    async with db.transaction() as session:
        session.add(Child(posyandu_id=world.posyandu_a, name="Tua Sekali", sex="P",
                          birth_date=dt.date(2021, 6, 1), created_at=clock.now))
    await kader.say("/ukur")
    await kader.say("Tua Sekali")
    assert "60 bulan" in await kader.text("hari ini")


async def test_one_line_answers_at_once(kader, db, world):
    replies = await kader.say("/ukur Siti 12,5 90")
    assert "TB/U" in replies[0].text and replies[0].image is not None
    assert [m.weight_kg for m in await measurements(db)] == [12.5]
    replies = await kader.say("/ukur budi 12.1 87,5 berbaring")
    assert "panjang 87,5 cm (berbaring)" in replies[0].text
    [_, budi] = await measurements(db)
    assert budi.position == "l" and budi.clenhei == pytest.approx(86.8)


async def test_one_line_bad_format_and_ambiguous_name(kader, db, world, clock):
    text = await kader.text("/ukur Siti delapan")
    assert "tidak bisa dibaca" in text and "/ukur Siti 8,2 72,5" in text
    async with db.transaction() as session:
        session.add(Child(posyandu_id=world.posyandu_a, name="Siti Rahma", sex="P",
                          birth_date=dt.date(2024, 2, 1), created_at=clock.now))
    replies = await kader.say("/ukur Siti 12,5 90")
    assert "beberapa anak" in replies[-1].text
    assert [b.text for row in replies[-1].buttons for b in row] == [
        "Siti Aminah (01/05/24)", "Siti Rahma (01/02/24)"]
    confirm = await kader.press("Siti Rahma (01/02/24)")
    assert "Periksa dulu" in joined(confirm)
    await kader.press("✅ Simpan")
    [stored] = await measurements(db)
    assert stored.weight_kg == 12.5


async def test_implausible_change_needs_confirmation(kader, db, world):
    await add_measurement(db, world.children["siti"], dt.date(2026, 10, 20), 12.0, 88.0)
    replies = await kader.say("/ukur Siti 16 90")
    assert "naik lebih banyak dari yang mungkin" in replies[-1].text
    labels = [b.text for row in replies[-1].buttons for b in row]
    assert "Sudah dicek, simpan" in labels
    assert len(await measurements(db)) == 1
    await kader.press("✏️ Ubah angka")
    await kader.say("12,6")
    await kader.say("86")  # length went down by 2 cm
    replies = await kader.say("skip")
    assert "turun lebih dari 1,5 cm" in replies[-1].text
    await kader.press("Sudah dicek, simpan")
    assert [m.weight_kg for m in await measurements(db)] == [12.0, 12.6]


async def test_position_defaults_to_usual_and_can_be_switched(kader, db):
    await kader.say("/ukur")
    await kader.say("Siti Aminah")
    await kader.say("hari ini")
    await kader.say("12,5")
    length_question = kader.last.replies[-1].text
    assert "berdiri (TB)" in length_question
    await kader.say("90")
    confirm = await kader.say("skip")
    assert "(berdiri)" in confirm[-1].text
    switched = await kader.press("↕️ Ganti posisi")
    assert "Panjang: 90,0 cm (berbaring)" in switched[-1].text
    await kader.press("✅ Simpan")
    [stored] = await measurements(db)
    assert stored.position == "l" and stored.clenhei == pytest.approx(89.3)


async def test_weight_gain_and_2t(kader, db, world):
    siti = world.children["siti"]
    await add_measurement(db, siti, dt.date(2026, 9, 15), 12.0, 88.0, gain="B")
    await add_measurement(db, siti, dt.date(2026, 10, 15), 12.0, 88.5, gain="T")
    text = joined(await kader.say("/ukur Siti 12,1 89"))
    assert "Penimbangan: <b>T</b>" in text and "2T" in text
    [*_, stored] = await measurements(db, siti)
    assert stored.gain == "T" and stored.two_t
    async with db.transaction() as session:
        follow_up = await session.scalar(select(FollowUp).where(FollowUp.child_id == siti))
    assert "2t" in follow_up.reasons.split(",")
    assert follow_up.recheck_on == TODAY + dt.timedelta(days=30)
    budi = world.children["budi"]
    await add_measurement(db, budi, dt.date(2026, 10, 15), 12.0, 88.0)
    assert "Penimbangan: <b>N</b> (naik 300 g, minimal 200 g)" in joined(
        await kader.say("/ukur Budi 12,3 89"))


async def test_stunting_opens_a_follow_up(kader, db, world):
    text = joined(await kader.say("/ukur Siti 11 82"))
    assert "pendek" in text and "rujuk" in text
    async with db.transaction() as session:
        follow_up = await session.scalar(select(FollowUp))
    assert "stunting" in follow_up.reasons


async def test_batch_answers_in_one_message_attention_first(kader, db, world, clock):
    async with db.transaction() as session:
        for name in ("Ani", "Bayu", "Citra"):
            session.add(Child(posyandu_id=world.posyandu_a, name=name, sex="P",
                              birth_date=dt.date(2025, 5, 1), created_at=clock.now))
    batch = "\n".join([
        "/ukur",
        "Siti Aminah 12,5 90",
        "Budi 75 88",          # 75 kg
        "Ani 8,2 72,5",
        "Zaki 9 70",           # unknown
        "Bayu delapan 70",     # words
        "Ani 8,3 72",          # twice
        "Citra 8,0 71 berdiri",  # under 24 months standing: allowed, corrected
    ])
    [reply] = await kader.say(batch)
    text = reply.text
    assert "7 baris: 3 tersimpan" in text and "4 perlu dicek" in text
    assert text.index("Perlu dicek") < text.index("Tersimpan")
    assert "2. <code>Budi 75 88</code>: berat di luar kisaran" in text
    assert "4. <code>Zaki 9 70</code>: nama anak tidak ditemukan" in text
    assert "6. <code>Ani 8,3 72</code>: anak ini sudah ada di baris sebelumnya" in text
    stored = await measurements(db)
    assert sorted(m.weight_kg for m in stored) == [8.0, 8.2, 12.5]


async def test_ralat_fix_and_delete(kader, db, world):
    await kader.say("/ukur Siti 12,5 90")
    [measurement] = await measurements(db)
    replies = await kader.say("/ralat")
    label = next(b.text for row in replies[-1].buttons for b in row)
    assert label.startswith("Siti Aminah 20/11")
    await kader.press(label)
    await kader.press("✏️ Perbaiki angka")
    await kader.say("12,7")
    question = await kader.text("91")
    assert "12,5 → <b>12,7</b>" in question
    text = joined(await kader.press("Ya"))
    assert "diperbaiki" in text
    [corrected] = await measurements(db)
    assert (corrected.id, corrected.weight_kg, corrected.lenhei_cm) == (measurement.id, 12.7, 91.0)
    await kader.say("/ralat")
    await kader.press(next(iter(kader.buttons)))
    await kader.press("🗑 Hapus")
    assert "dihapus" in joined(await kader.press("Ya"))
    assert await measurements(db) == []
    async with db.transaction() as session:
        actions = (await session.scalars(select(AuditEntry.action)
                                         .where(AuditEntry.entity == "measurement"))).all()
    assert actions == ["create", "update", "delete"]
    assert "Tidak ada penimbangan" in await kader.text("/ralat")


async def test_other_kader_cannot_correct(dispatcher, db, world, kader):
    await kader.say("/ukur Siti 12,5 90")
    other = Talk(dispatcher, "kader_b")
    assert "Tidak ada penimbangan" in await other.text("/ralat")


async def test_rekap_skdn(kader, db, world, clock):
    siti, budi = world.children["siti"], world.children["budi"]
    await add_measurement(db, siti, dt.date(2026, 10, 10), 12.0, 88.0)
    await add_measurement(db, budi, dt.date(2026, 10, 10), 12.0, 88.0)
    async with db.transaction() as session:
        session.add(Child(posyandu_id=world.posyandu_a, name="Tanpa KIA", sex="P", has_kia=False,
                          birth_date=dt.date(2025, 5, 1), created_at=clock.now))
    await kader.say("/ukur Siti 12,5 90")   # N
    await kader.say("/ukur Budi 12,0 89")   # T
    text = await kader.text("/rekap")
    assert "S (balita terdaftar): 3" in text
    assert "K (punya Buku KIA/KMS): 2" in text
    assert "D (ditimbang bulan ini): 2 · D/S 67%" in text
    assert "N (naik): 1 · N/D 50% · N/D' 50%" in text
    assert "T: 1 · O: 0 · B: 0" in text
    assert "Belum ditimbang</b> (1): Tanpa KIA" in text
    assert "Tidak naik (T)</b>: Budi Santoso" in text


async def test_family_sees_status_and_chart(dispatcher, db, world, kader):
    await kader.say("/ukur Siti 12,5 90")
    mother = Talk(dispatcher, "ibu_a1")
    [view] = await mother.press(f"c:{world.children['siti']}")
    assert "Status terakhir" in view.text and "12,5 kg, 90,0 cm" in view.text
    assert view.image.startswith(b"\x89PNG")


async def test_only_kader_measure(dispatcher, world):
    mother = Talk(dispatcher, "ibu_a1")
    assert "bukan untuk peran Anda" in await mother.text("/ukur Siti 12 90")


async def test_register_child(kader, db, world):
    await kader.say("/anak_baru")
    await kader.say("Putri Ayu")
    await kader.press("Perempuan")
    await kader.say("29 April 2025")
    await kader.say("Rina")
    await kader.press("Ya")
    assert "NIK harus 16 angka" in await kader.text("12345")
    assert "Tanggal lahir di NIK" in await kader.text("3602016804250001")
    assert "Jenis kelamin di NIK" in await kader.text("3602012904250001")
    await kader.say("3602016904250001")
    await kader.say("skip")
    async with db.transaction() as session:
        child = await session.scalar(select(Child).where(Child.name == "Putri Ayu"))
    assert (child.sex, child.birth_date, child.nik) == ("P", dt.date(2025, 4, 29), "3602016904250001")
    assert child.posyandu_id == world.posyandu_a and child.has_kia
    # Same name and birth date: asked before a second record is made.
    await kader.say("/anak_baru")
    await kader.say("putri ayu")
    await kader.press("Perempuan")
    question = await kader.text("29/04/2025")
    assert "Apakah ini anak yang berbeda" in question
    assert "tidak ada anak baru" in joined(await kader.press("Bukan, batalkan"))
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Child)
                                    .where(func.lower(Child.name) == "putri ayu")) == 1


async def test_referral_notice_reaches_the_bidan_once(kader, db, world):
    from storage.outbox import OutboxMessage

    text = joined(await kader.say("/ukur Siti 11 82"))
    assert "Bidan desa sudah diberi tahu" in text
    async with db.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage))).all()
    assert [(r.user_id, r.kind) for r in rows] == [(world.users["bidan_a"], "notice")]
    assert "Siti Aminah" in rows[0].text and "pendek (stunting)" in rows[0].text
    # A normal result tells nobody.
    assert "Bidan" not in joined(await kader.say("/ukur Budi 12,5 90"))


async def test_one_line_stores_the_row_its_audit_follow_up_and_notice(kader, db, world):
    """The one-line path writes with Core statements: every row must still point at the
    measurement it belongs to, and the notice name the posyandu."""
    from storage.outbox import OutboxMessage

    assert "Bidan desa sudah diberi tahu" in joined(await kader.say("/ukur Siti 11 82"))
    [stored] = await measurements(db)
    assert (stored.child_id, stored.posyandu_id, stored.desa_code, stored.entered_by) == (
        world.children["siti"], world.posyandu_a, "36.02.01.2001", world.users["kader_a"])
    assert (stored.measured_on, stored.position, stored.stunted, stored.latest_of_month) == (
        TODAY, "h", True, True)
    who = compute_one(sex="m", age_days=(TODAY - BORN).days, weight=11.0, lenhei=82.0,
                      measure="h")
    assert (stored.zlen, stored.zwei, stored.zwfl) == (who["zlen"], who["zwei"], who["zwfl"])
    async with db.transaction() as session:
        audit = (await session.execute(select(
            AuditEntry.actor_user_id, AuditEntry.action, AuditEntry.entity, AuditEntry.entity_id,
            AuditEntry.detail))).all()
        follow_up = await session.scalar(select(FollowUp))
        notice = await session.scalar(select(OutboxMessage))
    assert audit == [(world.users["kader_a"], "create", "measurement", str(stored.id),
                      f"child {world.children['siti']}")]
    assert follow_up.measurement_id == stored.id and "stunting" in follow_up.reasons
    assert notice.dedupe_key == f"referral:{stored.id}:{world.users['bidan_a']}"
    assert "Posyandu Melati" in notice.text


async def test_one_line_dates_by_the_posyandu_time_zone(dispatcher, db, world, clock):
    """16:30 UTC is still the 20th in Banten (WIB) but already the 21st in Jayapura (WIT)."""
    async with db.transaction() as session:
        session.add(User(platform="test", platform_user_id="kader_c", chat_id="kader_c",
                         role="kader", posyandu_id=world.posyandu_c, locale="id",
                         locale_chosen=False, created_at=clock.now))
    clock.now = dt.datetime(2026, 11, 20, 16, 30, tzinfo=dt.UTC)
    text = await Talk(dispatcher, "kader_c").text("/ukur yohana wenda 12,5 90")
    assert "Yohana Wenda" in text and "21/11/2026" in text
    assert "20/11/2026" in await Talk(dispatcher, "kader_a").text("/ukur Siti 12,5 90")
    stored = {m.child_id: m.measured_on for m in await measurements(db)}
    assert stored == {world.children["yohana"]: dt.date(2026, 11, 21),
                      world.children["siti"]: dt.date(2026, 11, 20)}


async def test_one_line_finds_close_spellings_and_not_other_posyandu(kader, db, world):
    assert "Siti Aminah" in await kader.text("/ukur siti aminha 12,5 90")
    # Rudi Hartono belongs to posyandu Mawar: for this kader he does not exist.
    assert "tidak ada di posyandu Anda" in await kader.text("/ukur Rudi Hartono 12,5 90")
    assert [m.child_id for m in await measurements(db)] == [world.children["siti"]]


async def test_shared_contact_links_the_child_when_the_family_joins(dispatcher, kader, db, world):
    from bot.core import Contact

    await kader.say("/anak_baru")
    for answer in ("Bima", "L", "1/3/2025", "Sari", "y", "skip"):
        await kader.say(answer)
    await kader.send(kader.incoming(contact=Contact("+62811000111", user_id="family_bima")))
    mother = Talk(dispatcher, "family_bima")
    await mother.say(f"/start {world.join_a}")
    text = joined(await mother.press("✅ Setuju"))
    assert "1 data anak" in text
    [listing] = await mother.say("/anak")
    assert [b.text for row in listing.buttons for b in row] == ["Bima"]


async def test_a_slow_chart_does_not_hold_up_other_users(dispatcher, world, monkeypatch):
    import asyncio
    import time

    import bot.measuring

    def slow_chart(*args, **kwargs):
        time.sleep(0.8)  # a blocking draw, as matplotlib's is
        return b"\x89PNG slow"

    monkeypatch.setattr(bot.measuring, "render_growth_chart", slow_chart)
    kader = Talk(dispatcher, "kader_a")
    other = Talk(dispatcher, "koor_malingping")
    finished: list[str] = []

    async def measure():
        await kader.say("/ukur Siti 12,5 90")
        finished.append("chart")

    async def ask_help():
        await asyncio.sleep(0.2)  # while the chart is being drawn
        await other.say("/bantuan")
        finished.append("help")

    await asyncio.gather(measure(), ask_help())
    assert finished == ["help", "chart"]
    assert kader.last.replies[0].image == b"\x89PNG slow"
