"""Platform adapters: python-telegram-bot, aiogram and the console. Thin, no domain logic."""

from __future__ import annotations

from bot.dispatch import Dispatcher
from bot.settings import Settings


def make_runtime(settings: Settings, dispatcher: Dispatcher):
    """The configured Telegram runtime; frameworks are imported only when chosen."""
    if settings.runtime == "aiogram":
        from bot.platforms.aiogram_adapter import AiogramRuntime

        return AiogramRuntime(settings, dispatcher)
    from bot.platforms.ptb import PtbRuntime

    return PtbRuntime(settings, dispatcher)
