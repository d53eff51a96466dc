"""Process plumbing shared by the throughput benches (``updates.py``, ``measure.py``): the bot's
memory and CPU, the machine's load, and feeding updates into the fake Bot API server."""

from __future__ import annotations

import asyncio
import contextlib

import psutil


class RssSampler:
    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.last = 0

    async def run(self) -> None:
        with contextlib.suppress(psutil.Error):
            while True:
                self.last = self.process.memory_info().rss
                self.peak = max(self.peak, self.last)
                await asyncio.sleep(0.05)


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system + times.children_user + times.children_system


def machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


async def feed(fake, plan: list, backlog: int) -> None:
    """Enqueue the plan's texts, keeping at most ``backlog`` updates waiting in the fake."""
    position = 0
    while position < len(plan):
        room = backlog - fake.pending_updates
        for user, text in plan[position:position + max(room, 0)]:
            user.send_text(text)
        position += max(room, 0)
        await asyncio.sleep(0.002)
