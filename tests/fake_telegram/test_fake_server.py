"""Tests of the fake Telegram server, driven by real python-telegram-bot and aiogram bots."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot as AiogramBot
from aiogram import Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.filters import Command, CommandStart
from aiogram.types import BotCommand as AiogramBotCommand
from aiogram.types import BotCommandScopeChat as AiogramScopeChat
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, Message
from aiogram.types import InlineKeyboardMarkup as AiogramMarkup
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    Update,
)
from telegram import InlineKeyboardButton as PtbButton
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.fake_telegram import RATE_TOLERANCE, FakeTelegram
from tests.fake_telegram.server import _Window

PHOTO = bytes(range(256)) * 40  # arbitrary bytes: the fake does not decode images
DOCUMENT = b"tanggal,berat\n2024-01-01,7.5\n" * 100


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


# --------------------------------------------------------------------------- the two echo bots


def build_ptb(fake: FakeTelegram) -> Application:
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(f"{fake.api_root}/bot")
        .base_file_url(f"{fake.api_root}/file/bot")
        .build()
    )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        keyboard = InlineKeyboardMarkup(
            [
                [
                    PtbButton("Ya", callback_data="answer:yes"),
                    PtbButton("Tidak", callback_data="answer:no"),
                ]
            ]
        )
        await update.message.reply_text(
            f"Halo <b>{update.effective_user.first_name}</b>",
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
        )

    async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_photo(PHOTO, caption="grafik")

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_document(DOCUMENT, filename="laporan.csv")

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("dicatat")
        await query.edit_message_text(f"Pilihan: {query.data.split(':')[1]}")

    async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"Nomor {update.message.contact.phone_number}")

    async def user_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        file = await update.message.photo[-1].get_file()
        data = await file.download_as_bytearray()
        await update.message.reply_text(f"Foto {len(data)} {update.message.caption}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"echo: {update.message.text}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("photo", photo))
    app.add_handler(CommandHandler("doc", document))
    app.add_handler(CallbackQueryHandler(answer, pattern="^answer:"))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(MessageHandler(filters.PHOTO, user_photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


@contextlib.asynccontextmanager
async def run_ptb(fake: FakeTelegram) -> AsyncIterator[Application]:
    app = build_ptb(fake)
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


def build_aiogram(fake: FakeTelegram) -> tuple[AiogramBot, Dispatcher]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.api_root))
    bot = AiogramBot(fake.token, session=session)
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        keyboard = AiogramMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text="Ya", callback_data="answer:yes"),
                    InlineKeyboardButton(text="Tidak", callback_data="answer:no"),
                ]
            ]
        )
        await message.answer(
            f"Halo <b>{message.from_user.first_name}</b>", parse_mode="HTML", reply_markup=keyboard
        )

    @dp.message(Command("photo"))
    async def photo(message: Message) -> None:
        await message.answer_photo(BufferedInputFile(PHOTO, "grafik.png"), caption="grafik")

    @dp.message(Command("doc"))
    async def document(message: Message) -> None:
        await message.answer_document(BufferedInputFile(DOCUMENT, "laporan.csv"))

    @dp.callback_query(F.data.startswith("answer:"))
    async def answer(query: CallbackQuery) -> None:
        await query.answer("dicatat")
        await query.message.edit_text(f"Pilihan: {query.data.split(':')[1]}")

    @dp.message(F.contact)
    async def contact(message: Message) -> None:
        await message.answer(f"Nomor {message.contact.phone_number}")

    @dp.message(F.photo)
    async def user_photo(message: Message, bot: AiogramBot) -> None:
        data = await bot.download(message.photo[-1])
        await message.answer(f"Foto {len(data.getvalue())} {message.caption}")

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo: {message.text}")

    return bot, dp


@contextlib.asynccontextmanager
async def run_aiogram(fake: FakeTelegram) -> AsyncIterator[AiogramBot]:
    bot, dp = build_aiogram(fake)
    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        yield bot
    finally:
        await dp.stop_polling()
        await task  # start_polling closes the bot session on exit


RUNNERS = {"ptb": run_ptb, "aiogram": run_aiogram}


# --------------------------------------------------------------------------- raw HTTP helper


async def call(fake: FakeTelegram, method: str, *, token: str | None = None, **params: object):
    """One Bot API call with a JSON body; returns (status, body)."""
    url = f"{fake.api_root}/bot{token or fake.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, json=params) as resp:
        return resp.status, await resp.json()


# --------------------------------------------------------------------------- framework tests


@pytest.mark.parametrize("framework", ["ptb", "aiogram"])
async def test_conversation_with_real_framework(fake: FakeTelegram, framework: str) -> None:
    user = fake.user(1001, first_name="Siti")
    async with RUNNERS[framework](fake):
        [echo] = await user.ask("halo bot")
        assert echo.method == "sendMessage"
        assert echo.text == "echo: halo bot"

        [greeting] = await user.ask("/start")
        assert greeting.text == "Halo <b>Siti</b>"
        assert greeting.parse_mode == "HTML"
        assert greeting.buttons == [("Ya", "answer:yes"), ("Tidak", "answer:no")]

        user.press("answer:yes")
        [edit] = await user.next_messages()
        assert (edit.method, edit.message_id, edit.text) == (
            "editMessageText",
            greeting.message_id,
            "Pilihan: yes",
        )
        assert edit.reply_markup is None  # editing without reply_markup drops the keyboard
        assert [(a["data"], a["text"]) for a in fake.callback_answers] == [
            ("answer:yes", "dicatat")
        ]

        [photo] = await user.ask("/photo")
        assert (photo.method, photo.photo, photo.text) == ("sendPhoto", PHOTO, "grafik")

        [document] = await user.ask("/doc")
        assert document.method == "sendDocument"
        assert document.document == DOCUMENT
        assert document.document_name == "laporan.csv"

        user.share_contact("+6281234567890")
        [contact] = await user.next_messages()
        assert contact.text == "Nomor +6281234567890"

        user.send_photo(caption="timbang")
        [seen] = await user.next_messages()
        assert seen.text.startswith("Foto ") and seen.text.endswith(" timbang")

        update_id = user.send_text("sekali")
        [first] = await user.next_messages()
        user.redeliver(update_id)
        [again] = await user.next_messages()
        assert first.text == again.text == "echo: sekali"

    assert fake.deleted_webhook or framework == "aiogram"  # PTB clears the webhook on start
    assert fake.unknown_methods == []
    assert fake.too_many_requests == fake.forbidden == 0
    assert fake.method_counts["getMe"] >= 1


async def test_redelivered_update_keeps_update_id(fake: FakeTelegram) -> None:
    user = fake.user(7)
    seen: list[int] = []
    app = build_ptb(fake)

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.update_id)

    app.add_handler(MessageHandler(filters.ALL, record), group=-1)
    async with run_ptb_app(app):
        update_id = user.send_text("satu")
        await user.next_messages()
        user.redeliver(update_id)
        await user.next_messages()
    assert seen == [update_id, update_id]


@contextlib.asynccontextmanager
async def run_ptb_app(app: Application) -> AsyncIterator[None]:
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


# PTB itself warns about RetryAfter.retry_after becoming a timedelta when it builds the error.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_errors_and_commands(fake: FakeTelegram) -> None:
    app = build_ptb(fake)
    await app.initialize()
    try:
        bot = app.bot
        fake.inject_429(retry_after=3)
        # Match the message: reading RetryAfter.retry_after warns about its coming type change.
        with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
            await bot.send_message(5, "x")

        fake.block(5)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(5, "x")
        fake.unblock(5)

        fake.inject_error(status=502)
        with pytest.raises(NetworkError):
            await bot.send_message(5, "x")

        with pytest.raises(BadRequest, match="(?i)unsupported start tag"):
            await bot.send_message(5, "a<br>b", parse_mode=ParseMode.HTML)

        sent = await bot.send_message(5, "sama")
        with pytest.raises(BadRequest, match="(?i)message is not modified"):
            await bot.edit_message_text("sama", chat_id=5, message_id=sent.message_id)

        await bot.set_my_commands([BotCommand("start", "Mulai")])
        await bot.set_my_commands(
            [BotCommand("bantuan", "Bantuan")], scope=BotCommandScopeChat(5), language_code="id"
        )
        assert fake.commands[("default", None, "")] == [
            {"command": "start", "description": "Mulai"}
        ]
        assert fake.commands[("chat", 5, "id")][0]["command"] == "bantuan"
        got = await bot.get_my_commands(scope=BotCommandScopeChat(5), language_code="id")
        assert [c.command for c in got] == ["bantuan"]
        await bot.send_chat_action(5, "typing")
        assert [(a.chat_id, a.action) for a in fake.chat_actions] == [(5, "typing")]
        assert (fake.too_many_requests, fake.forbidden) == (1, 1)
        assert [m.text for m in fake.sent_to(5)] == ["sama"]
    finally:
        await app.shutdown()


async def test_aiogram_errors_and_commands(fake: FakeTelegram) -> None:
    bot = AiogramBot(
        fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.api_root))
    )
    try:
        fake.inject_429(retry_after=2)
        with pytest.raises(TelegramRetryAfter) as retry:
            await bot.send_message(6, "x")
        assert retry.value.retry_after == 2

        fake.block(6)
        with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
            await bot.send_message(6, "x")

        await bot.set_my_commands(
            [AiogramBotCommand(command="start", description="Mulai")],
            scope=AiogramScopeChat(chat_id=9),
            language_code="en",
        )
        assert fake.commands[("chat", 9, "en")] == [{"command": "start", "description": "Mulai"}]
        # A photo re-sent by file_id resolves to the uploaded bytes.
        first = await bot.send_photo(9, BufferedInputFile(PHOTO, "a.png"))
        await bot.send_photo(9, first.photo[-1].file_id)
        assert [m.photo for m in fake.sent_to(9)] == [PHOTO, PHOTO]
    finally:
        await bot.session.close()


# --------------------------------------------------------------------------- raw protocol tests


async def test_rate_limits_burst_and_paced() -> None:
    async with FakeTelegram(global_rate=5, retry_after=4) as fake:
        statuses = [(await call(fake, "sendMessage", chat_id=i, text="x"))[0] for i in range(1, 8)]
        assert statuses == [200] * 5 + [429] * 2
        status, body = await call(fake, "sendMessage", chat_id=1, text="x")
        assert body["parameters"] == {"retry_after": 4}
        assert body["description"].startswith("Too Many Requests")
        assert fake.too_many_requests == 3
        # Chat actions and callback answers are not counted against the limit.
        assert (await call(fake, "sendChatAction", chat_id=1, action="typing"))[0] == 200

    async with FakeTelegram(per_chat_rate=10) as fake:
        # Exactly 10/s to one chat for 1.5 s: no 429.  The pacing is absolute, as a limiter does.
        start = time.monotonic()
        for i in range(15):
            await asyncio.sleep(max(0.0, start + i / 10 - time.monotonic()))
            assert (await call(fake, "sendMessage", chat_id=3, text=str(i)))[0] == 200
        # A burst above the rate to the same chat is refused; another chat is unaffected.
        burst = [(await call(fake, "sendMessage", chat_id=3, text="b"))[0] for _ in range(12)]
        assert 429 in burst
        assert fake.rate_limited["chat"] == burst.count(429)
        assert (await call(fake, "sendMessage", chat_id=4, text="x"))[0] == 200

    async with FakeTelegram(group_per_minute=3) as fake:
        statuses = [(await call(fake, "sendMessage", chat_id=-100, text="x"))[0] for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert (await call(fake, "sendMessage", chat_id=-200, text="x"))[0] == 200
        assert (await call(fake, "sendMessage", chat_id=10, text="x"))[0] == 200
        assert fake.rate_limited["group"] == 1


def test_window_admits_exact_rate_and_refuses_more() -> None:
    window = _Window(2.5)  # 2 per 0.8 s
    assert (window.limit, window.period) == (2, 0.8)
    for step in range(20):  # exactly 2.5/s, each send up to the tolerance early
        now = step * 0.4 - (RATE_TOLERANCE * 0.9 if step % 2 else 0)
        assert not window.full(now)
        window.add(now)
    assert window.full(19 * 0.4 + 0.1)
    assert (_Window(0.5).limit, _Window(0.5).period) == (1, 2.0)
    assert (_Window(20 / 60, period=60).limit, _Window(20 / 60, period=60).period) == (20, 60)


async def test_blocked_user_gets_403(fake: FakeTelegram) -> None:
    fake.block(42)
    status, body = await call(fake, "sendMessage", chat_id=42, text="halo")
    assert status == 403
    assert body == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    fake.unblock(42)
    assert (await call(fake, "sendMessage", chat_id=42, text="halo"))[0] == 200
    assert fake.forbidden == 1


async def test_offset_confirms_updates_and_long_poll(fake: FakeTelegram) -> None:
    user = fake.user(5)
    first, second = user.send_text("a"), user.send_text("/mulai sekarang")
    _, body = await call(fake, "getUpdates")
    assert [u["update_id"] for u in body["result"]] == [first, second]
    assert body["result"][1]["message"]["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 6}
    ]
    # Unconfirmed updates are served again; offset confirms everything below it.
    _, body = await call(fake, "getUpdates", offset=first + 1)
    assert [u["update_id"] for u in body["result"]] == [second]
    _, body = await call(fake, "getUpdates", offset=second + 1, timeout=0)
    assert body["result"] == []
    # Redelivery ignores the offset once, with the same update_id.
    user.redeliver(first)
    _, body = await call(fake, "getUpdates", offset=second + 1)
    assert [u["update_id"] for u in body["result"]] == [first]
    _, body = await call(fake, "getUpdates", offset=first + 1)
    assert body["result"] == []

    started = time.monotonic()
    _, body = await call(fake, "getUpdates", offset=second + 1, timeout=0.3)
    assert body["result"] == [] and time.monotonic() - started >= 0.29

    poll = asyncio.create_task(call(fake, "getUpdates", offset=second + 1, timeout=5))
    await asyncio.sleep(0.05)
    third = user.send_text("c")
    _, body = await asyncio.wait_for(poll, 2)
    assert [u["update_id"] for u in body["result"]] == [third]
    assert fake.updates_served == 5


async def test_request_encodings_and_errors(fake: FakeTelegram) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    url = f"{fake.api_root}/bot{fake.token}"
    async with aiohttp.ClientSession() as session:
        # application/x-www-form-urlencoded with a JSON-encoded reply_markup
        form = {"chat_id": "8", "text": "123", "reply_markup": json.dumps(markup)}
        async with session.post(f"{url}/sendMessage", data=form) as resp:
            result = (await resp.json())["result"]
        assert result["text"] == "123" and result["reply_markup"] == markup
        # multipart with an attach:// reference, as aiogram sends files
        data = aiohttp.FormData()
        data.add_field("chat_id", "8")
        data.add_field("document", "attach://f1")
        data.add_field("f1", DOCUMENT, filename="x.csv", content_type="text/csv")
        async with session.post(f"{url}/sendDocument", data=data) as resp:
            result = (await resp.json())["result"]
        assert result["document"]["file_name"] == "x.csv"
        # GET with query parameters
        async with session.get(f"{url}/getMe") as resp:
            me = (await resp.json())["result"]
        assert me["username"] == "tumbuh_test_bot" and me["is_bot"] is True

    sent = fake.sent_to(8)
    assert sent[0].buttons == [("A", "a")] and sent[1].document == DOCUMENT
    contact_keyboard = {"keyboard": [[{"text": "Kirim nomor", "request_contact": True}]]}
    status, body = await call(
        fake, "sendMessage", chat_id=8, text="?", reply_markup=contact_keyboard
    )
    assert "reply_markup" not in body["result"]  # Telegram echoes only inline keyboards
    assert fake.sent_to(8)[-1].keyboard == ["Kirim nomor"]

    status, body = await call(fake, "sendSticker", chat_id=8, sticker="x")
    assert (status, body["description"]) == (404, "Not Found: method not found")
    assert fake.unknown_methods == ["sendSticker"]
    assert (await call(fake, "getMe", token="1:WRONG"))[0] == 401
    assert (await call(fake, "sendMessage", chat_id=8, text=""))[0] == 400
    assert (await call(fake, "sendMessage", chat_id=8, text="x" * 4097))[0] == 400
    too_long_data = {"inline_keyboard": [[{"text": "A", "callback_data": "d" * 65}]]}
    status, body = await call(fake, "sendMessage", chat_id=8, text="x", reply_markup=too_long_data)
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    status, body = await call(fake, "answerCallbackQuery", callback_query_id="nope")
    assert status == 400
    fake.inject_error(status=500)
    assert (await call(fake, "sendMessage", chat_id=8, text="x"))[0] == 500
    assert fake.method_counts["sendMessage"] == 6
    assert len(fake.request_log) == sum(fake.method_counts.values())


async def test_concurrent_long_polls_conflict(fake: FakeTelegram) -> None:
    older = asyncio.create_task(call(fake, "getUpdates", timeout=2))
    await asyncio.sleep(0.05)
    newer = asyncio.create_task(call(fake, "getUpdates", timeout=0.2))
    await asyncio.sleep(0.05)
    fake.user(1).send_text("x")  # wakes the older poll, which was superseded
    status, body = await older
    assert status == 409 and body["description"].startswith("Conflict")
    assert (await newer)[0] == 200
