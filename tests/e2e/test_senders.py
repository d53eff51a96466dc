"""Every shape of Reply through both real Telegram senders, read back from the fake Bot API
server: text with buttons, an edit of the pressed message (and the fallback when it cannot be
edited), a photo with a caption and buttons, a long text beside a photo, a document, a text over
Telegram's length limit, and the per-chat command menu."""

from __future__ import annotations

import pytest

from bot.core import Button, Reply, SetCommands
from bot.delivery import open_sender
from bot.platforms.common import TEXT_LIMIT
from bot.settings import Settings
from tests.fake_telegram.server import TINY_PNG

pytestmark = pytest.mark.e2e

CHAT = 4242
KEYBOARD = [[Button("Ya", "f:yes"), Button("Tidak", "f:no")], [Button("Menu", "m:menu")]]
PRESSED = [("Ya", "f:yes"), ("Tidak", "f:no"), ("Menu", "m:menu")]


@pytest.fixture(params=["ptb", "aiogram"])
async def sender(request, fake):
    settings = Settings(_env_file=None, telegram_token=fake.token,
                        telegram_api_url=fake.api_root, runtime=request.param)
    async with open_sender(settings) as opened:
        yield opened


async def test_text_with_buttons_then_edited(fake, sender):
    await sender.send(str(CHAT), Reply("Anak <b>&lt;b&gt;</b>?", buttons=KEYBOARD))
    [sent] = fake.sent_to(CHAT)
    assert sent.method == "sendMessage" and sent.parse_mode == "HTML"
    assert sent.text == "Anak <b>&lt;b&gt;</b>?" and sent.buttons == PRESSED

    await sender.send(str(CHAT), Reply("Halaman 2", buttons=[[Button("«", "c:1")]], edit=True),
                      edit_message_id=sent.message_id)
    edit = fake.sent_to(CHAT)[-1]
    assert edit.method == "editMessageText" and edit.message_id == sent.message_id
    assert edit.text == "Halaman 2" and edit.parse_mode == "HTML" and edit.buttons == [("«", "c:1")]


async def test_an_edit_that_cannot_be_made_becomes_a_new_message(fake, sender):
    await sender.send(str(CHAT), Reply("Baru", edit=True), edit_message_id=999_999)
    [sent] = fake.sent_to(CHAT)
    assert sent.method == "sendMessage" and sent.text == "Baru" and sent.buttons == []


async def test_photo_with_caption_and_buttons(fake, sender):
    await sender.send(str(CHAT), Reply("Grafik <i>Siti</i>", image=TINY_PNG, buttons=KEYBOARD))
    [photo] = fake.sent_to(CHAT)
    assert photo.method == "sendPhoto" and photo.photo == TINY_PNG
    assert photo.text == "Grafik <i>Siti</i>" and photo.parse_mode == "HTML"
    assert photo.buttons == PRESSED


async def test_long_text_goes_before_the_photo(fake, sender):
    text = "Hasil " + "x" * 1500
    await sender.send(str(CHAT), Reply(text, image=TINY_PNG, buttons=KEYBOARD))
    first, photo = fake.sent_to(CHAT)
    assert first.method == "sendMessage" and first.text == text and first.buttons == []
    assert photo.method == "sendPhoto" and photo.text is None and photo.buttons == PRESSED


async def test_document_with_caption_and_buttons(fake, sender):
    data = b"bulan,D,S\n2026-11,40,50\n"
    await sender.send(str(CHAT), Reply("Laporan", document=data, document_name="laporan.csv",
                                       buttons=[[Button("Menu", "m:menu")]]))
    [document] = fake.sent_to(CHAT)
    assert document.method == "sendDocument" and document.document == data
    assert document.document_name == "laporan.csv" and document.text == "Laporan"
    assert document.buttons == [("Menu", "m:menu")]


async def test_text_over_the_limit_is_split_and_buttons_go_last(fake, sender):
    text = ("baris panjang\n" * 400).strip()
    assert len(text) > TEXT_LIMIT
    await sender.send(str(CHAT), Reply(text, buttons=KEYBOARD))
    parts = fake.sent_to(CHAT)
    assert len(parts) == 2 and all(len(p.text) <= TEXT_LIMIT for p in parts)
    assert "\n".join(p.text for p in parts) == text
    assert parts[0].buttons == [] and parts[1].buttons == PRESSED


async def test_command_menu_and_chat_action(fake, sender):
    await sender.set_commands(str(CHAT), SetCommands((("ukur", "Catat pengukuran"),), "id"))
    await sender.chat_action(str(CHAT), "typing")
    assert fake.method_counts["setMyCommands"] == 1
    assert [(a.chat_id, a.action) for a in fake.chat_actions] == [(CHAT, "typing")]
