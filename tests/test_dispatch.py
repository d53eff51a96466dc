"""The dispatcher: registration, consent, conversations, redelivery, restart, ordering."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from bot.app import build_dispatcher
from bot.core import Incoming
from bot.dispatch import chat_action_after
from storage.models import AuditEntry, ConversationSession, Invite, User
from tests.helpers import Talk, joined


async def user_row(db, platform_user_id: str) -> User | None:
    async with db.transaction() as session:
        return await session.scalar(select(User).where(User.platform_user_id == platform_user_id))


async def test_unregistered_user_is_told_how_to_join(dispatcher, world):
    talk = Talk(dispatcher, "stranger")
    text = await talk.text("halo")
    assert "/start KODE" in text
    assert "Keluarga" in text


async def test_invite_registers_once(dispatcher, world, db):
    talk = Talk(dispatcher, "new_kader")
    text = await talk.text(f"/start {world.invites['kader']}")
    assert "Kader posyandu" in text and "Posyandu Melati" in text
    user = await user_row(db, "new_kader")
    assert (user.role, user.posyandu_id) == ("kader", world.posyandu_a)
    # The same code again: this user is told they are registered; anybody else that it is used.
    assert "sudah Anda pakai" in await talk.text(f"/start {world.invites['kader']}")
    other = Talk(dispatcher, "someone_else")
    assert "sudah dipakai" in await other.text(f"/start {world.invites['kader'].lower()}")
    assert (await user_row(db, "someone_else")).role is None


async def test_unknown_and_expired_codes(dispatcher, world, db, clock):
    talk = Talk(dispatcher, "x")
    assert "tidak dikenal" in await talk.text("/start NOPE99")
    clock.now += dt.timedelta(days=15)
    assert "kedaluwarsa" in await talk.text(f"/start {world.invites['bidan']}")
    assert (await user_row(db, "x")).role is None


async def test_registration_sets_command_menu_in_users_language(dispatcher, world):
    talk = Talk(dispatcher, "english_bidan", language="en")
    await talk.say("hello")
    first = talk.last.effects
    assert first and first[0].locale == "en" and ("start", "Start / join with a code") in first[0].commands
    await talk.say(f"/start {world.invites['bidan']}")
    effects = talk.last.effects
    assert len(effects) == 1 and effects[0].locale == "en"
    assert [name for name, _ in effects[0].commands][:2] == ["menu", "anak"]
    await talk.say("/menu")
    assert talk.last.effects == []  # unchanged role and language: not set again


async def test_family_consent_accepted_is_recorded(dispatcher, world, db, clock):
    talk = Talk(dispatcher, "new_mother")
    replies = await talk.say(f"/start {world.join_a}")
    assert "UU 27/2022" in joined(replies) and replies[-1].buttons
    assert (await user_row(db, "new_mother")).role is None
    text = joined(await talk.press("✅ Setuju"))
    assert "Posyandu Melati" in text
    user = await user_row(db, "new_mother")
    assert user.role == "keluarga" and user.posyandu_id == world.posyandu_a
    assert user.consent_at == clock.now and user.consent_version
    async with db.transaction() as session:
        actions = (await session.scalars(
            select(AuditEntry.action).where(AuditEntry.actor_user_id == user.id))).all()
    assert "consent" in actions


async def test_family_consent_refused_stores_nothing(dispatcher, world, db):
    talk = Talk(dispatcher, "hesitant")
    await talk.say(f"/start {world.join_a}")
    text = joined(await talk.press("Tidak setuju"))
    assert "tidak ada data Anda yang disimpan" in text and "/start" in text
    assert await user_row(db, "hesitant") is None


async def test_wrong_answer_repeats_question_and_changes_nothing(dispatcher, world, db):
    talk = Talk(dispatcher, "unsure")
    await talk.say(f"/start {world.join_a}")
    replies = await talk.say("mungkin")
    assert "pilih salah satu tombol" in replies[0].text
    assert "Apakah Anda setuju" in replies[1].text and replies[1].buttons
    assert (await user_row(db, "unsure")).role is None


async def test_typed_button_label_counts(dispatcher, world, db):
    talk = Talk(dispatcher, "typist")
    await talk.say(f"/start {world.join_a}")
    await talk.say("✅ setuju")
    assert (await user_row(db, "typist")).role == "keluarga"


async def test_cancel_and_back(dispatcher, world, db):
    talk = Talk(dispatcher, "koor_malingping")
    assert "Siapa yang ingin Anda undang" in await talk.text("/undang")
    await talk.press("Kader posyandu")
    assert "ini sudah pertanyaan pertama" not in (await talk.text("/kembali")).lower()
    assert "Siapa yang ingin Anda undang" in talk.last.replies[-1].text
    assert "sudah pertanyaan pertama" in await talk.text("/kembali")
    assert "Dibatalkan" in await talk.text("/batal")
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationSession)) == 0
    assert "Tidak ada percakapan" in await talk.text("/batal")


async def test_command_in_the_middle_of_a_conversation(dispatcher, world):
    talk = Talk(dispatcher, "koor_malingping")
    await talk.say("/undang")
    # A help command answers and the open question is asked again.
    replies = await talk.say("/bantuan")
    assert "koordinator" in replies[0].text and "Siapa yang ingin Anda undang" in replies[-1].text
    # Another command takes over.
    text = await talk.text("/anak")
    assert "Daftar anak" in text
    # The interrupted conversation is over: its answer is now just text.
    assert "belum mengerti" in await talk.text("Kader posyandu")


async def test_stale_button_is_recognised(dispatcher, world):
    talk = Talk(dispatcher, "koor_malingping")
    await talk.say("/undang")
    old = dict(talk.buttons)
    await talk.press("Kader posyandu")
    replies = await talk.press(old["Bidan desa"])
    assert "sudah tidak berlaku" in replies[0].text
    assert "Di mana" in replies[-1].text


async def test_restart_continues_the_conversation(db, settings, clock, world):
    first = build_dispatcher(settings, db, clock=clock)
    talk = Talk(first, "koor_malingping")
    await talk.say("/undang")
    await talk.press("Bidan desa")
    # A new dispatcher over a new connection pool: nothing carried in memory.
    from storage.db import Database

    again = Database(db.url)
    try:
        second = build_dispatcher(settings, again, clock=clock)
        talk.dispatcher = second
        text = await talk.text("36.02.01.2001")
        assert "t.me/tumbuh_test_bot?start=" in text
    finally:
        await again.dispose()
    async with db.transaction() as session:
        invite = await session.scalar(select(Invite).where(Invite.role == "bidan",
                                                           Invite.created_by.is_not(None)))
    assert invite.area_code == "36.02.01.2001"


async def test_redelivered_update_is_handled_once(dispatcher, world, db):
    talk = Talk(dispatcher, "new_kader")
    incoming = talk.incoming(text=f"/start {world.invites['kader']}")
    first = await dispatcher.handle(incoming)
    again = await dispatcher.handle(incoming)
    assert first.replies and not first.duplicate
    assert again.duplicate and again.replies == []
    async with db.transaction() as session:
        redeemed = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "redeem_invite"))
    assert redeemed == 1


async def test_one_users_messages_are_handled_in_order(dispatcher, world, db):
    """Concurrent updates of one user run one at a time, in arrival order."""
    talk = Talk(dispatcher, "koor_malingping")
    seen: list[str] = []
    original = dispatcher._route

    async def slow_route(ctx):
        seen.append(f"start:{ctx.incoming.text}")
        await asyncio.sleep(0.01)
        replies = await original(ctx)
        seen.append(f"end:{ctx.incoming.text}")
        return replies

    dispatcher._route = slow_route
    messages = ["/undang", "Bidan desa", "36.02.01.2001"]
    await asyncio.gather(*(dispatcher.handle(talk.incoming(text=m)) for m in messages))
    assert seen == [f"{edge}:{m}" for m in messages for edge in ("start", "end")]
    async with db.transaction() as session:
        invite = await session.scalar(select(Invite).where(Invite.created_by.is_not(None)))
    assert invite is not None and invite.role == "bidan"


async def test_different_users_run_concurrently(dispatcher, world):
    results = await asyncio.gather(*(
        dispatcher.handle(Incoming(platform="test", user_id=f"u{i}", chat_id=f"u{i}", text="/start",
                                   update_id=50_000 + i))
        for i in range(20)
    ))
    assert all(o.replies for o in results)


async def test_language_switch(dispatcher, world, db):
    talk = Talk(dispatcher, "kader_a")
    await talk.say("/bahasa")
    text = joined(await talk.press("English"))
    assert "English" in text
    assert "Children" in await talk.text("/anak")
    user = await user_row(db, "kader_a")
    assert user.locale == "en" and user.locale_chosen
    # An explicit choice beats the platform's language code.
    talk.language = "id"
    assert "Children" in await talk.text("/anak")


async def test_unknown_command_and_role_limits(dispatcher, world):
    talk = Talk(dispatcher, "ibu_a1")
    assert "tidak ada" in await talk.text("/terbang")
    assert "bukan untuk peran Anda" in await talk.text("/undang")
    stranger = Talk(dispatcher, "stranger")
    assert "belum terdaftar" in await stranger.text("/anak")


async def test_handler_failure_answers_and_rolls_back(dispatcher, world, db, caplog):
    talk = Talk(dispatcher, "kader_a")

    async def broken(ctx):
        ctx.user.role = "admin"  # must not be stored
        raise RuntimeError("boom")

    dispatcher._route = broken
    text = await talk.text("/anak")
    assert "terjadi gangguan" in text
    assert (await user_row(db, "kader_a")).role == "kader"


async def test_per_user_locks_do_not_accumulate(dispatcher, world):
    await asyncio.gather(*(
        dispatcher.handle(Incoming(platform="test", user_id=f"v{i}", chat_id=f"v{i}", text="/start",
                                   update_id=60_000 + i))
        for i in range(30)
    ))
    assert len(dispatcher.locks) == 0


async def test_typing_is_shown_only_when_the_answer_takes_a_while():
    actions: list[str] = []

    async def send(action: str) -> None:
        actions.append(action)

    async with chat_action_after(0.02, send):
        pass  # a quick answer: no "typing"
    await asyncio.sleep(0.05)  # the cancelled timer does not fire later either
    assert actions == []
    async with chat_action_after(0.02, send):
        await asyncio.sleep(0.1)
    assert actions == ["typing"]
