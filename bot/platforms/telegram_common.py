"""What both Telegram adapters share: turning a Reply into the calls' arguments, and the runtime
interface the runner, delivery and the tests use."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Protocol

from bot.core import Incoming, Outcome, Reply, SetCommands
from bot.dispatch import Dispatcher
from bot.platforms.common import CAPTION_LIMIT

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ALLOWED_UPDATES = ["message", "callback_query"]


class Sender(Protocol):
    """Sends to one chat; raises ``bot.platforms.common`` errors (Blocked, RetryAfter, ...)."""

    async def send(self, chat_id: str, reply: Reply, *, edit_message_id: int | None = None) -> None: ...

    async def chat_action(self, chat_id: str, action: str) -> None: ...

    async def set_commands(self, chat_id: str, menu: SetCommands) -> None: ...


class Runtime(Protocol):
    sender: Sender
    username: str | None

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def handle_update(
    dispatcher: Dispatcher,
    sender: Sender,
    incoming: Incoming,
    edit_message_id: int | None,
    api_error: type[Exception],
) -> None:
    """Run one update through the dispatcher and send its outcome to the chat: the command
    menu first (a failure there is logged, not fatal), then the replies in order."""

    async def deliver(outcome: Outcome) -> None:
        for menu in outcome.effects:
            try:
                await sender.set_commands(incoming.chat_id, menu)
            except api_error:
                log.warning("setMyCommands failed for update %s", incoming.update_id)
        for reply in outcome.replies:
            await sender.send(incoming.chat_id, reply,
                              edit_message_id=edit_message_id if reply.edit else None)

    async def action(name: str) -> None:
        await sender.chat_action(incoming.chat_id, name)

    await dispatcher.handle(incoming, deliver=deliver, chat_action=action)


def keyboard_rows(reply: Reply) -> list[list[tuple[str, str]]]:
    return [[(b.text, b.payload) for b in row] for row in reply.buttons]


def caption_fits(reply: Reply) -> bool:
    """A short text travels as the photo's caption; a long one as its own message first."""
    return bool(reply.text) and len(reply.text) <= CAPTION_LIMIT


def seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
