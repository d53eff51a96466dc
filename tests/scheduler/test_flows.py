"""/aksi (Jum'at Serius actions) and /jadwal (move or cancel a posyandu opening) in chat."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from storage.models import User
from storage.outbox import OutboxMessage
from storage.schedule import JumatAction, PosyanduException
from tests.helpers import Talk, joined


async def peserta(db, world, clock, name="peserta_1", area="36.02.01.2001") -> None:
    async with db.transaction() as session:
        user = User(platform="test", platform_user_id=name, chat_id=name, role="peserta",
                    area_code=area, locale="id", locale_chosen=False, created_at=clock.now)
        session.add(user)
        await session.flush()
        world.users[name] = user.id


async def count(db, model) -> int:
    async with db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_participant_logs_a_friday_action(dispatcher, db, world, clock):
    await peserta(db, world, clock)
    talk = Talk(dispatcher, "peserta_1")
    assert "aksi apa" in await talk.text("/aksi")
    assert set(talk.buttons) >= {"PMT / makanan bergizi", "Sanitasi", "Bantuan lain"}
    await talk.press("Sanitasi")
    assert "Ceritakan" in await talk.text("ok")  # too short: asked again
    assert await count(db, JumatAction) == 0
    await talk.say("Kerja bakti membersihkan saluran air di RT 02")
    assert "foto" in await talk.text("bukan foto")
    done = joined(await talk.send(talk.incoming(photo_id="AgAC-photo-1")))
    assert "Aksi tercatat: Sanitasi" in done and "<b>1</b> dari 1000" in done
    async with db.transaction() as session:
        action = await session.scalar(select(JumatAction))
    assert (action.kabupaten_code, action.kecamatan_code) == ("36.02", "36.02.01")
    assert action.action_date == dt.date(2026, 11, 20) and action.photo_file_id == "AgAC-photo-1"


async def test_actions_are_logged_on_fridays_only(dispatcher, db, world, clock):
    await peserta(db, world, clock)
    clock.now = dt.datetime(2026, 11, 21, 2, 0, tzinfo=dt.UTC)  # Saturday
    text = await Talk(dispatcher, "peserta_1").text("/aksi")
    assert "Jumat berikutnya: Jumat, 27 November 2026" in text


async def test_kader_cannot_log_actions(dispatcher, world):
    assert "bukan untuk peran" in await Talk(dispatcher, "kader_a").text("/aksi")


async def test_coordinator_moves_an_opening_and_families_are_told(dispatcher, db, world):
    talk = Talk(dispatcher, "koor_malingping")
    await talk.say("/jadwal")
    assert list(talk.buttons) == [f"Melati (#{world.posyandu_a})"]
    await talk.press(f"Melati (#{world.posyandu_a})")
    assert list(talk.buttons) == ["Kam 10/12", "Min 10/01", "Rab 10/02"]
    await talk.press("Kam 10/12")
    await talk.press("📅 Pindahkan")
    assert "tidak bisa" in await talk.text("31/02")
    assert "tidak bisa" in await talk.text("01/01/2020")
    await talk.say("12/12/2026")
    assert "tidak terbaca" in await talk.text("jam delapan")
    done = await talk.text("09.30")
    assert "Sabtu, 12 Desember 2026" in done and "09:30" in done and "3 keluarga" in done
    async with db.transaction() as session:
        change = await session.scalar(select(PosyanduException))
        notices = list(await session.scalars(select(OutboxMessage)))
    assert (change.original_date, change.new_date) == (dt.date(2026, 12, 10), dt.date(2026, 12, 12))
    assert {n.chat_id for n in notices} == {"ibu_a1", "ibu_a2", "kader_a"}
    assert all(n.kind == "notice" and "dipindah" in n.text for n in notices)
    # The moved opening is shown as such next time.
    await talk.say("/jadwal")
    await talk.press(f"Melati (#{world.posyandu_a})")
    assert list(talk.buttons)[0] == "Sab 12/12 *"


async def test_coordinator_cancels_an_opening(dispatcher, db, world):
    talk = Talk(dispatcher, "koor_malingping")
    await talk.say("/jadwal")
    await talk.say(str(world.posyandu_a))
    await talk.press("Min 10/01")
    done = await talk.text("❌ Tiadakan")
    assert "ditiadakan" in done
    async with db.transaction() as session:
        change = await session.scalar(select(PosyanduException))
    assert change.action == "cancel" and change.original_date == dt.date(2027, 1, 10)


async def test_a_changed_opening_goes_back_to_the_rule(dispatcher, db, world, clock):
    talk = Talk(dispatcher, "koor_malingping")
    await talk.say("/jadwal")
    await talk.say(str(world.posyandu_a))
    await talk.press("Min 10/01")
    assert "↩️ Kembali ke jadwal biasa" not in talk.buttons  # nothing to restore yet
    assert "pilih salah satu tombol" in await talk.text("restore")  # typing it does not either
    await talk.press("❌ Tiadakan")
    clock.now += dt.timedelta(minutes=5)
    await talk.say("/jadwal")
    await talk.say(str(world.posyandu_a))
    assert "Min 10/01 ❌" in talk.buttons  # a cancelled opening is still offered, marked
    await talk.press("Min 10/01 ❌")
    assert "kembali ke jadwal biasa" in talk.last.replies[-1].text
    done = await talk.text("↩️ Kembali ke jadwal biasa")
    assert "kembali ke jadwal biasa" in done and "10 Januari 2027" in done
    assert await count(db, PosyanduException) == 0
    async with db.transaction() as session:
        notices = list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == "ibu_a1").order_by(OutboxMessage.id)))
    # Told twice: cancelled, then back on the usual day.
    assert ["ditiadakan" in n.text for n in notices] == [True, False]
    assert "kembali ke jadwal biasa" in notices[1].text


async def test_posyandu_outside_the_area_is_refused(dispatcher, db, world):
    talk = Talk(dispatcher, "koor_malingping")
    await talk.say("/jadwal")
    assert "wilayah" in (await talk.text(str(world.posyandu_b))).lower()
    assert await count(db, PosyanduException) == 0
