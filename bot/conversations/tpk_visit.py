"""``/kunjungan``: a TPK visit to an ibu hamil, an ibu nifas, or a family with a baduta.

State diagram::

    /kunjungan --> [target] --> [summary] (risk summary: flags, last visits, what is overdue)
                                    |
                                 [day] (Hari ini / Kemarin / a typed date in the last 7 days)
                                    |
       hamil: [HPHT/HPL/week] (only when not on record) --> [LILA] --> [Hb] --> [TTD since the
              last visit] --> [ANC so far] --> [danger signs] (toggles) ----------------+
       nifas: [birth day] (only when not on record) --> [KB method] --> [ASI eksklusif] |
              --> [danger signs] (toggles) -------------------------------------------+
       baduta: [posyandu this month] --> [immunisation up to date] --> [feeding] -->   |
              [sanitation] (toggles: jamban sehat, air bersih, CTPS) ------------------+
                                                                                       v
                                   stored; result; any danger sign: urgent notice to the bidan

Programme words: *LILA* upper-arm circumference (KEK below 23.5 cm); *Hb* haemoglobin (anaemia
below 11.0 g/dL in trimester 1 and 3, 10.5 in trimester 2); *TTD* iron tablets (90 in a
pregnancy, a running total); *ANC* check-ups (1-2-3 per trimester); *KF1-KF4* post-natal visit
windows; *KB pasca persalinan* family planning after birth; *ASI eksklusif* breast milk only for
6 months; *MP-ASI* complementary food; *CTPS* handwashing with soap; *jamban sehat* a healthy
latrine. The visit day is today unless the TPK says otherwise (they often write it up in the
evening or the next day): the week of pregnancy, the KF window and the child's age are those
of that day; it is never before the last recorded visit (the TTD and ANC running totals follow
the visits' order) nor before the birth. A danger sign puts an urgent notice (outbox, priority 0) to each bidan of the desa at
once, one per visit and bidan, and tells the TPK to bring her to the health facility now.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

import templates
from bot.context import Context
from bot.conversation import Answer, Flow, Invalid, Step, register
from bot.conversations.tpk_common import (
    area_today,
    delivery_day,
    get_target,
    one_match,
    parse_count,
    parse_hb,
    parse_lila,
    parse_pregnancy,
    parse_recent_day,
    recent_day_buttons,
    target_name,
    tlabel,
    toggle_step,
    yes_no,
)
from bot.core import Reply
from bot.parsing import choice_of
from growth import maternal
from growth.age import completed_months
from storage import outbox
from storage.models import Child, User
from storage.roles import BIDAN
from storage.targets import BADUTA, HAMIL, NIFAS, Target, due_from_hpht
from storage.tpk import (
    Visit,
    desa_list,
    last_hamil_totals,
    latest_measurement,
    latest_screenings,
    target_visits,
    thresholds_for,
)

NAME = "kunjungan"
VISITED = (HAMIL, NIFAS, BADUTA)
SANITATION = ("jamban", "air", "ctps")
TTD_MAX = 200
ANC_MAX = 20
DANGER_STEP = {HAMIL: "h_danger", NIFAS: "n_danger"}  # the step, and its labels' macro


async def _target(ctx: Context, data: dict) -> Target:
    target = await get_target(ctx, data.get("target"), VISITED)
    if target is None:
        raise Invalid("tpk_target_gone")
    return target


async def _today(ctx: Context, data: dict) -> dt.date:
    """The visit's day: the one the TPK chose, else today where the target lives."""
    if data.get("day"):
        return dt.date.fromisoformat(data["day"])
    return await area_today(ctx, (await _target(ctx, data)).desa_code)


VISIT_BACK_DAYS = 7  # a visit is written up at most a week later


async def parse_day(ctx: Context, answer: Answer, data: dict) -> str:
    target = await _target(ctx, data)
    today = await area_today(ctx, target.desa_code)
    day = parse_recent_day(answer.choice or answer.text, today)
    if day > today:
        raise Invalid("tpk_day_future")
    if (today - day).days > VISIT_BACK_DAYS:
        raise Invalid("tpk_visit_day_range", days=VISIT_BACK_DAYS)
    last = await ctx.session.scalar(
        select(func.max(Visit.visited_on)).where(Visit.target_id == target.id))
    if last is not None and day < last:
        raise Invalid("tpk_visit_before_last", last=last)
    if target.delivered_on is not None and day < target.delivered_on:
        raise Invalid("tpk_visit_before_birth", born=target.delivered_on)
    return day.isoformat()


def _known(data: dict, target: Target) -> int:
    data["kind"] = target.kind
    data["has_hpht"] = target.hpht is not None or target.due_date is not None
    data["has_delivered"] = target.delivered_on is not None
    return target.id


def start_data(target: Target) -> dict:
    data: dict = {}
    data["target"] = _known(data, target)
    return data


async def target_buttons(ctx: Context, data: dict):
    today = await area_today(ctx, ctx.user.area_code)
    lines = [line for line in await desa_list(ctx.session, ctx.user.area_code, today)
             if line.target.kind in VISITED]
    if data.get("candidates"):
        lines = [line for line in lines if line.target.id in data["candidates"]]
    return [[(f"{target_name(ctx.locale, line.target)} · {tlabel(ctx, 'kind', line.target.kind)}",
              str(line.target.id))] for line in lines[:8]]


async def parse_target(ctx: Context, answer: Answer, data: dict) -> int:
    if answer.choice is not None and answer.choice.isdigit():
        target = await get_target(ctx, answer.choice, VISITED)
        if target is None:
            raise Invalid("tpk_target_unknown", name="")
        data.pop("candidates", None)
        return _known(data, target)
    rows = await ctx.session.execute(
        select(Target.id, Target.name).where(
            Target.desa_code == ctx.user.area_code, Target.ended_on.is_(None),
            Target.kind.in_(VISITED), Target.name.is_not(None))
    )
    found = one_match([(i, name) for i, name in rows], answer.text, data)
    return _known(data, await get_target(ctx, found, VISITED))


async def summary_values(ctx: Context, target: Target) -> dict:
    """Everything the risk summary shows (``tpk/summary``); the read is audit-logged."""
    today = await area_today(ctx, target.desa_code)
    th = await thresholds_for(ctx.session, target.desa_code)
    line = next((x for x in await desa_list(ctx.session, target.desa_code, today, th)
                 if x.target.id == target.id), None)
    visits = await target_visits(ctx.session, target.id)
    screening = (await latest_screenings(ctx.session, [target.id])).get(target.id)
    week = _week(target, today)
    ttd, anc = await last_hamil_totals(ctx.session, target.id)
    child = await ctx.session.get(Child, target.child_id) if target.child_id else None
    measurement = await latest_measurement(ctx.session, target.child_id)
    await ctx.audit("read", "target", target.id)
    return {
        "target": target, "name": target_name(ctx.locale, target),
        "kind_label": tlabel(ctx, "kind", target.kind), "today": today,
        "age": maternal.age_years(target.birth_date, today) if target.birth_date else None,
        "week": week, "trimester": maternal.trimester(week) if week is not None else None,
        "days_since_birth": (today - target.delivered_on).days if target.delivered_on else None,
        "kf": maternal.kf_window((today - target.delivered_on).days)
        if target.delivered_on else None,
        "visits": visits, "screening": screening, "flags": line.flags if line else [],
        "due": line.due if line else None, "ttd": ttd, "anc": anc, "th": th,
        "anc_expected": maternal.anc_expected(week) if week is not None else None,
        "child": child, "m": measurement, "tl": lambda *a: tlabel(ctx, *a),
    }


def _week(target: Target, today: dt.date, hpht: str | None = None) -> int | None:
    start = dt.date.fromisoformat(hpht) if hpht else target.hpht
    if start is None and target.due_date is not None:
        start = target.due_date - dt.timedelta(days=280)
    return maternal.week_of(start, today) if start else None


async def summary_step_values(ctx: Context, data: dict):
    return await summary_values(ctx, await _target(ctx, data))


def go_buttons(ctx: Context, _data):
    return [[(tlabel(ctx, "start_visit"), "go")]]


def is_kind(kind: str):
    return lambda data: data.get("kind") == kind


# ------------------------------------------------------------------ hamil


async def parse_hpht(ctx: Context, answer: Answer, data: dict) -> str:
    return parse_pregnancy(answer.text, await _today(ctx, data)).isoformat()


async def week_values(ctx: Context, data: dict):
    target = await _target(ctx, data)
    today = await _today(ctx, data)
    week = _week(target, today, data.get("hpht"))
    return {"week": week, "trimester": maternal.trimester(week) if week is not None else None}


async def ttd_values(ctx: Context, data: dict):
    ttd, anc = await last_hamil_totals(ctx.session, data["target"])
    th = await thresholds_for(ctx.session, (await _target(ctx, data)).desa_code)
    return {"previous": ttd, "target_total": int(th.ttd_target)}


async def anc_values(ctx: Context, data: dict):
    values = await week_values(ctx, data)
    _, anc = await last_hamil_totals(ctx.session, data["target"])
    week = values["week"]
    return {**values, "previous": anc,
            "expected": maternal.anc_expected(week) if week is not None else None}


async def parse_anc(ctx: Context, answer: Answer, data: dict) -> int:
    done = parse_count(answer.text, ANC_MAX, "tpk_anc_range")
    _, previous = await last_hamil_totals(ctx.session, data["target"])
    if done < previous:
        raise Invalid("tpk_anc_less", previous=previous)
    return done


# ------------------------------------------------------------------ nifas


async def parse_delivered(ctx: Context, answer: Answer, data: dict) -> str:
    return delivery_day(answer.text, await _today(ctx, data)).isoformat()


def kb_buttons(ctx: Context, _data):
    codes = maternal.KB_METHODS
    return [[(tlabel(ctx, "kb", a), a), (tlabel(ctx, "kb", b), b)]
            for a, b in zip(codes[::2], codes[1::2], strict=True)]


# ------------------------------------------------------------------ baduta


async def child_values(ctx: Context, data: dict):
    target = await _target(ctx, data)
    today = await _today(ctx, data)
    born = target.birth_date
    months = completed_months(born, today) if born and born <= today else None
    return {"m": await latest_measurement(ctx.session, target.child_id), "months": months,
            "name": target_name(ctx.locale, target)}


async def feed_values(ctx: Context, data: dict):
    values = await child_values(ctx, data)
    months = values["months"]
    data["feeding"] = "asi" if months is not None and months < 6 else "mpasi"
    return {**values, "feeding": data["feeding"]}


# ------------------------------------------------------------------ finish


async def finish(ctx: Context, data: dict) -> list[Reply]:
    target = await _target(ctx, data)
    today = await _today(ctx, data)  # the visit's day
    th = await thresholds_for(ctx.session, target.desa_code)
    visit = Visit(target_id=target.id, kind=target.kind, desa_code=target.desa_code,
                  visited_on=today, tpk_user_id=ctx.user.id, created_at=ctx.now, details={})
    signs: list[str] = []
    result: dict = {}
    if target.kind == HAMIL:
        if data.get("hpht"):
            target.hpht = dt.date.fromisoformat(data["hpht"])
            target.due_date = due_from_hpht(target.hpht)
        week = _week(target, today)
        tri = maternal.trimester(week)
        previous_ttd, _ = await last_hamil_totals(ctx.session, target.id)
        visit.week, visit.lila_cm, visit.hb = week, data["h_lila"], data["h_hb"]
        visit.kek = maternal.is_kek(data["h_lila"], th)
        visit.anaemia = maternal.is_anaemic(data["h_hb"], tri, th)
        visit.ttd_taken = data["h_ttd"]
        visit.ttd_total = maternal.ttd_total(previous_ttd, data["h_ttd"])
        visit.anc_done = data["h_anc"]
        signs = data["h_danger"]
        result = {"week": week, "trimester": tri, "hb_cutoff": maternal.hb_cutoff(tri, th),
                  "anc_expected": maternal.anc_expected(week),
                  "anc_behind": maternal.anc_behind(week, data["h_anc"]),
                  "ttd_target": int(th.ttd_target)}
    elif target.kind == NIFAS:
        if data.get("n_birth"):
            target.delivered_on = dt.date.fromisoformat(data["n_birth"])
        days = (today - target.delivered_on).days
        visit.kf = maternal.kf_window(days)
        visit.details = {"kb": data["n_kb"], "asi": data["n_asi"] == "y"}
        signs = data["n_danger"]
        result = {"days": days}
    else:
        visit.details = {"posyandu": data["b_posyandu"] == "y", "imunisasi": data["b_imm"] == "y",
                         "feeding": data.get("feeding", "mpasi"), "feeding_ok": data["b_feed"] == "y",
                         "sanitation": data["b_sanit"]}
        result = {"missing_sanitation": [c for c in SANITATION if c not in data["b_sanit"]]}
    visit.danger_signs = ",".join(signs)
    ctx.session.add(visit)
    await ctx.session.flush()
    await ctx.audit("create", "visit", visit.id, detail=f"target {target.id}")
    notified = await notify_bidan(ctx, target, visit, signs) if signs else None
    lines = await desa_list(ctx.session, target.desa_code,
                            await area_today(ctx, target.desa_code), th)
    line = next((x for x in lines if x.target.id == target.id), None)
    return [ctx.reply(
        "tpk/visit_result", target=target, name=target_name(ctx.locale, target), visit=visit,
        signs=signs, notified=notified, next_due=line.due if line else None, th=th,
        tl=lambda *a: tlabel(ctx, *a), **result,
    )]


async def notify_bidan(ctx: Context, target: Target, visit: Visit, signs: list[str]) -> int:
    """An urgent notice to each bidan of the target's desa, queued at once (priority 0)."""
    bidans = (await ctx.session.scalars(
        select(User).where(User.role == BIDAN, User.area_code == target.desa_code,
                           User.blocked_at.is_(None))
    )).all()
    for bidan in bidans:
        text = templates.render(
            bidan.locale, "tpk/danger_notice", target=target, visit=visit,
            name=target_name(bidan.locale, target), tpk=ctx.user,
            signs=[tlabel(bidan.locale, DANGER_STEP[target.kind], s) for s in signs],
            kind_label=tlabel(bidan.locale, "kind", target.kind),
        )
        await outbox.enqueue(
            ctx.session, outbox.Message(text, kind="notice", priority=0),
            dedupe_key=f"tpk-danger:{visit.id}:{bidan.id}", chat_id=bidan.chat_id,
            platform=bidan.platform, user_id=bidan.id, now=ctx.now,
        )
    await ctx.audit("notify", "visit", visit.id, detail=f"{len(bidans)} bidan")
    return len(bidans)


FLOW = register(Flow(
    NAME,
    [
        Step("target", "tpk/ask_target", parse_target, buttons=target_buttons,
             when=lambda d: "target" not in d),
        Step("summary", "tpk/summary", choice_of("go"), buttons=go_buttons,
             values=summary_step_values, when=lambda d: "summary" not in d),
        Step("day", "tpk/ask_visit_day", parse_day, buttons=recent_day_buttons),
        # ibu hamil
        Step("hpht", "tpk/ask_pregnancy", parse_hpht,
             when=lambda d: is_kind(HAMIL)(d) and not d.get("has_hpht")),
        Step("h_lila", "tpk/ask_lila", lambda _c, a, _d: parse_lila(a.text), when=is_kind(HAMIL),
             values=week_values),
        Step("h_hb", "tpk/ask_hb", lambda _c, a, _d: parse_hb(a.text), when=is_kind(HAMIL),
             values=week_values),
        Step("h_ttd", "tpk/ask_ttd", lambda _c, a, _d: parse_count(a.text, TTD_MAX, "tpk_ttd_range"),
             when=is_kind(HAMIL), values=ttd_values),
        Step("h_anc", "tpk/ask_anc", parse_anc, when=is_kind(HAMIL), values=anc_values),
        toggle_step("h_danger", "tpk/ask_danger", lambda _d: maternal.DANGER_HAMIL,
                    when=is_kind(HAMIL)),
        # ibu nifas
        Step("n_birth", "tpk/ask_delivered", parse_delivered,
             when=lambda d: is_kind(NIFAS)(d) and not d.get("has_delivered")),
        Step("n_kb", "tpk/ask_kb", choice_of(*maternal.KB_METHODS), buttons=kb_buttons,
             when=is_kind(NIFAS)),
        Step("n_asi", "tpk/ask_asi", choice_of("y", "n"), buttons=yes_no, when=is_kind(NIFAS)),
        toggle_step("n_danger", "tpk/ask_danger_nifas", lambda _d: maternal.DANGER_NIFAS,
                    when=is_kind(NIFAS)),
        # baduta / balita family
        Step("b_posyandu", "tpk/ask_posyandu", choice_of("y", "n"), buttons=yes_no,
             when=is_kind(BADUTA), values=child_values),
        Step("b_imm", "tpk/ask_immunisation", choice_of("y", "n"), buttons=yes_no,
             when=is_kind(BADUTA)),
        Step("b_feed", "tpk/ask_feeding", choice_of("y", "n"), buttons=yes_no,
             when=is_kind(BADUTA), values=feed_values),
        toggle_step("b_sanit", "tpk/ask_sanitation", lambda _d: SANITATION, when=is_kind(BADUTA)),
    ],
    finish,
))
