"""Targets (*sasaran*): the people the programme accompanies through one stage of life.

Programme words used here:
- *catin* (calon pengantin): a bride- or groom-to-be; screened 3 months before the wedding.
- *ibu hamil*: a pregnant mother. *HPHT* (hari pertama haid terakhir): the first day of her last
  period; *HPL* (hari perkiraan lahir): the due date. Naegele's rule: HPL = HPHT + 280 days.
- *ibu nifas* / *pasca persalinan*: a mother in the 42 days after giving birth.
- *baduta* / *balita*: a child under two / under five (their family is accompanied).
- *TPK* (Tim Pendamping Keluarga): the team that accompanies targets.

One row is one person in one stage. A family member who joins the bot as a pregnant mother gets a
``hamil`` row with her own ``user_id``; a TPK can record a catin who has no phone (``user_id``
empty). When the stage ends (a birth, a loss, the wedding) the row gets ``ended_on`` and
``end_reason``, and the next stage is a new row: the history stays.

Both the tips (issue 6) and the TPK visits (issue 8) read these rows; coordinators' broadcasts
(issue 7) use them to reach "ibu hamil" or "catin".
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, SmallInteger, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime, utcnow

CATIN, HAMIL, NIFAS, BADUTA = "catin", "hamil", "nifas", "baduta"
KINDS = (CATIN, HAMIL, NIFAS, BADUTA)
# Why a stage ended.
BORN, LOSS, MARRIED, MOVED, DONE = "lahir", "keguguran", "menikah", "pindah", "selesai"

PREGNANCY_DAYS = 280  # Naegele: HPL = HPHT + 280 days
NIFAS_DAYS = 42  # KF4 ends on day 42 after the birth


class Target(Base):
    __tablename__ = "targets"
    __table_args__ = (
        Index("ix_targets_desa_kind", "desa_code", "kind", "ended_on"),
        Index("ix_targets_user_kind", "user_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # the target group: catin, hamil, nifas, baduta
    # The person herself when she uses the bot (a family member who joined with consent).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(120))  # when recorded by a TPK
    sex: Mapped[str | None] = mapped_column(String(1))  # "L" / "P" (a catin may be the groom)
    birth_date: Mapped[dt.date | None] = mapped_column(Date)  # for age and the 4T risk
    desa_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    posyandu_id: Mapped[int | None] = mapped_column(ForeignKey("posyandu.id"))
    tpk_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Pregnancy: HPHT and HPL are both kept (one may be given, the other computed).
    hpht: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    wedding_date: Mapped[dt.date | None] = mapped_column(Date)  # catin
    delivered_on: Mapped[dt.date | None] = mapped_column(Date)  # nifas: the day of the birth
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="SET NULL"))
    # For the 4T risk (too close, too many); unknown stays empty.
    children_born: Mapped[int | None] = mapped_column(SmallInteger)
    last_birth_on: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(12))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def due_from_hpht(hpht: dt.date) -> dt.date:
    return hpht + dt.timedelta(days=PREGNANCY_DAYS)


def hpht_from_due(due: dt.date) -> dt.date:
    return due - dt.timedelta(days=PREGNANCY_DAYS)


def pregnancy_week(hpht: dt.date, day: dt.date) -> int:
    """Completed weeks since HPHT on ``day`` (week 0 is the week of the last period)."""
    return (day - hpht).days // 7


def trimester(week: int) -> int:
    """1: weeks 0-13, 2: 14-27, 3: 28 and later (Buku KIA)."""
    return 1 if week < 14 else 2 if week < 28 else 3


def age_years(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


async def active_target(session: AsyncSession, user_id: int, kind: str | None = None) -> Target | None:
    """The user's own current stage (the newest one not ended), optionally of one kind."""
    query = select(Target).where(Target.user_id == user_id, Target.ended_on.is_(None))
    if kind is not None:
        query = query.where(Target.kind == kind)
    row = await session.execute(query.order_by(Target.id.desc()).limit(1))
    return row.scalar_one_or_none()


def end(target: Target, day: dt.date, reason: str) -> None:
    target.ended_on, target.end_reason = day, reason


# --- stage changes (issue 8: a TPK ends a stage; issue 6's birth flow may reuse these) -----

ERASED = "dihapus"  # a TPK-recorded target erased on request: anonymised, ended
ERASED_NAME = "(dihapus)"
EARLIEST_BIRTH_WEEK = 20  # a pregnancy that ends before this week is a loss, not a birth
# Why a TPK may end each kind of stage (a nifas stage also ends by itself after 42 days: DONE).
STAGE_ENDS = {HAMIL: (BORN, LOSS, MOVED), CATIN: (MARRIED, MOVED), NIFAS: (MOVED,),
              BADUTA: (MOVED,)}


def earliest_birth(target: Target) -> dt.date | None:
    """The first day a birth can be recorded for this pregnancy (HPHT + 20 weeks), if dated."""
    hpht = target.hpht or (hpht_from_due(target.due_date) if target.due_date else None)
    return hpht + dt.timedelta(weeks=EARLIEST_BIRTH_WEEK) if hpht else None


def record_birth(target: Target, born: dt.date, *, actor_id: int | None,
                 now: dt.datetime) -> Target:
    """End the pregnancy ``target`` (reason BORN) on ``born`` and return her nifas stage, not yet
    added to the session. Same person, place and TPK; one more child born (unknown stays
    unknown); the birth is her last birth for the next 4T check."""
    if target.kind != HAMIL or target.ended_on is not None:
        raise ValueError("only an active pregnancy ends in a birth")
    end(target, born, BORN)
    return Target(
        kind=NIFAS, user_id=target.user_id, name=target.name, sex=target.sex or "P",
        birth_date=target.birth_date, desa_code=target.desa_code, posyandu_id=target.posyandu_id,
        tpk_user_id=target.tpk_user_id, hpht=target.hpht, due_date=target.due_date,
        children_born=target.children_born + 1 if target.children_born is not None else None,
        delivered_on=born, last_birth_on=born, created_by=actor_id, created_at=now,
    )


def nifas_over(target: Target, day: dt.date) -> bool:
    """The 42 days after the birth are over on ``day`` (KF4 was the last window)."""
    return target.kind == NIFAS and target.delivered_on is not None \
        and (day - target.delivered_on).days > NIFAS_DAYS


def anonymise(target: Target, day: dt.date) -> None:
    """Erase who a TPK-recorded target is, keep what area statistics need: the name, birth
    date, linked child and birth history go; stage dates are kept to their month (monthly
    report figures); the stage ends (reason ERASED) if it had not."""
    target.name, target.birth_date, target.child_id = ERASED_NAME, None, None
    target.children_born, target.last_birth_on = None, None
    for column in ("hpht", "due_date", "wedding_date", "delivered_on"):
        value = getattr(target, column)
        if value is not None:
            setattr(target, column, value.replace(day=1))
    if target.ended_on is None:
        end(target, day, ERASED)
