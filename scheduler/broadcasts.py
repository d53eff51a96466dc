"""Starting coordinators' broadcasts (*siaran*, ``storage.broadcasts``) and keeping their status.

A broadcast is written to the outbox when it starts, not when it is planned: the audience is
counted again at that moment (a family that joined since the plan hears it, one that left or
blocked the bot does not), and a planned broadcast can be cancelled without touching the outbox.
"Kirim sekarang" starts it at once in the coordinator's own transaction; a planned one is started
by the ``broadcasts`` job, which runs every minute. The same job:

- marks a planned broadcast that is more than ``LATE_LIMIT`` late (the scheduler was down)
  ``missed`` and tells its author, instead of announcing yesterday's event today;
- stops again the rows of a stopped broadcast that a delivery worker gave back to pending
  (a worker may have held some when the coordinator pressed stop);
- marks a sending broadcast ``done`` when none of its rows is left waiting.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select, update

import templates
from scheduler.audience import in_locale
from storage import broadcasts as bc
from storage.broadcasts import Broadcast, audience
from storage.db import Database
from storage.models import Area, User
from storage.outbox import PENDING, Message, OutboxMessage, enqueue, enqueue_users
from storage.outbox import SENDING as ROW_SENDING


def key_prefix(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}"


def render(locale: str, broadcast: Broadcast, area: Area) -> str:
    """The message as recipients read it: the coordinator's text, or the chosen template
    filled in (in each recipient's own language)."""
    return templates.render(locale, "broadcast/message", broadcast=broadcast, area=area,
                            fields=_fields(broadcast))


def _fields(broadcast: Broadcast) -> dict:
    """Template fields as the templates want them (dates as dates)."""
    fields = dict(broadcast.fields or {})
    if fields.get("date"):
        fields["date"] = dt.date.fromisoformat(fields["date"])
    return fields


def local_day(area: Area, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(area.timezone)).date()


async def start(session, broadcast: Broadcast, now: dt.datetime) -> int:
    """Write the broadcast's outbox rows (one INSERT ... SELECT per locale) and mark it
    sending; -1 when it was not planned any more (cancelled, or another process started it)."""
    taken = await session.execute(
        update(Broadcast).where(Broadcast.id == broadcast.id, Broadcast.status == bc.PLANNED)
        .values(status=bc.SENDING, started_at=now)
        .execution_options(synchronize_session=False)
    )
    if not taken.rowcount:
        return -1
    area = await session.get(Area, broadcast.area_code)
    users = audience(broadcast.area_code, broadcast.role_list, broadcast.group_list,
                     local_day(area, now))
    total = 0
    for locale in templates.LOCALES:
        message = Message(render(locale, broadcast, area), kind="broadcast")
        total += await enqueue_users(
            session, message, in_locale(users, locale), key_prefix=key_prefix(broadcast.id),
            now=now, broadcast_id=broadcast.id,
        )
    await session.execute(
        update(Broadcast).where(Broadcast.id == broadcast.id)
        .values(recipients=total, status=bc.SENDING if total else bc.DONE,
                ended_at=None if total else now)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(broadcast)
    return total


async def _tell_missed(session, broadcast: Broadcast, now: dt.datetime) -> None:
    author = await session.get(User, broadcast.author_user_id) if broadcast.author_user_id else None
    if author is None:
        return
    area = await session.get(Area, broadcast.area_code)
    planned = broadcast.planned_at.astimezone(ZoneInfo(area.timezone))
    text = templates.render(author.locale or templates.DEFAULT_LOCALE, "broadcast/missed",
                            broadcast=broadcast, planned=planned)
    await enqueue(session, Message(text, kind="notice"), dedupe_key=f"broadcast-missed:{broadcast.id}",
                  chat_id=author.chat_id, platform=author.platform, user_id=author.id, now=now)


async def run(db: Database, at: dt.datetime, _zone: str) -> int:
    """The ``broadcasts`` job: start what is due, settle the rest. Returns rows enqueued."""
    total = 0
    async with db.transaction() as session:
        due = (await session.scalars(
            select(Broadcast).where(Broadcast.status == bc.PLANNED, Broadcast.planned_at <= at)
            .order_by(Broadcast.planned_at, Broadcast.id)
        )).all()
        for broadcast in due:
            if at - broadcast.planned_at > bc.LATE_LIMIT:
                await session.execute(
                    update(Broadcast).where(Broadcast.id == broadcast.id,
                                            Broadcast.status == bc.PLANNED)
                    .values(status=bc.MISSED, ended_at=at)
                    .execution_options(synchronize_session=False)
                )
                await _tell_missed(session, broadcast, at)
                continue
            total += max(await start(session, broadcast, at), 0)
        await settle_all(session, at)
    return total


async def settle_all(session, at: dt.datetime) -> None:
    stopped_but_pending = await session.scalars(
        select(OutboxMessage.broadcast_id).distinct()
        .join(Broadcast, Broadcast.id == OutboxMessage.broadcast_id)
        .where(OutboxMessage.status == PENDING, Broadcast.status == bc.STOPPED)
    )
    for broadcast_id in stopped_but_pending.all():
        await bc.stop_rows(session, broadcast_id)
    waiting = exists().where(OutboxMessage.broadcast_id == Broadcast.id,
                             OutboxMessage.status.in_((PENDING, ROW_SENDING)))
    await session.execute(
        update(Broadcast).where(Broadcast.status == bc.SENDING, ~waiting)
        .values(status=bc.DONE, ended_at=at)
        .execution_options(synchronize_session=False)
    )
