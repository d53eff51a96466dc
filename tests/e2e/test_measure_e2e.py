"""A kader registers a child and reports a measurement through both Telegram runtimes."""

from __future__ import annotations

import datetime as dt

import pytest

from growth.zscores import compute_one

pytestmark = pytest.mark.e2e


async def test_register_measure_and_chart(bot, fake, world):
    kader = fake.user(801)
    await kader.ask(f"/start {world.invites['kader']}")
    [question] = await kader.ask("/anak_baru")
    assert "Nama lengkap" in question.text
    [sex] = await kader.ask("Putri Ayu")
    kader.press(dict(sex.buttons)["Perempuan"])
    await kader.next_messages()
    await kader.ask("29/4/2025")
    [kia] = await kader.ask("Rina")
    kader.press(dict(kia.buttons)["Ya"])
    [nik] = await kader.next_messages()
    kader.press(dict(nik.buttons)["Lewati"])
    [contact] = await kader.next_messages()
    kader.press(dict(contact.buttons)["Lewati"])
    [registered] = await kader.next_messages()
    assert "Putri Ayu</b> terdaftar" in registered.text

    [result] = await kader.ask("/ukur Putri 7,9 68,5")
    assert result.method == "sendPhoto" and result.photo.startswith(b"\x89PNG")
    assert len(result.photo) < 150_000
    days = (dt.date(2026, 11, 20) - dt.date(2025, 4, 29)).days
    who = compute_one(sex=2, age_days=days, weight=7.9, lenhei=68.5, measure="l")
    assert f"PB/U: {who['zlen']:.2f}".replace(".", ",") in result.text
    assert f"BB/PB: {who['zwfl']:.2f}".replace(".", ",") in result.text
    assert any(a.action == "upload_photo" for a in fake.chat_actions)
