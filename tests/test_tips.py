"""Tip templates and stage arithmetic: every stage of every track renders in both locales,
under 700 characters, distinct, with a source line; stages follow the dates exactly."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

import templates
from bot.cli import main
from bot.handlers.tips import next_tip, stage_start
from growth.age import completed_months
from storage.tips import (
    ANAK,
    CATIN,
    HAMIL,
    STAGES,
    add_months,
    local_slot,
    months_before,
    stage_bounds,
    stage_key,
    stage_on,
    stage_template,
)

LIMIT = 700
ROOT = Path(templates.__file__).parent


@pytest.mark.parametrize("locale", templates.LOCALES)
def test_every_tip_renders_short_distinct_and_sourced(locale):
    seen = {}
    for track, stages in STAGES.items():
        for stage in stages:
            text = templates.render(locale, stage_template(track, stage), stage=stage)
            assert len(text) < LIMIT, (track, stage, len(text))
            assert ("Sumber:" if locale == "id" else "Source:") in text.splitlines()[-1]
            body = "\n".join(text.splitlines()[1:-1])
            assert len(body) > 150, (track, stage)  # says something, not a stub
            assert body not in seen, (track, stage, seen.get(body))
            seen[body] = (track, stage)
    assert len(seen) == 39 + 16 + 60


@pytest.mark.parametrize("locale", templates.LOCALES)
def test_status_tips_render_with_and_without_a_bidan(locale):
    for status in ("t", "stunting", "wasting"):
        for bidan in (None, {"link": None}, {"link": "tg://user?id=123456789"}):
            text = templates.render(locale, f"tips/status/{status}", bidan=bidan, sex="P",
                                    child="Siti Aminah Nurul Hidayati Putri")
            assert len(text) < LIMIT and "Siti Aminah" in text
            assert ("tg://user?id=123456789" in text) == bool(bidan and bidan["link"])
    assert "&lt;b&gt;" in templates.render(locale, "tips/status/t", child="<b>", sex="L", bidan=None)


def test_tip_files_are_exactly_the_stages():
    for locale in templates.LOCALES:
        files = {str(p.relative_to(ROOT / locale))[:-3]
                 for p in (ROOT / locale / "tips").rglob("*.j2")
                 if p.parent.name in (HAMIL, CATIN, ANAK)}
        assert files == {stage_template(t, s) for t, stages in STAGES.items() for s in stages}


def test_weeks_count_from_hpht_and_the_wedding():
    hpht = dt.date(2026, 9, 11)
    assert stage_on(HAMIL, hpht, dt.date(2026, 11, 20)) == 10
    assert stage_on(HAMIL, hpht, dt.date(2026, 11, 26)) == 10
    assert stage_on(HAMIL, hpht, dt.date(2026, 11, 27)) == 11
    wedding = dt.date(2027, 6, 20)
    assert stage_on(CATIN, wedding, dt.date(2027, 3, 28)) == -12  # 84 days before
    assert stage_on(CATIN, wedding, dt.date(2027, 3, 27)) == -13
    assert stage_on(CATIN, wedding, dt.date(2027, 6, 19)) == -1
    assert stage_on(CATIN, wedding, dt.date(2027, 6, 20)) == 0
    assert stage_template(CATIN, -12) == "tips/catin/before_12"
    assert stage_template(CATIN, 3) == "tips/catin/after_03"


def test_month_bounds_agree_with_completed_months():
    """SQL compares birth dates with ``months_before``: it must give exactly the months of
    ``growth.age.completed_months`` for every birth date, month ends and leap days included."""
    for today in (dt.date(2026, 3, 31), dt.date(2026, 2, 28), dt.date(2028, 2, 29),
                  dt.date(2026, 11, 20), dt.date(2026, 4, 30), dt.date(2027, 1, 1)):
        bounds = stage_bounds(ANAK, today)
        born = today
        while born > today - dt.timedelta(days=5 * 366):
            months = completed_months(born, today)
            inside = [s for i, (s, upper) in enumerate(bounds[:-1]) if bounds[i + 1][1] < born <= upper]
            assert inside == ([months] if months < 60 else []), (today, born)
            born -= dt.timedelta(days=1)
        for months in range(0, 61):
            edge = months_before(today, months)
            assert completed_months(edge, today) >= months
            assert edge == today or completed_months(edge + dt.timedelta(days=1), today) < months


def test_add_months_is_the_day_a_month_completes():
    for born in (dt.date(2026, 1, 31), dt.date(2024, 2, 29), dt.date(2025, 12, 15)):
        for months in range(0, 60):
            day = add_months(born, months)
            assert completed_months(born, day) == months
            assert months == 0 or completed_months(born, day - dt.timedelta(days=1)) == months - 1


def test_next_tip_skips_what_was_sent_and_waits_for_the_track():
    hpht = dt.date(2026, 9, 11)
    today = dt.date(2026, 11, 20)
    assert next_tip(HAMIL, hpht, today, set(), 1) == (today, 10)
    assert next_tip(HAMIL, hpht, today, {stage_key(1, 10)}, 1) == (dt.date(2026, 11, 27), 11)
    early = dt.date(2026, 11, 10)  # week 1: tips start at week 4
    assert next_tip(HAMIL, early, today, set(), 1) == (stage_start(HAMIL, early, 4), 4)
    assert next_tip(HAMIL, hpht, today, {stage_key(1, w) for w in range(10, 43)}, 1) is None
    born = dt.date(2026, 1, 31)
    assert next_tip(ANAK, born, today, {stage_key(2, 9)}, 2) == (dt.date(2026, 11, 30), 10)


def test_slots_by_local_hour():
    assert local_slot(dt.time(6, 59)) is None
    assert local_slot(dt.time(7, 0)) == "pagi"
    assert local_slot(dt.time(12, 0)) == "siang"
    assert local_slot(dt.time(18, 59)) == "siang"
    assert local_slot(dt.time(19, 0)) == "malam"
    assert local_slot(dt.time(23, 30)) == "malam"


def test_posyandu_qr_is_the_join_link(tmp_path, monkeypatch, capsys):
    import segno
    from PIL import Image

    monkeypatch.setenv("TUMBUH_DATABASE_URL", f"sqlite:///{tmp_path}/qr.db")
    monkeypatch.chdir(tmp_path)
    areas = tmp_path / "areas.csv"
    areas.write_text("code,name,level,parent_code,timezone\n36,Banten,provinsi,,WIB\n"
                     "36.02,Lebak,kabupaten,36,\n36.02.01,Malingping,kecamatan,36.02,\n"
                     "36.02.01.2001,Malingping Utara,desa,36.02.01,\n")
    assert main(["areas", "import", str(areas)]) == 0
    assert main(["posyandu", "add", "--desa", "36.02.01.2001", "--name", "Melati",
                 "--day-of-month", "10", "--time", "08:00"]) == 0
    code = capsys.readouterr().out.strip().rsplit(" ", 1)[1]
    assert main(["posyandu", "qr", "1"]) == 2  # no bot username known yet
    assert "TUMBUH_BOT_USERNAME" in capsys.readouterr().err
    monkeypatch.setenv("TUMBUH_BOT_USERNAME", "TumbuhLebakBot")
    assert main(["posyandu", "qr", "1", "-o", "melati.png"]) == 0
    link = f"https://t.me/TumbuhLebakBot?start={code}"
    assert link in capsys.readouterr().out
    # The PNG's modules are exactly the QR code of the link.
    image = Image.open(io.BytesIO((tmp_path / "melati.png").read_bytes())).convert("L")
    expected = segno.make(link, error="m")
    size = expected.symbol_size(scale=1, border=0)[0]
    modules = [[image.getpixel((10 * (4 + x) + 5, 10 * (4 + y) + 5)) < 128 for x in range(size)]
               for y in range(size)]
    assert modules == [[bool(v) for v in row] for row in expected.matrix]
    assert main(["posyandu", "qr", "99"]) == 2
