"""``/bantuan`` (help for the user's role), ``/menu`` (the role's commands as buttons), ``/bahasa``."""

from __future__ import annotations

from bot.context import Context
from bot.core import Button, Reply
from bot.roles import menu_of
from bot.router import Router

router = Router("help")


@router.command("bantuan", "help", keeps_flow=True)
async def help_command(ctx: Context) -> list[Reply]:
    return [ctx.reply(f"help/{ctx.user.role or 'guest'}", commands=menu_of(ctx.user.role))]


@router.command("menu", keeps_flow=True)
async def menu_command(ctx: Context) -> list[Reply]:
    names = [name for name in menu_of(ctx.user.role) if name not in ("menu", "start", "batal")]
    buttons = [Button(ctx.label("command", name), f"m:{name}") for name in names]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return [ctx.reply("help/menu", buttons=rows)]


@router.command("bahasa", "language", keeps_flow=True)
async def language_command(ctx: Context) -> list[Reply]:
    rows = [[Button("Bahasa Indonesia", "lang:id"), Button("English", "lang:en")]]
    return [ctx.reply("help/language_ask", buttons=rows)]


@router.callback("lang:")
async def language_chosen(ctx: Context) -> list[Reply]:
    locale = ctx.incoming.payload.split(":", 1)[1]
    if locale not in ("id", "en"):
        return [ctx.reply("errors/unknown_button")]
    ctx.user.locale, ctx.user.locale_chosen = locale, True
    return [ctx.reply("help/language_set")]
