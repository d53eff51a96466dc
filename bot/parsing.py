"""Parsers for answers that many conversations share. Each returns a value or raises Invalid."""

from __future__ import annotations

from bot.conversation import Answer, Invalid


def choice_of(*allowed: str):
    """A step whose answer must be one of its buttons (pressed, or the label typed)."""

    def parse(_ctx, answer: Answer, _data: dict) -> str:
        if answer.choice in allowed:
            return answer.choice
        raise Invalid("choose_button")

    return parse


def yes_no_buttons(ctx, _data):
    return [[(ctx.label("yes"), "y"), (ctx.label("no"), "n")]]
