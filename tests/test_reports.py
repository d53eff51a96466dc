"""Monthly reports (/laporan): figures against a hand-computed fixture, scope, names, empty months,
the chart, the XLSX file and `tumbuh report`; the stored ``latest_of_month`` flag the reports count
by, kept right through /ukur, re-measures, back-dated entries, /ralat and moved dates."""

from __future__ import annotations

import asyncio
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from bot import measuring
from bot.cli import main as cli_main
from storage.measurements import refresh_latest_of_month
from storage.models import Child, FollowUp, Measurement, User
from storage.reports import build_report, month_key, names_allowed, place_of
from tests.helpers import Talk, joined

NOV = dt.date(2026, 11, 1)


def measurement(child: Child, on: dt.date, zlen, zwei, zwfl, *, gain="N", flagged=False,
                two_t=False, bgm=False, desa="36.02.01.2001") -> Measurement:
    return Measurement(
        child_id=child.id, posyandu_id=child.posyandu_id, desa_code=desa, measured_on=on,
        weight_kg=10.0, lenhei_cm=80.0 if zlen is not None else None, position="l",
        age_days=(on - child.birth_date).days, zlen=zlen, zwei=zwei, zwfl=zwfl,
        flagged=flagged, gain=gain, two_t=two_t, bgm=bgm,
        stunted=zlen is not None and zlen < -2, entered_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
    )


@pytest.fixture
async def fixture(db, world, clock):
    """Posyandu Melati (kecamatan Malingping) in November 2026, latest measurement per child:

    c1 zlen -2.5 zwei -1.0 zwfl  0.0  N  stunted (its follow-up was done in November)
    c2 zlen -3.2 zwei -2.5 zwfl -2.4  T  stunted, severe, underweight, wasted, BGM
    c3 zlen  0.5 zwei  0.2 zwfl  2.5  N  overweight
    c4 zlen -1.5 zwei -0.5 zwfl  0.1  B  (an earlier November weighing had zlen -2.5)
    c5 no length, zwei -2.1           O  underweight, 2T
    c6 zlen -4.0 flagged              N  measured, but in no prevalence

    October 2026: c1 -2.1, c2 -3.0, c3 0.0 (3 measured, 2 stunted, 0 severe).
    November 2025: c1 -2.6 (1 measured, 1 stunted).
    Posyandu Mawar (kecamatan Wanasalam): rudi zlen -2.5 in November (another kecamatan).
    """
    now = clock.now
    async with db.transaction() as session:
        kids = {}
        for key in ("c1", "c2", "c3", "c4", "c5", "c6"):
            child = Child(posyandu_id=world.posyandu_a, name=f"Anak {key.upper()}", sex="P",
                          birth_date=dt.date(2024, 1, 15), created_at=now)
            session.add(child)
            kids[key] = child
        await session.flush()
        rudi = await session.get(Child, world.children["rudi"])
        c = kids
        session.add_all([
            measurement(c["c1"], dt.date(2026, 11, 10), -2.5, -1.0, 0.0),
            measurement(c["c2"], dt.date(2026, 11, 10), -3.2, -2.5, -2.4, gain="T", bgm=True),
            measurement(c["c3"], dt.date(2026, 11, 10), 0.5, 0.2, 2.5),
            measurement(c["c4"], dt.date(2026, 11, 3), -2.5, -0.5, 0.1, gain="T"),
            measurement(c["c4"], dt.date(2026, 11, 18), -1.5, -0.5, 0.1, gain="B"),
            measurement(c["c5"], dt.date(2026, 11, 10), None, -2.1, None, gain="O", two_t=True),
            measurement(c["c6"], dt.date(2026, 11, 10), -4.0, -1.0, 0.0, flagged=True),
            measurement(c["c1"], dt.date(2026, 10, 10), -2.1, -1.0, 0.0),
            measurement(c["c2"], dt.date(2026, 10, 10), -3.0, -1.0, 0.0),
            measurement(c["c3"], dt.date(2026, 10, 10), 0.0, 0.0, 0.0),
            measurement(c["c1"], dt.date(2025, 11, 10), -2.6, -1.0, 0.0),
            measurement(rudi, dt.date(2026, 11, 12), -2.5, -2.5, -2.5, desa="36.02.02.2003",
                        bgm=True),
        ])
        await session.flush()
        # Rows added directly (not through /ukur): mark each child's latest of each month.
        for child in [*kids.values(), rudi]:
            days = await session.scalars(select(Measurement.measured_on)
                                         .where(Measurement.child_id == child.id))
            await refresh_latest_of_month(session, child.id, days.all())
        session.add(FollowUp(child_id=c["c1"].id, posyandu_id=world.posyandu_a, reasons="stunting",
                             created_at=now, recheck_on=dt.date(2026, 12, 10),
                             done_at=dt.datetime(2026, 11, 15, tzinfo=dt.UTC)))
        return {key: child.id for key, child in kids.items()}


async def test_figures_match_the_hand_computed_fixture(db, fixture):
    async with db.transaction() as session:
        place = await place_of(session, "36.02.01")
        report = await build_report(session, place, NOV, names_allowed=True)
    summary = next(s for s in report.sections if s.key == "summary").values
    now = summary["now"]
    assert (now.measured, now.flagged) == (6, 1)
    assert (now.with_length, now.stunted, now.severe) == (4, 2, 1)
    assert (now.with_wfl, now.wasted, now.overweight) == (4, 1, 1)
    assert (now.with_weight, now.underweight) == (5, 2)
    assert now.pct("stunted") == 50.0 and now.pct("underweight") == 40.0
    assert (now.n, now.t, now.o, now.b) == (3, 1, 1, 1)
    previous, last_year = summary["previous"], summary["last_year"]
    assert (previous.measured, previous.stunted, previous.severe) == (3, 2, 0)
    assert (last_year.measured, last_year.stunted) == (1, 1)
    sub = next(s for s in report.sections if s.key == "sub_areas").values["items"]
    assert [i["key"] for i in sub] == ["36.02.01.2001"]
    [desa] = sub
    # S: siti, budi and c1..c6 are under five; all have a KIA book. D = 6, N = 3.
    assert (desa["r"].s, desa["r"].k, desa["f"].measured, desa["f"].n) == (8, 8, 6, 3)
    assert desa["ds"] == 6 / 8 and desa["nd"] == 3 / 6 and desa["ks"] == 1.0
    trend = dict(report.trend)
    assert trend[NOV] == 50.0 and trend[dt.date(2026, 10, 1)] == pytest.approx(200 / 3)
    assert trend[dt.date(2026, 9, 1)] is None
    follow = next(s for s in report.sections if s.key == "follow_up").values
    # c1 was followed up, c4's latest is fine, c6's value is implausible: c2 and c5 remain.
    assert [c.name for c in follow["children"]] == ["Anak C2", "Anak C5"]
    assert follow["children"][0].stunted and follow["children"][0].bgm
    assert follow["children"][1].two_t and not follow["children"][1].stunted


async def test_kabupaten_figures_add_both_kecamatan_without_names(db, fixture):
    async with db.transaction() as session:
        place = await place_of(session, "36.02")
        report = await build_report(session, place, NOV,
                                    names_allowed=names_allowed("koordinator", "kabupaten", place))
    assert not report.names_allowed
    now = next(s for s in report.sections if s.key == "summary").values["now"]
    assert (now.measured, now.stunted, now.underweight, now.wasted) == (7, 3, 3, 2)
    sub = next(s for s in report.sections if s.key == "sub_areas").values["items"]
    assert {i["key"]: i["f"].measured for i in sub} == {"36.02.01": 6, "36.02.02": 1}
    follow = next(s for s in report.sections if s.key == "follow_up").values
    assert not follow["names"]
    assert {c.posyandu: (c.children, c.stunted, c.two_t, c.bgm) for c in follow["counts"]} == {
        "Melati": (2, 1, 1, 1), "Mawar": (1, 1, 0, 1)}


def test_who_sees_names():
    kecamatan = type("P", (), {"code": "36.02.01", "level": "kecamatan"})()
    kabupaten = type("P", (), {"code": "36.02", "level": "kabupaten"})()
    assert names_allowed("koordinator", "kecamatan", kecamatan)
    assert names_allowed("bidan", "desa", kecamatan)
    assert not names_allowed("koordinator", "kabupaten", kecamatan)
    assert not names_allowed("admin", None, kecamatan)
    assert not names_allowed("koordinator", "kecamatan", kabupaten)


async def test_kecamatan_coordinator_sees_only_its_numbers(db, dispatcher, world, fixture):
    koor = Talk(dispatcher, "koor_malingping")
    await koor.say("/laporan")
    [reply] = await koor.press("Bulan ini")
    text = reply.text
    assert "Laporan November 2026</b> · Malingping" in text
    assert "Anak diukur: <b>6</b>" in text and "bulan lalu 3" in text
    assert "Stunting (PB/U atau TB/U &lt; -2): <b>2</b> (50,0 %)" in text
    assert "setahun lalu 1 (+1)" in text
    assert "Malingping Utara: S 8 · D 6 (D/S 75 %)" in text
    assert "Anak C2" in text and "Anak C1" not in text and "Rudi" not in text
    assert "Mawar" not in text and "Wanasalam" not in text
    png = reply.image  # drawn by the dispatcher after the transaction, in a thread
    assert png.startswith(b"\x89PNG") and len(png) < 200_000
    # Another kecamatan's report, by a forged button, is refused.
    assert "tidak tersedia" in joined(await koor.press("lp:36.02.02:2026-11"))
    assert "tidak tersedia" in joined(await koor.press("lx:36.02:2026-11"))


async def test_kabupaten_coordinator_gets_counts_and_can_open_a_kecamatan(db, dispatcher, world,
                                                                         fixture):
    koor = Talk(dispatcher, "koor_lebak")
    text = await koor.text("/laporan 2026-11")
    assert "Anak diukur: <b>7</b>" in text and "Wanasalam" in text and "Malingping" in text
    assert "Anak C2" not in text and "Melati: 2 anak (stunting 1, 2T 1, BGM 1)" in text
    replies = await koor.press("Malingping")
    assert "Anak diukur: <b>6</b>" in joined(replies) and "Anak C2" not in joined(replies)


async def test_bidan_sees_her_desa_with_names(db, dispatcher, world, fixture):
    bidan = Talk(dispatcher, "bidan_a")
    text = await bidan.text("/laporan November 2026")
    assert "Malingping Utara" in text and "Anak C2 (Melati) stunting BGM" in text
    assert "SKDN dan stunting per posyandu" in text and "Melati: S 8" in text


async def test_a_month_without_data_says_so(db, dispatcher, world, fixture):
    koor = Talk(dispatcher, "koor_malingping")
    [reply] = await koor.say("/laporan 2026-08")
    assert "belum ada anak yang diukur pada Agustus 2026" in reply.text
    assert "<b>0</b>" not in reply.text and reply.image is None
    assert "belum tiba" in await koor.text("/laporan 2027-01")
    await koor.say("/laporan")
    assert "tidak terbaca" in await koor.text("bulan depan")


async def test_kader_and_families_get_no_report(db, dispatcher, world, fixture):
    for who in ("kader_a", "ibu_a1"):
        talk = Talk(dispatcher, who)
        assert "Laporan" not in await talk.text("/laporan 2026-11")
        assert "Laporan" not in joined(await talk.press("lp:36.02.01:2026-11"))


async def test_xlsx_export_has_typed_cells(db, dispatcher, world, fixture):
    koor = Talk(dispatcher, "koor_malingping")
    await koor.say("/laporan 2026-11")
    [reply] = await koor.press("📥 Unduh Excel (XLSX)")
    assert reply.document_name == "laporan-36.02.01-2026-11.xlsx"
    book = load_workbook(io.BytesIO(reply.document))
    assert book.sheetnames == ["Ringkasan", "Per wilayah (SKDN)", "Tren 12 bulan",
                               "Belum ditindaklanjuti"]
    summary = list(book["Ringkasan"].iter_rows(values_only=True))
    assert summary[0][:3] == ("Indikator", "Jumlah", "Persen")
    stunting = next(r for r in summary if r[0].startswith("Stunting"))
    assert stunting[1] == 2 and stunting[2] == 0.5 and stunting[3] == 2 and stunting[5] == 0
    assert book["Ringkasan"]["C3"].number_format == "0.0%"
    trend = list(book["Tren 12 bulan"].iter_rows(values_only=True))
    assert trend[-1][0] == dt.datetime(2026, 11, 1) and trend[-1][1:3] == (6, 2)
    names = list(book["Belum ditindaklanjuti"].iter_rows(values_only=True))
    assert [r[0] for r in names[1:]] == ["Anak C2", "Anak C5"]
    assert names[1][2] == dt.datetime(2024, 1, 15)


async def test_cli_report_writes_the_same_workbook(db, world, fixture, tmp_path, monkeypatch):
    if not db.is_sqlite:
        pytest.skip("the command line reads TUMBUH_DATABASE_URL; one engine is enough")
    monkeypatch.setenv("TUMBUH_DATABASE_URL", db.url)
    out = tmp_path / "lap.xlsx"
    def cli(*args: str) -> int:  # its own event loop, in a thread
        return asyncio.to_thread(cli_main, list(args))

    assert await cli("report", "--area", "36.02.01", "--month", "2026-11", "-o", str(out)) == 0
    book = load_workbook(out)
    rows = list(book["Ringkasan"].iter_rows(values_only=True))
    assert rows[1][1] == 6  # children measured
    # Without --names the command line lists no child either.
    follow = list(book["Belum ditindaklanjuti"].iter_rows(values_only=True))
    assert follow[0][0] == "Posyandu" and follow[1][:3] == ("Melati", "36.02.01.2001", 2)
    assert await cli("report", "--area", "36.02.09", "--month", "2026-11", "-o", str(out)) == 2
    assert await cli("report", "--area", "36.02.01", "--month", "2026-08", "-o", str(out)) == 1


# ------------------------------------------------------------------ the latest_of_month flag


async def flags(db, child_id: int) -> list[tuple[dt.date, float, bool]]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(Measurement.measured_on, Measurement.weight_kg, Measurement.latest_of_month)
            .where(Measurement.child_id == child_id).order_by(Measurement.id))
        return [(on, weight, bool(flag)) for on, weight, flag in rows]


async def assert_flags_equal_the_window(db) -> None:
    """Every stored flag is what a window function over the month says (the old way)."""
    rank = func.row_number().over(
        partition_by=(Measurement.child_id, month_key(Measurement.measured_on)),
        order_by=(Measurement.measured_on.desc(), Measurement.id.desc()))
    async with db.transaction() as session:
        rows = (await session.execute(select(Measurement.latest_of_month, rank))).all()
    assert rows and all(bool(flag) == (r == 1) for flag, r in rows)


async def measure_on(kader: Talk, day: str, weight: str, length: str) -> None:
    """/ukur step by step for Siti on a typed date, saved even when asked to re-check."""
    await kader.say("/ukur")
    await kader.say("Siti Aminah")
    await kader.say(day)
    await kader.say(weight)
    await kader.say(length)
    await kader.press("Lewati")
    save = next(label for label in kader.buttons if "impan" in label)
    assert "TB/U" in joined(await kader.press(save))


async def test_latest_of_month_follows_every_change(db, dispatcher, world):
    kader, siti = Talk(dispatcher, "kader_a"), world.children["siti"]
    nov20, nov10, oct15 = dt.date(2026, 11, 20), dt.date(2026, 11, 10), dt.date(2026, 10, 15)
    await kader.say("/ukur Siti 12,5 90")
    assert await flags(db, siti) == [(nov20, 12.5, True)]
    # The same day again (asked to re-check, saved): the newer row is the month's latest.
    await kader.say("/ukur Siti 12,6 90")
    save = next(label for label in kader.buttons if "impan" in label)
    await kader.press(save)
    assert await flags(db, siti) == [(nov20, 12.5, False), (nov20, 12.6, True)]
    # /ralat deletes the latest: the first one is the month's latest again.
    await kader.say("/ralat")
    await kader.press(next(iter(kader.buttons)))
    await kader.press("🗑 Hapus")
    assert "dihapus" in joined(await kader.press("Ya"))
    assert await flags(db, siti) == [(nov20, 12.5, True)]
    # Back-dated into the same month: stored, but not the latest; into October: the latest there.
    await measure_on(kader, "10/11/2026", "12,3", "89,5")
    await measure_on(kader, "15/10/2026", "12,2", "89")
    assert await flags(db, siti) == [(nov20, 12.5, True), (nov10, 12.3, False),
                                     (oct15, 12.2, True)]
    await assert_flags_equal_the_window(db)
    # A date moved across months (no chat flow moves dates today: the function is ready for one).
    async with db.transaction() as session:
        moved = await session.scalar(select(Measurement.id).where(
            Measurement.child_id == siti, Measurement.measured_on == nov20))
        await session.execute(update(Measurement).where(Measurement.id == moved)
                              .values(measured_on=dt.date(2026, 10, 20)))
        await refresh_latest_of_month(session, siti, [nov20, dt.date(2026, 10, 20)])
    assert await flags(db, siti) == [(dt.date(2026, 10, 20), 12.5, True), (nov10, 12.3, True),
                                     (oct15, 12.2, False)]
    await assert_flags_equal_the_window(db)


async def test_two_kaders_weighing_one_child_at_once_leave_one_latest(db, dispatcher, world,
                                                                     clock, monkeypatch):
    """Two kaders of one posyandu send Siti's weight at the same moment: the second waits for
    the first (PostgreSQL: a lock per posyandu; SQLite is serial), sees its row and is asked
    to re-check instead of storing a second "latest" of the month."""
    read_history = measuring.history

    async def slow_history(*args, **kwargs):  # widens the race: both read, then both store
        rows = await read_history(*args, **kwargs)
        await asyncio.sleep(0.05)
        return rows

    monkeypatch.setattr(measuring, "history", slow_history)
    async with db.transaction() as session:
        session.add(User(platform="test", platform_user_id="kader_a2", chat_id="kader_a2",
                         role="kader", posyandu_id=world.posyandu_a, locale="id",
                         locale_chosen=False, created_at=clock()))
    first, second = Talk(dispatcher, "kader_a"), Talk(dispatcher, "kader_a2")
    siti, nov20 = world.children["siti"], dt.date(2026, 11, 20)
    answers = await asyncio.gather(first.say("/ukur Siti 12,5 90"),
                                   second.say("/ukur Siti 12,6 90"))
    stored = await flags(db, siti)
    assert len(stored) == 1 and stored[0][2]
    asked = answers[[12.5, 12.6].index(stored[0][1]) ^ 1]
    assert "sudah diukur" in joined(asked).lower()
    other = second if stored[0][1] == 12.5 else first
    await other.press(next(label for label in other.buttons if "impan" in label))
    assert [(on, flag) for on, _, flag in await flags(db, siti)] == [(nov20, False), (nov20, True)]
    await assert_flags_equal_the_window(db)


async def test_fixture_flags_and_report_agree_with_the_window(db, fixture):
    await assert_flags_equal_the_window(db)
    async with db.transaction() as session:
        c4 = fixture["c4"]
        rows = (await session.execute(select(Measurement.measured_on, Measurement.latest_of_month)
                                      .where(Measurement.child_id == c4)
                                      .order_by(Measurement.measured_on))).all()
    assert [bool(flag) for _, flag in rows] == [False, True]


# ------------------------------------------------------------------ the TPK section (issue 8)


@pytest.fixture
async def tpk_fixture(db, world, fixture, clock):
    """Desa Malingping Utara: two ibu hamil followed by a TPK since October; one of them is
    visited twice in November (KEK at the second visit), the other not at all."""
    from storage.targets import Target
    from storage.tpk import Visit

    created = dt.datetime(2026, 10, 5, 3, tzinfo=dt.UTC)
    async with db.transaction() as session:
        rina = Target(kind="hamil", name="Rina", desa_code="36.02.01.2001",
                      hpht=dt.date(2026, 5, 1), created_at=created)
        sari = Target(kind="hamil", name="Sari", desa_code="36.02.01.2001",
                      hpht=dt.date(2026, 6, 1), created_at=created)
        session.add_all([rina, sari])
        await session.flush()
        for day, kek in ((dt.date(2026, 11, 3), False), (dt.date(2026, 11, 17), True)):
            session.add(Visit(target_id=rina.id, kind="hamil", desa_code="36.02.01.2001",
                              visited_on=day, week=27, kek=kek, anaemia=False, details={},
                              created_at=clock.now))


async def test_report_shows_the_tpk_section_in_chat_and_xlsx(db, dispatcher, world, tpk_fixture):
    koor = Talk(dispatcher, "koor_malingping")
    [reply] = await koor.say("/laporan 2026-11")
    text = reply.text
    assert "<b>Pendampingan keluarga (TPK)</b>" in text
    assert "ibu hamil 2" in text and "Dikunjungi: 1 dari 2 sasaran (50%), 2 kunjungan" in text
    assert "Ibu hamil dikunjungi: 1; KEK 1, anemia 0" in text
    assert "belum ada data pendampingan TPK" not in text
    [export] = await koor.press("📥 Unduh Excel (XLSX)")
    book = load_workbook(io.BytesIO(export.document))
    assert book.sheetnames[-1] == "Pendampingan TPK"
    rows = list(book["Pendampingan TPK"].iter_rows(values_only=True))
    assert rows[0] == ("Indikator", "Jumlah", "Dari", "Persen")
    by_name = {r[0]: r[1:] for r in rows[1:]}
    assert by_name["Sasaran ibu hamil"] == (2, None, None)
    assert by_name["Sasaran dikunjungi bulan ini"] == (1, 2, 0.5)
    assert by_name["Jumlah kunjungan"] == (2, None, None)
    assert by_name["Ibu hamil KEK"] == (1, 1, 1.0)
    assert book["Pendampingan TPK"]["D3"].number_format == "0.0%"
    # Another kecamatan (no TPK data there): one line, no sheet.
    koor_lebak = Talk(dispatcher, "koor_lebak")
    await koor_lebak.say("/laporan 2026-11")
    [other] = await koor_lebak.press("Wanasalam")
    assert "belum ada data pendampingan TPK" in other.text and "Sasaran: catin" not in other.text


async def test_report_without_tpk_data_says_so_in_one_line(db, dispatcher, world, fixture):
    koor = Talk(dispatcher, "koor_malingping")
    text = await koor.text("/laporan 2026-11")
    assert "<b>Pendampingan keluarga (TPK)</b>: belum ada data pendampingan TPK." in text
