"""Fake Telegram Bot API server used by the tests and benchmarks."""

from tests.fake_telegram.server import (
    RATE_TOLERANCE,
    ApiError,
    ChatAction,
    FakeTelegram,
    FakeUser,
    RequestRecord,
    SentMessage,
)

__all__ = [
    "RATE_TOLERANCE",
    "ApiError",
    "ChatAction",
    "FakeTelegram",
    "FakeUser",
    "RequestRecord",
    "SentMessage",
]
