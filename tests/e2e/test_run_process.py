"""`tumbuh run` as a real process: polls the fake Bot API server, answers, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import pytest

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("runtime", ["ptb", "aiogram"])
async def test_tumbuh_run_answers_and_stops_cleanly(fake, tmp_path, runtime):
    env = {
        **os.environ,
        "TUMBUH_DATABASE_URL": f"sqlite:///{tmp_path}/run.db",
        "TUMBUH_TELEGRAM_TOKEN": fake.token,
        "TUMBUH_TELEGRAM_API_URL": fake.api_root,
        "TUMBUH_RUNTIME": runtime,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        user = fake.user(901)
        [reply] = await user.ask("/start", timeout=60)
        assert "Selamat datang" in reply.text
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        except TimeoutError:
            process.kill()
            raise
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b"Traceback" not in stderr, stderr.decode()[-3000:]
