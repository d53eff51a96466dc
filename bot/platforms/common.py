"""What every platform adapter shares: the send errors delivery understands, and text limits."""

from __future__ import annotations

import html
import re

TEXT_LIMIT = 4096  # Telegram's message length
CAPTION_LIMIT = 1024


class SendError(Exception):
    """A platform send failed; subclasses tell delivery what to do next."""


class Blocked(SendError):
    """The user blocked the bot (HTTP 403): stop sending to them."""


class RetryAfter(SendError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class Transient(SendError):
    """Network trouble or a 5xx: try again later."""


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split at line breaks so no message passes the platform's limit."""
    if len(text) <= limit:
        return [text]
    parts, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:
            parts.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) + 1 > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        parts.append(current)
    return parts


_TAG = re.compile(r"<[^>]+>")


def html_to_plain(text: str) -> str:
    """Telegram HTML to terminal text (console runtime)."""
    return html.unescape(_TAG.sub("", text))
