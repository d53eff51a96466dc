"""Who hears what, as SQL: the recipient queries the jobs hand to ``storage.outbox``.

Each query selects ``User.id`` rows and is never loaded into Python: ``enqueue_by_locale`` turns
it into one INSERT ... SELECT per locale, with the text rendered once in that locale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import templates
from storage.access import in_subtree
from storage.measurements import five_years_before
from storage.models import Area, Child, User
from storage.outbox import Message, enqueue_users
from storage.targets import HAMIL, NIFAS, Target
from storage.tips import PENDING, ChildClaim, TipPreference


def families_of(posyandu_id: int, day: dt.date) -> Select:
    """Families of a posyandu who need its day: a child under five, a pregnancy or the 42 days
    after a birth (an active hamil or nifas target), or a child claimed and waiting for the
    kader (confirmed at the posyandu); never those who said /berhenti."""
    cutoff = five_years_before(day)
    has_small_child = exists().where(Child.parent_user_id == User.id, Child.birth_date > cutoff)
    expecting = exists().where(Target.user_id == User.id, Target.kind.in_((HAMIL, NIFAS)),
                               Target.ended_on.is_(None))
    claiming = exists().where(ChildClaim.user_id == User.id, ChildClaim.status == PENDING)
    stopped = exists().where(TipPreference.user_id == User.id, TipPreference.stopped_at.is_not(None))
    return select(User.id).where(
        User.role == "keluarga", User.posyandu_id == posyandu_id,
        or_(has_small_child, expecting, claiming), ~stopped,
    )


def kader_of(posyandu_id: int) -> Select:
    return select(User.id).where(User.role == "kader", User.posyandu_id == posyandu_id)


def peserta_in_zone(zone: str) -> Select:
    return (
        select(User.id)
        .join(Area, Area.code == User.area_code)
        .where(User.role == "peserta", Area.timezone == zone, Area.level != "provinsi")
    )


def jumat_people_of(kabupaten: str) -> Select:
    """Participants and coordinators of a kabupaten (its own code or anything inside it)."""
    return select(User.id).where(
        User.role.in_(("peserta", "koordinator")), in_subtree(User.area_code, kabupaten)
    )


def in_locale(users: Select, locale: str) -> Select:
    """The users who read ``locale`` (anything unknown reads the default)."""
    if locale == templates.DEFAULT_LOCALE:
        others = [name for name in templates.LOCALES if name != locale]
        return users.where(User.locale.not_in(others))
    return users.where(User.locale == locale)


async def enqueue_by_locale(
    session: AsyncSession,
    users: Select,
    key_prefix: str,
    message: Callable[[str], Message],
) -> int:
    """One INSERT ... SELECT per locale; ``message(locale)`` renders the text once for each."""
    total = 0
    for locale in templates.LOCALES:
        total += await enqueue_users(
            session, message(locale), in_locale(users, locale), key_prefix=key_prefix
        )
    return total
