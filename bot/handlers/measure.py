"""``/ukur`` in its three forms: the step-by-step conversation, one line, and a pasted batch.

- ``/ukur`` alone starts the conversation (``bot.conversations.measure``);
- ``/ukur Siti 8,2 72,5 [berdiri|berbaring]`` (name, kg, cm) answers at once when the child is
  unambiguous and the numbers are plausible, and otherwise asks only what is missing;
- ``/ukur`` followed by one such line per child, for a busy posyandu day, answers in one message:
  lines that need attention first (they are not stored), then the stored results.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Context
from bot.conversation import Invalid, start
from bot.conversations import child_new, correct
from bot.conversations.measure import FLOW, checked_length, checked_weight, split_position
from bot.core import Reply
from bot.measuring import (
    Checked,
    Entry,
    check,
    date_problem,
    find_children,
    local_today,
    match_children,
    result_reply,
    save,
)
from bot.parsing import LENGTH_UNITS, WEIGHT_UNITS, parse_number
from bot.router import Router
from storage.measurements import (
    Skdn,
    children_of_posyandu,
    five_years_before,
    latest_this_month,
    skdn,
)
from storage.roles import KADER

router = Router("measure")
MAX_BATCH_LINES = 100


@dataclass
class Line:
    """One line of the one-line or batch form, read but not yet matched."""

    name: str
    weight: float
    length: float
    position: str | None


def read_line(text: str) -> Line:
    """"Siti Aminah 8,2 72,5 berdiri" -> Line; raises Invalid with the reason."""
    rest, position = split_position(text)
    words = rest.split()
    if len(words) < 3:
        raise Invalid("oneline_format")
    weight = checked_weight(parse_number(words[-2], WEIGHT_UNITS))
    length = checked_length(parse_number(words[-1], LENGTH_UNITS))
    return Line(" ".join(words[:-2]), weight, length, position)


@router.command("ukur", roles=(KADER,))
async def measure_command(ctx: Context) -> list[Reply]:
    if ctx.user.posyandu_id is None:
        return [ctx.reply("errors/not_allowed")]
    _, argument = ctx.incoming.command
    lines = [line.strip() for line in argument.splitlines() if line.strip()]
    if not lines:
        return await start(ctx, FLOW)
    if len(lines) == 1:
        return await one_line(ctx, lines[0])
    return [await batch(ctx, lines)]


async def one_line(ctx: Context, text: str) -> list[Reply]:
    try:
        line = read_line(text)
    except Invalid as reason:
        return [ctx.reply(f"errors/{reason.template}", **reason.values),
                ctx.reply("measure/oneline_help")]
    found = await find_children(ctx.session, ctx.user.posyandu_id, line.name)
    today = await local_today(ctx, ctx.user.posyandu_id)  # read with the children: no query
    data = {"measured_on": today.isoformat(), "weight": line.weight, "length": line.length,
            "extra": [None, None]}
    if line.position:
        data["position"] = line.position
    if not found:
        return [ctx.reply("errors/child_unknown", name=line.name)]
    if len(found) > 1:
        data["candidates"] = [c.id for c in found]
        return await start(ctx, FLOW, data)
    child = found[0]
    problem = date_problem(child, today, today)
    if problem:
        return [ctx.reply(f"errors/{problem}")]
    data["child"] = child.id
    checked = await check(ctx, child, Entry(child.id, today, line.weight, line.length,
                                            line.position))
    if checked.problems:
        return await start(ctx, FLOW, data)  # straight to the confirmation, with the reasons
    await save(ctx, checked)
    return [result_reply(ctx, checked)]


@dataclass
class BatchResult:
    number: int
    text: str
    checked: Checked | None = None
    reasons: tuple[str, ...] = ()
    values: dict | None = None


async def batch(ctx: Context, lines: list[str]) -> Reply:
    if len(lines) > MAX_BATCH_LINES:
        return ctx.reply("errors/batch_too_long", limit=MAX_BATCH_LINES)
    today = await local_today(ctx, ctx.user.posyandu_id)
    children = await children_of_posyandu(ctx.session, ctx.user.posyandu_id)
    results: list[BatchResult] = []
    seen: dict[int, int] = {}
    for number, text in enumerate(lines, start=1):
        result = BatchResult(number, text)
        results.append(result)
        try:
            line = read_line(text)
        except Invalid as reason:
            result.reasons, result.values = (reason.template,), reason.values
            continue
        found = match_children(children, line.name)
        if len(found) != 1:
            result.reasons = ("child_unknown" if not found else "child_ambiguous",)
            continue
        child = found[0]
        if child.id in seen:
            result.reasons, result.values = ("batch_duplicate",), {"line": seen[child.id]}
            continue
        seen[child.id] = number
        problem = date_problem(child, today, today)
        if problem:
            result.reasons = (problem,)
            continue
        checked = await check(ctx, child, Entry(child.id, today, line.weight, line.length,
                                                line.position))
        if checked.problems:
            result.reasons = tuple(checked.problems)
            continue
        await save(ctx, checked)
        result.checked = checked
    attention = [r for r in results if r.checked is None]
    stored = [r for r in results if r.checked is not None]
    return ctx.reply("measure/batch", attention=attention, stored=stored, total=len(results))


@router.command("anak_baru", roles=(KADER,))
async def new_child_command(ctx: Context) -> list[Reply]:
    if ctx.user.posyandu_id is None:
        return [ctx.reply("errors/not_allowed")]
    return await start(ctx, child_new.FLOW)


@router.command("ralat", roles=(KADER,))
async def correct_command(ctx: Context) -> list[Reply]:
    if not await correct.correctable(ctx):
        return [ctx.reply("measure/nothing_to_correct")]
    return await start(ctx, correct.FLOW)


@router.command("rekap", roles=(KADER,))
async def summary_command(ctx: Context) -> list[Reply]:
    """This month's SKDN for the kader's posyandu, and who needs attention."""
    if ctx.user.posyandu_id is None:
        return [ctx.reply("errors/not_allowed")]
    posyandu_id = ctx.user.posyandu_id
    today = await local_today(ctx, posyandu_id)
    tally = await skdn(ctx.session, posyandu_id, today)
    latest = await latest_this_month(ctx.session, posyandu_id, today)
    measured = {child.id for child, _ in latest}
    children = await children_of_posyandu(ctx.session, posyandu_id)
    limit = five_years_before(today)
    waiting = [c for c in children if c.id not in measured and c.birth_date > limit]
    return [ctx.reply(
        "measure/summary", month=today, s=tally, ratio=Skdn.ratio,
        waiting=waiting,
        not_gaining=[(c, m) for c, m in latest if m.gain == "T"],
        stunted=[(c, m) for c, m in latest if m.stunted],
    )]
