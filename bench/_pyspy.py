"""py-spy around a benchmark's timed window, and a plain-text summary of its raw output.

``Recorder(pid, path)`` starts ``py-spy record --gil`` (only samples that hold the GIL, i.e.
Python CPU time, not waiting) on a running process; ``stop()`` ends it and ``summary(path)``
returns the heaviest functions by self and inclusive time, line numbers folded away.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import sys
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


def py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


class Recorder:
    def __init__(self, pid: int, path: Path, rate: int = 200) -> None:
        self.pid, self.path, self.rate = pid, path, rate
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        executable = py_spy()
        if executable is None:
            raise SystemExit("bench: --profile needs py-spy (pip install py-spy)")
        self.process = await asyncio.create_subprocess_exec(
            executable, "record", "--gil", "--nonblocking", "--rate", str(self.rate),
            "--format", "raw", "--output", str(self.path), "--pid", str(self.pid),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.sleep(0.5)  # attached before the clock starts

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            await asyncio.wait_for(self.process.wait(), 30)


def _function(frame: str) -> str:
    return _LINE.sub(")", frame.strip())


def summary(path: Path, top: int = 20, project: tuple[str, ...] = ("(bot/", "(storage/",
                                                                   "(templates/")) -> str:
    """Self and inclusive shares of the samples, by function."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = [_function(f) for f in stack.split(";")]
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples
    if not total:
        return "no samples"
    lines = [f"{total:,} samples holding the GIL", "self time:"]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    lines.append("inclusive time, Tumbuh's own functions:")
    ours = [(f, n) for f, n in inclusive.most_common() if any(p in f for p in project)]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in ours[:top]]
    lines.append("inclusive time, everything:")
    lines += [f"  {n / total:6.1%}  {f}" for f, n in inclusive.most_common(top * 2)]
    return "\n".join(lines)
