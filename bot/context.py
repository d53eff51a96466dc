"""What a handler or a conversation step gets: the user, the input, storage, and text helpers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

import templates
from bot.core import Button, Incoming, Reply, SetCommands
from storage.access import Scope
from storage.audit import record
from storage.models import User

if TYPE_CHECKING:
    from bot.settings import Settings
    from storage.db import Database


@dataclass(slots=True)
class FlowState:
    """The running conversation, as saved in ``conversation_sessions``."""

    flow: str
    step: int
    data: dict[str, Any]


@dataclass
class Context:
    incoming: Incoming
    user: User
    session: AsyncSession
    db: Database
    settings: Settings
    now: dt.datetime
    flow: FlowState | None = None
    effects: list[SetCommands] = field(default_factory=list)
    # Set by a flow when the user must leave no trace (e.g. consent refused before joining).
    forget_user: bool = False
    bot_username: str | None = None  # as the platform reported it; for deep links

    @property
    def locale(self) -> str:
        return self.user.locale or templates.DEFAULT_LOCALE

    @property
    def scope(self) -> Scope:
        return Scope.of(self.user)

    def text(self, template: str, /, **values: Any) -> str:
        return templates.render(self.locale, template, user=self.user, **values)

    def label(self, name: str, /, *args: Any) -> str:
        return templates.label(self.locale, name, *args)

    def reply(
        self, template: str, /, buttons: list[list[Button]] | None = None, **values: Any
    ) -> Reply:
        return Reply(text=self.text(template, **values), buttons=buttons or [])

    async def audit(self, action: str, entity: str, entity_id: Any = None, detail: str | None = None):
        await record(self.session, self.user.id, action, entity, entity_id, detail, at=self.now)
