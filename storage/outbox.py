"""The outbox: every message that is not a direct reply (reminders, tips, broadcasts, notices).

A row is written by whoever decides to tell someone something (the scheduler, a flow) and sent by
``bot.delivery``. Each row has a unique ``dedupe_key`` (``posyandu:<id>:<date>:H-1:<user>``):
inserting a key that exists does nothing, so a job that runs twice sends nothing twice.

Life of a row::

    pending --claim--> sending --ok--> sent
       ^                  |--403---> blocked   (the user blocked the bot)
       |                  |--other-> failed    (bounded tries, last_error kept)
       +---429/5xx/net----+  (back to pending, later)
       +---reclaim--------+  (the worker that claimed it died)
    pending --past expires_at--> expired (never claimed; marked by the daily prune job)

Claiming marks rows ``sending`` with the worker's id in one statement (PostgreSQL: ``FOR UPDATE
SKIP LOCKED``, so several workers never take the same row; SQLite: one writer). A row is marked
``sent`` right after its own send, so a worker killed at any moment repeats at most the rows it
had in flight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Select,
    SmallInteger,
    String,
    Text,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, User, UTCDateTime, utcnow

# Kinds of message, and their default priority (lower is sent first: notices before bulk).
KINDS = {"notice": 0, "reminder": 1, "tip": 2, "broadcast": 3}
PENDING, SENDING, SENT, FAILED, BLOCKED = "pending", "sending", "sent", "failed", "blocked"
STOPPED = "stopped"  # a broadcast was stopped before this row went: claim never takes it
EXPIRED = "expired"  # still pending when it stopped being useful (e.g. after the posyandu day)
BATCH = 1000  # rows per INSERT when enqueueing a stream


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # The claim query's order: what is due, most urgent first.
        Index("ix_outbox_due", "status", "priority", "not_before", "id"),
        Index("ix_outbox_user_status", "user_id", "status"),
        Index("ix_outbox_broadcast_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    priority: Mapped[int] = mapped_column(SmallInteger, default=1)
    # Recipient: the user (for blocking) and where to send (a group has no user).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    # The rendered message: Telegram HTML, buttons as [[[label, payload], ...], ...], image bytes.
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list | None] = mapped_column(JSON)
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8), default=PENDING)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    claimed_by: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # After this moment the row is never sent ("posyandu tomorrow" is wrong the day after).
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The coordinator's broadcast this row belongs to (issue 7: its status counts, its stop).
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="SET NULL")
    )


@dataclass(frozen=True, slots=True)
class Message:
    """What to send, before it has a recipient."""

    text: str
    kind: str = "reminder"
    buttons: Sequence[Sequence[tuple[str, str]]] | None = None
    image: bytes | None = None
    priority: int | None = None
    expires_at: dt.datetime | None = None  # not sent after this (aware UTC)

    def columns(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "kind": self.kind,
            "priority": KINDS[self.kind] if self.priority is None else self.priority,
            "buttons": [[list(b) for b in row] for row in self.buttons] if self.buttons else None,
            "image": self.image,
            "expires_at": self.expires_at,
        }


def _insert(session: AsyncSession):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(OutboxMessage)


async def enqueue(
    session: AsyncSession,
    message: Message,
    *,
    dedupe_key: str,
    chat_id: str,
    platform: str,
    user_id: int | None = None,
    not_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Add one row; False when its key was there already (nothing changes then)."""
    now = now or utcnow()
    values = dict(
        message.columns(), dedupe_key=dedupe_key, chat_id=chat_id, platform=platform,
        user_id=user_id, not_before=not_before or now, status=PENDING, attempts=0, created_at=now,
    )
    result = await session.execute(
        _insert(session).values(**values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    return bool(result.rowcount)


async def enqueue_users(
    session: AsyncSession,
    message: Message,
    users: Select,
    *,
    key_prefix: str,
    not_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
    broadcast_id: int | None = None,
) -> int:
    """One row per user that ``users`` selects (a ``select(User.id)`` with filters), in one
    INSERT ... SELECT: nothing is loaded into Python, so 100,000 recipients cost no memory.

    Keys are ``<key_prefix>:<user id>``. Blocked users are left out.
    """
    now = now or utcnow()
    cols = message.columns()
    source = users.with_only_columns(
        (literal(key_prefix + ":") + cast(User.id, String)).label("dedupe_key"),
        literal(cols["kind"]).label("kind"),
        literal(cols["priority"]).label("priority"),
        User.id.label("user_id"),
        User.platform,
        User.chat_id,
        literal(cols["text"], Text).label("text"),
        _maybe(cols["buttons"], JSON).label("buttons"),
        _maybe(cols["image"], LargeBinary).label("image"),
        _maybe(cols["expires_at"], UTCDateTime).label("expires_at"),
        literal(not_before or now, UTCDateTime).label("not_before"),
        literal(PENDING).label("status"),
        literal(0).label("attempts"),
        literal(now, UTCDateTime).label("created_at"),
        _maybe(broadcast_id, Integer).label("broadcast_id"),
    ).where(User.blocked_at.is_(None))
    names = ["dedupe_key", "kind", "priority", "user_id", "platform", "chat_id", "text", "buttons",
             "image", "expires_at", "not_before", "status", "attempts", "created_at", "broadcast_id"]
    stmt = _insert(session).from_select(names, source).on_conflict_do_nothing(
        index_elements=["dedupe_key"]
    )
    result = await session.execute(stmt)
    return max(result.rowcount or 0, 0)


def _maybe(value, type_):
    return null() if value is None else literal(value, type_)


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int | None
    platform: str
    chat_id: str
    dedupe_key: str
    message: Message


async def enqueue_stream(
    session: AsyncSession,
    recipients: Iterable[Recipient],
    *,
    not_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Rows with a different text each (e.g. a kader's own list), inserted in batches, so a
    generator of any length is never held in memory at once."""
    now = now or utcnow()
    total, batch = 0, []
    for recipient in recipients:
        batch.append(dict(
            recipient.message.columns(), dedupe_key=recipient.dedupe_key,
            user_id=recipient.user_id, platform=recipient.platform, chat_id=recipient.chat_id,
            not_before=not_before or now, status=PENDING, attempts=0, created_at=now,
        ))
        if len(batch) >= BATCH:
            total += await _insert_batch(session, batch)
            batch = []
    if batch:
        total += await _insert_batch(session, batch)
    return total


async def _insert_batch(session: AsyncSession, rows: list[dict]) -> int:
    # An executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs on both
    # engines, and the ids returned are exactly the rows that were new.
    stmt = (
        _insert(session).on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboxMessage.id)
    )
    result = await session.execute(stmt, rows)
    return len(result.all())


def _not_blocked() -> ColumnElement[bool]:
    blocked = exists().where(User.id == OutboxMessage.user_id, User.blocked_at.is_not(None))
    return ~blocked


async def claim(
    session: AsyncSession, worker: str, limit: int, now: dt.datetime
) -> list[OutboxMessage]:
    """Take up to ``limit`` due rows for this worker (marks them ``sending``)."""
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now, _not_blocked(),
               or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now))
        .order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True, of=OutboxMessage)
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(status=SENDING, claimed_by=worker, claimed_at=now,
                attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    rows = list((await session.execute(stmt)).scalars())
    rows.sort(key=lambda r: (r.priority, r.not_before, r.id))
    return rows


async def expire(session: AsyncSession, now: dt.datetime) -> int:
    """Mark pending rows past their expiry (claim already skips them; this makes it visible)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.expires_at <= now)
        .values(status=EXPIRED)
    )
    return result.rowcount or 0


# Built once, on the Core table with an expanding IN: delivery runs it for every group of sends,
# and the ORM form spent more time on its cache key (a new one per list length) and on
# synchronising the session than SQLite spent on the UPDATE.
_MARK_SENT = (
    update(OutboxMessage.__table__)
    .where(OutboxMessage.__table__.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=SENT, sent_at=bindparam("now"), last_error=None)
)


async def mark_sent(session: AsyncSession, row_ids: Sequence[int], now: dt.datetime) -> None:
    await session.execute(_MARK_SENT, {"ids": list(row_ids), "now": now})


async def mark_failed(session: AsyncSession, row_id: int, error: str) -> None:
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id)
        .values(status=FAILED, last_error=error[:200])
    )


async def retry_later(
    session: AsyncSession, row_id: int, when: dt.datetime, error: str | None, *, count: bool = True
) -> None:
    """Back to pending; ``count=False`` (a 429) gives the try back."""
    values: dict[str, Any] = {"status": PENDING, "not_before": when, "claimed_by": None}
    if error is not None:
        values["last_error"] = error[:200]
    if not count:
        values["attempts"] = OutboxMessage.attempts - 1
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


async def mark_blocked(
    session: AsyncSession, row_id: int, user_id: int | None, now: dt.datetime
) -> None:
    """The user blocked the bot: this row and everything else pending for them stop."""
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id)
        .values(status=BLOCKED, last_error="blocked by the user")
    )
    if user_id is None:
        return
    await session.execute(update(User).where(User.id == user_id).values(blocked_at=now))
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user_id, OutboxMessage.status.in_((PENDING, SENDING)))
        .values(status=BLOCKED, last_error="blocked by the user")
    )


async def reclaim(session: AsyncSession, workers: Iterable[str] | None = None) -> int:
    """Put rows left ``sending`` by dead workers back to pending (all of them when ``workers`` is
    None: a single SQLite process at start). Their try stays counted, so a row that kills its
    worker every time still ends as failed."""
    stmt = update(OutboxMessage).where(OutboxMessage.status == SENDING)
    if workers is not None:
        stmt = stmt.where(OutboxMessage.claimed_by.in_(list(workers)))
    result = await session.execute(stmt.values(status=PENDING, claimed_by=None))
    return result.rowcount or 0


async def sending_workers(session: AsyncSession) -> list[str]:
    rows = await session.execute(
        select(OutboxMessage.claimed_by).where(OutboxMessage.status == SENDING).distinct()
    )
    return [worker for (worker,) in rows if worker]


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return {status: n for status, n in rows}
