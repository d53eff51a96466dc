"""A family's stage: pregnant (``hamil``), bride-to-be (``catin``) or parent of a child under
five (``balita``), and the hour they want tips. Started right after joining (``gabung``) or
from ``/tips``.

Programme words: *HPHT* (hari pertama haid terakhir) is the first day of the last period and
*HPL* (hari perkiraan lahir) the due date; Naegele: HPL = HPHT + 280 days. *Catin* (calon
pengantin): a bride- or groom-to-be, screened in Elsimil (BKKBN's app) 3 months before the
wedding. *Kader*: the posyandu volunteer who confirms a child a family claims.

State diagrams::

    hamil:  [basis: HPHT / HPL / weeks] --> [date or weeks] --(week outside 1-42: asked again)
                                                  |
                                               [slot]* --> Target(hamil), tips subscription
    catin:  [wedding date] --> [slot]* --> Target(catin), tips; told about the Elsimil screening
    balita: [child's name] --> [birth date] --(a registered child matches)--> [slot]* --> claim
                                           \\--(none)--> [sex] --> [slot]* --> claim of a new child

    * only when the user has not chosen an hour yet.

A claim links nothing until a kader of the posyandu confirms it (``bot.handlers.claims``): until
then the family sees none of the child's data. The kader is told through the outbox.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

import templates
from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.core import Reply
from bot.measuring import MAX_AGE_MONTHS, find_children, local_today
from bot.parsing import MONTHS, choice_of, parse_date, parse_name
from growth.age import completed_months
from storage import outbox
from storage.models import Child, Posyandu, User
from storage.roles import KADER
from storage.targets import (
    CATIN,
    HAMIL,
    Target,
    active_target,
    due_from_hpht,
    hpht_from_due,
    pregnancy_week,
    trimester,
)
from storage.tips import (
    ANAK,
    SLOTS,
    ChildClaim,
    bidan_contact,
    preference,
    subscribe,
)

MAX_WEEK = 42
CATIN_AFTER_DAYS = 28  # catin tips run 4 weeks after the wedding
CATIN_MAX_DAYS = 2 * 366  # a wedding further away than this is a typo
SCREENING_MONTHS = 3  # Elsimil screening, 3 months before the wedding


# --- shared steps -------------------------------------------------------------------------


def slot_buttons(ctx: Context, _data):
    return [[(ctx.label("slot", name), name) for name in SLOTS]]


def needs_slot(data: dict) -> bool:
    return bool(data.get("ask_slot"))


SLOT_STEP = Step("slot", "stage/ask_slot", choice_of(*SLOTS), buttons=slot_buttons,
                 when=needs_slot)


async def flow_data(ctx: Context) -> dict:
    """What every stage flow starts with: whether to ask the hour."""
    pref = await preference(ctx.session, ctx.user.id)
    return {"ask_slot": pref is None}


async def save_slot(ctx: Context, data: dict) -> None:
    pref = await preference(ctx.session, ctx.user.id, create=True, now=ctx.now)
    if data.get("slot"):
        pref.slot, pref.updated_at = data["slot"], ctx.now


async def today_of(ctx: Context) -> dt.date:
    return await local_today(ctx, ctx.user.posyandu_id)


def parse_day(text: str | None, today: dt.date, future: bool) -> dt.date:
    """``bot.parsing.parse_date``, plus what families write about dates to come: a two-digit
    year is the nearest one ("12/5/27" is 2027), and "12 Mei" without a year is the next
    (``future``) or the last 12 May."""
    raw = " ".join((text or "").strip().lower().split())
    match = re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?", raw)
    if match and match.group(2) in MONTHS:
        try:
            day = dt.date(today.year, MONTHS[match.group(2)], int(match.group(1)))
        except ValueError:
            raise Invalid("date_impossible") from None
        if future and day < today:
            day = day.replace(year=today.year + 1)
        elif not future and day > today:
            day = day.replace(year=today.year - 1)
        return day
    day = parse_date(text, today)
    if day.year < today.year - 50:  # "12/5/27" read as 1927
        day = day.replace(year=day.year + 100)
    return day


# --- hamil --------------------------------------------------------------------------------


def basis_buttons(ctx: Context, _data):
    return [[(ctx.label("basis", "hpht"), "hpht")], [(ctx.label("basis", "hpl"), "hpl")],
            [(ctx.label("basis", "weeks"), "weeks")]]


async def parse_pregnancy(ctx: Context, answer: Answer, data: dict) -> str:
    """HPHT as ISO text, from HPHT, HPL or the weeks of pregnancy."""
    today = await today_of(ctx)
    basis = data["basis"]
    if basis == "weeks":
        match = re.fullmatch(r"(\d{1,2})\s*(minggu|mgg|weeks?|w)?", (answer.text or "").strip().lower())
        if not match:
            raise Invalid("pregnancy_weeks_format")
        week = int(match.group(1))
        if not 1 <= week <= MAX_WEEK:
            raise Invalid("pregnancy_week", week=week, max_week=MAX_WEEK)
        return (today - dt.timedelta(days=7 * week)).isoformat()
    day = parse_day(answer.text, today, future=basis == "hpl")
    hpht = day if basis == "hpht" else hpht_from_due(day)
    if basis == "hpht" and hpht > today:
        raise Invalid("hpht_future")
    week = pregnancy_week(hpht, today)
    if not 1 <= week <= MAX_WEEK:
        raise Invalid("pregnancy_week", week=week, max_week=MAX_WEEK)
    return hpht.isoformat()


async def finish_hamil(ctx: Context, data: dict) -> list[Reply]:
    await save_slot(ctx, data)
    hpht = dt.date.fromisoformat(data["hpht"])
    target = await active_target(ctx.session, ctx.user.id, HAMIL)
    moved = target is not None
    if target is None:
        target = await new_target(ctx, HAMIL)
    target.hpht, target.due_date = hpht, due_from_hpht(hpht)
    await ctx.session.flush()
    await subscribe(ctx.session, ctx.user.id, HAMIL, target_id=target.id, now=ctx.now)
    await ctx.audit("update" if moved else "create", "target", target.id, detail=HAMIL)
    today = await today_of(ctx)
    week = pregnancy_week(hpht, today)
    return [ctx.reply("stage/hamil_saved", week=week, trimester=trimester(week),
                      due=target.due_date, moved=moved, **await next_tip_values(ctx))]


async def new_target(ctx: Context, kind: str) -> Target:
    posyandu = await ctx.session.get(Posyandu, ctx.user.posyandu_id)
    target = Target(kind=kind, user_id=ctx.user.id, desa_code=posyandu.desa_code,
                    posyandu_id=posyandu.id, created_by=ctx.user.id, created_at=ctx.now)
    ctx.session.add(target)
    return target


async def next_tip_values(ctx: Context) -> dict:
    # Imported here: the handler module imports this one.
    from bot.handlers.tips import overview

    return {"overview": await overview(ctx)}


HAMIL_FLOW = register(Flow(
    "hamil",
    [
        Step("basis", "stage/ask_basis", choice_of("hpht", "hpl", "weeks"), buttons=basis_buttons),
        Step("hpht", "stage/ask_pregnancy", parse_pregnancy),
        SLOT_STEP,
    ],
    finish_hamil,
))


# --- catin --------------------------------------------------------------------------------


async def parse_wedding(ctx: Context, answer: Answer, _data: dict) -> str:
    today = await today_of(ctx)
    day = parse_day(answer.text, today, future=True)
    if day < today - dt.timedelta(days=CATIN_AFTER_DAYS):
        raise Invalid("wedding_past")
    if day > today + dt.timedelta(days=CATIN_MAX_DAYS):
        raise Invalid("wedding_far")
    return day.isoformat()


def screening_date(wedding: dt.date) -> dt.date:
    month = wedding.month - SCREENING_MONTHS
    year = wedding.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in range(wedding.day, 0, -1):  # 31 May -> 28/29 February
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


async def finish_catin(ctx: Context, data: dict) -> list[Reply]:
    await save_slot(ctx, data)
    wedding = dt.date.fromisoformat(data["wedding"])
    target = await active_target(ctx.session, ctx.user.id, CATIN)
    moved = target is not None
    if target is None:
        target = await new_target(ctx, CATIN)
    target.wedding_date = wedding
    await ctx.session.flush()
    await subscribe(ctx.session, ctx.user.id, CATIN, target_id=target.id, now=ctx.now)
    await ctx.audit("update" if moved else "create", "target", target.id, detail=CATIN)
    today = await today_of(ctx)
    screen = screening_date(wedding)
    return [ctx.reply("stage/catin_saved", wedding=wedding, screening=screen,
                      screening_due=screen <= today, married=wedding <= today,
                      **await next_tip_values(ctx))]


CATIN_FLOW = register(Flow(
    "catin",
    [Step("wedding", "stage/ask_wedding", parse_wedding), SLOT_STEP],
    finish_catin,
))


# --- balita: claim a child ----------------------------------------------------------------


def parse_child_name(_ctx: Context, answer: Answer, _data: dict) -> str:
    return parse_name(answer.text)


async def parse_child_birth(ctx: Context, answer: Answer, data: dict) -> str:
    today = await today_of(ctx)
    born = parse_day(answer.text, today, future=False)
    if born > today:
        raise Invalid("birth_future")
    if completed_months(born, today) >= MAX_AGE_MONTHS:
        raise Invalid("child_over_60_months")
    data["match"], data["own"] = await match_child(ctx, data["child_name"], born)
    return born.isoformat()


async def match_child(ctx: Context, name: str, born: dt.date) -> tuple[int | None, bool]:
    """A child of the posyandu with this name (close spellings too) and birth date that no
    family has yet, or that is this user's already (True). Nothing about a child is shown to
    the family before the kader confirms."""
    for child in await find_children(ctx.session, ctx.user.posyandu_id, name):
        if child.birth_date == born and child.parent_user_id in (None, ctx.user.id):
            return child.id, child.parent_user_id == ctx.user.id
    return None, False


def sex_buttons(ctx: Context, _data):
    return [[(ctx.label("sex", "L"), "L"), (ctx.label("sex", "P"), "P")]]


async def finish_balita(ctx: Context, data: dict) -> list[Reply]:
    await save_slot(ctx, data)
    born = dt.date.fromisoformat(data["child_birth"])
    if data.get("own"):  # linked already: only the tips were missing
        child = await ctx.session.get(Child, data["match"])
        await subscribe_children(ctx, [child], await today_of(ctx))
        return [ctx.reply("stage/slot_saved", **await next_tip_values(ctx))]
    claim = await open_claim(
        ctx, child_id=data.get("match"), name=data["child_name"], sex=data.get("child_sex"),
        birth_date=born,
    )
    return [ctx.reply("stage/claim_sent", claim=claim, new=claim.child_id is None,
                      **await next_tip_values(ctx))]


async def open_claim(ctx: Context, *, child_id: int | None, name: str, sex: str | None,
                     birth_date: dt.date, target_id: int | None = None) -> ChildClaim:
    """A claim waiting for the kader, who is told through the outbox. For an existing child
    only its id is kept; the name and birth date of a new one wait here until confirmed."""
    new = child_id is None
    claim = ChildClaim(
        user_id=ctx.user.id, posyandu_id=ctx.user.posyandu_id, child_id=child_id,
        name=name if new else None, sex=sex if new else None,
        birth_date=birth_date if new else None, target_id=target_id, created_at=ctx.now,
    )
    ctx.session.add(claim)
    await ctx.session.flush()
    await ctx.audit("create", "child_claim", claim.id)
    await notify_kader(ctx, claim, name, birth_date, sex)
    return claim


async def notify_kader(ctx: Context, claim: ChildClaim, name: str, birth_date: dt.date,
                       sex: str | None) -> int:
    kaders = (await ctx.session.scalars(
        select(User).where(User.role == KADER, User.posyandu_id == claim.posyandu_id)
    )).all()
    child = await ctx.session.get(Child, claim.child_id) if claim.child_id else None
    for kader in kaders:
        locale = kader.locale if kader.locale in templates.LOCALES else templates.DEFAULT_LOCALE
        text = templates.render(locale, "claims/kader_notice", child=child, name=name,
                                birth_date=birth_date, sex=sex, family=bidan_contact(ctx.user))
        await outbox.enqueue(
            ctx.session, outbox.Message(text, kind="notice", buttons=claim_buttons(locale, claim.id)),
            dedupe_key=f"claim:{claim.id}:{kader.id}", chat_id=kader.chat_id,
            platform=kader.platform, user_id=kader.id, now=ctx.now,
        )
    return len(kaders)


def claim_buttons(locale: str, claim_id: int) -> list[list[tuple[str, str]]]:
    return [[(templates.label(locale, "claim_yes"), f"kl:y:{claim_id}")],
            [(templates.label(locale, "claim_no"), f"kl:n:{claim_id}")]]


BALITA_FLOW = register(Flow(
    "balita",
    [
        Step("child_name", "stage/ask_child_name", parse_child_name),
        Step("child_birth", "stage/ask_child_birth", parse_child_birth),
        Step("child_sex", "stage/ask_child_sex", choice_of("L", "P"), buttons=sex_buttons,
             when=lambda d: d.get("match") is None),
        SLOT_STEP,
    ],
    finish_balita,
))

STAGE_FLOWS = {HAMIL: HAMIL_FLOW, CATIN: CATIN_FLOW, "balita": BALITA_FLOW}


async def subscribe_children(ctx: Context, children: list[Child], today: dt.date) -> int:
    """The anak track for each of the user's children under five (e.g. linked when joining)."""
    count = 0
    for child in children:
        if child.birth_date <= today and completed_months(child.birth_date, today) < MAX_AGE_MONTHS:
            await subscribe(ctx.session, ctx.user.id, ANAK, child_id=child.id, now=ctx.now)
            count += 1
    return count



async def finish_slot(ctx: Context, data: dict) -> list[Reply]:
    await save_slot(ctx, data)
    return [ctx.reply("stage/slot_saved", **await next_tip_values(ctx))]


# Only the hour (e.g. a family whose children were linked when they joined).
SLOT_FLOW = register(Flow("jam_tips", [SLOT_STEP], finish_slot))
