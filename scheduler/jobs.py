"""Every scheduled job, declared in code: name, cron rule in a time zone, and the function.

A job is ``async def job(db, at, zone) -> int`` (rows written to the outbox): ``at`` is the time
it runs for, so ``tumbuh jobs run NAME --at ...`` runs it as if it were then. Jobs that depend on
local hours exist once per zone (WIB, WITA, WIT) and handle the areas of that zone, at that
zone's own 16:00.

Catching up: the last time each job ran for is kept in ``key_values`` (``job:<name>``). When the
scheduler starts after a downtime, a job whose latest due time passed within its grace period
and was not run yet runs once for that time (not once per missed day).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete

from scheduler import broadcasts, followups, jumat, posyandu_days, tips
from scheduler import tpk as tpk_weekly
from storage import outbox
from storage.db import Database
from storage.models import ProcessedUpdate, utcnow
from storage.registry import ZONES, get_value, set_value

log = logging.getLogger(__name__)

JobFunc = Callable[[Database, dt.datetime, str], Awaitable[int]]
# Four hours keep a late run on the same local day for every hour used below.
GRACE = dt.timedelta(hours=4)
PROCESSED_UPDATES_KEPT = dt.timedelta(days=7)  # Telegram keeps undelivered updates for 24 hours


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunc
    zone: str
    cron: dict = field(default_factory=dict)
    description: str = ""
    # False for a job that works from stored state (what is due now), so its next run catches up
    # by itself: e.g. ``broadcasts``, which runs every minute.
    catch_up: bool = True

    def trigger(self) -> CronTrigger:
        return CronTrigger(timezone=self.zone, **self.cron)

    def next_run(self, now: dt.datetime) -> dt.datetime | None:
        return self.trigger().get_next_fire_time(None, now)

    def last_due(self, now: dt.datetime, grace: dt.timedelta = GRACE) -> dt.datetime | None:
        """The latest time this job was due, if it lies within ``grace`` before ``now``."""
        trigger, due = self.trigger(), None
        fire = trigger.get_next_fire_time(None, now - grace)
        while fire is not None and fire <= now:
            due = fire
            fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
        return due


async def prune_processed_updates(db: Database, at: dt.datetime, _zone: str) -> int:
    """Forget old update ids, and mark outbox rows that expired while pending."""
    async with db.transaction() as session:
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < at - PROCESSED_UPDATES_KEPT)
        )
        return (result.rowcount or 0) + await outbox.expire(session, at)


def _declare() -> dict[str, Job]:
    jobs = [Job("prune-processed-updates", prune_processed_updates, "Asia/Jakarta",
                {"hour": 3, "minute": 17}, "forget processed update ids after 7 days; mark expired outbox rows"),
            # Planned times are stored in UTC, so one job serves every zone.
            Job("broadcasts", broadcasts.run, "Asia/Jakarta", {"minute": "*"},
                "start planned broadcasts; settle running ones", catch_up=False)]
    for tag, zone in ZONES.items():
        tag = tag.lower()
        jobs += [
            Job(f"posyandu-h1-{tag}", posyandu_days.remind_day_before, zone,
                {"hour": 16, "minute": 0}, "posyandu tomorrow: families, and kader's list"),
            Job(f"posyandu-day-{tag}", posyandu_days.remind_morning, zone,
                {"hour": 6, "minute": 30}, "posyandu today: families"),
            Job(f"jumat-reminder-{tag}", jumat.remind, zone,
                {"day_of_week": "fri", "hour": 7, "minute": 0}, "Jum'at Serius: participants"),
            Job(f"jumat-recap-{tag}", jumat.recap, zone,
                {"day_of_week": "fri", "hour": 19, "minute": 0}, "Jum'at Serius recap"),
            Job(f"followups-{tag}", followups.remind, zone,
                {"hour": 7, "minute": 15}, "re-check reminders to kader"),
            Job(f"tpk-weekly-{tag}", tpk_weekly.weekly, zone,
                {"day_of_week": "mon", "hour": 7, "minute": 0}, "TPK: visits due and overdue"),
            Job(f"tips-{tag}", tips.send_tips, zone,
                {"hour": "7,12,19", "minute": 0}, "stage tips to families at their hour"),
        ]
    return {job.name: job for job in jobs}


JOBS: dict[str, Job] = _declare()


async def run_job(db: Database, name: str, at: dt.datetime | None = None) -> int:
    """Run one job for ``at`` (default now) and remember it ran; returns rows enqueued."""
    job = JOBS[name]
    at = at or utcnow()
    count = await job.func(db, at, job.zone)
    async with db.transaction() as session:
        await set_value(session, f"job:{name}", at.astimezone(dt.UTC).isoformat())
    log.info("job %s for %s: %d rows", name, at.isoformat(timespec="minutes"), count)
    return count


async def last_run(db: Database, name: str) -> dt.datetime | None:
    async with db.transaction() as session:
        value = await get_value(session, f"job:{name}")
    return dt.datetime.fromisoformat(value) if value else None


async def catch_up(db: Database, now: dt.datetime | None = None) -> list[str]:
    """Run once every job whose latest due time (within the grace period) was missed."""
    now = now or utcnow()
    ran = []
    for name, job in JOBS.items():
        if not job.catch_up:
            continue
        due = job.last_due(now)
        if due is None:
            continue
        previous = await last_run(db, name)
        if previous is not None and previous >= due:
            continue
        log.info("catching up job %s due at %s", name, due.isoformat(timespec="minutes"))
        try:
            await run_job(db, name, due)
        except Exception:
            log.exception("catching up job %s failed", name)
            continue
        ran.append(name)
    return ran
