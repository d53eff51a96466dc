from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from growth.csvio import main
from growth.zscores import OUTPUT_COLUMNS

GOOD = """id,sex,age_days,weight,lenhei,measure,oedema,note
a,1,400,9.5,76.0,l,n,"has, comma"
b,F,900,12.0,88.0,H,N,
c,2,NA,10.0,80.0,,,age unknown
d,m,2000,18.0,110.0,h,n,too old
"""


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_happy_path_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GOOD)
    code, out, err = _run([str(src)], capsys)
    assert code == 0 and err == ""
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4
    assert rows[0]["note"] == "has, comma" and rows[0]["id"] == "a"
    for name in (*OUTPUT_COLUMNS, "cat_lenhei", "cat_wei", "cat_wfl", "cat_bmi"):
        assert name in rows[0]
    assert rows[0]["zlen"] != "" and rows[0]["cat_lenhei"] != ""
    assert rows[2]["zlen"] == "" and rows[2]["zwfl"] != ""  # no age: only weight-for-length
    assert rows[3]["zwei"] == "" and rows[3]["fwei"] == ""  # 60 months and over


def test_birth_dates_and_semicolons(tmp_path: Path) -> None:
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("sex;birth_date;measured_on;weight;lenhei\n"
                   "1;2023-01-10;2024-01-10;9,6;75,7\n")  # fmt: skip
    assert main([str(src), "-o", str(dst)]) == 0
    row = next(csv.DictReader(dst.open(), delimiter=";"))
    assert row["clenhei"] == "75,7" and "," in row["zwei"]


def test_who_reference_through_the_tool(reference_path: Path, tmp_path: Path) -> None:
    dst = tmp_path / "out.csv"
    assert main([str(reference_path), "-o", str(dst)]) == 0
    with reference_path.open() as fh:
        want = list(csv.DictReader(fh))
    with dst.open() as fh:
        got = list(csv.DictReader(fh))
    assert len(got) == len(want)
    bad = []
    for name in ("zlen", "flen", "zwei", "fwei", "zwfl", "fwfl", "zbmi", "zhc", "zac", "zts",
                 "zss", "fss", "c9mo_flag"):  # fmt: skip
        w = np.array([np.nan if r[name] == "NA" else float(r[name]) for r in want])
        g = np.array([np.nan if r[name] == "" else float(r[name]) for r in got])
        diff = ~((w == g) | (np.isnan(w) & np.isnan(g)))
        bad += [f"row {want[i]['id']} {name}: {w[i]} vs {g[i]}" for i in np.flatnonzero(diff)]
    assert not bad, bad[:10]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("sex,weight\n1,9\n", "line 1: missing column(s): age_days or age_months"),
        ("age_days,weight\n1,9\n", "line 1: missing column(s): sex"),
        ("sex,age_days,weight\n1,400,9\n2,500,abc\n", "line 3, column 'weight': 'abc' is not a number"),
        ("sex,age_days,weight\n1,400,9\n3,500,9\n", "line 3, column 'sex': '3' is not one of"),
        ("sex,age_days,weight,measure\n1,400,9,x\n", "line 2, column 'measure'"),
        ("sex,birth_date,measured_on,weight\n1,2024-13-01,2024-01-01,9\n",
         "line 2, column 'birth_date'"),
        ("sex,birth_date,measured_on,weight\n1,2024-02-01,2024-01-01,9\n", "is before birth_date"),
        ("sex,age_days,weight\n1,400\n", "line 2: 2 fields, the header has 3"),
        ("", "line 1: the file is empty"),
    ],
)  # fmt: skip
def test_refusals(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
                  message: str) -> None:  # fmt: skip
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(content)
    code, out, err = _run([str(src), "-o", str(dst)], capsys)
    assert code == 2
    assert message in err and err.count("\n") == 1
    assert out == ""
    assert list(tmp_path.iterdir()) == [src]  # no output file, no temporary left behind


def test_missing_input_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and "cannot read" in err


def test_runs_as_module(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(GOOD)
    done = subprocess.run([sys.executable, "-m", "growth.csvio", str(src)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("id,sex,age_days")
