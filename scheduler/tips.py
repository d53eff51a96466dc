"""Stage-based tips, sent at each family's chosen hour in their area's zone.

Tracks (``storage.tips``): ``hamil`` one tip a week of pregnancy (weeks 4-42, counted from
HPHT, the first day of the last period), ``catin`` (brides-to-be) one a week from 12 weeks
before the wedding to 4 after, ``anak`` one a month of the child's age (0-59 months).

The job runs per zone at 07:00, 12:00 and 19:00 local; each run serves the users whose slot
(pagi, siang, malam) it is. For every track one INSERT ... SELECT finds each
subscriber's stage by comparing dates with the stage bounds of the day (a CASE over at most 61
date ranges) and picks that stage's tip, rendered once per locale (a CASE on the user's
locale): nothing is loaded into Python, so 100,000 subscribers cost a few statements
(``bench/tips.py``).

- Each (subscription, stage) is sent at most once: dedupe key ``tip:<subscription>:<stage>``.
  Running twice, or catching up, adds nothing; a week is never sent twice.
- The stage is computed from the dates on the day, so a late joiner starts at her current stage
  (no backlog) and a moved HPL moves her.
- At most one tip a day per person: the status tip first, then hamil, anak, catin. A tip held
  back goes out the next day (its stage key is still unused).
- Status tip: when a subscribed child's latest weighing (in the last ``STATUS_DAYS``) was T
  (*tidak naik*, not gaining), stunted or wasted, that child's next tip is the one for the
  situation, naming the desa's bidan when one is registered. Once per measurement.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    Select,
    String,
    Text,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

import templates
from storage.db import Database
from storage.models import Area, Child, Measurement, Posyandu, User
from storage.outbox import KINDS, PENDING, Message, OutboxMessage, Recipient, enqueue_stream
from storage.targets import Target
from storage.tips import (
    ANAK,
    CATIN,
    HAMIL,
    TipPreference,
    TipSubscription,
    bidan_contact,
    bidan_of,
    local_slot,
    stage_bounds,
    stage_template,
)

ORDER = (HAMIL, ANAK, CATIN)  # which track goes first when two are due the same day
STATUS_DAYS = 40  # a weighing older than this (last month's posyandu and more) is not news
KIND = "tip"


def tip_buttons(locale: str) -> list[list[tuple[str, str]]]:
    """Under every tip: the way to its settings (hour, pause, stop)."""
    return [[(templates.label(locale, "tips_settings"), "m:tips")]]


def render_tip(locale: str, track: str, stage: int) -> str:
    return templates.render(locale, stage_template(track, stage), stage=stage)


async def send_tips(db: Database, at: dt.datetime, zone: str) -> int:
    """Queue the tips due at ``at`` for the users of ``zone`` (rows written)."""
    local = at.astimezone(ZoneInfo(zone))
    slot = local_slot(local.time())
    if slot is None:
        return 0
    today = local.date()
    day_start = dt.datetime.combine(today, dt.time(0), ZoneInfo(zone)).astimezone(dt.UTC)
    total = 0
    async with db.transaction() as session:
        total += await _status_tips(session, zone, slot, today, day_start, at)
        for track in ORDER:
            total += await _track_tips(session, track, zone, slot, today, day_start, at)
    return total


def _subscribers(zone: str, slot: str, day_start: dt.datetime) -> Select:
    """Active subscriptions of users of the zone whose slot this is, who have not paused or
    stopped, and have had no tip yet today."""
    tipped_today = exists().where(
        OutboxMessage.user_id == User.id, OutboxMessage.kind == KIND,
        OutboxMessage.created_at >= day_start,
    )
    # The users of the slot, neither paused nor stopped (an index), drive the query: a third
    # of the subscriptions are looked at, not all of them.
    due_users = select(TipPreference.user_id).where(
        TipPreference.slot == slot, TipPreference.paused_at.is_(None),
        TipPreference.stopped_at.is_(None))
    return (
        select(TipSubscription.id)
        .select_from(TipSubscription)
        .join(User, User.id == TipSubscription.user_id)
        .join(Posyandu, Posyandu.id == User.posyandu_id)
        .join(Area, Area.code == Posyandu.desa_code)
        .where(
            TipSubscription.user_id.in_(due_users), TipSubscription.ended_on.is_(None),
            User.role == "keluarga", User.blocked_at.is_(None), Area.timezone == zone,
            ~tipped_today,
        )
    )


def _anchor(track: str):
    """The date a track's stage counts from."""
    if track == HAMIL:
        return Target.hpht
    if track == CATIN:
        return Target.wedding_date
    return func.coalesce(Child.birth_date, Target.delivered_on)


def _insert(session: AsyncSession):
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(OutboxMessage)


def _in_locale(locale: str, column, value):
    """``value`` for users of ``locale``, given as (condition, value) for a CASE."""
    if locale == templates.DEFAULT_LOCALE:
        others = [name for name in templates.LOCALES if name != locale]
        return column.not_in(others), value
    return column == locale, value


async def _track_tips(session: AsyncSession, track: str, zone: str, slot: str,
                      today: dt.date, day_start: dt.datetime, at: dt.datetime) -> int:
    bounds = stage_bounds(track, today)
    anchor = _anchor(track)
    # Stage s holds anchors in (bound[s+1], bound[s]]; the first true WHEN is the stage.
    whens = [(anchor > bounds[i + 1][1], stage) for i, (stage, _) in enumerate(bounds[:-1])]
    stage = case(*whens)
    # Each stage's tip rendered once per locale; the user's locale picks the text.
    text = case(*[
        _in_locale(locale, User.locale, case(*[
            (cond, literal(render_tip(locale, track, s), Text)) for cond, s in whens]))
        for locale in templates.LOCALES
    ])
    buttons = case(*[_in_locale(locale, User.locale, literal(tip_buttons(locale), JSON))
                     for locale in templates.LOCALES])
    query = (
        _subscribers(zone, slot, day_start)
        .outerjoin(Target, Target.id == TipSubscription.target_id)
        .outerjoin(Child, Child.id == TipSubscription.child_id)
        .where(TipSubscription.track == track, anchor <= bounds[0][1], anchor > bounds[-1][1])
    )
    if track != ANAK:  # a pregnancy or wedding that ended (birth, loss) has no more tips
        query = query.where(Target.ended_on.is_(None))
    query = query.with_only_columns(
        (literal("tip:") + cast(TipSubscription.id, String) + literal(":")
         + cast(stage, String)).label("dedupe_key"),
        literal(KIND).label("kind"),
        literal(KINDS[KIND]).label("priority"),
        User.id.label("user_id"),
        User.platform,
        User.chat_id,
        text.label("text"),
        buttons.label("buttons"),
        literal(at, OutboxMessage.not_before.type).label("not_before"),
        literal(PENDING).label("status"),
        literal(0).label("attempts"),
        literal(at, OutboxMessage.created_at.type).label("created_at"),
    )
    names = ["dedupe_key", "kind", "priority", "user_id", "platform", "chat_id", "text",
             "buttons", "not_before", "status", "attempts", "created_at"]
    stmt = _insert(session).from_select(names, query).on_conflict_do_nothing(
        index_elements=["dedupe_key"])
    result = await session.execute(stmt)
    return max(result.rowcount or 0, 0)


def status_of(measurement_gain: str | None, stunted: bool, wasted: bool) -> str | None:
    """Which status tip a weighing calls for, most urgent first."""
    if wasted:
        return "wasting"
    if stunted:
        return "stunting"
    if measurement_gain == "T":
        return "t"
    return None


def status_key(subscription_id: int, measurement_id: int) -> str:
    return f"tip:{subscription_id}:status:{measurement_id}"


async def _status_tips(session: AsyncSession, zone: str, slot: str, today: dt.date,
                       day_start: dt.datetime, at: dt.datetime) -> int:
    """Status tips for children whose latest recent weighing was T, stunted or wasted. Few rows
    (the children with a fresh worrying weighing), each with its child's name: streamed."""
    latest = (
        select(Measurement.id).where(Measurement.child_id == Child.id)
        .order_by(Measurement.measured_on.desc(), Measurement.id.desc()).limit(1)
        .correlate(Child).scalar_subquery()
    )
    key = (literal("tip:") + cast(TipSubscription.id, String) + literal(":status:")
           + cast(Measurement.id, String))
    rows = (await session.execute(
        _subscribers(zone, slot, day_start)
        .join(Child, Child.id == TipSubscription.child_id)
        .join(Measurement, Measurement.id == latest)
        .where(TipSubscription.track == ANAK,
               Measurement.measured_on > today - dt.timedelta(days=STATUS_DAYS),
               or_(Measurement.gain == "T", Measurement.stunted, Measurement.wasted),
               ~exists().where(OutboxMessage.dedupe_key == key))
        .with_only_columns(TipSubscription.id, Measurement.id, Measurement.gain,
                           Measurement.stunted, Measurement.wasted, Child.name, Child.sex,
                           Posyandu.desa_code, User.id, User.platform, User.chat_id, User.locale)
        .order_by(TipSubscription.id)
    )).all()
    bidans: dict[str, User | None] = {}
    recipients = []
    for (sub_id, measurement_id, gain, stunted, wasted, child, sex, desa, user_id, platform,
         chat_id, locale) in rows:
        status = status_of(gain, stunted, wasted)
        if desa not in bidans:
            bidans[desa] = await bidan_of(session, desa)
        locale = locale if locale in templates.LOCALES else templates.DEFAULT_LOCALE
        text = templates.render(locale, f"tips/status/{status}", child=child, sex=sex,
                                bidan=bidan_contact(bidans[desa]))
        recipients.append(Recipient(user_id, platform, chat_id, status_key(sub_id, measurement_id),
                                    Message(text, kind=KIND, buttons=tip_buttons(locale))))
    return await enqueue_stream(session, recipients, not_before=at, now=at)
