"""The same scenarios through the real python-telegram-bot and aiogram runtimes, against the
fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.app import build_router
from bot.core import Reply
from bot.router import Router
from storage.models import AuditEntry, User
from tests.e2e.conftest import Bot

pytestmark = pytest.mark.e2e


async def test_stranger_gets_how_to_join_and_a_menu(bot, fake):
    user = fake.user(501, language_code="id")
    [reply] = await user.ask("halo")
    assert "/start KODE" in reply.text and reply.parse_mode == "HTML"
    menus = {key: value for key, value in fake.commands.items() if key[0] == "chat" and key[1] == 501}
    assert menus, fake.commands
    names = [c["command"] for c in next(iter(menus.values()))]
    assert names == ["start", "bantuan", "bahasa"]


async def test_kader_joins_with_invite_and_sees_children(bot, fake, world, db):
    user = fake.user(502, language_code="id")
    [reply] = await user.ask(f"/start {world.invites['kader']}")
    assert "Kader posyandu" in reply.text and "Melati" in reply.text
    menu = fake.commands[("chat", 502, "")]
    assert [c["command"] for c in menu][:3] == ["menu", "ukur", "anak"]
    [listing] = await user.ask("/anak")
    assert [text for text, _ in listing.buttons] == ["Budi Santoso", "Siti Aminah"]
    user.press(dict(listing.buttons)["Siti Aminah"])
    [view] = await user.next_messages()
    assert "<b>Siti Aminah</b>" in view.text
    assert fake.callback_answers  # the spinner was stopped
    async with db.transaction() as session:
        kader = await session.scalar(select(User).where(User.platform_user_id == "502"))
    assert kader.platform == "telegram" and kader.role == "kader"


async def test_family_consent_with_buttons(bot, fake, world, db):
    user = fake.user(503)
    [consent] = await user.ask(f"/start {world.join_a}")
    assert "UU 27/2022" in consent.text
    user.press(dict(consent.buttons)["✅ Setuju"])
    [done] = await user.next_messages()
    assert "Posyandu Melati" in done.text
    async with db.transaction() as session:
        mother = await session.scalar(select(User).where(User.platform_user_id == "503"))
    assert mother.role == "keluarga" and mother.consent_at is not None


async def test_koordinator_invites_through_buttons(bot, fake, world):
    user = fake.user(504)
    await user.ask(f"/start {world.invites['koordinator']}")
    [question] = await user.ask("/undang")
    user.press(dict(question.buttons)["Kader posyandu"])
    [place] = await user.next_messages()
    assert [text for text, _ in place.buttons] == [f"Melati (#{world.posyandu_a})"]
    user.press(place.buttons[0][1])
    [created] = await user.next_messages()
    assert "https://t.me/tumbuh_test_bot?start=" in created.text


async def test_redelivered_update_is_handled_once(bot, fake, world, db):
    user = fake.user(505)
    update_id = user.send_text(f"/start {world.invites['bidan']}")
    await user.next_messages()
    user.redeliver(update_id)
    await user.assert_silent(0.5)
    async with db.transaction() as session:
        redeemed = await session.scalar(select(func.count()).select_from(AuditEntry)
                                        .where(AuditEntry.action == "redeem_invite"))
    assert redeemed == 1


async def test_restart_in_the_middle_of_a_conversation(bot, fake, world):
    user = fake.user(506)
    await user.ask(f"/start {world.invites['koordinator']}")
    [question] = await user.ask("/undang")
    user.press(dict(question.buttons)["Bidan desa"])
    await user.next_messages()
    await bot.stop()
    await bot.start()  # a new process would see exactly this: only the database
    [created] = await user.ask("36.02.01.2001")
    assert "?start=" in created.text


async def test_paging_edits_the_list(bot, fake, db, clock, world):
    from tests.helpers import add_children

    await add_children(db, world.posyandu_a, 10, clock.now)  # 12 in all: two pages
    user = fake.user(507)
    await user.ask(f"/start {world.invites['kader']}")
    [first] = await user.ask("/anak")
    assert "halaman 1/2" in first.text and len(first.buttons) == 9
    user.press(dict(first.buttons)["»"])
    [second] = await user.next_messages()
    assert second.is_edit and second.message_id == first.message_id
    assert "halaman 2/2" in second.text and dict(second.buttons).get("«")


def picture_router() -> Router:
    """The real router plus a test command whose reply is a drawn image."""
    root = build_router()
    extra = Router("test-picture")

    @extra.command("gambar")
    async def picture(ctx):
        from tests.fake_telegram.server import TINY_PNG

        return [Reply(text="Grafik <b>contoh</b>", image_factory=lambda: TINY_PNG)]

    root.include(extra)
    return root


@pytest.mark.parametrize("runtime", ["ptb", "aiogram"])
async def test_image_replies_arrive_as_photos(fake, db, clock, world, runtime):
    from tests.fake_telegram.server import TINY_PNG

    bot = Bot(fake, db, clock, runtime, router=picture_router())
    await bot.start()
    try:
        user = fake.user(700)
        [photo] = await user.ask("/gambar")
        assert photo.method == "sendPhoto" and photo.photo == TINY_PNG
        assert photo.text == "Grafik <b>contoh</b>"
        assert any(a.action == "upload_photo" and a.chat_id == 700 for a in fake.chat_actions)
    finally:
        await bot.stop()
