"""The audit log: who read or changed which record, and when (UU 27/2022).

Entries name ids and actions only; the personal data itself never goes into the log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, utcnow

# A Core insert, built once and run at once: nothing needs the row as an ORM object, and the
# unit of work for it cost more than the statement itself (every /ukur line writes one).
_INSERT = insert(AuditEntry.__table__)


async def record(
    session: AsyncSession,
    actor_user_id: int | None,
    action: str,
    entity: str,
    entity_id: Any = None,
    detail: str | None = None,
    *,
    at: dt.datetime | None = None,
) -> None:
    await session.execute(_INSERT, {
        "at": at or utcnow(),
        "actor_user_id": actor_user_id,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "detail": detail,
    })
