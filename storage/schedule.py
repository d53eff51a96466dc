"""Rows the scheduler's jobs read: changes to single posyandu openings, and Jum'at Serius actions.

- A posyandu opens on a rule (``Posyandu.day_of_month`` or the n-th weekday). A coordinator may
  move or cancel one opening (a holiday, a flood): that is a ``PosyanduException`` keyed by the
  date the rule gave (``original_date``), so the rule stays the truth for every other month.
- *Jum'at Serius* ("Jum'at Seribu untuk Atasi Stunting", Kab. Lebak): every Friday, a target of
  1,000 actions against stunting across the kabupaten. Each logged action is a ``JumatAction``
  counted for the kabupaten (and kecamatan) of the participant, on its local date.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Time,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Area, Base, UTCDateTime, utcnow

MOVE, CANCEL, RESTORE = "move", "cancel", "restore"  # RESTORE: back to the rule
JUMAT_TARGET = 1000  # actions per kabupaten per Friday
CATEGORIES = ("pmt", "sanitasi", "edukasi", "periksa", "bantuan")


class PosyanduException(Base):
    __tablename__ = "posyandu_exceptions"
    __table_args__ = (UniqueConstraint("posyandu_id", "original_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    posyandu_id: Mapped[int] = mapped_column(ForeignKey("posyandu.id", ondelete="CASCADE"))
    original_date: Mapped[dt.date] = mapped_column(Date)  # the local date the rule gives
    action: Mapped[str] = mapped_column(String(8))  # move, cancel
    new_date: Mapped[dt.date | None] = mapped_column(Date, index=True)
    new_time: Mapped[dt.time | None] = mapped_column(Time)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class JumatAction(Base):
    __tablename__ = "jumat_actions"
    __table_args__ = (Index("ix_jumat_actions_kabupaten_date", "kabupaten_code", "action_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kabupaten_code: Mapped[str] = mapped_column(String(16))
    kecamatan_code: Mapped[str | None] = mapped_column(String(16))
    action_date: Mapped[dt.date] = mapped_column(Date)  # local date in the kabupaten
    category: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(String(300))
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


async def exceptions_of(
    session: AsyncSession, posyandu_id: int, start: dt.date, end: dt.date
) -> list[PosyanduException]:
    """Exceptions touching [start, end]: by the rule's date or by the date moved to."""
    rows = await session.execute(
        select(PosyanduException).where(
            PosyanduException.posyandu_id == posyandu_id,
            ((PosyanduException.original_date >= start) & (PosyanduException.original_date <= end))
            | ((PosyanduException.new_date >= start) & (PosyanduException.new_date <= end)),
        )
    )
    return list(rows.scalars())


async def set_exception(
    session: AsyncSession,
    *,
    posyandu_id: int,
    original_date: dt.date,
    action: str,
    new_date: dt.date | None = None,
    new_time: dt.time | None = None,
    user_id: int | None = None,
    now: dt.datetime | None = None,
) -> PosyanduException:
    """Move or cancel one opening; a second change of the same opening replaces the first."""
    if action not in (MOVE, CANCEL):
        raise ValueError(action)
    found = await session.scalar(
        select(PosyanduException).where(
            PosyanduException.posyandu_id == posyandu_id,
            PosyanduException.original_date == original_date,
        )
    )
    if found is None:
        found = PosyanduException(posyandu_id=posyandu_id, original_date=original_date)
        session.add(found)
    found.action = action
    found.new_date = new_date if action == MOVE else None
    found.new_time = new_time if action == MOVE else None
    found.created_by, found.created_at = user_id, now or utcnow()
    await session.flush()
    return found


async def clear_exception(session: AsyncSession, *, posyandu_id: int, original_date: dt.date) -> bool:
    """Undo a move or cancellation: the opening follows the rule again. False if none was set."""
    result = await session.execute(
        delete(PosyanduException).where(
            PosyanduException.posyandu_id == posyandu_id,
            PosyanduException.original_date == original_date,
        )
    )
    return bool(result.rowcount)


def kabupaten_of(code: str) -> str | None:
    """``36.02.01.2001`` -> ``36.02``; None for a provinsi."""
    parts = code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else None


def kecamatan_of(code: str) -> str | None:
    parts = code.split(".")
    return ".".join(parts[:3]) if len(parts) >= 3 else None


async def add_action(
    session: AsyncSession,
    *,
    user_id: int,
    area_code: str,
    action_date: dt.date,
    category: str,
    description: str,
    photo_file_id: str | None,
    now: dt.datetime,
) -> JumatAction:
    kabupaten = kabupaten_of(area_code)
    if kabupaten is None:
        raise ValueError("a Jum'at Serius action belongs to a kabupaten")
    action = JumatAction(
        user_id=user_id, kabupaten_code=kabupaten, kecamatan_code=kecamatan_of(area_code),
        action_date=action_date, category=category, description=description,
        photo_file_id=photo_file_id, created_at=now,
    )
    session.add(action)
    await session.flush()
    return action


async def actions_count(session: AsyncSession, kabupaten: str, day: dt.date) -> int:
    return await session.scalar(
        select(func.count()).select_from(JumatAction).where(
            JumatAction.kabupaten_code == kabupaten, JumatAction.action_date == day
        )
    ) or 0


async def actions_by_kecamatan(
    session: AsyncSession, kabupaten: str, day: dt.date
) -> list[tuple[str, int]]:
    """(kecamatan name, count) for the day, most actions first; counted in SQL."""
    count = func.count(JumatAction.id)
    rows = await session.execute(
        select(func.coalesce(Area.name, "-"), count)
        .select_from(JumatAction)
        .outerjoin(Area, Area.code == JumatAction.kecamatan_code)
        .where(JumatAction.kabupaten_code == kabupaten, JumatAction.action_date == day)
        .group_by(Area.name)
        .order_by(count.desc(), Area.name)
    )
    return [(name, n) for name, n in rows]
