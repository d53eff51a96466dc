"""aiogram runtime: long polling, two registered handlers (messages, button presses), no logic.

Mirrors ``bot.platforms.ptb``: each update becomes an ``Incoming``, the outcome goes back with the
Bot API calls, updates run as concurrent tasks and the dispatcher keeps each user in order.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.platforms import aiogram_lazy  # noqa: F401  (before aiogram: its types built lazily)

# isort: split
from aiogram import Bot, methods
from aiogram import Dispatcher as AiogramDispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods.base import TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.types import Update as AiogramUpdate

from bot.core import Incoming, Reply, SetCommands
from bot.dispatch import Dispatcher
from bot.platforms import common
from bot.platforms.telegram_common import (
    ALLOWED_UPDATES,
    PLATFORM,
    ReplyCalls,
    handle_update,
    keyboard_rows,
    message_content,
    seconds,
)
from bot.settings import Settings

log = logging.getLogger(__name__)
HTML = "HTML"


class SendText(TelegramMethod[Any]):
    """``sendMessage`` with the fields Tumbuh sets. aiogram's ``SendMessage`` has twenty fields,
    each dumped and inspected on every call, and reads Telegram's answer into a ``Message`` that
    Tumbuh never looks at; here the answer is left as it came (as ``bot.platforms.ptb`` does)."""

    __returning__ = Any
    __api_method__ = "sendMessage"

    chat_id: int
    text: str
    parse_mode: str = HTML
    reply_markup: dict | None = None


class EditText(SendText):
    """``editMessageText`` the same way (a button press edits the message it came with)."""

    __api_method__ = "editMessageText"

    message_id: int


# aiogram reads every answer with ``Response[T]`` (T: what the method returns). pydantic keeps
# such parametrised classes in a weak cache only, so every garbage collection threw them away and
# the next call built the validator again: a tenth of the bot's CPU in bench/updates.py. Holding
# the ones Tumbuh calls keeps them built once.
RESPONSE_TYPES = tuple(
    methods.Response[method.__returning__]
    for method in (methods.GetUpdates, methods.GetMe, methods.DeleteWebhook, SendText, EditText,
                   methods.SendPhoto, methods.SendDocument, methods.AnswerCallbackQuery,
                   methods.SendChatAction, methods.SetMyCommands)
)


def make_bot(settings: Settings) -> Bot:
    """The Bot of ``TUMBUH_TELEGRAM_API_URL`` with a connection pool for the concurrency."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url),
                             limit=settings.concurrency + 8)
    return Bot(settings.telegram_token, session=session)


def message_incoming(message: Message, update_id: int) -> Incoming | None:
    user = message.from_user
    if user is None or message.chat.type != "private":
        return None
    return Incoming(
        platform=PLATFORM, user_id=str(user.id), chat_id=str(message.chat.id),
        update_id=update_id, language=user.language_code, **message_content(message),
    )


def callback_incoming(query: CallbackQuery, update_id: int) -> Incoming | None:
    message = query.message
    chat_id = message.chat.id if message is not None else query.from_user.id
    if message is not None and message.chat.type != "private":
        return None
    return Incoming(
        platform=PLATFORM, user_id=str(query.from_user.id), chat_id=str(chat_id),
        update_id=update_id, language=query.from_user.language_code, payload=query.data or "",
    )


def markup(reply: Reply) -> dict | None:
    """The inline keyboard as the Bot API's JSON object (aiogram sends a dict as it is)."""
    rows = keyboard_rows(reply)
    if not rows:
        return None
    return {"inline_keyboard": [[{"text": text, "callback_data": data} for text, data in row]
                                for row in rows]}


class AiogramSender(ReplyCalls):
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: str, reply: Reply, *, edit_message_id: int | None = None) -> None:
        try:
            await self.send_reply(int(chat_id), reply, edit_message_id)
        except TelegramForbiddenError as error:
            raise common.Blocked(error.message) from error
        except TelegramRetryAfter as error:
            raise common.RetryAfter(seconds(error.retry_after)) from error
        except (TelegramNetworkError, TelegramServerError) as error:
            raise common.Transient(str(error)) from error

    bad_request = TelegramBadRequest

    def markup(self, reply: Reply) -> dict | None:
        return markup(reply)

    async def edit_text(self, chat_id: int, message_id: int, text: str, keyboard) -> None:
        await self.bot(EditText(chat_id=chat_id, message_id=message_id, text=text,
                                reply_markup=keyboard))

    async def send_text(self, chat_id: int, text: str, keyboard) -> None:
        await self.bot(SendText(chat_id=chat_id, text=text, reply_markup=keyboard))

    async def send_photo(self, chat_id: int, image: bytes, caption: str | None, keyboard) -> None:
        await self.bot.send_photo(chat_id, BufferedInputFile(image, "grafik.png"),
                                  caption=caption, parse_mode=HTML,
                                  reply_markup=_inline(keyboard))

    async def send_document(self, chat_id: int, data: bytes, name: str | None,
                            caption: str | None, keyboard) -> None:
        await self.bot.send_document(chat_id, BufferedInputFile(data, name or "dokumen"),
                                     caption=caption, parse_mode=HTML,
                                     reply_markup=_inline(keyboard))

    async def chat_action(self, chat_id: str, action: str) -> None:
        await self.bot.send_chat_action(int(chat_id), action)

    async def set_commands(self, chat_id: str, menu: SetCommands) -> None:
        await self.bot.set_my_commands(
            [BotCommand(command=name, description=text) for name, text in menu.commands],
            scope=BotCommandScopeChat(chat_id=int(chat_id)),
        )


def _inline(keyboard: dict | None) -> InlineKeyboardMarkup | None:
    return None if keyboard is None else InlineKeyboardMarkup.model_validate(keyboard)


class AiogramRuntime:
    def __init__(self, settings: Settings, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.concurrency = settings.concurrency
        self.bot = make_bot(settings)
        # Conversation state lives in Tumbuh's storage; aiogram's FSM would keep a second,
        # in-memory copy per user and cost each update two middlewares.
        self.router = AiogramDispatcher(disable_fsm=True)
        self.router.message.register(self._on_message)
        self.router.callback_query.register(self._on_callback)
        self.sender = AiogramSender(self.bot)
        self.username: str | None = None
        self._polling: asyncio.Task | None = None

    async def _on_message(self, message: Message, event_update: AiogramUpdate) -> None:
        incoming = message_incoming(message, event_update.update_id)
        if incoming is not None:
            await self._handle(incoming, None)

    async def _on_callback(self, query: CallbackQuery, event_update: AiogramUpdate) -> None:
        try:
            await query.answer()  # stop the button's spinner at once
        except TelegramAPIError:
            log.debug("answerCallbackQuery failed for update %s", event_update.update_id)
        incoming = callback_incoming(query, event_update.update_id)
        if incoming is not None:
            edit_id = query.message.message_id if query.message is not None else None
            await self._handle(incoming, edit_id)

    async def _handle(self, incoming: Incoming, edit_id: int | None) -> None:
        await handle_update(self.dispatcher, self.sender, incoming, edit_id, TelegramAPIError)

    async def start(self) -> None:
        me = await self.bot.get_me()
        self.username = me.username
        self.dispatcher.bot_username = self.username
        await self.bot.delete_webhook(drop_pending_updates=False)
        started = asyncio.Event()
        self.router.startup.register(lambda: started.set())
        self._polling = asyncio.create_task(self.router.start_polling(
            self.bot, handle_signals=False, close_bot_session=True, polling_timeout=10,
            allowed_updates=ALLOWED_UPDATES, tasks_concurrency_limit=self.concurrency,
        ))
        waiter = asyncio.create_task(started.wait())
        await asyncio.wait({self._polling, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if self._polling.done():
            waiter.cancel()
            self._polling.result()  # raise why polling could not start

    async def stop(self) -> None:
        if self._polling is None:
            await self.bot.session.close()
            return
        if not self._polling.done():
            await self.router.stop_polling()
        try:
            await self._polling
        finally:
            self._polling = None
