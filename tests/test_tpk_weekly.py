"""The TPK's weekly list: Monday 07:00 local, due and overdue visits, once per TPK per week."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from scheduler.jobs import JOBS, run_job
from storage.models import User
from storage.outbox import OutboxMessage
from storage.targets import Target

UTC = dt.UTC
DESA = "36.02.01.2001"
MONDAY_7_WIB = dt.datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 07:00 WIB


async def rows(db) -> list[OutboxMessage]:
    async with db.transaction() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def seed(db, world, clock):
    created = dt.datetime(2026, 11, 1, 3, tzinfo=UTC)
    async with db.transaction() as session:
        session.add_all([
            Target(kind="hamil", name="Rina Wati", desa_code=DESA, created_at=created,
                   hpht=dt.date(2026, 8, 1), birth_date=dt.date(2008, 1, 1)),
            # The wedding is within 3 months and she is not screened: in the list.
            Target(kind="catin", name="Dewi", desa_code=DESA, created_at=created,
                   wedding_date=dt.date(2027, 2, 1)),
            # A wedding far away: not yet.
            Target(kind="catin", name="Jauh", desa_code=DESA, created_at=created,
                   wedding_date=dt.date(2027, 9, 1)),
            Target(kind="nifas", name="Sari", desa_code=DESA, created_at=created,
                   delivered_on=dt.date(2026, 11, 20)),
            # Screening due 90 days before the wedding: on 27/11, this week.
            Target(kind="catin", name="Mira", desa_code=DESA, created_at=created,
                   wedding_date=dt.date(2027, 2, 25)),
            # Her 42 days ended on 12/11: the job ends the stage, she is in no list.
            Target(kind="nifas", name="Lewat", desa_code=DESA, created_at=created,
                   delivered_on=dt.date(2026, 10, 1)),
            # Another desa (no TPK there): nobody is told.
            Target(kind="hamil", name="Luar", desa_code="36.02.02.2003", created_at=created),
        ])
        # A second TPK in the desa reads English.
        session.add(User(platform="test", platform_user_id="tpk_en", chat_id="tpk_en",
                         role="tpk", area_code=DESA, locale="en", locale_chosen=True,
                         created_at=clock.now))


async def test_weekly_list_to_each_tpk_once(db, world, clock):
    await seed(db, world, clock)
    job = JOBS["tpk-weekly-wib"]
    assert job.next_run(dt.datetime(2026, 11, 20, tzinfo=UTC)) == MONDAY_7_WIB
    assert await run_job(db, "tpk-weekly-wib", MONDAY_7_WIB) == 2
    assert await run_job(db, "tpk-weekly-wib", MONDAY_7_WIB + dt.timedelta(hours=1)) == 0
    found = await rows(db)
    assert [r.dedupe_key for r in found] == [
        f"tpk-week:{DESA}:2026-11-23:{world.users['tpk_a']}",
        f"tpk-week:{DESA}:2026-11-23:{found[1].user_id}",
    ]
    text = found[0].text
    overdue, due = text.split("Jatuh tempo minggu ini")
    assert "Rina Wati" in overdue and "Dewi" in overdue and "4T: terlalu muda" in overdue
    # KF1 (20-22/11) was missed: overdue until she is visited, the visit counting for KF2.
    assert "Sari (Ibu nifas): ⏰ KF1 terlewat: kunjungi segera (KF2 sampai 27/11)" in overdue
    assert "Mira" in due and "Sari" not in due
    assert "Jauh" not in text and "Luar" not in text and "Lewat" not in text
    async with db.transaction() as session:
        ended = await session.scalar(select(Target).where(Target.name == "Lewat"))
    assert (ended.ended_on, ended.end_reason) == (dt.date(2026, 11, 12), "selesai")
    assert "Overdue" in found[1].text and "Due this week" in found[1].text


async def test_not_on_other_days_and_nothing_when_nothing_is_due(db, world, clock):
    await seed(db, world, clock)
    assert await run_job(db, "tpk-weekly-wib", MONDAY_7_WIB + dt.timedelta(days=1)) == 0
    assert await run_job(db, "tpk-weekly-wit", MONDAY_7_WIB) == 0  # no TPK in Papua
    async with db.transaction() as session:
        for target in (await session.scalars(select(Target))).all():
            target.ended_on = dt.date(2026, 11, 21)
    assert await run_job(db, "tpk-weekly-wib", MONDAY_7_WIB) == 0
