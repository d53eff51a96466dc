"""Coordinators' broadcasts (/siaran): compose, the exact audience, scope, planning, cancel, stop."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from scheduler import broadcasts as job
from storage import outbox
from storage.broadcasts import BALITA, Broadcast, audience, count_audience
from storage.models import Child, User
from storage.outbox import OutboxMessage
from storage.targets import CATIN, HAMIL, Target
from tests.helpers import Talk, joined

NOV_20 = dt.date(2026, 11, 20)


async def add_user(db, name: str, now, **values) -> int:
    async with db.transaction() as session:
        user = User(platform="test", platform_user_id=name, chat_id=name, locale="id",
                    locale_chosen=False, created_at=now, **values)
        session.add(user)
        await session.flush()
        return user.id


async def rows(db, broadcast_id: int | None = None) -> list[OutboxMessage]:
    async with db.transaction() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "broadcast")
        if broadcast_id is not None:
            query = query.where(OutboxMessage.broadcast_id == broadcast_id)
        return list((await session.scalars(query.order_by(OutboxMessage.user_id))).all())


async def broadcasts(db) -> list[Broadcast]:
    async with db.transaction() as session:
        return list((await session.scalars(select(Broadcast).order_by(Broadcast.id))).all())


async def compose(talk: Talk, *, area: str = "Wilayah saya", roles=("Keluarga",), groups=(),
                  text: str = "Rapat kader hari Senin di balai desa.") -> str:
    await talk.say("/siaran baru")
    await talk.press("✍️ Tulis pesan sendiri")
    await talk.say(text)
    if area == "Wilayah saya":
        await talk.press("Seluruh wilayah saya")
    else:
        await talk.say(area)
    for role in roles:
        await talk.press("▫️ " + role)
    replies = await talk.press("Lanjut ➡️")
    if "Keluarga" in roles:
        for group in groups:
            await talk.press("▫️ " + group)
        replies = await talk.press("Lanjut ➡️")
    return joined(replies)


async def test_send_now_reaches_the_families_of_the_area_once(db, dispatcher, world, clock):
    koor = Talk(dispatcher, "koor_malingping")
    preview = await compose(koor)
    assert "Rapat kader hari Senin" in preview and "Penerima: 2 orang" in preview
    assert "Kecamatan Malingping" in preview
    [started] = await koor.press("📤 Kirim sekarang")
    assert "dikirim ke 2 orang" in started.text
    sent = await rows(db)
    assert sorted(r.user_id for r in sent) == sorted([world.users["ibu_a1"], world.users["ibu_a2"]])
    assert all(r.status == "pending" and r.broadcast_id == sent[0].broadcast_id for r in sent)
    assert "📢 <b>Siaran</b> · Kecamatan Malingping" in sent[0].text
    [b] = await broadcasts(db)
    assert b.status == "sending" and b.recipients == 2 and b.author_user_id == world.users["koor_malingping"]
    # The job settles it to done once nothing is waiting.
    async with db.transaction() as session:
        await outbox.mark_sent(session, [r.id for r in sent], clock.now)
    await job.run(db, clock.now, "Asia/Jakarta")
    listing = await koor.text("/siaran")
    assert f"#{b.id}" in listing and "selesai" in listing
    assert "Penerima 2 · terkirim 2 · gagal 0 · memblokir 0" in listing


async def test_typed_area_outside_the_subtree_is_refused(db, dispatcher, world):
    koor = Talk(dispatcher, "koor_malingping")
    await koor.say("/siaran baru")
    await koor.press("✍️ Tulis pesan sendiri")
    await koor.say("Rapat koordinasi besok pagi.")
    for outside in ("36.02.02", "36.02", "94.71.01.1001", "36.02.02.2003"):
        answer = await koor.text(outside)
        assert "di luar wilayah Anda" in answer, outside
    assert "Tidak ada wilayah bernama Wanasalam" in await koor.text("Wanasalam")
    assert "tidak dikenal" in await koor.text("36.02.09")
    # A forged button of this very step with another kecamatan's code is refused the same way.
    state_payload = next(p for p in koor.buttons.values() if p.startswith("f:siaran:"))
    forged = state_payload.rsplit(":", 1)[0] + ":36.02.02"
    assert "di luar wilayah Anda" in joined(await koor.press(forged))
    # Inside: a desa by code, or a name.
    assert "Untuk siapa?" in await koor.text("Malingping Utara")
    assert not await rows(db)


async def test_a_kabupaten_coordinator_may_choose_any_kecamatan_of_it(db, dispatcher, world):
    koor = Talk(dispatcher, "koor_lebak")
    preview = await compose(koor, area="36.02.02", roles=("Kader posyandu",))
    assert "Penerima: 1 orang" in preview  # kader_b of Mawar only
    await koor.press("📤 Kirim sekarang")
    assert [r.user_id for r in await rows(db)] == [world.users["kader_b"]]


async def test_kader_and_families_cannot_broadcast(db, dispatcher, world):
    for who in ("kader_a", "ibu_a1", "bidan_a"):
        talk = Talk(dispatcher, who)
        assert "Siaran baru" not in await talk.text("/siaran baru")
        assert "Siaran baru" not in await talk.text("/siaran")
        replies = await talk.press("bc:new")
        assert not any("Siaran baru" in r.text for r in replies)
    assert not await broadcasts(db)


async def test_audience_is_area_roles_and_groups(db, world, clock):
    now = clock.now
    a = world.posyandu_a
    catin = await add_user(db, "catin_a", now, role="keluarga", posyandu_id=a)
    hamil = await add_user(db, "hamil_a", now, role="keluarga", posyandu_id=a)
    blocked = await add_user(db, "blocked_a", now, role="keluarga", posyandu_id=a, blocked_at=now)
    tpk = await add_user(db, "tpk_x", now, role="tpk", area_code="36.02.01.2001")
    peserta = await add_user(db, "peserta_lebak", now, role="peserta", area_code="36.02")
    async with db.transaction() as session:
        session.add_all([
            Target(kind=CATIN, user_id=catin, desa_code="36.02.01.2001", created_at=now),
            Target(kind=HAMIL, user_id=hamil, desa_code="36.02.01.2001", created_at=now),
            # An ended pregnancy is not "ibu hamil" any more.
            Target(kind=HAMIL, user_id=world.users["ibu_a2"], desa_code="36.02.01.2001",
                   ended_on=dt.date(2026, 10, 1), created_at=now),
        ])
        # budi is over five in this test's future: ibu_a2 has no balita any more then.
        await session.execute(update(Child).where(Child.id == world.children["budi"])
                              .values(birth_date=dt.date(2021, 1, 1)))
    u = world.users

    async def ids(area, roles, groups=()):
        async with db.transaction() as session:
            query = audience(area, roles, list(groups), NOV_20)
            found = set((await session.scalars(query)).all())
            assert await count_audience(session, query) == len(found)
            return found

    assert await ids("36.02.01", ["keluarga"]) == {u["ibu_a1"], u["ibu_a2"], catin, hamil}
    assert await ids("36.02.01", ["keluarga"], [HAMIL]) == {hamil}
    assert await ids("36.02.01", ["keluarga"], [CATIN, HAMIL]) == {catin, hamil}
    assert await ids("36.02.01", ["keluarga"], [BALITA]) == {u["ibu_a1"]}
    # Groups narrow families only; staff chosen beside them all stay.
    assert await ids("36.02.01", ["keluarga", "kader", "bidan", "tpk"], [HAMIL]) == {
        hamil, u["kader_a"], u["bidan_a"], tpk, *([u["tpk_a"]] if "tpk_a" in u else [])}
    assert await ids("36.02.01", ["koordinator"]) == {u["koor_malingping"]}
    assert await ids("36.02", ["koordinator"]) == {u["koor_malingping"], u["koor_lebak"]}
    assert await ids("36.02", ["peserta"]) == {peserta}
    assert await ids("36.02.01", ["peserta"]) == set()  # a kabupaten participant is above it
    assert await ids("36.02.02", ["kader", "keluarga"]) == {u["kader_b"]}
    assert await ids("36.02.01.2001", ["bidan"]) == {u["bidan_a"]}
    assert blocked not in await ids("36", ["keluarga"])
    assert await ids("36.02.01", ["admin"]) == set()


async def test_preview_count_equals_rows_written(db, dispatcher, world, clock):
    await add_user(db, "gone", clock.now, role="keluarga", posyandu_id=world.posyandu_a,
                   blocked_at=clock.now)
    await add_user(db, "en_family", clock.now, role="keluarga", posyandu_id=world.posyandu_a)
    async with db.transaction() as session:
        await session.execute(update(User).where(User.platform_user_id == "en_family")
                              .values(locale="en"))
    koor = Talk(dispatcher, "koor_lebak")
    await koor.say("/siaran baru")
    await koor.press("📣 Gebyar / Intervensi Serentak")
    await koor.say("15/12/2026")
    await koor.say("Lapangan Desa")
    await koor.press("Seluruh wilayah saya")
    await koor.press("▫️ Keluarga")
    await koor.press("▫️ Kader posyandu")
    await koor.press("Lanjut ➡️")
    preview = joined(await koor.press("Lanjut ➡️"))
    assert "Penerima: 5 orang" in preview  # ibu_a1, ibu_a2, en_family, kader_a, kader_b
    assert "Selasa, 15 Desember 2026" in preview and "Lapangan Desa" in preview
    await koor.press("📤 Kirim sekarang")
    written = await rows(db)
    assert len(written) == 5
    english = next(r for r in written if "Broadcast" in r.text)
    assert "Tuesday, 15 December 2026" in english.text and "Lapangan Desa" in english.text


async def test_planned_broadcast_starts_at_its_local_time_and_counts_again(db, dispatcher, world,
                                                                          clock):
    koor = Talk(dispatcher, "koor_malingping")
    await compose(koor)
    await koor.press("🗓 Jadwalkan")
    # 2026-11-20 02:00 UTC is 09:00 WIB: 08:00 today has passed.
    assert "sudah lewat" in await koor.text("20/11/2026 08:00")
    assert "tidak terbaca" in await koor.text("kapan-kapan")
    answer = await koor.text("21/11 07:30")
    assert "dijadwalkan pada Sabtu, 21 November 2026 pukul 07:30" in answer
    [b] = await broadcasts(db)
    assert b.status == "planned" and b.planned_at == dt.datetime(2026, 11, 21, 0, 30, tzinfo=dt.UTC)
    assert not await rows(db)
    late_joiner = await add_user(db, "ibu_baru", clock.now, role="keluarga",
                                 posyandu_id=world.posyandu_a)
    assert await job.run(db, dt.datetime(2026, 11, 21, 0, 29, tzinfo=dt.UTC), "Asia/Jakarta") == 0
    assert await job.run(db, dt.datetime(2026, 11, 21, 0, 31, tzinfo=dt.UTC), "Asia/Jakarta") == 3
    assert late_joiner in {r.user_id for r in await rows(db)}
    # Run again: nothing twice.
    assert await job.run(db, dt.datetime(2026, 11, 21, 0, 32, tzinfo=dt.UTC), "Asia/Jakarta") == 0
    assert len(await rows(db)) == 3


async def test_a_planned_broadcast_can_be_cancelled_before_it_starts(db, dispatcher, world, clock):
    koor = Talk(dispatcher, "koor_malingping")
    await compose(koor)
    await koor.press("🗓 Jadwalkan")
    await koor.say("21/11/2026 07:30")
    [b] = await broadcasts(db)
    listing = await koor.text("/siaran")
    assert "dijadwalkan" in listing and "21/11/2026 07:30" in listing
    # Another coordinator cannot touch it, even by forging the button.
    other = Talk(dispatcher, "koor_lebak")
    assert "tidak ditemukan" in joined(await other.press(f"bc:xy:{b.id}"))
    await koor.press(f"❌ Batalkan #{b.id}")
    answer = joined(await koor.press("Ya, batalkan"))
    assert "dibatalkan" in answer
    assert await job.run(db, dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC), "Asia/Jakarta") == 0
    assert not await rows(db)
    assert (await broadcasts(db))[0].status == "cancelled"


async def test_a_running_broadcast_can_be_stopped(db, dispatcher, world, clock):
    for i in range(4):
        await add_user(db, f"fam{i}", clock.now, role="keluarga", posyandu_id=world.posyandu_a)
    koor = Talk(dispatcher, "koor_malingping")
    await compose(koor)
    await koor.press("📤 Kirim sekarang")
    [b] = await broadcasts(db)
    written = await rows(db)
    assert len(written) == 6
    async with db.transaction() as session:
        claimed = await outbox.claim(session, "worker-1", 2, clock.now)
        await outbox.mark_sent(session, [claimed[0].id], clock.now)
    # claimed[1] is in a worker's hands ("sending") when the coordinator presses stop.
    listing = await koor.text("/siaran")
    assert "sedang dikirim" in listing and "terkirim 1" in listing and "menunggu 5" in listing
    await koor.press(f"⛔ Hentikan #{b.id}")
    answer = joined(await koor.press("Ya, hentikan"))
    assert "dihentikan: 4 pesan" in answer
    async with db.transaction() as session:
        assert await outbox.claim(session, "worker-2", 100, clock.now) == []
        # The worker dies and its row goes back to pending: the job stops it again.
        await outbox.reclaim(session, ["worker-1"])
    await job.run(db, clock.now, "Asia/Jakarta")
    async with db.transaction() as session:
        assert await outbox.claim(session, "worker-3", 100, clock.now) == []
    statuses = sorted(r.status for r in await rows(db))
    assert statuses == ["sent"] + ["stopped"] * 5
    view = joined(await koor.press(f"bc:v:{b.id}"))
    assert "dihentikan" in view and "terkirim 1" in view and "dihentikan 5" in view
    # Stopping twice changes nothing.
    assert "sudah tidak berjalan" in joined(await koor.press(f"bc:xy:{b.id}"))


async def test_a_broadcast_planned_while_the_scheduler_was_down_is_missed(db, dispatcher, world,
                                                                         clock):
    koor = Talk(dispatcher, "koor_malingping")
    await compose(koor)
    await koor.press("🗓 Jadwalkan")
    await koor.say("21/11/2026 07:30")
    assert await job.run(db, dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC), "Asia/Jakarta") == 0
    assert not await rows(db)
    [b] = await broadcasts(db)
    assert b.status == "missed"
    async with db.transaction() as session:
        notice = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "notice"))
    assert notice.user_id == world.users["koor_malingping"] and "tidak dikirim" in notice.text


async def test_bad_input_keeps_the_step(db, dispatcher, world):
    koor = Talk(dispatcher, "koor_malingping")
    await koor.say("/siaran baru")
    assert "pilih salah satu tombol" in await koor.text("apa saja")
    await koor.press("📅 Hari posyandu")
    assert "tidak bisa dipakai" in await koor.text("1/1/2020")
    await koor.say("10/12/2026")
    assert "Jam tidak terbaca" in await koor.text("25:99")
    await koor.say("08.00")
    await koor.say("Posyandu Melati")
    await koor.press("Seluruh wilayah saya")
    assert "paling sedikit satu" in await koor.text("Lanjut ➡️")
    await koor.press("▫️ Bidan desa")
    preview = joined(await koor.press("Lanjut ➡️"))
    assert "Penerima: 1 orang" in preview and "Kamis, 10 Desember 2026 pukul 08:00" in preview
    assert not await broadcasts(db)
