"""``/siaran baru``: a coordinator composes a broadcast (*siaran*) to people of their own area.

*Koordinator*: PKB/PLKB (kecamatan), Dinas PPKB (kabupaten), TPPS. Recipients are chosen as
area x roles (kader, bidan, TPK, families, Jum'at Serius participants, coordinators) x target
groups of families (*ibu hamil*, *catin* = bride/groom-to-be, *orang tua balita*). Templates:
posyandu day, Gebyar/Intervensi Serentak (every child measured in one push), *minilokakarya*
(monthly coordination meeting), *rembuk stunting* (planning meeting), Jum'at Serius.

State diagram::

    [kind: own text | template]
        --text--> [text] ---------------------------------+
        --template--> [date] -> [time] -> [place] / [note] (the fields the template has)
                                                          |
        [area: own, a sub-area button, or a typed code/name inside the subtree] <--+
        --> [roles: toggle, then Lanjut] --(families chosen)--> [groups: toggle, then Lanjut]
        --> [preview: the text and the exact number of recipients]
              --now--> started at once (outbox)
              --later--> [local date and time, in the future] --> planned

The area is checked against the coordinator's scope at the area step AND again at the end, so
no typed code, stale button or changed role can reach people outside it.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.context import Context
from bot.conversation import Answer, Flow, Goto, Invalid, Step, register
from bot.core import Reply
from bot.parsing import choice_of, parse_date
from scheduler import broadcasts as starter
from storage import broadcasts as bc
from storage.access import in_subtree
from storage.broadcasts import AUDIENCE_ROLES, GROUPS, TEMPLATES, Broadcast, audience
from storage.models import Area
from storage.roles import KELUARGA

TEXT = "text"
NOW, LATER = "now", "later"
OK = "ok"
AHEAD = dt.timedelta(days=180)  # how far ahead a broadcast or an event may be planned
_CODE = re.compile(r"\d{2}(\.\d{2}){0,2}(\.\d{4})?")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")


def _label(ctx: Context, name: str, *args) -> str:
    return ctx.label("broadcast_label", name, *args)


async def home_zone(ctx: Context) -> str:
    """The coordinator's own zone (for typed dates of the event)."""
    if ctx.user.area_code:
        zone = await ctx.session.scalar(select(Area.timezone).where(Area.code == ctx.user.area_code))
        if zone:
            return zone
    return "Asia/Jakarta"


async def area_of(ctx: Context, data: dict) -> Area | None:
    """The chosen area, if it is (still) inside this user's scope."""
    code = data.get("area")
    if not code or not ctx.scope.covers_area(code):
        return None
    return await ctx.session.get(Area, code)


# ---------------------------------------------------------------- content


def kind_buttons(ctx: Context, _data):
    return [[(_label(ctx, "own_text"), TEXT)]] + [
        [(_label(ctx, f"template_{name}"), name)] for name in TEMPLATES
    ]


def fields_of(data: dict) -> tuple[str, ...]:
    return TEMPLATES.get(data.get("kind"), ())


def asks(field: str):
    return lambda data: field in fields_of(data)


def parse_text(_ctx: Context, answer: Answer, _data: dict) -> str:
    text = (answer.text or "").strip()
    if answer.choice is not None or len(text) < 5 or text.startswith("/"):
        raise Invalid("broadcast_text", limit=bc.TEXT_LIMIT)
    if len(text) > bc.TEXT_LIMIT:
        raise Invalid("broadcast_text", limit=bc.TEXT_LIMIT)
    return text


async def parse_event_date(ctx: Context, answer: Answer, _data: dict) -> str:
    today = ctx.now.astimezone(ZoneInfo(await home_zone(ctx))).date()
    last = today + AHEAD
    try:
        day = parse_date(answer.text, today)
    except Invalid:
        raise Invalid("broadcast_date", first=today, last=last) from None
    if not today <= day <= last:
        raise Invalid("broadcast_date", first=today, last=last)
    return day.isoformat()


def parse_event_time(_ctx: Context, answer: Answer, _data: dict) -> str:
    match = _TIME.fullmatch((answer.text or "").strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise Invalid("broadcast_time")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def parse_short(template: str, longest: int):
    def parse(_ctx: Context, answer: Answer, _data: dict) -> str:
        text = " ".join((answer.text or "").split())
        if answer.choice is not None or not 2 <= len(text) <= longest or text.startswith("/"):
            raise Invalid(template, limit=longest)
        return text

    return parse


# ---------------------------------------------------------------- audience


async def area_buttons(ctx: Context, _data):
    rows = []
    own = ctx.user.area_code
    if own:
        rows.append([(_label(ctx, "own_area"), own)])
        below = select(Area.code, Area.name).where(Area.parent_code == own)
    else:  # an admin: the provinces
        below = select(Area.code, Area.name).where(Area.parent_code.is_(None))
    found = (await ctx.session.execute(below.order_by(Area.name).limit(8))).all()
    pairs = [(name, code) for code, name in found]
    rows += [pairs[i:i + 2] for i in range(0, len(pairs), 2)]
    return rows


async def parse_area(ctx: Context, answer: Answer, _data: dict) -> str:
    value = (answer.choice or answer.text or "").strip()
    if value == "." and ctx.user.area_code:
        value = ctx.user.area_code
    if not value or len(value) > 120:
        raise Invalid("broadcast_area_format")
    if _CODE.fullmatch(value):
        area = await ctx.session.get(Area, value)
        if area is None:
            raise Invalid("area_unknown", code=value)
    else:
        query = select(Area).where(func.lower(Area.name) == value.lower())
        if ctx.user.area_code and not ctx.scope.is_admin:
            query = query.where(in_subtree(Area.code, ctx.user.area_code))
        found = (await ctx.session.scalars(query.order_by(Area.code).limit(6))).all()
        if not found:
            raise Invalid("broadcast_area_name", name=value)
        if len(found) > 1:
            raise Invalid("broadcast_area_ambiguous", areas=found)
        area = found[0]
    if not ctx.scope.covers_area(area.code):
        raise Invalid("broadcast_area_outside")
    return area.code


def toggle_buttons(options, key: str, ctx: Context, data: dict, label):
    chosen = set(data.get(key, []))
    pairs = [(("✅ " if value in chosen else "▫️ ") + label(value), value) for value in options]
    rows = [pairs[i:i + 2] for i in range(0, len(pairs), 2)]
    rows.append([(_label(ctx, "next"), OK)])
    return rows


def toggle(options, key: str, step: str, *, required: bool):
    def parse(_ctx: Context, answer: Answer, data: dict) -> list[str]:
        chosen = list(data.get(key, []))
        if answer.choice in options:
            if answer.choice in chosen:
                chosen.remove(answer.choice)
            else:
                chosen.append(answer.choice)
            data[key] = chosen
            raise Goto(step)  # the same question again, with the new ticks
        if answer.choice == OK:
            if required and not chosen:
                raise Invalid("broadcast_roles_none")
            return [value for value in options if value in chosen]
        raise Invalid("choose_button")

    return parse


def role_buttons(ctx: Context, data: dict):
    return toggle_buttons(AUDIENCE_ROLES, "pick_roles", ctx, data, lambda r: ctx.label("role", r))


def group_buttons(ctx: Context, data: dict):
    return toggle_buttons(GROUPS, "pick_groups", ctx, data,
                          lambda g: _label(ctx, f"group_{g}"))


def families_chosen(data: dict) -> bool:
    return KELUARGA in data.get("roles", [])


# ---------------------------------------------------------------- preview and time


def draft(ctx: Context, data: dict, area: Area) -> Broadcast:
    """The broadcast as the data describe it (not stored)."""
    kind = data["kind"]
    template = None if kind == TEXT else kind
    fields = {name: data[name] for name in TEMPLATES.get(kind, ()) if name in data}
    return Broadcast(
        author_user_id=ctx.user.id, area_code=area.code, roles=",".join(data["roles"]),
        groups=",".join(data.get("groups") or []) or None, template=template,
        fields=fields or None, text=data.get(TEXT) if template is None else None,
        status=bc.PLANNED, created_at=ctx.now,
    )


async def recipients(ctx: Context, data: dict, area: Area) -> int:
    day = starter.local_day(area, ctx.now)
    return await bc.count_audience(
        ctx.session, audience(area.code, data["roles"], data.get("groups") or [], day)
    )


async def preview_values(ctx: Context, data: dict):
    area = await area_of(ctx, data)
    if area is None:
        return {"area": None, "count": 0, "message": "", "roles": [], "groups": []}
    return {
        "area": area,
        "count": await recipients(ctx, data, area),
        "message": starter.render(ctx.locale, draft(ctx, data, area), area),
        "roles": data["roles"], "groups": data.get("groups") or [],
    }


def preview_buttons(ctx: Context, _data):
    return [[(_label(ctx, "send_now"), NOW), (_label(ctx, "schedule"), LATER)]]


async def parse_preview(ctx: Context, answer: Answer, data: dict) -> str:
    if answer.choice not in (NOW, LATER):
        raise Invalid("choose_button")
    area = await area_of(ctx, data)
    if area is None:
        raise Invalid("broadcast_area_outside")
    if await recipients(ctx, data, area) == 0:
        raise Invalid("broadcast_nobody")
    return answer.choice


def later(data: dict) -> bool:
    return data.get("preview") == LATER


async def zone_of(ctx: Context, data: dict) -> str:
    area = await area_of(ctx, data)
    return area.timezone if area else await home_zone(ctx)


async def when_values(ctx: Context, data: dict):
    zone = ZoneInfo(await zone_of(ctx, data))
    return {"example": (ctx.now.astimezone(zone) + dt.timedelta(days=1)).replace(hour=8, minute=0)}


async def parse_when(ctx: Context, answer: Answer, data: dict) -> str:
    """"25/12/2026 08:00", "25/12 08.00", "besok 07:30": local time of the broadcast's area."""
    zone = ZoneInfo(await zone_of(ctx, data))
    local_now = ctx.now.astimezone(zone)
    text = " ".join((answer.text or "").lower().split())
    day_text, _, time_text = text.rpartition(" ")
    match = _TIME.fullmatch(time_text)
    if answer.choice is not None or not match or not day_text:
        raise Invalid("broadcast_when")
    today = local_now.date()
    if day_text in ("besok", "tomorrow"):
        day = today + dt.timedelta(days=1)
    else:
        short = re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})", day_text)
        try:
            if short:
                day = dt.date(today.year, int(short.group(2)), int(short.group(1)))
                if day < today:
                    day = day.replace(year=today.year + 1)
            else:
                day = parse_date(day_text, today)
        except (Invalid, ValueError):
            raise Invalid("broadcast_when") from None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise Invalid("broadcast_when")
    moment = dt.datetime.combine(day, dt.time(hour, minute), zone)
    if moment <= local_now:
        raise Invalid("broadcast_when_past", now=local_now)
    if moment > local_now + AHEAD:
        raise Invalid("broadcast_when_far", last=(local_now + AHEAD).date())
    return moment.astimezone(dt.UTC).isoformat()


# ---------------------------------------------------------------- the end


async def finish(ctx: Context, data: dict) -> list[Reply]:
    area = await area_of(ctx, data)
    if area is None:  # the user's area changed since the area step
        raise Invalid("broadcast_area_outside")
    broadcast = draft(ctx, data, area)
    broadcast.planned_at = (dt.datetime.fromisoformat(data["when"]) if later(data) else ctx.now)
    ctx.session.add(broadcast)
    await ctx.session.flush()
    await ctx.audit("create", "broadcast", broadcast.id, detail=f"{area.code} {broadcast.roles}")
    if later(data):
        local = broadcast.planned_at.astimezone(ZoneInfo(area.timezone))
        return [ctx.reply("broadcast/planned", broadcast=broadcast, area=area, at=local,
                          count=await recipients(ctx, data, area))]
    total = await starter.start(ctx.session, broadcast, ctx.now)
    return [ctx.reply("broadcast/started", broadcast=broadcast, area=area, count=total)]


FLOW = register(
    Flow(
        "siaran",
        [
            Step("kind", "broadcast/ask_kind", choice_of(TEXT, *TEMPLATES), buttons=kind_buttons),
            Step(TEXT, "broadcast/ask_text", parse_text, when=lambda d: d.get("kind") == TEXT,
                 values=lambda _c, _d: {"limit": bc.TEXT_LIMIT}),
            Step("date", "broadcast/ask_date", parse_event_date, when=asks("date")),
            Step("time", "broadcast/ask_time", parse_event_time, when=asks("time")),
            Step("place", "broadcast/ask_place", parse_short("broadcast_place", 120),
                 when=asks("place")),
            Step("note", "broadcast/ask_note", parse_short("broadcast_note", 500),
                 when=asks("note")),
            Step("area", "broadcast/ask_area", parse_area, buttons=area_buttons),
            Step("roles", "broadcast/ask_roles", toggle(AUDIENCE_ROLES, "pick_roles", "roles",
                                                        required=True), buttons=role_buttons),
            Step("groups", "broadcast/ask_groups", toggle(GROUPS, "pick_groups", "groups",
                                                          required=False),
                 buttons=group_buttons, when=families_chosen),
            Step("preview", "broadcast/preview", parse_preview, buttons=preview_buttons,
                 values=preview_values),
            Step("when", "broadcast/ask_when", parse_when, when=later, values=when_values),
        ],
        finish,
    )
)
