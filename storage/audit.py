"""The audit log: who read or changed which record, and when (UU 27/2022).

Entries name ids and actions only; the personal data itself never goes into the log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEntry, utcnow


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
    session.add(
        AuditEntry(
            at=at or utcnow(),
            actor_user_id=actor_user_id,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=detail,
        )
    )
