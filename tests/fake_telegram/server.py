"""A fake Telegram Bot API server for tests and benchmarks.

It runs as an aiohttp app on 127.0.0.1 inside the caller's event loop, plays simulated users
(updates served through ``getUpdates``), records what the bot sends and enforces the Telegram
behaviour that bots trip over: flood limits (429 + retry_after), blocked users (403), edits that
change nothing (400), unsupported HTML tags (400), oversized texts and callback data (400).

    async with FakeTelegram(per_chat_rate=1) as fake:
        # python-telegram-bot
        app = (ApplicationBuilder().token(fake.token).base_url(fake.base_url)
               .base_file_url(fake.base_file_url).build())
        # aiogram
        bot = Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.api_root)))
        user = fake.user(1001)
        [reply] = await user.ask("/start")

Stop the bot before the fake, or its last getUpdates fails to connect.  MarkdownV2 texts are
not validated; HTML texts are (tags and nesting only).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import json
import math
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

# A sliding window of length W admits a send only if fewer than N sends were admitted in the
# last (W - RATE_TOLERANCE) seconds.  The tolerance absorbs timer jitter so that a sender paced
# at exactly the allowed rate never sees a 429, while any real burst above it still does.
RATE_TOLERANCE = 0.05

# Calls that Telegram counts against the flood limits.  getUpdates, answerCallbackQuery,
# sendChatAction and the set*/get* configuration calls are not counted.
SEND_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
    }
)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

# Parameters that arrive JSON-encoded in form bodies (both libraries encode nested values so).
_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "scope",
        "commands",
        "menu_button",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
    }
)
_INT_FIELDS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "user_id", "reply_to_message_id", "cache_time"}
)
_FLOAT_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
    }
)

_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?(?=\s|$)")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_HTML_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
        "tg-time",
    }
)

# A 1x1 PNG used when a simulated user sends a photo without explicit bytes.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


@dataclass
class SentMessage:
    """One bot output recorded by the fake (a send or an edit)."""

    method: str
    chat_id: int
    message_id: int
    text: str | None = None  # text, or caption for photos and documents
    parse_mode: str | None = None
    reply_markup: dict | None = None
    photo: bytes | None = None
    document: bytes | None = None
    document_name: str | None = None
    at: float = field(default_factory=time.monotonic)
    params: dict = field(default_factory=dict, repr=False)  # decoded request parameters

    @property
    def is_edit(self) -> bool:
        return self.method.startswith("edit")

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """(text, callback_data) of every inline button, rows flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [(b.get("text", ""), b.get("callback_data")) for row in rows for b in row]

    @property
    def keyboard(self) -> list[str]:
        """Texts of the reply-keyboard buttons (e.g. a request_contact button)."""
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [b if isinstance(b, str) else b.get("text", "") for row in rows for b in row]


@dataclass
class ChatAction:
    chat_id: int
    action: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class RequestRecord:
    """One HTTP call, for benchmarks: method, HTTP status, start (monotonic), duration."""

    method: str
    status: int
    started: float
    duration: float


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str


@dataclass(order=True)
class _Pending:
    update_id: int
    payload: dict = field(compare=False)
    redelivered: bool = field(default=False, compare=False)


@dataclass
class _Upload:
    data: bytes
    filename: str | None
    content_type: str | None


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class _Signal:
    """Wakes every waiter on fire(); safe to fire from sync code in the loop thread."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), max(timeout, 0))
        except TimeoutError:
            pass


class _Window:
    """Sliding-window limiter: at most `limit` admissions per `period` seconds."""

    def __init__(self, rate: float, period: float = 1.0):
        # Non-integer counts are rounded down and the window shrunk to keep the rate:
        # 30/s = 30 per 1 s, 2.5/s = 2 per 0.8 s, 0.5/s = 1 per 2 s, 20/min = 20 per 60 s.
        self.limit = max(1, math.floor(rate * period + 1e-9))
        self.period = self.limit / rate
        self._times: deque[float] = deque()

    def full(self, now: float) -> bool:
        horizon = now - (self.period - RATE_TOLERANCE)
        while self._times and self._times[0] <= horizon:
            self._times.popleft()
        return len(self._times) >= self.limit

    def add(self, now: float) -> None:
        self._times.append(now)


class _HtmlChecker(HTMLParser):
    """Rejects what Telegram's HTML parse mode rejects: unknown and unbalanced tags."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self._lines = text.splitlines(keepends=True)
        self._stack: list[str] = []
        self.plain: list[str] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        before = (
            "".join(self._lines[: line - 1]) + self._lines[line - 1][:col] if self._lines else ""
        )
        return len(before.encode())

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in _HTML_TAGS:
            raise ApiError(
                400,
                "Bad Request: can't parse entities: Unsupported start tag "
                f'"{tag}" at byte offset {self._offset()}',
            )
        self._stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.handle_starttag(tag, attrs)
        self._stack.pop()

    def handle_endtag(self, tag: str) -> None:
        if not self._stack or self._stack[-1] != tag:
            expected = f'"</{self._stack[-1]}>"' if self._stack else "none"
            raise ApiError(
                400,
                f"Bad Request: can't parse entities: Unmatched end tag at byte offset "
                f'{self._offset()}, expected {expected}, found "</{tag}>"',
            )
        self._stack.pop()

    def handle_data(self, data: str) -> None:
        self.plain.append(data)

    def check(self, text: str) -> str:
        self.feed(text)
        self.close()
        if self._stack:
            raise ApiError(
                400,
                "Bad Request: can't parse entities: Can't find end tag corresponding to "
                f'start tag "{self._stack[-1]}"',
            )
        return "".join(self.plain)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _coerce(name: str, value: Any) -> Any:
    """Turns form-encoded strings back into the JSON types the Bot API expects."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError as err:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from err
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. "@channelusername"
    if name in _FLOAT_FIELDS:
        return float(value)
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Parses query, JSON, urlencoded and multipart bodies into one dict."""
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    params[key] = _Upload(value.file.read(), value.filename, value.content_type)
                else:
                    params[key] = value
    return {key: _coerce(key, value) for key, value in params.items()}


class FakeUser:
    """A simulated Telegram user talking to the bot in a private chat."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        first_name: str,
        language_code: str | None,
        username: str | None,
    ):
        self.fake = fake
        self.user_id = user_id
        self.chat_id = user_id
        self.first_name = first_name
        self.language_code = language_code
        self.username = username
        self._cursor = 0  # index into fake.sent_to(chat_id) of the first unread message

    def as_dict(self) -> dict:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_dict(self) -> dict:
        chat: dict[str, Any] = {
            "id": self.chat_id,
            "type": "private",
            "first_name": self.first_name,
        }
        if self.username:
            chat["username"] = self.username
        return chat

    def _message(self, **content: Any) -> dict:
        return {
            "message_id": self.fake._next_message_id(self.chat_id),
            "from": self.as_dict(),
            "chat": self.chat_dict(),
            "date": int(time.time()),
            **content,
        }

    def send_text(self, text: str) -> int:
        """Queues a text message; a leading /command gets its bot_command entity."""
        content: dict[str, Any] = {"text": text}
        match = _COMMAND_RE.match(text)
        if match:
            length = _utf16_len(match.group(0))
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.fake.enqueue_update({"message": self._message(**content)})

    def press(
        self, callback_data: str, message_id: int | None = None, *, check: bool = True
    ) -> int:
        """Presses an inline button of the last bot message with a keyboard (or `message_id`).

        With `check`, the button must exist on that message, as it must for a real user.
        """
        message = self.fake._keyboard_message(self.chat_id, message_id)
        if check:
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            offered = [b.get("callback_data") for row in rows for b in row]
            if callback_data not in offered:
                raise ValueError(
                    f"message {message['message_id']} has no button {callback_data!r}: {offered}"
                )
        query_id = str(next(self.fake._callback_ids))
        self.fake._open_callbacks[query_id] = (self.user_id, callback_data)
        query = {
            "id": query_id,
            "from": self.as_dict(),
            "message": json.loads(json.dumps(message)),  # snapshot: later edits must not leak
            "chat_instance": str(-self.chat_id),
            "data": callback_data,
        }
        return self.fake.enqueue_update({"callback_query": query})

    def share_contact(self, phone_number: str) -> int:
        contact = {
            "phone_number": phone_number,
            "first_name": self.first_name,
            "user_id": self.user_id,
        }
        return self.fake.enqueue_update({"message": self._message(contact=contact)})

    def send_photo(self, caption: str | None = None, data: bytes = TINY_PNG) -> int:
        """Queues a photo message; the bytes are downloadable through getFile."""
        stored = self.fake._store_file(data, "photo.png", "image/png", "photos")
        sizes = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": 90,
                "height": 90,
                "file_size": len(data),
            }
        ]
        content: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self.fake.enqueue_update({"message": self._message(**content)})

    def redeliver(self, update_id: int) -> None:
        self.fake.redeliver(update_id)

    @property
    def messages(self) -> list[SentMessage]:
        """Everything the bot sent to this chat so far."""
        return self.fake.sent_to(self.chat_id)

    def drain(self) -> list[SentMessage]:
        """Returns the unread messages without waiting and marks them read."""
        unread = self.messages[self._cursor :]
        self._cursor += len(unread)
        return unread

    async def next_messages(self, count: int = 1, timeout: float = 10.0) -> list[SentMessage]:
        """Waits for and returns exactly the next `count` unread messages (oldest first)."""
        received = await self.fake.wait_for(self.chat_id, self._cursor + count, timeout)
        batch = received[self._cursor : self._cursor + count]
        self._cursor += count
        return batch

    async def ask(self, text: str, count: int = 1, timeout: float = 10.0) -> list[SentMessage]:
        """send_text + next_messages (unread messages from before are returned first)."""
        self.send_text(text)
        return await self.next_messages(count, timeout)

    async def assert_silent(self, wait: float = 0.3) -> None:
        """Fails if the bot sends anything unread to this chat within `wait` seconds."""
        await asyncio.sleep(wait)
        unread = self.drain()
        if unread:
            raise AssertionError(f"unexpected messages to {self.chat_id}: {unread}")


Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class FakeTelegram:
    """The fake Bot API server; see the module docstring."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "tumbuh_test_bot",
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        group_per_minute: int | None = None,
        retry_after: int = 1,
    ):
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.group_per_minute = group_per_minute
        self.retry_after = retry_after
        self.api_root = ""
        self.port = 0

        self.sent: list[SentMessage] = []
        self.chat_actions: list[ChatAction] = []
        self.callback_answers: list[dict] = []
        self.deleted_messages: list[tuple[int, int]] = []
        self.commands: dict[tuple[str, int | None, str], list[dict]] = {}
        self.menu_buttons: dict[int | None, dict] = {}
        self.bot_settings: dict[str, Any] = {}
        self.unknown_methods: list[str] = []
        self.method_counts: Counter[str] = Counter()
        self.request_log: list[RequestRecord] = []
        self.rate_limited: Counter[str] = Counter()  # 429 reasons: injected/global/chat/group
        self.too_many_requests = 0
        self.forbidden = 0
        self.conflicts = 0
        self.updates_served = 0
        self.deleted_webhook = False
        self.webhook_url = ""
        self.blocked: set[int] = set()

        self._users: dict[int, FakeUser] = {}
        self._by_chat: dict[int, list[SentMessage]] = {}
        self._messages: dict[tuple[int, int], dict] = {}
        self._message_ids: dict[int, itertools.count] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(int(time.time()) * 1000)
        self._open_callbacks: dict[str, tuple[int, str]] = {}
        self._pending: list[_Pending] = []
        self._history: dict[int, dict] = {}
        self._poll_generation = 0
        self._inject_429: deque[int | None] = deque()
        self._inject_errors: deque[int] = deque()
        self._global_window = _Window(global_rate) if global_rate else None
        self._chat_windows: dict[int, _Window] = {}
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._update_signal = _Signal()
        self._sent_signal = _Signal()
        self._methods: dict[str, Handler] = {
            name.lower(): getattr(self, f"_api_{name}")
            for name in (
                "getMe",
                "getUpdates",
                "setWebhook",
                "deleteWebhook",
                "getWebhookInfo",
                "sendMessage",
                "sendPhoto",
                "sendDocument",
                "editMessageText",
                "editMessageCaption",
                "editMessageReplyMarkup",
                "deleteMessage",
                "answerCallbackQuery",
                "sendChatAction",
                "setMyCommands",
                "deleteMyCommands",
                "getMyCommands",
                "setChatMenuButton",
                "getChatMenuButton",
                "getFile",
                "close",
                "logOut",
                "setMyDescription",
                "setMyShortDescription",
                "setMyName",
            )
        }

    # ----------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Binds 127.0.0.1 on a free port and sets `api_root`."""
        self._closing = False
        self._update_signal = _Signal()
        self._sent_signal = _Signal()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # A short shutdown timeout: idle keep-alive connections of the bot must not delay stop().
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.api_root = f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        """Releases pending long polls, then closes the server."""
        self._closing = True
        self._update_signal.fire()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- test API

    @property
    def base_url(self) -> str:
        """python-telegram-bot's base_url."""
        return f"{self.api_root}/bot"

    @property
    def base_file_url(self) -> str:
        """python-telegram-bot's base_file_url."""
        return f"{self.api_root}/file/bot"

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str | None = "id",
        username: str | None = None,
    ) -> FakeUser:
        """Returns the simulated user (created on first call, then the same object)."""
        if user_id not in self._users:
            self._users[user_id] = FakeUser(self, user_id, first_name, language_code, username)
        return self._users[user_id]

    def block(self, user_id: int) -> None:
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self.blocked.discard(user_id)

    def inject_429(self, count: int = 1, retry_after: int | None = None) -> None:
        """The next `count` send calls answer 429 (retry_after defaults to the configured one)."""
        self._inject_429.extend([retry_after] * count)

    def inject_error(self, count: int = 1, status: int = 502) -> None:
        """The next `count` send calls fail with HTTP `status` (e.g. 500, 502)."""
        self._inject_errors.extend([status] * count)

    def enqueue_update(self, content: dict) -> int:
        """Queues a raw update ({"message": ...} etc.); returns its update_id."""
        update_id = next(self._update_ids)
        payload = {"update_id": update_id, **content}
        self._history[update_id] = payload
        bisect.insort(self._pending, _Pending(update_id, payload))
        self._update_signal.fire()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Queues an already delivered update again with the same update_id.

        It is served once even though the bot's offset has passed it, as after a crash
        before the offset was confirmed.
        """
        payload = self._history[update_id]
        bisect.insort(self._pending, _Pending(update_id, payload, redelivered=True))
        self._update_signal.fire()

    @property
    def pending_updates(self) -> int:
        return len(self._pending)

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        return list(self._by_chat.get(chat_id, ()))

    def message(self, chat_id: int, message_id: int) -> dict | None:
        """The current state of a bot message (after edits), Telegram-shaped."""
        return self._messages.get((chat_id, message_id))

    async def wait_for(
        self, chat_id: int, count: int = 1, timeout: float = 10.0
    ) -> list[SentMessage]:
        """Waits until at least `count` messages (in total) were sent to `chat_id`."""
        deadline = time.monotonic() + timeout
        while len(self._by_chat.get(chat_id, ())) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = [(m.method, m.text) for m in self._by_chat.get(chat_id, ())]
                raise TimeoutError(
                    f"chat {chat_id}: expected {count} messages within {timeout}s, got {got}"
                )
            await self._sent_signal.wait(remaining)
        return self.sent_to(chat_id)

    async def wait_idle(self, quiet: float = 0.2, timeout: float = 10.0) -> None:
        """Waits until the bot sent nothing for `quiet` seconds (for benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            before = len(self.sent)
            await asyncio.sleep(quiet)
            if len(self.sent) == before:
                return
        raise TimeoutError("the bot kept sending")

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

    # ----------------------------------------------------------------- HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        method = request.match_info["method"]
        self.method_counts[method] += 1
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            handler = self._methods.get(method.lower())
            if handler is None:
                self.unknown_methods.append(method)
                raise ApiError(404, "Not Found: method not found")
            params = await _read_params(request)
            self._admit(method.lower(), params)
            body = {"ok": True, "result": await handler(params)}
            status = 200
        except ApiError as err:
            body, status = err.body(), err.code
        self.request_log.append(RequestRecord(method, status, started, time.monotonic() - started))
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        stored = self._files_by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )

    def _admit(self, method: str, params: dict) -> None:
        """Applies injected failures, blocks and flood limits before a send runs."""
        is_send = method in SEND_METHODS
        if not is_send and method != "sendchataction":
            return
        if is_send and self._inject_errors:
            status = self._inject_errors.popleft()
            raise ApiError(status, "Bad Gateway" if status == 502 else "Internal Server Error")
        if is_send and self._inject_429:
            self._raise_429("injected", self._inject_429.popleft())
        chat_id = params.get("chat_id")
        if chat_id in self.blocked:
            self.forbidden += 1
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not is_send:
            return
        now = time.monotonic()
        windows: list[_Window] = []
        if self._global_window is not None:
            if self._global_window.full(now):
                self._raise_429("global")
            windows.append(self._global_window)
        if isinstance(chat_id, int):
            chat_window = self._chat_window(chat_id)
            if chat_window is not None:
                if chat_window.full(now):
                    self._raise_429("chat" if chat_id > 0 else "group")
                windows.append(chat_window)
        # Only admitted sends occupy the windows, so a rejected burst does not extend the ban.
        for window in windows:
            window.add(now)

    def _chat_window(self, chat_id: int) -> _Window | None:
        window = self._chat_windows.get(chat_id)
        if window is None:
            if chat_id > 0 and self.per_chat_rate:
                window = _Window(self.per_chat_rate)
            elif chat_id < 0 and self.group_per_minute:
                window = _Window(self.group_per_minute / 60.0, period=60.0)
            else:
                return None
            self._chat_windows[chat_id] = window
        return window

    def _raise_429(self, reason: str, retry_after: int | None = None) -> None:
        self.too_many_requests += 1
        self.rate_limited[reason] += 1
        retry = self.retry_after if retry_after is None else retry_after
        raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)

    # ----------------------------------------------------------------- helpers

    def _next_message_id(self, chat_id: int) -> int:
        # Private chats share one message id sequence between the user and the bot.
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _bot_user(self) -> dict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Tumbuh Test",
            "username": self.bot_username,
        }

    def _chat(self, chat_id: int) -> dict:
        user = self._users.get(chat_id)
        if user is not None:
            return user.chat_dict()
        if chat_id < 0:
            return {
                "id": chat_id,
                "type": "supergroup" if chat_id < -(10**12) else "group",
                "title": f"Group {chat_id}",
            }
        return {"id": chat_id, "type": "private", "first_name": "User"}

    def _keyboard_message(self, chat_id: int, message_id: int | None) -> dict:
        if message_id is not None:
            message = self._messages.get((chat_id, message_id))
            if message is None:
                raise ValueError(f"no bot message {message_id} in chat {chat_id}")
            return message
        for sent in reversed(self._by_chat.get(chat_id, [])):
            message = self._messages.get((chat_id, sent.message_id))
            if message and (message.get("reply_markup") or {}).get("inline_keyboard"):
                return message
        raise ValueError(f"no bot message with an inline keyboard in chat {chat_id}")

    def _store_file(
        self, data: bytes, name: str | None, mime: str | None, folder: str
    ) -> StoredFile:
        unique = secrets.token_hex(8)
        file_id = f"FAKE-{folder}-{unique}"
        path = f"{folder}/file_{len(self._files)}{_suffix(name)}"
        stored = StoredFile(file_id, unique, data, name, mime, path)
        self._files[file_id] = stored
        self._files_by_path[path] = stored
        return stored

    def _input_file(self, params: dict, name: str) -> tuple[StoredFile | None, str | None]:
        """Resolves an uploaded part, an attach:// reference, a file_id or a URL."""
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
            if not isinstance(value, _Upload):
                raise ApiError(400, f"Bad Request: wrong HTTP URL specified for {name}")
        if isinstance(value, _Upload):
            if not value.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            stored = self._store_file(value.data, value.filename, value.content_type, name + "s")
            return stored, None
        if isinstance(value, str) and value:
            if value in self._files:
                return self._files[value], None
            if value.startswith(("http://", "https://")):
                return None, value
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        raise ApiError(400, f"Bad Request: there is no {name} in the request")

    def _markup(self, params: dict) -> dict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if not button.get("text"):
                    raise ApiError(400, "Bad Request: inline keyboard button text is empty")
                if set(button) == {"text"}:
                    # A button needs an action (callback_data, url, ...), as on Telegram.
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
        return markup

    @staticmethod
    def _check_text(text: Any, parse_mode: str | None, limit: int, what: str) -> None:
        if not isinstance(text, str):
            return
        plain = text
        if parse_mode and parse_mode.upper() == "HTML":
            plain = _HtmlChecker(text).check(text)
        if _utf16_len(plain) > limit:
            raise ApiError(400, f"Bad Request: {what} is too long")

    def _chat_id(self, params: dict) -> int:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _record(self, method: str, message: dict, params: dict, **extra: Any) -> None:
        chat_id = message["chat"]["id"]
        sent = SentMessage(
            method=method,
            chat_id=chat_id,
            message_id=message["message_id"],
            text=message.get("text", message.get("caption")),
            parse_mode=params.get("parse_mode"),
            # What the bot sent (reply keyboards too); None when an edit dropped the keyboard.
            reply_markup=markup if isinstance(markup := params.get("reply_markup"), dict) else None,
            params=params,
            **extra,
        )
        self.sent.append(sent)
        self._by_chat.setdefault(chat_id, []).append(sent)
        self._sent_signal.fire()

    def _new_message(self, chat_id: int, params: dict, **content: Any) -> dict:
        message = {
            "message_id": self._next_message_id(chat_id),
            "from": self._bot_user(),
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **content,
        }
        markup = self._markup(params)
        if markup and "inline_keyboard" in markup:
            # Telegram echoes only inline keyboards back in the Message.
            message["reply_markup"] = markup
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _edited(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        message = self._messages.get((chat_id, params.get("message_id")))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    # ----------------------------------------------------------------- Bot API methods

    async def _api_getMe(self, params: dict) -> dict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _api_getUpdates(self, params: dict) -> list[dict]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        offset = params.get("offset")
        if isinstance(offset, int) and offset != 0:
            self._confirm(offset)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while not self._pending and not self._closing:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            await self._update_signal.wait(remaining)
            if generation != self._poll_generation:
                # Telegram ends the older of two concurrent long polls this way.
                self.conflicts += 1
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
        batch = self._pending[:limit]
        for item in batch:
            item.redelivered = False  # served once; now the offset may confirm it
        self.updates_served += len(batch)
        return [item.payload for item in batch]

    def _confirm(self, offset: int) -> None:
        if offset < 0:  # Telegram: -N keeps only the last N updates
            del self._pending[:offset]
            return
        self._pending = [
            item for item in self._pending if item.update_id >= offset or item.redelivered
        ]

    async def _api_setWebhook(self, params: dict) -> bool:
        self.webhook_url = params.get("url") or ""
        return True

    async def _api_deleteWebhook(self, params: dict) -> bool:
        self.deleted_webhook = True
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _api_getWebhookInfo(self, params: dict) -> dict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    async def _api_sendMessage(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        self._check_text(text, params.get("parse_mode"), MAX_TEXT_LENGTH, "message")
        message = self._new_message(chat_id, params, text=text)
        self._record("sendMessage", message, params)
        return message

    async def _api_sendPhoto(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        caption = params.get("caption")
        self._check_text(caption, params.get("parse_mode"), MAX_CAPTION_LENGTH, "message caption")
        stored, url = self._input_file(params, "photo")
        file_id = stored.file_id if stored else f"FAKE-url-{secrets.token_hex(8)}"
        sizes = [
            {
                "file_id": file_id,
                "file_unique_id": stored.file_unique_id if stored else file_id,
                "width": 320,
                "height": 320,
                "file_size": len(stored.data) if stored else 0,
            }
        ]
        content: dict[str, Any] = {"photo": sizes}
        if caption:
            content["caption"] = caption
        message = self._new_message(chat_id, params, **content)
        self._record("sendPhoto", message, params, photo=stored.data if stored else None)
        return message

    async def _api_sendDocument(self, params: dict) -> dict:
        chat_id = self._chat_id(params)
        caption = params.get("caption")
        self._check_text(caption, params.get("parse_mode"), MAX_CAPTION_LENGTH, "message caption")
        stored, url = self._input_file(params, "document")
        name = stored.file_name if stored else (url or "").rsplit("/", 1)[-1]
        document: dict[str, Any] = {
            "file_id": stored.file_id if stored else f"FAKE-url-{secrets.token_hex(8)}",
            "file_unique_id": stored.file_unique_id if stored else secrets.token_hex(8),
            "file_name": name,
            "file_size": len(stored.data) if stored else 0,
        }
        if stored and stored.mime_type:
            document["mime_type"] = stored.mime_type
        content: dict[str, Any] = {"document": document}
        if caption:
            content["caption"] = caption
        message = self._new_message(chat_id, params, **content)
        self._record(
            "sendDocument",
            message,
            params,
            document=stored.data if stored else None,
            document_name=name,
        )
        return message

    async def _api_editMessageText(self, params: dict) -> dict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._edited(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        self._check_text(text, params.get("parse_mode"), MAX_TEXT_LENGTH, "message")
        # Omitting reply_markup removes the inline keyboard, as on Telegram.
        markup = self._markup(params)
        if text == message["text"] and markup == message.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = text
        self._set_markup(message, markup)
        self._record("editMessageText", message, params)
        return message

    async def _api_editMessageCaption(self, params: dict) -> dict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._edited(params)
        caption = params.get("caption")
        self._check_text(caption, params.get("parse_mode"), MAX_CAPTION_LENGTH, "message caption")
        markup = self._markup(params)
        if caption == message.get("caption") and markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified")
        if caption:
            message["caption"] = caption
        else:
            message.pop("caption", None)
        self._set_markup(message, markup)
        self._record("editMessageCaption", message, params)
        return message

    async def _api_editMessageReplyMarkup(self, params: dict) -> dict | bool:
        if params.get("inline_message_id"):
            return True
        message = self._edited(params)
        markup = self._markup(params)
        if markup == message.get("reply_markup") or (
            not message.get("reply_markup") and not (markup or {}).get("inline_keyboard")
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        self._set_markup(message, markup)
        self._record("editMessageReplyMarkup", message, params)
        return message

    @staticmethod
    def _set_markup(message: dict, markup: dict | None) -> None:
        message["edit_date"] = int(time.time())
        if markup and markup.get("inline_keyboard"):
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    async def _api_deleteMessage(self, params: dict) -> bool:
        chat_id = self._chat_id(params)
        key = (chat_id, params.get("message_id"))
        if self._messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        self.deleted_messages.append(key)  # type: ignore[arg-type]
        return True

    async def _api_answerCallbackQuery(self, params: dict) -> bool:
        query_id = str(params.get("callback_query_id"))
        opened = self._open_callbacks.pop(query_id, None)
        if opened is None:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        user_id, data = opened
        self.callback_answers.append(
            {
                "callback_query_id": query_id,
                "user_id": user_id,
                "data": data,
                "text": params.get("text"),
                "show_alert": bool(params.get("show_alert")),
                "url": params.get("url"),
                "at": time.monotonic(),
            }
        )
        return True

    async def _api_sendChatAction(self, params: dict) -> bool:
        self.chat_actions.append(ChatAction(self._chat_id(params), str(params.get("action"))))
        return True

    @staticmethod
    def _commands_key(params: dict) -> tuple[str, int | None, str]:
        scope = params.get("scope") or {}
        chat_id = scope.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        return scope.get("type", "default"), chat_id, params.get("language_code") or ""

    async def _api_setMyCommands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "")
            description = command.get("description", "")
            if not _BOT_COMMAND_NAME_RE.fullmatch(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: command description is empty or too long")
        self.commands[self._commands_key(params)] = commands
        return True

    async def _api_deleteMyCommands(self, params: dict) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _api_getMyCommands(self, params: dict) -> list[dict]:
        return self.commands.get(self._commands_key(params), [])

    async def _api_setChatMenuButton(self, params: dict) -> bool:
        self.menu_buttons[params.get("chat_id")] = params.get("menu_button") or {"type": "default"}
        return True

    async def _api_getChatMenuButton(self, params: dict) -> dict:
        button = self.menu_buttons.get(params.get("chat_id")) or self.menu_buttons.get(None)
        return button or {"type": "default"}

    async def _api_getFile(self, params: dict) -> dict:
        stored = self._files.get(str(params.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _api_close(self, params: dict) -> bool:
        return True

    async def _api_logOut(self, params: dict) -> bool:
        return True

    async def _api_setMyDescription(self, params: dict) -> bool:
        self.bot_settings[("description", params.get("language_code") or "")] = params.get(
            "description"
        )
        return True

    async def _api_setMyShortDescription(self, params: dict) -> bool:
        self.bot_settings[("short_description", params.get("language_code") or "")] = params.get(
            "short_description"
        )
        return True

    async def _api_setMyName(self, params: dict) -> bool:
        self.bot_settings[("name", params.get("language_code") or "")] = params.get("name")
        return True


def _suffix(name: str | None) -> str:
    if name and "." in name:
        return "." + name.rsplit(".", 1)[-1]
    return ""
