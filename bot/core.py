"""The platform-neutral message types: what came in, what goes out, and side effects.

Adapters in ``bot/platforms`` turn a platform update into an ``Incoming`` and apply the
``Outcome`` (replies and effects) with the platform's calls. Everything between sees only these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

CALLBACK_LIMIT = 64  # Telegram's callback_data limit, in bytes


@dataclass(frozen=True, slots=True)
class Contact:
    phone_number: str
    user_id: str | None = None  # set when the user shared their own contact


@dataclass(frozen=True, slots=True)
class Incoming:
    platform: str
    user_id: str
    chat_id: str
    update_id: int | None = None
    text: str | None = None
    payload: str | None = None  # a pressed button's callback data
    contact: Contact | None = None
    photo_id: str | None = None
    language: str | None = None  # the platform's language code for the user, e.g. "en"
    display_name: str | None = None  # never stored; used only in greetings

    @property
    def command(self) -> tuple[str, str] | None:
        """("/start", "ABC") for "/start ABC"; also strips a "@botname" suffix."""
        if not self.text or not self.text.startswith("/"):
            return None
        # Split on any white space: "/ukur\nSiti 8,2 72,5\n..." is a command with lines after it.
        head, *rest = self.text.strip().split(maxsplit=1)
        name = head.split("@", 1)[0].lower()
        return name, rest[0].strip() if rest else ""


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    payload: str

    def __post_init__(self) -> None:
        if len(self.payload.encode()) > CALLBACK_LIMIT:
            raise ValueError(f"button payload over {CALLBACK_LIMIT} bytes: {self.payload!r}")


@dataclass(slots=True)
class Reply:
    """One message to the user who wrote. ``text`` is Telegram HTML."""

    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    image: bytes | None = None
    # Drawn after the transaction, in a worker thread, so a chart never holds up other users.
    image_factory: Callable[[], bytes] | None = None
    document: bytes | None = None
    document_name: str | None = None
    edit: bool = False  # replace the message whose button was pressed, where the platform can


@dataclass(frozen=True, slots=True)
class SetCommands:
    """Show this chat the command menu of its role, in its language."""

    commands: tuple[tuple[str, str], ...]
    locale: str


@dataclass(slots=True)
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    effects: list[SetCommands] = field(default_factory=list)
    duplicate: bool = False  # the update was handled before and was ignored
