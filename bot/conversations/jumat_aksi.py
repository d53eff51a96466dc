"""``/aksi``: a Jum'at Serius participant (or coordinator) logs a Friday action.

*Jum'at Serius* ("Jum'at Seribu untuk Atasi Stunting", Kab. Lebak): every Friday, a target of
1,000 actions against stunting across the kabupaten. An action counts for the participant's
kabupaten (and kecamatan) on the local date.

State diagram::

    /aksi --(not Friday locally, or no kabupaten)--> explanation, no flow
      |
      v
    [category: PMT / sanitasi / edukasi / pemeriksaan / bantuan lain]
      --> [description, 3-300 characters] --> [photo, or Skip] --> stored; today's count
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.core import Reply
from bot.parsing import choice_of
from storage.models import Area
from storage.schedule import CATEGORIES, JUMAT_TARGET, actions_count, add_action, kabupaten_of

FRIDAY = 4
SKIP = "skip"


async def zone_and_kabupaten(ctx: Context) -> tuple[str, str | None, str | None]:
    """(time zone, kabupaten code, kabupaten name) of the user's area."""
    code = ctx.user.area_code
    kabupaten = kabupaten_of(code) if code else None
    zone, name = "Asia/Jakarta", None
    if kabupaten is not None:
        row = (await ctx.session.execute(
            select(Area.timezone, Area.name).where(Area.code == kabupaten)
        )).first()
        if row is None:
            kabupaten = None
        else:
            zone, name = row
    return zone, kabupaten, name


def local_today(ctx: Context, zone: str) -> dt.date:
    return ctx.now.astimezone(ZoneInfo(zone)).date()


def category_buttons(ctx: Context, _data):
    pairs = [(ctx.label("jumat_category", code), code) for code in CATEGORIES]
    return [pairs[0:1], pairs[1:3], pairs[3:5]]


def parse_description(_ctx: Context, answer: Answer, _data: dict) -> str:
    text = " ".join((answer.text or "").split())
    if answer.choice is not None or not 3 <= len(text) <= 300:
        raise Invalid("jumat_description")
    return text


def photo_buttons(ctx: Context, _data):
    return [[(ctx.label("skip"), SKIP)]]


def parse_photo(_ctx: Context, answer: Answer, _data: dict) -> str | None:
    if answer.photo_id:
        if len(answer.photo_id) > 200:
            raise Invalid("jumat_photo")
        return answer.photo_id
    if answer.choice == SKIP:
        return None
    raise Invalid("jumat_photo")


async def finish(ctx: Context, data: dict) -> list[Reply]:
    zone, kabupaten, name = await zone_and_kabupaten(ctx)
    if kabupaten is None:
        return [ctx.reply("jumat/no_kabupaten")]
    today = local_today(ctx, zone)
    action = await add_action(
        ctx.session, user_id=ctx.user.id, area_code=ctx.user.area_code, action_date=today,
        category=data["category"], description=data["description"],
        photo_file_id=data.get("photo"), now=ctx.now,
    )
    await ctx.audit("add_jumat_action", "jumat_action", action.id)
    count = await actions_count(ctx.session, kabupaten, today)
    return [ctx.reply("jumat/logged", category=data["category"], kabupaten=name, count=count,
                      target=JUMAT_TARGET)]


FLOW = register(
    Flow(
        "aksi",
        [
            Step("category", "jumat/ask_category", choice_of(*CATEGORIES),
                 buttons=category_buttons),
            Step("description", "jumat/ask_description", parse_description),
            Step("photo", "jumat/ask_photo", parse_photo, buttons=photo_buttons),
        ],
        finish,
    )
)
