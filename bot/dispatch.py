"""The dispatcher: who is this, where are they in a conversation, what do they want.

For each ``Incoming``: take the user's turn (in-process lock, and on PostgreSQL an advisory lock),
skip an update id seen before, load or create the user and their saved conversation, route to
``/batal``/``/kembali``, a command, a button, the running conversation or the fallback, save the
new conversation state and the processed update id in the same transaction, and hand the
outcome to the adapter while the turn is still held, so one user's replies stay in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

import templates
from bot import conversation
from bot.context import Context, FlowState
from bot.core import Incoming, Outcome, Reply, SetCommands
from bot.locks import KeyedLocks
from bot.roles import menu_of
from bot.router import Router
from bot.settings import Settings
from storage.db import Database
from storage.models import ConversationSession, ProcessedUpdate, User, utcnow

log = logging.getLogger(__name__)

TYPING_AFTER = 0.5  # seconds before "typing" is shown
Deliver = Callable[[Outcome], Awaitable[None]]
ChatAction = Callable[[str], Awaitable[None]]

# Statements every update runs, built once: building a statement costs about as much as running
# it on SQLite (argument coercion, cache key), and these run for every update. The user is an ORM
# object (handlers read and change it); the saved conversation only plain columns of the same
# row, written back with Core statements: loading it as a second ORM object cost more than
# SQLite spent on the whole statement.
_FLOWS = ConversationSession.__table__
_USER_AND_FLOW = (
    select(User, _FLOWS.c.flow, _FLOWS.c.step, _FLOWS.c.data, _FLOWS.c.updated_at)
    .outerjoin(_FLOWS, _FLOWS.c.user_id == User.id)
    .where(User.platform == bindparam("platform"), User.platform_user_id == bindparam("user"))
)
_INSERT_FLOW = insert(_FLOWS)
_UPDATE_FLOW = update(_FLOWS).where(_FLOWS.c.user_id == bindparam("user"))
_DELETE_FLOW = delete(_FLOWS).where(_FLOWS.c.user_id == bindparam("user"))
_CLAIM = {
    name: insert_of(ProcessedUpdate.__table__).on_conflict_do_nothing()
    for name, insert_of in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


@dataclass(frozen=True, slots=True)
class SavedFlow:
    """The conversation row as read at the start of the update."""

    flow: str
    step: int
    data: dict
    updated_at: dt.datetime


class Dispatcher:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        router: Router,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.db = db
        self.settings = settings
        self.router = router
        self.clock = clock
        self.locks = KeyedLocks()
        self.bot_username: str | None = settings.bot_username  # a runtime sets it from getMe

    async def handle(
        self,
        incoming: Incoming,
        deliver: Deliver | None = None,
        chat_action: ChatAction | None = None,
    ) -> Outcome:
        """Handle one input; ``deliver`` sends the outcome while the user's turn is held.

        ``chat_action`` shows "typing" when the answer takes more than a moment once it is this
        user's turn (not while waiting for it), and "upload_photo" while a chart is drawn.
        """
        async with self.locks.hold((incoming.platform, incoming.user_id)):
            async with chat_action_after(TYPING_AFTER, chat_action):
                outcome = await self._handle(incoming)
                for reply in outcome.replies:
                    if reply.image_factory is not None and reply.image is None:
                        if chat_action is not None:
                            await chat_action("upload_photo")
                        reply.image = await asyncio.to_thread(reply.image_factory)
                        reply.image_factory = None
            if deliver is not None:
                await deliver(outcome)
            return outcome

    async def _handle(self, incoming: Incoming) -> Outcome:
        try:
            async with self.db.transaction() as session:
                await self.db.advisory_lock(session, "user", incoming.platform, incoming.user_id)
                if not await self._claim(session, incoming):
                    return Outcome(duplicate=True)
                ctx, saved = await self._context(session, incoming)
                replies = await self._route(ctx)
                if ctx.forget_user:
                    ctx.flow = None
                    await self._save_flow(session, ctx, saved)
                    await session.delete(ctx.user)
                else:
                    await self._save_flow(session, ctx, saved)
                    self._menu(ctx)
                return Outcome(replies=replies, effects=ctx.effects)
        except Exception:
            # Nothing personal in the log: the update id and the traceback of our own code.
            log.exception("update %s of %s failed", incoming.update_id, incoming.platform)
            await self._mark_failed(incoming)
            locale = _locale_of(incoming.language, self.settings.locale)
            return Outcome(replies=[Reply(templates.render(locale, "errors/internal"))])

    async def _claim(self, session: AsyncSession, incoming: Incoming) -> bool:
        """Record the update id; False when it was handled before. Part of the transaction, so
        an update whose handling fails is not marked (``_mark_failed`` does that apart)."""
        if incoming.update_id is None:
            return True
        claim = _CLAIM["postgresql" if self.db.engine.dialect.name == "postgresql" else "sqlite"]
        result = await session.execute(
            claim, {"platform": incoming.platform, "update_id": incoming.update_id,
                    "processed_at": self.clock()}
        )
        return bool(result.rowcount)

    async def _mark_failed(self, incoming: Incoming) -> None:
        """A failing update is not retried forever on redelivery."""
        try:
            async with self.db.transaction() as session:
                await self._claim(session, incoming)
        except Exception:
            log.exception("could not mark update %s", incoming.update_id)

    async def _context(
        self, session: AsyncSession, incoming: Incoming
    ) -> tuple[Context, SavedFlow | None]:
        now = self.clock()
        # One statement for the user and their saved conversation.
        row = (
            await session.execute(
                _USER_AND_FLOW, {"platform": incoming.platform, "user": incoming.user_id}
            )
        ).first()
        user, saved = None, None
        if row is not None:
            user = row[0]
            if row[1] is not None:
                saved = SavedFlow(*row[1:])
        guessed = _locale_of(incoming.language, self.settings.locale)
        if user is None:
            user = User(
                platform=incoming.platform,
                platform_user_id=incoming.user_id,
                chat_id=incoming.chat_id,
                locale=guessed,
                locale_chosen=False,
                created_at=now,
            )
            session.add(user)
            await session.flush()
        else:
            if user.chat_id != incoming.chat_id:
                user.chat_id = incoming.chat_id
            if user.blocked_at is not None:
                user.blocked_at = None  # writing to the bot again unblocks delivery
            if not user.locale_chosen and incoming.language and user.locale != guessed:
                user.locale = guessed
        ctx = Context(incoming, user, session, self.db, self.settings, now,
                      bot_username=self.bot_username)
        if saved is not None:
            age = now - saved.updated_at
            if age <= dt.timedelta(hours=self.settings.session_hours):
                ctx.flow = FlowState(saved.flow, saved.step, dict(saved.data))
        return ctx, saved

    async def _route(self, ctx: Context) -> list[Reply]:
        incoming = ctx.incoming
        command = incoming.command
        payload = incoming.payload
        if payload is not None and payload.startswith("m:"):
            command = ("/" + payload[2:].split(":", 1)[0], "")
            payload = None
        if command is not None:
            return await self._command(ctx, *command)
        if payload is not None:
            if payload.startswith("f:"):
                if ctx.flow is not None:
                    return await conversation.feed(ctx)
                return [ctx.reply("errors/stale_button")]
            route = self.router.find_callback(payload)
            if route is None:
                return await self._with_question(ctx, [ctx.reply("errors/unknown_button")])
            if not route.allows(ctx.user.role):
                return await self._with_question(ctx, [ctx.reply("errors/not_allowed")])
            return await route.handler(ctx)
        if ctx.flow is not None:
            return await conversation.feed(ctx)
        if ctx.user.role is None:
            return [ctx.reply("start/how_to_join")]
        return [ctx.reply("errors/not_understood")]

    async def _command(self, ctx: Context, name: str, _args: str) -> list[Reply]:
        if name == "/batal":
            if ctx.flow is None:
                return [ctx.reply("flow/nothing_to_cancel")]
            ctx.flow = None
            return [ctx.reply("flow/cancelled")]
        if name == "/kembali":
            return await conversation.back(ctx)
        route = self.router.find_command(name)
        if route is None:
            return await self._with_question(ctx, [ctx.reply("errors/unknown_command", name=name)])
        if not route.allows(ctx.user.role):
            key = "errors/not_registered" if ctx.user.role is None else "errors/not_allowed"
            return await self._with_question(ctx, [ctx.reply(key)])
        if route.keeps_flow:
            return await self._with_question(ctx, await route.handler(ctx))
        ctx.flow = None  # another command replaces the conversation
        return await route.handler(ctx)

    async def _with_question(self, ctx: Context, replies: list[Reply]) -> list[Reply]:
        """After an aside, remind a user in a conversation of the question still open."""
        question = await conversation.current_question(ctx) if ctx.flow else None
        return replies + ([question] if question else [])

    async def _save_flow(
        self, session: AsyncSession, ctx: Context, saved: SavedFlow | None
    ) -> None:
        if ctx.flow is None and saved is None:
            return
        if ctx.flow is None:
            await session.execute(_DELETE_FLOW, {"user": ctx.user.id})
            return
        row = {"flow": ctx.flow.flow, "step": ctx.flow.step, "data": dict(ctx.flow.data),
               "updated_at": ctx.now}
        if saved is None:
            await session.execute(_INSERT_FLOW, {"user_id": ctx.user.id, **row})
        else:
            await session.execute(_UPDATE_FLOW, {"user": ctx.user.id, **row})

    def _menu(self, ctx: Context) -> None:
        """Show the chat the command menu of its role whenever role or language changed."""
        key = f"{ctx.user.role or '-'}:{ctx.locale}"
        if ctx.user.menu_shown == key:
            return
        ctx.user.menu_shown = key
        ctx.effects.append(command_menu(ctx.user.role, ctx.locale))


@contextlib.asynccontextmanager
async def chat_action_after(delay: float, send: Callable[[str], Awaitable[None]] | None):
    """Show "typing" only when the answer takes longer than a moment. A timer, not a task: most
    answers come first, and cancelling a timer costs far less than starting and cancelling a
    task for every update."""
    if send is None:
        yield
        return
    loop = asyncio.get_running_loop()
    started: list[asyncio.Task] = []

    async def typing() -> None:
        with contextlib.suppress(Exception):
            await send("typing")

    timer = loop.call_later(delay, lambda: started.append(loop.create_task(typing())))
    try:
        yield
    finally:
        timer.cancel()
        for task in started:
            task.cancel()


def command_menu(role: str | None, locale: str) -> SetCommands:
    return SetCommands(
        tuple((name, templates.label(locale, "command", name)) for name in menu_of(role)),
        locale,
    )


def _locale_of(language: str | None, default: str) -> str:
    if language and language.lower().startswith("en"):
        return "en"
    if language and language.lower().startswith("id"):
        return "id"
    return default
