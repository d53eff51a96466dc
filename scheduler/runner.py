"""The scheduler process part: APScheduler 3.11 with jobs declared in code (nothing pickled).

Every job of ``scheduler.jobs.JOBS`` runs on its cron trigger in its own time zone. Missed runs
are coalesced into one within the grace period; after a downtime, ``catch_up`` runs what was
missed once. Only the leader (``scheduler.leader``) runs jobs.
"""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.jobs import GRACE, JOBS, catch_up, run_job
from scheduler.leader import Leadership
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, db: Database, clock=utcnow) -> None:
        self.db = db
        self.clock = clock
        self.leadership = Leadership(db)
        self.scheduler = AsyncIOScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "misfire_grace_time": int(GRACE.total_seconds()),
                          "max_instances": 1},
        )
        for name, job in JOBS.items():
            self.scheduler.add_job(self._run, job.trigger(), args=[name], id=name,
                                   name=name, replace_existing=True)

    async def _run(self, name: str) -> None:
        # Run for the time the job was due (a coalesced late run still computes the right day).
        now = self.clock()
        at = JOBS[name].last_due(now) or now
        try:
            await run_job(self.db, name, at)
        except Exception:
            log.exception("job %s failed", name)

    async def run(self) -> None:
        """Become the leader (waiting if another process is), catch up, then start the jobs."""
        await self.leadership.acquire()
        await catch_up(self.db, self.clock())
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.leadership.release()


def next_runs(now: dt.datetime | None = None) -> list[tuple[str, dt.datetime | None, str]]:
    """(name, next run in the job's local time, description) for ``tumbuh jobs list``."""
    now = now or utcnow()
    return [(name, job.next_run(now), job.description) for name, job in JOBS.items()]
