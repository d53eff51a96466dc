"""Multi-step conversations as declared lists of steps (the idea of Rasa forms and goflow).

A ``Flow`` is a list of ``Step``s. Each step has a question (a template), optional buttons, and
one parser that turns the answer into a value or raises ``Invalid`` with the template of the
reason. The engine is a pure function of (saved state, input) -> (new state, replies): the state
lives in ``conversation_sessions``, so a restarted process continues at the same step.

Buttons carry short payloads ``f:<flow>:<step>:<value>`` so a stale button (from an earlier
question or another conversation) is recognised and answered, never misread.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.context import Context, FlowState
from bot.core import Button, Contact, Reply

PATH = "_path"  # step indexes answered so far, for /kembali


class Invalid(Exception):
    """A wrong answer: the reason's template and its values. Nothing is stored."""

    def __init__(self, template: str, **values: Any) -> None:
        super().__init__(template)
        self.template = template
        self.values = values


class Goto(Exception):
    """Raised by a parser to continue at another step (e.g. "edit the weight" at a confirmation,
    or the same step again after a toggle). ``data`` changes made before raising are kept."""

    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


@dataclass(frozen=True, slots=True)
class Answer:
    text: str | None
    choice: str | None  # value of a pressed (or typed) button of this step
    contact: Contact | None
    photo_id: str | None


Parser = Callable[[Context, Answer, dict], Any]
ButtonRows = Callable[[Context, dict], Sequence[Sequence[tuple[str, str]]]]


@dataclass(frozen=True)
class Step:
    name: str
    question: str
    parse: Parser
    buttons: ButtonRows | None = None
    when: Callable[[dict], bool] | None = None
    values: Callable[[Context, dict], Any] | None = None  # extra values for the question template


@dataclass
class Flow:
    name: str
    steps: Sequence[Step]
    finish: Callable[[Context, dict], Awaitable[list[Reply]]]
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {step.name: i for i, step in enumerate(self.steps)}


FLOWS: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    if flow.name in FLOWS:
        raise ValueError(f"flow {flow.name} registered twice")
    if len(flow.name) > 12:
        raise ValueError("flow names stay short: they travel in button payloads")
    FLOWS[flow.name] = flow
    return flow


async def _maybe_await(value):
    return await value if inspect.isawaitable(value) else value


async def start(ctx: Context, flow: Flow, data: dict | None = None) -> list[Reply]:
    ctx.flow = FlowState(flow.name, -1, {**(data or {}), PATH: []})
    return await _advance(ctx, flow)


async def _advance(ctx: Context, flow: Flow, replies: list[Reply] | None = None) -> list[Reply]:
    replies = replies or []
    state = ctx.flow
    assert state is not None
    nxt = state.step + 1
    while nxt < len(flow.steps) and not _applies(flow.steps[nxt], state.data):
        nxt += 1
    if nxt >= len(flow.steps):
        data = state.data
        ctx.flow = None  # finish may start another flow
        try:
            return replies + await flow.finish(ctx, data)
        except Invalid as reason:
            ctx.flow = state
            return replies + [ctx.reply(f"errors/{reason.template}", **reason.values),
                              await ask(ctx, flow)]
    state.step = nxt
    replies.append(await ask(ctx, flow))
    return replies


def _applies(step: Step, data: dict) -> bool:
    return step.when is None or bool(step.when(data))


async def _button_rows(ctx: Context, flow: Flow, step: Step) -> list[list[tuple[str, str]]]:
    if step.buttons is None:
        return []
    rows = await _maybe_await(step.buttons(ctx, ctx.flow.data))
    return [list(row) for row in rows]


async def ask(ctx: Context, flow: Flow) -> Reply:
    state = ctx.flow
    step = flow.steps[state.step]
    extra = await _maybe_await(step.values(ctx, state.data)) if step.values else {}
    rows = await _button_rows(ctx, flow, step)
    buttons = [
        [Button(label, f"f:{flow.name}:{state.step}:{value}") for label, value in row]
        for row in rows
    ]
    return ctx.reply(step.question, buttons=buttons, data=state.data, **(extra or {}))


async def feed(ctx: Context) -> list[Reply]:
    """Give the current step the user's input."""
    state = ctx.flow
    flow = FLOWS.get(state.flow) if state else None
    if flow is None or not 0 <= state.step < len(flow.steps):
        ctx.flow = None
        return [ctx.reply("errors/flow_lost")]
    step = flow.steps[state.step]
    incoming = ctx.incoming
    choice = None
    if incoming.payload is not None:
        parts = incoming.payload.split(":", 3)
        if len(parts) != 4 or parts[0] != "f" or parts[1] != flow.name or parts[2] != str(state.step):
            return [ctx.reply("errors/stale_button"), await ask(ctx, flow)]
        choice = parts[3]
    text = (incoming.text or "").strip() or None
    if choice is None and text is not None:
        choice = _typed_choice(text, await _button_rows(ctx, flow, step))
    answer = Answer(text=text, choice=choice, contact=incoming.contact, photo_id=incoming.photo_id)
    try:
        value = await _maybe_await(step.parse(ctx, answer, state.data))
    except Invalid as reason:
        return [ctx.reply(f"errors/{reason.template}", **reason.values), await ask(ctx, flow)]
    except Goto as jump:
        target = flow.index[jump.step]
        if target != state.step:
            state.data[PATH].append(state.step)
        for later in flow.steps[target:]:
            state.data.pop(later.name, None)
        state.step = target
        return [await ask(ctx, flow)]
    state.data[step.name] = value
    state.data[PATH].append(state.step)
    return await _advance(ctx, flow)


def _typed_choice(text: str, rows: list[list[tuple[str, str]]]) -> str | None:
    """A typed button label counts as pressing it."""
    flat = [pair for row in rows for pair in row]
    folded = text.casefold()
    for label, value in flat:
        if folded == label.casefold() or folded == value.casefold():
            return value
    return None


async def back(ctx: Context) -> list[Reply]:
    state = ctx.flow
    flow = FLOWS.get(state.flow) if state else None
    if flow is None:
        return [ctx.reply("flow/nothing_to_go_back")]
    path = state.data[PATH]
    if not path:
        return [ctx.reply("flow/at_first_step"), await ask(ctx, flow)]
    previous = path.pop()
    state.data.pop(flow.steps[previous].name, None)
    state.step = previous
    return [await ask(ctx, flow)]


async def current_question(ctx: Context) -> Reply | None:
    state = ctx.flow
    flow = FLOWS.get(state.flow) if state else None
    if flow is None or not 0 <= state.step < len(flow.steps):
        return None
    return await ask(ctx, flow)
