"""The jobs on SQLite and PostgreSQL: who gets which reminder, at their own local hour, once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.delivery import Delivery
from scheduler.jobs import JOBS, catch_up, last_run, run_job
from storage.models import Child, FollowUp, Measurement, User
from storage.outbox import OutboxMessage
from storage.schedule import add_action, set_exception

UTC = dt.UTC


async def add_user(db, world, name, now, **values) -> int:
    async with db.transaction() as session:
        user = User(platform="test", platform_user_id=name, chat_id=name, locale="id",
                    locale_chosen=False, created_at=now, **values)
        session.add(user)
        await session.flush()
        world.users[name] = user.id
        return user.id


async def papua_family(db, world, now) -> None:
    mother = await add_user(db, world, "ibu_c", now, role="keluarga",
                            posyandu_id=world.posyandu_c, consent_at=now, consent_version="t")
    await add_user(db, world, "kader_c", now, role="kader", posyandu_id=world.posyandu_c)
    async with db.transaction() as session:
        child = await session.get(Child, world.children["yohana"])
        child.parent_user_id = mother


async def rows(db, prefix: str = "") -> dict[str, OutboxMessage]:
    async with db.transaction() as session:
        found = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith(prefix)))
        return {row.dedupe_key: row for row in found}


def owner(world, key: str) -> str:
    user_id = int(key.rsplit(":", 1)[1])
    return next(name for name, uid in world.users.items() if uid == user_id)


async def test_wit_and_wib_posyandu_are_reminded_at_their_own_16_00(db, world, clock):
    await papua_family(db, world, clock.now)
    start = dt.datetime(2026, 12, 4, 0, 0, tzinfo=UTC)
    wit_time = JOBS["posyandu-h1-wit"].next_run(start)  # 16:00 WIT on 4 December
    assert await run_job(db, "posyandu-h1-wit", wit_time) == 2
    assert await run_job(db, "posyandu-h1-wib", wit_time) == 0  # 14:00 in Banten: nothing due
    found = await rows(db)
    assert sorted(owner(world, k) for k in found) == ["ibu_c", "kader_c"]
    assert f"posyandu:{world.posyandu_c}:2026-12-05:H-1:{world.users['ibu_c']}" in found

    wib_time = JOBS["posyandu-h1-wib"].next_run(dt.datetime(2026, 12, 9, 0, 0, tzinfo=UTC))
    assert wib_time.astimezone(UTC) == dt.datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    assert await run_job(db, "posyandu-h1-wib", wib_time) == 3
    mine = await rows(db, f"posyandu:{world.posyandu_a}:2026-12-10")
    assert sorted(owner(world, k) for k in mine) == ["ibu_a1", "ibu_a2", "kader_a"]
    family = mine[f"posyandu:{world.posyandu_a}:2026-12-10:H-1:{world.users['ibu_a1']}"]
    assert "Buku KIA" in family.text and "Kamis, 10 Desember 2026" in family.text
    assert "08:00" in family.text


async def test_a_reminder_not_sent_by_the_opening_is_never_sent(db, world, clock):
    from storage import outbox

    await run_job(db, "posyandu-h1-wib", dt.datetime(2026, 12, 9, 9, 0, tzinfo=UTC))
    await run_job(db, "posyandu-day-wib", dt.datetime(2026, 12, 9, 23, 30, tzinfo=UTC))
    opening = dt.datetime(2026, 12, 10, 1, 0, tzinfo=UTC)  # 08:00 WIB
    found = await rows(db, f"posyandu:{world.posyandu_a}:2026-12-10")
    assert {r.expires_at for k, r in found.items() if ":H-1" in k} == {opening}
    assert {r.expires_at for k, r in found.items() if ":H0:" in k} == {
        opening + dt.timedelta(hours=3)}
    async with db.transaction() as session:  # delivery was down until 09:00 WIB
        late = await outbox.claim(session, "w", 100, opening + dt.timedelta(hours=1))
    assert {r.dedupe_key.split(":")[3] for r in late} == {"H0"}
    # The daily prune marks what is left and expired; it is never claimed.
    assert await run_job(db, "prune-processed-updates", opening + dt.timedelta(days=1)) == 3
    async with db.transaction() as session:
        statuses = {r.status for r in await session.scalars(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.contains(":H-1")))}
        assert await outbox.claim(session, "w", 100, opening + dt.timedelta(days=1)) == []
    assert statuses == {"expired"}


async def test_same_job_twice_sends_each_family_one_reminder(db, world, clock):
    at = dt.datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    assert await run_job(db, "posyandu-h1-wib", at) == 3
    assert await run_job(db, "posyandu-h1-wib", at) == 0
    assert await run_job(db, "posyandu-h1-wib", at + dt.timedelta(minutes=30)) == 0

    class Recorder:
        def __init__(self):
            self.sent = []

        async def send(self, chat_id, reply, *, edit_message_id=None):
            self.sent.append(chat_id)

    recorder = Recorder()
    await Delivery(db, recorder, rate=200).run_until_idle(timeout=20)
    assert sorted(recorder.sent) == ["ibu_a1", "ibu_a2", "kader_a"]
    await Delivery(db, recorder, rate=200).run_until_idle(timeout=20)
    assert len(recorder.sent) == 3


async def test_kader_list_names_children_not_weighed_and_due_for_recheck(db, world, clock):
    async with db.transaction() as session:
        measurement = Measurement(child_id=world.children["budi"], posyandu_id=world.posyandu_a,
                                  desa_code="36.02.01.2001", measured_on=dt.date(2026, 11, 10),
                                  age_days=923, stunted=True, entered_at=clock.now)
        session.add(measurement)
        await session.flush()
        session.add(FollowUp(child_id=world.children["budi"], posyandu_id=world.posyandu_a,
                             measurement_id=measurement.id, reasons="stunting",
                             created_at=clock.now, recheck_on=dt.date(2026, 12, 10)))
    await run_job(db, "posyandu-h1-wib", dt.datetime(2026, 12, 9, 9, 0, tzinfo=UTC))
    [kader] = (await rows(db, f"posyandu:{world.posyandu_a}:2026-12-10:H-1-list")).values()
    text = kader.text
    assert "Balita terdaftar: <b>2</b>" in text
    unweighed, recheck = text.split("Perlu cek ulang")
    assert "Siti Aminah" in unweighed and "Budi Santoso" not in unweighed
    assert "Budi Santoso" in recheck


async def test_moved_and_cancelled_openings_move_the_reminders(db, world, clock):
    async with db.transaction() as session:
        await set_exception(session, posyandu_id=world.posyandu_a,
                            original_date=dt.date(2026, 12, 10), action="move",
                            new_date=dt.date(2026, 12, 12), new_time=dt.time(9, 30))
        await set_exception(session, posyandu_id=world.posyandu_a,
                            original_date=dt.date(2027, 1, 10), action="cancel")
    assert await run_job(db, "posyandu-h1-wib", dt.datetime(2026, 12, 9, 9, tzinfo=UTC)) == 0
    assert await run_job(db, "posyandu-h1-wib", dt.datetime(2026, 12, 11, 9, tzinfo=UTC)) == 3
    moved = await rows(db, f"posyandu:{world.posyandu_a}:2026-12-12:H-1:")
    assert all("09:30" in row.text for row in moved.values()) and len(moved) == 2
    assert await run_job(db, "posyandu-day-wib", dt.datetime(2026, 12, 11, 23, 30, tzinfo=UTC)) == 2
    assert await run_job(db, "posyandu-h1-wib", dt.datetime(2027, 1, 9, 9, tzinfo=UTC)) == 0


async def test_jumat_serius_reminder_and_recap(db, world, clock):
    now = clock.now  # Friday 20 November 2026, 09:00 WIB
    await add_user(db, world, "peserta_lebak", now, role="peserta", area_code="36.02.01")
    await add_user(db, world, "peserta_papua", now, role="peserta", area_code="94.71")
    friday_7 = dt.datetime(2026, 11, 20, 0, 0, tzinfo=UTC)  # 07:00 WIB
    assert await run_job(db, "jumat-reminder-wib", friday_7) == 1
    assert await run_job(db, "jumat-reminder-wib", friday_7 - dt.timedelta(days=1)) == 0
    assert await run_job(db, "jumat-reminder-wit", friday_7 - dt.timedelta(hours=2)) == 1
    async with db.transaction() as session:
        for area in ("36.02.01.2001", "36.02.01", "36.02.01", "36.02.02.2003"):
            await add_action(session, user_id=world.users["peserta_lebak"], area_code=area,
                             action_date=dt.date(2026, 11, 20), category="pmt",
                             description="telur", photo_file_id=None, now=now)
    friday_19 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert await run_job(db, "jumat-recap-wib", friday_19) == 3
    recaps = await rows(db, "jumat:2026-11-20:recap")
    assert sorted(owner(world, k) for k in recaps) == ["koor_lebak", "koor_malingping",
                                                      "peserta_lebak"]
    text = next(iter(recaps.values())).text
    assert "4 dari 1000" in text and "Malingping: 3" in text and "Wanasalam: 1" in text
    assert "terbaik: <b>Malingping</b>" in text


async def test_recheck_reminder_once_per_follow_up(db, world, clock):
    async with db.transaction() as session:
        follow_up = FollowUp(child_id=world.children["siti"], posyandu_id=world.posyandu_a,
                             reasons="2t,bgm", created_at=clock.now,
                             recheck_on=dt.date(2026, 12, 1))
        session.add(follow_up)
    morning = dt.datetime(2026, 12, 1, 0, 15, tzinfo=UTC)
    assert await run_job(db, "followups-wib", morning - dt.timedelta(days=1)) == 0
    assert await run_job(db, "followups-wib", morning) == 1
    assert await run_job(db, "followups-wib", morning + dt.timedelta(days=1)) == 0
    [row] = (await rows(db, "followup:")).values()
    assert owner(world, row.dedupe_key) == "kader_a"
    assert "Siti Aminah" in row.text and "2T" in row.text


async def test_catch_up_runs_a_missed_job_once(db, world, clock):
    at_17 = dt.datetime(2026, 12, 9, 10, 0, tzinfo=UTC)  # an hour after the WIB run was due
    ran = await catch_up(db, at_17)
    # 16:00 WIB, WITA and WIT all passed within the grace period; the mornings did not.
    # (17:00 WIB is 19:00 WIT: the evening tips there are due right now.)
    assert ran == ["posyandu-h1-wib", "posyandu-h1-wita", "posyandu-h1-wit", "tips-wit"]
    assert await last_run(db, "posyandu-h1-wib") == dt.datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    assert len(await rows(db, "posyandu:")) == 3
    assert await catch_up(db, at_17 + dt.timedelta(minutes=5)) == []
