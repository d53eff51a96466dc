"""The tips job on SQLite and PostgreSQL: the right stage's tip at each family's own hour, once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from scheduler.jobs import JOBS, catch_up, run_job
from storage.models import Child, Measurement, User
from storage.outbox import OutboxMessage
from storage.targets import Target
from storage.tips import TipPreference, TipSubscription
from tests.helpers import Talk

UTC = dt.UTC
WIB = dt.timezone(dt.timedelta(hours=7))


async def tips(db) -> list[OutboxMessage]:
    async with db.transaction() as session:
        return list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "tip").order_by(OutboxMessage.id)))


async def join_at_week_10(dispatcher, world, slot="Malam 19.00", who="ibu_baru"):
    mother = Talk(dispatcher, who)
    await mother.say(f"/start {world.join_a}")
    await mother.press("✅ Setuju")
    await mother.press("🤰 Ibu hamil")
    await mother.press("Saya tahu HPHT (hari pertama haid terakhir)")
    await mother.say("11/9/2026")  # week 10 on 20 November 2026
    await mother.press(slot)
    return mother


async def test_week_10_at_her_hour_then_week_11_never_twice(dispatcher, db, world):
    await join_at_week_10(dispatcher, world)
    day = dt.date(2026, 11, 20)
    sent = []
    for offset in range(0, 15):  # two weeks, every slot hour, each run twice
        for hour in (7, 12, 19):
            at = dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(hour), WIB)
            for _ in range(2):
                if await run_job(db, "tips-wib", at):
                    sent.append(at)
    assert sent == [dt.datetime(2026, 11, 20, 19, tzinfo=WIB), dt.datetime(2026, 11, 27, 19, tzinfo=WIB),
                    dt.datetime(2026, 12, 4, 19, tzinfo=WIB)]
    rows = await tips(db)
    assert [r.dedupe_key for r in rows] == ["tip:1:10", "tip:1:11", "tip:1:12"]
    assert "Kehamilan minggu ke-10" in rows[0].text and "Sumber:" in rows[0].text
    assert "Kehamilan minggu ke-11" in rows[1].text
    first = rows[0]
    assert (first.chat_id, first.platform, first.status, first.priority) == (
        "ibu_baru", "test", "pending", 2)
    assert first.not_before == dt.datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert first.buttons == [[["⚙️ Atur tips", "m:tips"]]]


async def test_the_cli_style_run_at_other_hours_sends_her_nothing(dispatcher, db, world):
    await join_at_week_10(dispatcher, world)
    # 06:00 is before every slot; 12:00 is the noon slot; 13:30 a late noon run.
    for hour, minute in ((6, 0), (12, 0), (13, 30)):
        at = dt.datetime(2026, 11, 20, hour, minute, tzinfo=WIB)
        assert await run_job(db, "tips-wib", at) == 0
    # A late evening run within the scheduler's grace still serves the evening slot.
    assert await run_job(db, "tips-wib", dt.datetime(2026, 11, 20, 22, 30, tzinfo=WIB)) == 1


async def test_late_joiner_starts_at_her_stage_without_backlog(dispatcher, db, world):
    mother = Talk(dispatcher, "late")
    await mother.say(f"/start {world.join_a}")
    await mother.press("✅ Setuju")
    await mother.press("🤰 Ibu hamil")
    await mother.press("Saya tahu usia kehamilan (minggu)")
    await mother.say("30")
    await mother.press("Pagi 07.00")
    assert await run_job(db, "tips-wib", dt.datetime(2026, 11, 21, 7, tzinfo=WIB)) == 1
    assert [r.dedupe_key.rsplit(":", 1)[1] for r in await tips(db)] == ["30"]


async def test_each_zone_at_its_own_hour(dispatcher, db, world, clock):
    """A Papua family (WIT) gets tips at 07:00 WIT, not at 07:00 WIB."""
    async with db.transaction() as session:
        user = User(platform="test", platform_user_id="ibu_c", chat_id="ibu_c", locale="en",
                    role="keluarga", posyandu_id=world.posyandu_c, consent_at=clock.now,
                    consent_version="t", created_at=clock.now)
        session.add(user)
        await session.flush()
        yohana = await session.get(Child, world.children["yohana"])  # born 2024-05-01
        yohana.parent_user_id = user.id
        session.add(TipPreference(user_id=user.id, slot="pagi", updated_at=clock.now))
        session.add(TipSubscription(user_id=user.id, track="anak", child_id=yohana.id,
                                    started_at=clock.now))
    wit_morning = dt.datetime(2026, 11, 21, 7, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert await run_job(db, "tips-wib", wit_morning) == 0  # 05:00 in Banten
    assert await run_job(db, "tips-wit", wit_morning) == 1
    (row,) = await tips(db)
    assert row.dedupe_key.endswith(":30") and "Child aged 30 months" in row.text  # English


async def test_catch_up_after_downtime_sends_the_evening_tips_once(dispatcher, db, world):
    await join_at_week_10(dispatcher, world)
    now = dt.datetime(2026, 11, 20, 21, 0, tzinfo=WIB)  # the scheduler was down at 19:00
    assert JOBS["tips-wib"].last_due(now) == dt.datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert "tips-wib" in await catch_up(db, now)
    assert "tips-wib" not in await catch_up(db, now)
    assert len(await tips(db)) == 1


async def add_measurement(db, world, child_key, on, **flags) -> int:
    async with db.transaction() as session:
        child = await session.get(Child, world.children[child_key])
        m = Measurement(child_id=child.id, posyandu_id=child.posyandu_id,
                        desa_code="36.02.01.2001", measured_on=on, weight_kg=11.0,
                        lenhei_cm=80.0, position="h", age_days=(on - child.birth_date).days,
                        clenhei=80.0, entered_at=dt.datetime.now(UTC), **flags)
        session.add(m)
        await session.flush()
        return m.id


async def subscribe_ibu_a1(db, world, clock):
    async with db.transaction() as session:
        user_id = world.users["ibu_a1"]
        session.add(TipPreference(user_id=user_id, slot="pagi", updated_at=clock.now))
        session.add(TipSubscription(user_id=user_id, track="anak", child_id=world.children["siti"],
                                    started_at=clock.now))


async def test_a_child_measured_t_gets_the_status_tip_first_once(db, world, clock):
    await subscribe_ibu_a1(db, world, clock)
    morning = dt.datetime(2026, 11, 21, 7, tzinfo=WIB)
    m = await add_measurement(db, world, "siti", dt.date(2026, 11, 10), gain="T")
    assert await run_job(db, "tips-wib", morning) == 1
    (status,) = await tips(db)
    assert status.dedupe_key == f"tip:1:status:{m}"
    assert "Berat Siti Aminah bulan ini tidak naik" in status.text
    assert "Bidan desa" in status.text  # bidan_a is registered for the desa
    # The month's regular tip comes the next day, and the status tip never again.
    assert await run_job(db, "tips-wib", morning + dt.timedelta(days=1)) == 1
    assert await run_job(db, "tips-wib", morning + dt.timedelta(days=2)) == 0
    keys = [r.dedupe_key for r in await tips(db)]
    assert keys == [f"tip:1:status:{m}", "tip:1:30"]


async def test_stunting_and_wasting_tips_and_stale_weighings(db, world, clock):
    await subscribe_ibu_a1(db, world, clock)
    morning = dt.datetime(2026, 11, 21, 7, tzinfo=WIB)
    await add_measurement(db, world, "siti", dt.date(2026, 9, 1), stunted=True)  # too old
    assert await run_job(db, "tips-wib", morning) == 1
    assert "status" not in (await tips(db))[0].dedupe_key
    await add_measurement(db, world, "siti", dt.date(2026, 11, 21), stunted=True, wasted=True)
    assert await run_job(db, "tips-wib", morning + dt.timedelta(days=1)) == 1
    assert "kurang untuk panjang/tingginya" in (await tips(db))[-1].text  # wasting first


async def test_ended_or_blocked_or_unconfirmed_get_nothing(dispatcher, db, world, clock):
    mother = await join_at_week_10(dispatcher, world)
    async with db.transaction() as session:
        user = await session.scalar(select(User).where(User.platform_user_id == "ibu_baru"))
        user.blocked_at = clock.now
    evening = dt.datetime(2026, 11, 20, 19, tzinfo=WIB)
    assert await run_job(db, "tips-wib", evening) == 0
    await mother.say("halo")  # writing again unblocks
    async with db.transaction() as session:
        target = await session.scalar(select(Target))
        target.ended_on, target.end_reason = dt.date(2026, 11, 20), "pindah"  # a TPK ended it
    assert await run_job(db, "tips-wib", evening) == 0
