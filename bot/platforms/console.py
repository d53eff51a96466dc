r"""The console runtime: talk to the dispatcher in a terminal, as one chosen user.

Buttons are listed as ``[#1] label``; type ``#1`` to press one (typing a button's label also works
inside a conversation). A line ending in ``\`` continues on the next line, so one message can
hold several lines. Images and documents are written to files and their paths printed.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.core import Incoming, Outcome, Reply
from bot.dispatch import Dispatcher
from bot.platforms.common import html_to_plain

PLATFORM = "console"


class ConsoleChat:
    def __init__(
        self,
        dispatcher: Dispatcher,
        user_id: str,
        *,
        out: TextIO = sys.stdout,
        files: Path | None = None,
    ) -> None:
        self.dispatcher = dispatcher
        self.user_id = user_id
        self.out = out
        self.files = files or Path(tempfile.gettempdir()) / "tumbuh-console"
        self.buttons: list[str] = []  # payloads of the last reply's buttons
        self.counter = itertools.count(1)

    def incoming(self, line: str) -> Incoming:
        line = line.strip()
        payload = None
        if line.startswith("#") and line[1:].isdigit():
            index = int(line[1:]) - 1
            if 0 <= index < len(self.buttons):
                payload = self.buttons[index]
        return Incoming(
            platform=PLATFORM,
            user_id=self.user_id,
            chat_id=self.user_id,
            text=None if payload else line,
            payload=payload,
        )

    async def say(self, line: str) -> Outcome:
        outcome = await self.dispatcher.handle(self.incoming(line))
        self.show(outcome)
        return outcome

    def show(self, outcome: Outcome) -> None:
        buttons: list[str] = []
        for reply in outcome.replies:
            self._print(reply, buttons)
        if buttons:
            self.buttons = buttons

    def _print(self, reply: Reply, buttons: list[str]) -> None:
        if reply.text:
            self.out.write(html_to_plain(reply.text) + "\n")
        for row in reply.buttons:
            cells = []
            for button in row:
                buttons.append(button.payload)
                cells.append(f"[#{len(buttons)}] {button.text}")
            self.out.write("   ".join(cells) + "\n")
        if reply.image is not None:
            self.out.write(f"(gambar: {self._save(reply.image, 'png')})\n")
        if reply.document is not None:
            self.out.write(f"(dokumen: {self._save(reply.document, reply.document_name or 'bin')})\n")
        self.out.write("\n")
        self.out.flush()

    def _save(self, data: bytes, name: str) -> Path:
        self.files.mkdir(parents=True, exist_ok=True)
        suffix = name if "." in name else f"out.{name}"
        path = self.files / f"{next(self.counter)}-{suffix}"
        path.write_bytes(data)
        return path

    async def run(self, stdin: TextIO = sys.stdin) -> None:
        """Read lines until end of input (Ctrl-D) or ``/keluar``."""
        interactive = stdin.isatty()
        while True:
            if interactive:
                self.out.write("> ")
                self.out.flush()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            # A line ending in "\" continues the message (a pasted /ukur batch, for example).
            while line.rstrip("\n").endswith("\\"):
                more = await asyncio.to_thread(stdin.readline)
                line = line.rstrip("\n")[:-1] + "\n" + more
                if not more:
                    break
            if line.strip() in ("/keluar", "/exit", "/quit"):
                break
            if line.strip():
                await self.say(line)
