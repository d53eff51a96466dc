"""Delivery: drains the outbox (``storage.outbox``) through the platform, inside its limits.

Telegram's limits (and how they are kept here):
- about 30 messages a second overall: sends are paced at ``TUMBUH_TELEGRAM_RATE`` (default 25)
  on an even schedule, never in bursts;
- 1 a second per private chat, 20 a minute per group (a negative chat id): a row whose chat is not
  ready waits while rows for other chats go first;
- 429 ``retry_after``: every send pauses that long, the row is tried again, and the pace drops to
  70 % and creeps back with each success;
- 403: the user blocked the bot: the row and all their pending rows become ``blocked`` and
  ``users.blocked_at`` is set (writing to the bot again clears it, see ``bot.dispatch``);
- network errors and 5xx: the row goes back to pending with exponential backoff, and after
  ``max_attempts`` tries it is ``failed`` with the error kept. Any other error (a 400) fails at once.

Crash safety: each row is marked ``sent`` in its own transaction right after its send, so a
process killed at any moment repeats at most the sends it had in flight. Rows it had claimed
but not sent go back to pending: on SQLite (one process) when delivery starts, on PostgreSQL
when another worker sees that the dead worker's advisory lock is free. Several workers may run
against PostgreSQL (claims use ``FOR UPDATE SKIP LOCKED``); they share the bot's rate limit, so
give each ``TUMBUH_TELEGRAM_RATE / N``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core import Button, Reply
from bot.platforms.common import Blocked, RetryAfter, Transient
from bot.platforms.telegram_common import Sender
from storage import outbox
from storage.db import Database, lock_key
from storage.models import utcnow

log = logging.getLogger(__name__)

# Seconds between two sends to one chat, with a little room for network jitter: a request that
# waited for a new connection must not arrive less than a second before the next one.
PRIVATE_INTERVAL = 1.1  # Telegram: 1 a second per private chat
GROUP_INTERVAL = 3.1  # Telegram: 20 a minute per group
CATCH_UP = 0.02  # seconds a late pacer may catch up in one go (a burst of at most 0.02 x rate)
# Pace a little under the limit: requests leave evenly but may arrive bunched (a busy machine, a
# new connection), and a limit counted over a sliding second would see the bunch as a burst.
HEADROOM = 0.97


class Pacer:
    """When the next send may go: an even global schedule, per-chat spacing, 429 pauses."""

    def __init__(self, rate: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.max_rate = rate * HEADROOM
        self.rate = self.max_rate
        self.monotonic = monotonic
        self._next = 0.0
        self._paused_until = 0.0
        self._chats: dict[str, float] = {}

    @staticmethod
    def interval_of(chat_id: str) -> float:
        return GROUP_INTERVAL if chat_id.startswith("-") else PRIVATE_INTERVAL

    def chat_ready_at(self, chat_id: str) -> float:
        return self._chats.get(chat_id, 0.0)

    async def take(self, chat_id: str) -> None:
        """Wait for this send's slot and book it."""
        while True:
            now = self.monotonic()
            if now < self._paused_until:
                await asyncio.sleep(self._paused_until - now)
                continue
            if now - self._next > CATCH_UP:
                self._next = now  # idle or far behind: start a fresh schedule, no burst
            slot = max(self._next, self.chat_ready_at(chat_id))
            self._next = max(self._next, slot) + 1.0 / self.rate
            self._chats[chat_id] = slot + self.interval_of(chat_id)
            if slot > now:
                await asyncio.sleep(slot - now)
            if self.monotonic() >= self._paused_until:
                return
            # A 429 arrived while this send waited: its slot is void, wait out the pause.

    def penalise(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.monotonic() + seconds)
        self.rate = max(self.max_rate * 0.1, self.rate * 0.7)
        self._next = self._paused_until

    def succeeded(self) -> None:
        if self.rate < self.max_rate:
            self.rate = min(self.max_rate, self.rate * 1.02)

    def forget_idle_chats(self) -> None:
        now = self.monotonic()
        self._chats = {chat: t for chat, t in self._chats.items() if t > now}


def to_reply(row: outbox.OutboxMessage) -> Reply:
    buttons = [[Button(label, payload) for label, payload in r] for r in (row.buttons or [])]
    return Reply(text=row.text, buttons=buttons, image=row.image)


class Delivery:
    def __init__(
        self,
        db: Database,
        sender: Sender,
        *,
        rate: float = 25.0,
        batch: int | None = None,
        concurrency: int = 16,
        poll_seconds: float = 1.0,
        max_attempts: int = 5,
        backoff_seconds: float = 2.0,
        reclaim_seconds: float = 30.0,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.sender = sender
        self.pacer = Pacer(rate)
        # Keep about a second of sending claimed (enough different chats to keep each one's
        # spacing, few enough that other workers and newer notices are not kept waiting), taken
        # in quarter-second claims: on SQLite a claim holds the event loop while it runs, and one
        # big claim made the pacer drop slots (R = 300: 0.94 R with claims of 500 rows).
        self.batch = batch or max(10, min(500, int(rate)))
        self.claim_size = max(10, self.batch // 4)
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.reclaim_seconds = reclaim_seconds
        self.clock = clock
        self.worker = uuid.uuid4().hex[:16]
        self.stats = {"sent": 0, "blocked": 0, "failed": 0, "retried": 0, "rate_limited": 0}
        self._stopped = asyncio.Event()
        self._queue: deque[outbox.OutboxMessage] = deque()
        self._inflight: set[asyncio.Task] = set()
        self._slots = asyncio.Semaphore(concurrency)
        self._alive: AsyncConnection | None = None
        self._last_reclaim = 0.0
        self._drained_at = -float("inf")
        # Group commit of "sent": each send waits until its row is recorded before its slot is
        # free again, so at most ``concurrency`` rows are ever sent-but-unrecorded.
        self._done: list[tuple[int, asyncio.Future]] = []
        self._done_signal = asyncio.Event()
        self._writer: asyncio.Task | None = None

    # ------------------------------------------------------------------ lifecycle

    async def run(self) -> None:
        """Send until ``stop()``."""
        await self._begin()
        try:
            while not self._stopped.is_set():
                if not await self._step():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stopped.wait(), self.poll_seconds)
        finally:
            await self._end()

    async def run_until_idle(self, timeout: float | None = None) -> dict[str, int]:
        """Send everything that is due now, then return (tests, benchmarks, catching up)."""
        await self._begin()
        try:
            async with asyncio.timeout(timeout):
                while await self._step() or self._inflight:
                    if not self._queue and self._inflight:
                        await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
        finally:
            await self._end()
        return dict(self.stats)

    def stop(self) -> None:
        self._stopped.set()

    async def _begin(self) -> None:
        if not self.db.is_sqlite:
            # Held while this worker lives: others know its claimed rows are in good hands.
            self._alive = await self.db.engine.connect()
            await self._alive.execute(text("SELECT pg_advisory_lock(:k)"),
                                      {"k": lock_key("delivery", self.worker)})
            await self._alive.commit()
        await self._reclaim()
        self._writer = asyncio.create_task(self._record_sent())

    async def _end(self) -> None:
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._writer is not None:
            self._writer.cancel()
            await asyncio.gather(self._writer, return_exceptions=True)
            self._writer = None
        if self._queue:  # claimed, never sent: free them for the next worker now
            ids = [row.id for row in self._queue]
            self._queue.clear()
            async with self.db.transaction() as session:
                for row_id in ids:
                    await outbox.retry_later(session, row_id, self.clock(), None, count=False)
        if self._alive is not None:
            await self._alive.close()  # closing the connection releases the lock
            self._alive = None

    # ------------------------------------------------------------------ the loop

    async def _step(self) -> bool:
        """Claim if the local queue runs low, then start the next send. False: nothing to do."""
        if not self.db.is_sqlite and time.monotonic() - self._last_reclaim > self.reclaim_seconds:
            await self._reclaim()
        if len(self._queue) <= self.batch - self.claim_size and (
            not self._queue or time.monotonic() - self._drained_at > self.poll_seconds
        ):
            await self._claim(self.claim_size)
        if not self._queue:
            return False
        row = self._next_row()
        await self.pacer.take(row.chat_id)
        await self._slots.acquire()
        task = asyncio.create_task(self._send(row))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return True

    def _next_row(self) -> outbox.OutboxMessage:
        """The first row whose chat may be written to now; else the one that is ready first."""
        now = time.monotonic()
        best, best_at = 0, None
        for index, row in enumerate(self._queue):
            ready = self.pacer.chat_ready_at(row.chat_id)
            if ready <= now:
                best = index
                break
            if best_at is None or ready < best_at:
                best, best_at = index, ready
        self._queue.rotate(-best)
        row = self._queue.popleft()
        self._queue.rotate(best)
        return row

    async def _claim(self, limit: int) -> None:
        async with self.db.transaction() as session:
            rows = await outbox.claim(session, self.worker, limit, self.clock())
        self._queue.extend(rows)
        if len(rows) < limit:  # nothing more is due: send what is queued before asking again
            self._drained_at = time.monotonic()
        if len(self.pacer._chats) > 10_000:
            self.pacer.forget_idle_chats()

    async def _reclaim(self) -> None:
        self._last_reclaim = time.monotonic()
        async with self.db.transaction() as session:
            if self.db.is_sqlite:
                # One process writes a SQLite file: whatever is "sending" now is from a dead run,
                # except what this very worker holds.
                others = [w for w in await outbox.sending_workers(session) if w != self.worker]
                count = await outbox.reclaim(session, others) if others else 0
            else:
                dead = [w for w in await outbox.sending_workers(session)
                        if w != self.worker and await self._is_dead(session, w)]
                count = await outbox.reclaim(session, dead) if dead else 0
        if count:
            log.info("outbox: %d rows of stopped workers are pending again", count)

    async def _is_dead(self, session, worker: str) -> bool:
        key = lock_key("delivery", worker)
        got = (await session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                     {"k": key})).scalar()
        return bool(got)

    # ------------------------------------------------------------------ one send

    async def _send(self, row: outbox.OutboxMessage) -> None:
        try:
            await self._attempt(row)
        except Exception:
            log.exception("outbox row %s: could not record the result", row.id)
        finally:
            self._slots.release()

    async def _attempt(self, row: outbox.OutboxMessage) -> None:
        try:
            await self.sender.send(row.chat_id, to_reply(row))
        except RetryAfter as error:
            self.stats["rate_limited"] += 1
            log.warning("429 from the platform: pausing %.1f s", error.seconds)
            self.pacer.penalise(error.seconds)
            self._queue.appendleft(row)  # still ours; tried again after the pause
            return
        except Blocked:
            self.stats["blocked"] += 1
            if row.user_id is not None:  # their other rows here are blocked in the same update
                kept = [r for r in self._queue if r.user_id != row.user_id]
                self._queue.clear()
                self._queue.extend(kept)
            async with self.db.transaction() as session:
                await outbox.mark_blocked(session, row.id, row.user_id, self.clock())
            log.info("outbox row %s: user %s blocked the bot", row.id, row.user_id)
            return
        except Transient as error:
            await self._later(row, f"{type(error).__name__}: {error}")
            return
        except Exception as error:  # a 400 and the like: trying again would fail the same way
            self.stats["failed"] += 1
            async with self.db.transaction() as session:
                await outbox.mark_failed(session, row.id, f"{type(error).__name__}: {error}")
            log.warning("outbox row %s failed: %s", row.id, type(error).__name__)
            return
        recorded = asyncio.get_running_loop().create_future()
        self._done.append((row.id, recorded))
        self._done_signal.set()
        await recorded
        self.stats["sent"] += 1
        self.pacer.succeeded()

    async def _record_sent(self) -> None:
        """Write "sent" for every row that finished since the last write, in one transaction."""
        while True:
            await self._done_signal.wait()
            self._done_signal.clear()
            batch, self._done = self._done, []
            if not batch:
                continue
            try:
                async with self.db.transaction() as session:
                    await outbox.mark_sent(session, [row_id for row_id, _ in batch], self.clock())
            except Exception as error:
                for _, recorded in batch:
                    recorded.set_exception(error)
            else:
                for _, recorded in batch:
                    recorded.set_result(None)

    async def _later(self, row: outbox.OutboxMessage, error: str) -> None:
        async with self.db.transaction() as session:
            if row.attempts >= self.max_attempts:
                self.stats["failed"] += 1
                await outbox.mark_failed(session, row.id, error)
                log.warning("outbox row %s failed after %d tries", row.id, row.attempts)
            else:
                self.stats["retried"] += 1
                wait = self.backoff_seconds * 2 ** (row.attempts - 1)
                await outbox.retry_later(
                    session, row.id, self.clock() + dt.timedelta(seconds=wait), error
                )


@contextlib.asynccontextmanager
async def open_sender(settings) -> AsyncIterator[Sender]:
    """A sender of the configured framework, without polling (for ``tumbuh deliver``)."""
    if settings.runtime == "aiogram":
        from bot.platforms.aiogram_adapter import AiogramSender, make_bot

        bot = make_bot(settings)
        try:
            yield AiogramSender(bot)
        finally:
            await bot.session.close()
        return
    from bot.platforms.ptb import PtbRuntime, PtbSender

    application = PtbRuntime._build(settings, settings.telegram_api_url)
    await application.initialize()
    try:
        yield PtbSender(application)
    finally:
        await application.shutdown()
