"""Stage-based tips for families: who follows which track, at which hour, and child claims.

Programme words used here:
- *ibu hamil*: a pregnant mother; her week of pregnancy is counted from *HPHT* (the first day of
  her last period; Naegele: HPL, the due date, is HPHT + 280 days).
- *catin* (calon pengantin): a bride- or groom-to-be; tips run 12 weeks before the wedding and 4
  after it.
- *anak*: a child under five (*balita*); tips follow its age in completed months, 0 to 59.
- *kader*: the posyandu volunteer who confirms that a child a family claims is theirs.

A ``TipSubscription`` is one user on one track; its stage (week or month) is computed from the
dates each time (the target's HPHT or wedding date, the child's birth date, or the day of birth
a mother reported), so a changed HPL moves her at once and a late joiner starts at her current
stage. ``TipPreference`` holds the user's hour (pagi 07:00, siang 12:00, malam 19:00 local),
pause and stop (``/berhenti`` stops tips and posyandu reminders alike). A ``ChildClaim`` is a
family saying "this child is mine" (or registering a new one): it links nothing until a kader of
the posyandu confirms it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from growth.age import completed_months
from storage.models import Base, User, UTCDateTime, utcnow
from storage.outbox import PENDING as QUEUED
from storage.outbox import OutboxMessage

HAMIL, CATIN, ANAK = "hamil", "catin", "anak"
# Each track's stages: weeks of pregnancy; weeks since the wedding (negative before it); months.
STAGES = {HAMIL: range(4, 43), CATIN: range(-12, 4), ANAK: range(0, 60)}
TRACKS = tuple(STAGES)
# Hours (local, the area's zone) at which each slot's tips go out.
SLOTS = {"pagi": 7, "siang": 12, "malam": 19}
DEFAULT_SLOT = "pagi"
PENDING, CONFIRMED, REFUSED = "pending", "confirmed", "refused"
# Why a subscription ended (besides the target's end reasons).
STOPPED_BY_LOSS, STOPPED_BY_BIRTH, AGED_OUT = "keguguran", "lahir", "selesai"


class TipPreference(Base):
    __tablename__ = "tip_preferences"
    # The job starts from the users of one slot who are neither paused nor stopped (a third of
    # all), not from every subscription.
    __table_args__ = (Index("ix_tip_preferences_due", "slot", "paused_at", "stopped_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    slot: Mapped[str] = mapped_column(String(6), default=DEFAULT_SLOT)
    paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # tips only
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # tips and reminders
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TipSubscription(Base):
    __tablename__ = "tip_subscriptions"
    __table_args__ = (Index("ix_tip_subscriptions_track", "track", "ended_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    track: Mapped[str] = mapped_column(String(8))
    # hamil / catin: the target whose dates give the stage; anak after a reported birth: the
    # mother's nifas target (its delivered_on) until the kader confirms the baby as a child.
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"))
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(12))


class ChildClaim(Base):
    __tablename__ = "child_claims"
    __table_args__ = (Index("ix_child_claims_posyandu_status", "posyandu_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    posyandu_id: Mapped[int] = mapped_column(ForeignKey("posyandu.id"))
    # An existing child (matched by name and birth date), or the details of a new one.
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(120))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    # For a baby reported born: the mother's nifas target, whose anak subscription gets the child.
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# --- stages -------------------------------------------------------------------------------


def stage_on(track: str, anchor: dt.date, day: dt.date) -> int:
    """The stage on ``day``: completed weeks since HPHT or since the wedding (negative before
    it), or the child's completed months since birth. It may lie outside the track."""
    if track == ANAK:
        return completed_months(anchor, day) if day >= anchor else -1
    return (day - anchor).days // 7


def in_track(track: str, stage: int) -> bool:
    return stage in STAGES[track]


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it is shorter: the day a
    child born on ``day`` completes ``months`` months (``growth.age.completed_months``)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    next_first = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return dt.date(year, month + 1, min(day.day, (next_first - dt.timedelta(days=1)).day))


def months_before(day: dt.date, months: int) -> dt.date:
    """The latest birth date with at least ``months`` completed months on ``day``
    (``growth.age.completed_months``: a month is complete on the same day of the month, or on
    the last day of a shorter month)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    guess = dt.date(year, month, min(day.day, last))
    # A day later may still complete the months (born on the 31st, measured on 30 April).
    while guess < day and completed_months(guess + dt.timedelta(days=1), day) >= months:
        guess += dt.timedelta(days=1)
    return guess


def stage_bounds(track: str, day: dt.date) -> list[tuple[int, dt.date]]:
    """For each stage of the track on ``day``, the latest anchor date in it, youngest first,
    and a last pair (stage past the end, its latest date): stage ``s`` holds the anchors ``a``
    with ``bound[s+1] < a <= bound[s]``. Lets SQL find every subscriber's stage by comparing
    dates (portable and index-friendly) instead of date arithmetic per row."""
    stages = list(STAGES[track]) + [STAGES[track][-1] + 1]
    if track == ANAK:
        return [(s, months_before(day, s)) for s in stages]
    return [(s, day - dt.timedelta(days=7 * s)) for s in stages]


def stage_template(track: str, stage: int) -> str:
    if track == HAMIL:
        return f"tips/hamil/week_{stage:02d}"
    if track == ANAK:
        return f"tips/anak/month_{stage:02d}"
    return f"tips/catin/before_{-stage:02d}" if stage < 0 else f"tips/catin/after_{stage:02d}"


def stage_key(subscription_id: int, stage: int) -> str:
    """The outbox dedupe key of one stage's tip: each is sent at most once."""
    return f"tip:{subscription_id}:{stage}"


def local_slot(local_time: dt.time) -> str | None:
    """The slot whose tips are due at this local time (the latest slot hour not after it)."""
    found = None
    for slot, hour in sorted(SLOTS.items(), key=lambda kv: kv[1]):
        if local_time.hour >= hour:
            found = slot
    return found


# --- queries ------------------------------------------------------------------------------


async def preference(session: AsyncSession, user_id: int, create: bool = False,
                     now: dt.datetime | None = None) -> TipPreference | None:
    found = await session.get(TipPreference, user_id)
    if found is None and create:
        found = TipPreference(user_id=user_id, slot=DEFAULT_SLOT, updated_at=now or utcnow())
        session.add(found)
    return found


async def active_subscriptions(session: AsyncSession, user_id: int,
                               track: str | None = None) -> list[TipSubscription]:
    query = select(TipSubscription).where(
        TipSubscription.user_id == user_id, TipSubscription.ended_on.is_(None))
    if track is not None:
        query = query.where(TipSubscription.track == track)
    return list((await session.scalars(query.order_by(TipSubscription.id))).all())


async def subscribe(session: AsyncSession, user_id: int, track: str, *, now: dt.datetime,
                    target_id: int | None = None, child_id: int | None = None) -> TipSubscription:
    """The user's active subscription to this track for this target/child (made if missing)."""
    query = select(TipSubscription).where(
        TipSubscription.user_id == user_id, TipSubscription.track == track,
        TipSubscription.ended_on.is_(None))
    if child_id is not None:
        query = query.where(TipSubscription.child_id == child_id)
    elif target_id is not None:
        query = query.where(TipSubscription.target_id == target_id)
    found = (await session.scalars(query.limit(1))).first()
    if found is not None:
        return found
    subscription = TipSubscription(user_id=user_id, track=track, target_id=target_id,
                                   child_id=child_id, started_at=now)
    session.add(subscription)
    await session.flush()
    return subscription


def end_subscription(subscription: TipSubscription, day: dt.date, reason: str) -> None:
    subscription.ended_on, subscription.end_reason = day, reason


async def bidan_of(session: AsyncSession, desa_code: str) -> User | None:
    """A bidan registered for the desa, if any (the first registered)."""
    return (await session.scalars(
        select(User).where(User.role == "bidan", User.area_code == desa_code)
        .order_by(User.id).limit(1)
    )).first()


def bidan_contact(bidan: User | None) -> dict | None:
    """How a family reaches the desa's bidan in chat (or a kader the family claiming a child).
    Users have no names stored, so a tappable Telegram mention of the account stands for the
    name (elsewhere: "the bidan of your desa")."""
    if bidan is None:
        return None
    link = f"tg://user?id={bidan.platform_user_id}" if bidan.platform == "telegram" else None
    return {"link": link}


# Pending rows the user no longer wants get this status: never claimed, their dedupe keys kept
# so a job run again does not queue them anew (the same word as issue 7's stopped broadcasts).
CANCELLED = "stopped"


async def cancel_pending(session: AsyncSession, user_id: int, kinds: tuple[str, ...] = ("tip",),
                         key_prefix: str | None = None) -> int:
    """Messages queued for the user but not sent yet, of these kinds, are not sent."""
    query = (update(OutboxMessage)
             .where(OutboxMessage.user_id == user_id, OutboxMessage.status == QUEUED,
                    OutboxMessage.kind.in_(kinds))
             .values(status=CANCELLED, last_error="stopped by the user"))
    if key_prefix is not None:
        query = query.where(OutboxMessage.dedupe_key.startswith(key_prefix))
    result = await session.execute(query)
    return result.rowcount or 0


async def end_pregnancy_tips(session: AsyncSession, user_id: int, day: dt.date, reason: str) -> None:
    """Her pregnancy tips stop on ``day`` (a birth or a loss); a tip already queued is not sent.
    Used whoever records it: the mother herself or her TPK."""
    for subscription in await active_subscriptions(session, user_id, HAMIL):
        end_subscription(subscription, day, reason)
        await cancel_pending(session, user_id, key_prefix=f"tip:{subscription.id}:")


async def after_birth(session: AsyncSession, user_id: int, nifas_target_id: int, born: dt.date,
                      now: dt.datetime) -> None:
    """Pregnancy tips end; the baby's track (``anak``) counts from the day of birth."""
    await end_pregnancy_tips(session, user_id, born, STOPPED_BY_BIRTH)
    await subscribe(session, user_id, ANAK, target_id=nifas_target_id, now=now)
