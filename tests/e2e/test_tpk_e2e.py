"""A TPK visit with a danger sign, through both Telegram runtimes: the bidan gets one urgent
notice through the outbox and delivery, and a second delivery run sends nothing more."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from bot.delivery import Delivery, open_sender
from storage.models import User
from storage.outbox import OutboxMessage
from storage.registry import create_invite
from storage.targets import Target

pytestmark = pytest.mark.e2e
DESA = "36.02.01.2001"


async def test_danger_sign_reaches_the_bidan_once(bot, fake, db, world, clock):
    async with db.transaction() as session:
        invite = await create_invite(session, role="tpk", area_code=DESA, now=clock.now)
        session.add(Target(kind="hamil", name="Rina Wati", sex="P", desa_code=DESA,
                           hpht=dt.date(2026, 9, 11), created_at=clock.now))
        # The world's bidan of the desa is a Telegram user here (chat 902).
        await session.execute(update(User).where(User.id == world.users["bidan_a"])
                              .values(platform="telegram", platform_user_id="902", chat_id="902"))
    tpk, bidan = fake.user(901), fake.user(902)
    [joined] = await tpk.ask(f"/start {invite.code}")
    assert "TPK" in joined.text

    [question] = await tpk.ask("/kunjungan")
    tpk.press(dict(question.buttons)["Rina Wati · Ibu hamil"])
    [summary] = await tpk.next_messages()
    assert "Kehamilan 10 minggu" in summary.text
    tpk.press(dict(summary.buttons)["▶️ Mulai kunjungan"])
    [day] = await tpk.next_messages()
    tpk.press(dict(day.buttons)["Hari ini"])
    await tpk.next_messages()
    typo, again = await tpk.ask("235", count=2)  # the reason, then the question again
    assert "Maksud Anda <b>23,5</b> cm" in typo.text and "LILA" in again.text
    await tpk.ask("23,5")
    await tpk.ask("11")
    await tpk.ask("30")
    [signs] = await tpk.ask("1")
    tpk.press(dict(signs.buttons)["Perdarahan"])
    [toggled] = await tpk.next_messages()
    tpk.press(dict(toggled.buttons)["✔️ Selesai"])
    [result] = await tpk.next_messages()
    assert "TANDA BAHAYA" in result.text and "Bidan desa sudah diberi tahu" in result.text

    async with db.transaction() as session:
        [row] = (await session.scalars(select(OutboxMessage))).all()
    assert row.priority == 0 and row.chat_id == "902"
    async with open_sender(bot.settings) as sender:
        stats = await Delivery(db, sender, rate=30).run_until_idle(timeout=20)
        again = await Delivery(db, sender, rate=30).run_until_idle(timeout=5)
    assert stats["sent"] == 1 and again.get("sent", 0) == 0
    [notice] = fake.sent_to(902)
    assert "SEGERA" in notice.text and "Rina Wati" in notice.text and "Perdarahan" in notice.text
    assert notice.parse_mode == "HTML"
    assert len(bidan.messages) == 1
