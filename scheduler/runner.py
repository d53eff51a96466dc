"""The scheduler process part: APScheduler 3.11 with jobs declared in code (nothing pickled).

Today it runs the housekeeping job; reminders, tips and follow-ups join it as their issues land.
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete

from scheduler.leader import Leadership
from storage.db import Database
from storage.models import ProcessedUpdate, utcnow

log = logging.getLogger(__name__)
PROCESSED_UPDATES_KEPT = dt.timedelta(days=7)  # Telegram keeps undelivered updates for 24 hours


async def prune_processed_updates(db: Database, now: dt.datetime | None = None) -> int:
    cutoff = (now or utcnow()) - PROCESSED_UPDATES_KEPT
    async with db.transaction() as session:
        result = await session.execute(
            delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < cutoff)
        )
        return result.rowcount or 0


class Scheduler:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.leadership = Leadership(db)
        self.scheduler = AsyncIOScheduler(
            timezone="UTC", job_defaults={"coalesce": True, "misfire_grace_time": 3600}
        )
        self.scheduler.add_job(
            prune_processed_updates, CronTrigger(hour=3, minute=17, timezone="Asia/Jakarta"),
            args=[db], id="prune_processed_updates", replace_existing=True,
        )

    async def run(self) -> None:
        """Become the leader (waiting if another process is), then start the jobs."""
        await self.leadership.acquire()
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.leadership.release()
