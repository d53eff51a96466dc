"""Broadcasts (*siaran*): a coordinator's message to the right people of their area.

Programme words used here:
- *koordinator*: PKB/PLKB of a kecamatan, Dinas PPKB/DP3AP2KB of a kabupaten, the TPPS team.
- *kader* (posyandu volunteer), *bidan* (village midwife), *TPK* (Tim Pendamping Keluarga),
  *keluarga* (a family that joined with consent), *peserta* (a Jum'at Serius participant).
- Target groups of families: *ibu hamil* (pregnant: an active ``hamil`` target), *catin*
  (bride/groom-to-be: an active ``catin`` target), *orang tua balita* (a child under five).

A broadcast is one row here and, once it starts, one outbox row per recipient carrying its
``broadcast_id``; its status counts are a GROUP BY over those rows. Life of a broadcast::

    planned --start (at planned_at, scheduler job)--> sending --no row left pending--> done
       |                                                 |
       +--cancel--> cancelled                            +--stop--> stopped (pending rows never go)
       +--start more than LATE_LIMIT late--> missed (nothing sent; the author is told)

The audience is ONE query (``audience``): the preview's number and the INSERT ... SELECT that
sends are the same statement, so "125 penerima" means 125 rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    Text,
    and_,
    exists,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.access import in_subtree
from storage.measurements import five_years_before
from storage.models import Base, Child, Posyandu, User, UTCDateTime, utcnow
from storage.outbox import BLOCKED, FAILED, PENDING, SENT, OutboxMessage
from storage.outbox import SENDING as ROW_SENDING
from storage.outbox import STOPPED as ROW_STOPPED
from storage.roles import BIDAN, KADER, KELUARGA, KOORDINATOR, PESERTA, TPK
from storage.targets import CATIN, HAMIL, Target
from storage.tips import TipPreference

PLANNED, SENDING, DONE, CANCELLED, STOPPED, MISSED = (
    "planned", "sending", "done", "cancelled", "stopped", "missed",
)
# Who a broadcast may be addressed to (families are "keluarga").
AUDIENCE_ROLES = (KADER, BIDAN, TPK, KELUARGA, PESERTA, KOORDINATOR)
# Target groups narrow the families only; staff are never "ibu hamil".
BALITA = "balita"
GROUPS = (HAMIL, CATIN, BALITA)
# Ready-made messages and the fields each asks for (texts: templates/<locale>/broadcast/).
TEMPLATES = {
    "posyandu": ("date", "time", "place"),  # a posyandu day (moved, or a special one)
    "serentak": ("date", "place"),  # Gebyar / Intervensi Serentak: every balita measured
    "minilok": ("date", "time", "place"),  # minilokakarya: the monthly coordination meeting
    "rembuk": ("date", "time", "place"),  # rembuk stunting: the yearly planning meeting
    "jumat": ("date", "note"),  # Jum'at Serius: this Friday's action
}
LATE_LIMIT = dt.timedelta(hours=6)  # a planned broadcast this late is not sent any more
TEXT_LIMIT = 3000  # characters the coordinator may type (Telegram's limit is 4096 with header)


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (
        Index("ix_broadcasts_status_planned", "status", "planned_at"),
        Index("ix_broadcasts_author", "author_user_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    roles: Mapped[str] = mapped_column(String(80))  # comma-separated AUDIENCE_ROLES
    groups: Mapped[str | None] = mapped_column(String(40))  # comma-separated GROUPS, or none
    # Either the coordinator's own text, or a template with its fields (rendered per locale).
    template: Mapped[str | None] = mapped_column(String(16))
    fields: Mapped[dict | None] = mapped_column(JSON)
    text: Mapped[str | None] = mapped_column(Text)
    planned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)  # when it starts (UTC)
    status: Mapped[str] = mapped_column(String(10), default=PLANNED)
    recipients: Mapped[int | None] = mapped_column(Integer)  # outbox rows written when it started
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # done, stopped, cancelled

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]

    @property
    def group_list(self) -> list[str]:
        return [g for g in (self.groups or "").split(",") if g]


def audience(area_code: str, roles: Sequence[str], groups: Sequence[str], day: dt.date) -> Select:
    """THE recipients of a broadcast, as ``select(User.id)``: people of ``roles`` in the area
    (``area_code`` or below) and, for families, in any of ``groups`` (none: every family).

    Staff with an area (koordinator, bidan, TPK, peserta) are placed by ``users.area_code``;
    kader and families by their posyandu's desa. Blocked users are left out here (as
    ``enqueue_users`` does) so the preview counts exactly the rows that will be written, and
    so are families who said /berhenti (``tip_preferences.stopped_at``: no more bulk messages).
    Any further opt-out belongs in this function only.
    """
    roles = [r for r in roles if r in AUDIENCE_ROLES]
    if not roles:
        return select(User.id).where(false())
    posyandu_here = select(Posyandu.id).where(in_subtree(Posyandu.desa_code, area_code))
    place = or_(
        and_(User.role.in_((KADER, KELUARGA)), User.posyandu_id.in_(posyandu_here)),
        and_(User.role.not_in((KADER, KELUARGA)), in_subtree(User.area_code, area_code)),
    )
    stopped = exists().where(TipPreference.user_id == User.id, TipPreference.stopped_at.is_not(None))
    query = select(User.id).where(User.role.in_(roles), place, User.blocked_at.is_(None), ~stopped)
    chosen = [g for g in groups if g in GROUPS]
    if KELUARGA in roles and chosen:
        query = query.where(or_(User.role != KELUARGA, or_(*[_group(g, day) for g in chosen])))
    return query


def _group(group: str, day: dt.date):
    if group == BALITA:
        return exists().where(Child.parent_user_id == User.id,
                              Child.birth_date > five_years_before(day))
    return exists().where(Target.user_id == User.id, Target.kind == group,
                          Target.ended_on.is_(None))


async def count_audience(session: AsyncSession, query: Select) -> int:
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


@dataclass(frozen=True, slots=True)
class Counts:
    """What happened to a broadcast's outbox rows."""

    recipients: int
    sent: int
    failed: int
    blocked: int
    waiting: int  # pending or being sent
    stopped: int


async def counts(session: AsyncSession, broadcast: Broadcast) -> Counts:
    rows = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast.id)
        .group_by(OutboxMessage.status)
    )
    by = dict(rows.all())
    return Counts(
        recipients=broadcast.recipients or 0, sent=by.get(SENT, 0), failed=by.get(FAILED, 0),
        blocked=by.get(BLOCKED, 0), waiting=by.get(PENDING, 0) + by.get(ROW_SENDING, 0),
        stopped=by.get(ROW_STOPPED, 0),
    )


async def mine(session: AsyncSession, user: User, limit: int = 8) -> list[Broadcast]:
    """A user's latest broadcasts (an admin's too: their own)."""
    rows = await session.scalars(
        select(Broadcast).where(Broadcast.author_user_id == user.id)
        .order_by(Broadcast.id.desc()).limit(limit)
    )
    return list(rows.all())


async def get_own(session: AsyncSession, user: User, broadcast_id: int) -> Broadcast | None:
    """The broadcast if this user wrote it (anyone else's reads as absent)."""
    return await session.scalar(
        select(Broadcast).where(Broadcast.id == broadcast_id,
                                Broadcast.author_user_id == user.id)
    )


async def cancel(session: AsyncSession, broadcast: Broadcast, now: dt.datetime) -> bool:
    """A planned broadcast that has not started never will. False if it had started."""
    result = await session.execute(
        update(Broadcast).where(Broadcast.id == broadcast.id, Broadcast.status == PLANNED)
        .values(status=CANCELLED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(broadcast)
    return bool(result.rowcount)


async def stop(session: AsyncSession, broadcast: Broadcast, now: dt.datetime) -> int:
    """Stop a running broadcast: its rows still pending become ``stopped`` (claim takes only
    pending rows, so they are never sent). Rows a delivery worker holds right now (at most a
    couple of seconds of sending) may still go. Returns the rows stopped."""
    result = await session.execute(
        update(Broadcast).where(Broadcast.id == broadcast.id, Broadcast.status == SENDING)
        .values(status=STOPPED, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(broadcast)
    if not result.rowcount:
        return -1
    return await stop_rows(session, broadcast.id)


async def stop_rows(session: AsyncSession, broadcast_id: int) -> int:
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == PENDING)
        .values(status=ROW_STOPPED, last_error="broadcast stopped")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def settle(session: AsyncSession, broadcast: Broadcast, now: dt.datetime) -> Counts:
    """The counts; a sending broadcast with nothing left waiting becomes ``done``."""
    found = await counts(session, broadcast)
    if broadcast.status == SENDING and found.waiting == 0:
        broadcast.status, broadcast.ended_at = DONE, now
    return found
