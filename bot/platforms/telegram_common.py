"""What both Telegram adapters share: turning a Reply into the calls' arguments, and the runtime
interface the runner, delivery and the tests use."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Protocol

from bot.core import Contact, Incoming, Outcome, Reply, SetCommands
from bot.dispatch import Dispatcher
from bot.platforms.common import CAPTION_LIMIT, split_text

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


def message_content(message: Any) -> dict[str, Any]:
    """Text, shared contact and photo of a Bot API message, as ``Incoming`` fields. Both
    frameworks name these attributes as the Bot API does."""
    contact = None
    if message.contact is not None:
        owner = message.contact.user_id
        contact = Contact(message.contact.phone_number, str(owner) if owner else None)
    return {
        "text": message.text or message.caption,
        "contact": contact,
        "photo_id": message.photo[-1].file_id if message.photo else None,
    }


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


class ReplyCalls:
    """The order of Bot API calls for one Reply, the same in both frameworks: edit the pressed
    message when asked (falling back to a new message), a photo with its text as caption when
    it fits, a document, or text split at Telegram's length limit. Subclasses make the calls."""

    bad_request: type[Exception] = Exception

    def markup(self, reply: Reply) -> Any: ...

    async def edit_text(self, chat_id: int, message_id: int, text: str, keyboard: Any) -> None: ...

    async def send_text(self, chat_id: int, text: str, keyboard: Any) -> None: ...

    async def send_photo(self, chat_id: int, image: bytes, caption: str | None,
                         keyboard: Any) -> None: ...

    async def send_document(self, chat_id: int, data: bytes, name: str | None,
                            caption: str | None, keyboard: Any) -> None: ...

    async def send_reply(self, chat_id: int, reply: Reply, edit_message_id: int | None) -> None:
        keyboard = self.markup(reply)
        if edit_message_id is not None and reply.image is None and reply.document is None:
            try:
                await self.edit_text(chat_id, edit_message_id, reply.text, keyboard)
                return
            except self.bad_request:
                pass  # too old to edit, or unchanged: send a new message instead
        if reply.image is not None:
            caption = reply.text if caption_fits(reply) else None
            if reply.text and caption is None:
                await self.send_texts(chat_id, reply.text, None)
            await self.send_photo(chat_id, reply.image, caption, keyboard)
        elif reply.document is not None:
            await self.send_document(chat_id, reply.document, reply.document_name,
                                     reply.text or None, keyboard)
        elif reply.text:
            await self.send_texts(chat_id, reply.text, keyboard)

    async def send_texts(self, chat_id: int, text: str, keyboard: Any) -> None:
        parts = split_text(text)
        for index, part in enumerate(parts):
            await self.send_text(chat_id, part, keyboard if index == len(parts) - 1 else None)


def keyboard_rows(reply: Reply) -> list[list[tuple[str, str]]]:
    return [[(b.text, b.payload) for b in row] for row in reply.buttons]


def caption_fits(reply: Reply) -> bool:
    """A short text travels as the photo's caption; a long one as its own message first."""
    return bool(reply.text) and len(reply.text) <= CAPTION_LIMIT


def seconds(value: int | float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
