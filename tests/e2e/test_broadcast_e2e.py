"""A coordinator broadcasts to the families of her kecamatan through a real Telegram runtime and
delivery, against the fake Bot API server: each family there gets it once, nobody else does,
and /siaran shows the counts (one family had blocked the bot)."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.delivery import Delivery, open_sender
from bot.settings import Settings
from storage.models import User, utcnow

pytestmark = pytest.mark.e2e

MALINGPING_FAMILIES = (9101, 9102, 9103)
WANASALAM_FAMILY = 9201


async def add_families(db, world) -> None:
    async with db.transaction() as session:
        for chat, posyandu in [*((c, world.posyandu_a) for c in MALINGPING_FAMILIES),
                               (WANASALAM_FAMILY, world.posyandu_b)]:
            session.add(User(platform="telegram", platform_user_id=str(chat), chat_id=str(chat),
                             role="keluarga", posyandu_id=posyandu, locale="id",
                             locale_chosen=False, consent_version="t", consent_at=utcnow(),
                             created_at=utcnow()))
        # The world's console families blocked the bot long ago: never in an audience.
        await session.execute(update(User).where(User.platform == "test", User.role == "keluarga")
                              .values(blocked_at=utcnow()))


def button(message, label: str) -> str:
    return dict(message.buttons)[label]


async def test_broadcast_reaches_each_family_of_the_kecamatan_once(bot, fake, db, world):
    await add_families(db, world)
    fake.block(9103)  # blocked the bot, which does not know it yet
    koor = fake.user(9001)
    await koor.ask(f"/start {world.invites['koordinator']}")
    [kind] = await koor.ask("/siaran baru")
    koor.press(button(kind, "✍️ Tulis pesan sendiri"))
    await koor.next_messages()
    [area] = await koor.ask("Gebyar timbang serentak hari Sabtu di semua posyandu.")
    koor.press(button(area, "Seluruh wilayah saya"))
    [roles] = await koor.next_messages()
    koor.press(button(roles, "▫️ Keluarga"))
    [roles] = await koor.next_messages()
    koor.press(button(roles, "Lanjut ➡️"))
    [groups] = await koor.next_messages()
    koor.press(button(groups, "Lanjut ➡️"))
    [preview] = await koor.next_messages()
    assert "Penerima: 3 orang" in preview.text
    koor.press(button(preview, "📤 Kirim sekarang"))
    [started] = await koor.next_messages()
    assert "dikirim ke 3 orang" in started.text

    settings = Settings(_env_file=None, database_url=db.url, telegram_token=fake.token,
                        telegram_api_url=fake.api_root, runtime=bot.settings.runtime)
    async with open_sender(settings) as sender:
        stats = await Delivery(db, sender, rate=30).run_until_idle(timeout=30)
    assert stats["sent"] == 2 and stats["blocked"] == 1
    got = [m for m in fake.sent if "Gebyar timbang serentak" in (m.text or "")
           and m.chat_id != 9001]
    assert sorted(m.chat_id for m in got) == [9101, 9102]
    assert all("Siaran" in m.text and "Kecamatan Malingping" in m.text for m in got)
    assert not fake.sent_to(WANASALAM_FAMILY) and not fake.sent_to(9103)

    [listing] = await koor.ask("/siaran")
    assert "selesai" in listing.text
    assert "Penerima 3 · terkirim 2 · gagal 0 · memblokir 1" in listing.text
