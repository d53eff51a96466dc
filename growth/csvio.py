"""``tumbuh zscore INPUT.csv [-o OUTPUT.csv]``: WHO z-scores for a CSV of measurements.

Input columns use WHO anthro's names: ``sex`` (1/2 or m/f), an age as ``age_days`` or
``age_months`` or ``birth_date`` + ``measured_on`` (ISO dates), ``weight`` (kg), ``lenhei``
(cm), ``measure`` (l/h), and optionally ``headc``, ``armc`` (cm), ``triskin``, ``subskin`` (mm),
``oedema`` (y/n). Empty cells and NA are missing. A file with ``;`` as separator (Excel in an
Indonesian locale) may use decimal commas; the output then uses them too.

Every input row and column is written back with WHO's outputs and the Permenkes 2/2020
category labels added. Bad input (a missing column, a value that is not a number, a date that
is not a date) is refused with its line and column before anything is written; the output file
is written to a temporary file and renamed, so it never exists half-written.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

import numpy as np

from growth.categories import Index, category_labels
from growth.zscores import OUTPUT_COLUMNS, compute_zscores

NUMERIC = ("age_days", "age_months", "weight", "lenhei", "headc", "armc", "triskin", "subskin")
MEASUREMENTS = ("weight", "lenhei", "headc", "armc", "triskin", "subskin")
MISSING = {"", "na", "nan", "n/a"}
CHOICES: dict[str, dict[str, int]] = {
    "sex": {"1": 1, "2": 2, "m": 1, "f": 2},
    "measure": {"l": 1, "h": 2},
    "oedema": {"y": 1, "1": 1, "n": 2, "2": 2},
}
CATEGORY_COLUMNS: dict[str, tuple[Index, str]] = {
    "cat_lenhei": ("lhfa", "zlen"),
    "cat_wei": ("wfa", "zwei"),
    "cat_wfl": ("wflh", "zwfl"),
    "cat_bmi": ("bmifa", "zbmi"),
}
PROGRESS_MIN_ROWS = 50_000


class InputError(Exception):
    """Input refused; the message names the line and column."""


def _progress(enabled: bool) -> Callable[[str, float], None]:
    def show(stage: str, fraction: float) -> None:
        if enabled:
            filled = int(fraction * 30)
            sys.stderr.write(f"\r{stage:<8} [{'#' * filled}{'.' * (30 - filled)}] "
                             f"{fraction * 100:3.0f}%")  # fmt: skip
            if fraction >= 1:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return show


def _sniff_delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


@dataclass
class Table:
    """A parsed CSV: header, rows and what is needed to name lines in messages."""

    text: str
    header: list[str]
    rows: list[list[str]]
    delimiter: str
    _lines: list[int] | None = None

    def line(self, i: int) -> int:
        """File line number of row ``i`` (computed only when a message needs it)."""
        if self._lines is None:
            reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
            next(reader)
            self._lines = [reader.line_num for row in reader if row]
        return self._lines[i]


def read_rows(text: str) -> Table:
    """Parse CSV text (``,`` or ``;`` separated); refuses rows of the wrong width."""
    text = text.removeprefix("\ufeff")  # Excel's byte-order mark
    delimiter = _sniff_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("line 1: the file is empty (a header row is needed)") from None
    rows = [row for row in reader if row]
    table = Table(text, header, rows, delimiter)
    width = len(header)
    if any(len(row) != width for row in rows):
        i = next(i for i, row in enumerate(rows) if len(row) != width)
        raise InputError(f"line {table.line(i)}: {len(rows[i])} fields, the header has {width}")
    return table


_MISSING_EXACT = {"", "NA", "na", "Na", "NaN", "nan", "N/A", "n/a"}


def _numbers(values: list[str], name: str, table: Table, comma: bool) -> np.ndarray:
    if comma:
        values = [v.replace(",", ".") for v in values]
    missing = _MISSING_EXACT
    try:  # fast path: plain numbers and the usual spellings of missing
        arr = np.fromiter(
            (float("nan") if v in missing else float(v) for v in values), np.float64, len(values)
        )
        if not np.isinf(arr).any():
            return arr
    except ValueError:
        pass
    out = np.empty(len(values))
    for i, v in enumerate(values):  # slow path: tolerant of spaces, names the bad cell
        v = v.strip()
        if v.lower() in MISSING:
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except ValueError:
            out[i] = np.inf
        if np.isinf(out[i]) or np.isnan(out[i]) or "_" in v:
            raise InputError(f"line {table.line(i)}, column '{name}': {v!r} is not a number")
    return out


def _choices(values: list[str], name: str, table: Table) -> np.ndarray:
    """Integer codes of a coded column (sex, measure, oedema); 0 = missing."""
    allowed = CHOICES[name]
    codes = {}
    for v in set(values):  # few distinct values: check and map each once
        key = v.strip().lower()
        if key in allowed:
            codes[v] = allowed[key]
        elif key in MISSING:
            codes[v] = 0
        else:
            i = values.index(v)
            raise InputError(f"line {table.line(i)}, column '{name}': {v!r} is not one of "
                             f"{', '.join(sorted(allowed))} (or empty/NA)")  # fmt: skip
    return np.fromiter((codes[v] for v in values), np.int8, len(values))


def _dates(values: list[str], name: str, table: Table) -> list[date | None]:
    out: list[date | None] = []
    for i, v in enumerate(values):
        v = v.strip()
        if v.lower() in MISSING:
            out.append(None)
            continue
        try:
            out.append(date.fromisoformat(v))
        except ValueError:
            raise InputError(
                f"line {table.line(i)}, column '{name}': {values[i]!r} is not a date (YYYY-MM-DD)"
            ) from None
    return out


def compute_table(table: Table) -> dict[str, np.ndarray]:
    """Validate the columns and compute WHO's outputs (raises InputError)."""
    header, rows = table.header, table.rows
    comma = table.delimiter == ";"
    pos = {h.strip().lower(): i for i, h in enumerate(header)}

    def column(name: str) -> list[str]:
        i = pos[name]
        return [r[i] for r in rows]

    missing = []
    if "sex" not in pos:
        missing.append("sex")
    has_dates = "birth_date" in pos and "measured_on" in pos
    if not ("age_days" in pos or "age_months" in pos or has_dates):
        missing.append("age_days or age_months or birth_date + measured_on")
    if not any(m in pos for m in MEASUREMENTS):
        missing.append("at least one of " + ", ".join(MEASUREMENTS))
    if missing:
        raise InputError(f"line 1: missing column(s): {'; '.join(missing)} "
                         f"(found: {', '.join(header)})")  # fmt: skip

    def numbers(name: str) -> np.ndarray | None:
        return _numbers(column(name), name, table, comma) if name in pos else None

    def codes(name: str) -> np.ndarray | None:
        return _choices(column(name), name, table) if name in pos else None

    kwargs: dict[str, object] = {
        "sex": codes("sex"),
        "measure": codes("measure"),
        "oedema": None if "oedema" not in pos else codes("oedema") == 1,
    }
    for name in MEASUREMENTS:
        kwargs[name] = numbers(name)
    if "age_days" in pos:
        kwargs["age_days"] = numbers("age_days")
    elif "age_months" in pos:
        kwargs["age_months"] = numbers("age_months")
    else:
        born = _dates(column("birth_date"), "birth_date", table)
        measured = _dates(column("measured_on"), "measured_on", table)
        days = np.full(len(rows), np.nan)
        for i, (b, m) in enumerate(zip(born, measured, strict=True)):
            if b is not None and m is not None:
                if m < b:
                    raise InputError(f"line {table.line(i)}, column 'measured_on': {m} is "
                                     f"before birth_date {b}")  # fmt: skip
                days[i] = (m - b).days
        kwargs["age_days"] = days
    if not rows:
        return {c: np.empty(0) for c in OUTPUT_COLUMNS}
    return compute_zscores(**kwargs)  # type: ignore[arg-type]


def _format(name: str, values: np.ndarray, comma: bool) -> list[str]:
    """Cells for one output column: empty for NaN, fixed 2 decimals for z-scores."""
    if name.startswith("cat_"):
        return values.tolist()
    if name.startswith("f") or name == "c9mo_flag":
        lookup = {0.0: "0", 1.0: "1"}
        return [lookup.get(v, "") for v in values.tolist()]
    # %.10g hides float noise in clenhei/cbmi (103.1 - 0.7 = 102.39999999999999);
    # + 0.0 turns a -0.0 z-score into 0.0.
    fmt = "%.2f" if name.startswith("z") else "%.10g"
    cells = ["" if v != v else fmt % v for v in (values + 0.0).tolist()]
    if comma:
        cells = [c.replace(".", ",") for c in cells]
    return cells


def write_table(out: IO[str], table: Table, result: dict[str, np.ndarray],
                progress: Callable[[str, float], None]) -> None:  # fmt: skip
    header, rows, delimiter = table.header, table.rows, table.delimiter
    lower = [h.strip().lower() for h in header]
    comma = delimiter == ";"
    cols = dict(result)
    for cat, (index, zcol) in CATEGORY_COLUMNS.items():
        cols[cat] = category_labels(index, result[zcol])
    names = list(OUTPUT_COLUMNS) + list(CATEGORY_COLUMNS)
    cells = {name: _format(name, cols[name], comma) for name in names}
    # An output column already in the input (a re-run) is overwritten in place.
    replaced = {name: lower.index(name) for name in names if name in lower}
    added = [name for name in names if name not in replaced]
    extra = [delimiter.join(t) for t in zip(*(cells[n] for n in added), strict=True)]
    raw_lines = table.text.removeprefix("\ufeff").splitlines()
    # Fast path: without quotes every row is one text line, written back untouched.
    simple = (not replaced and '"' not in table.text
              and len(raw_lines) - raw_lines.count("") == len(rows) + 1)  # fmt: skip
    out.write(delimiter.join(header + added) + "\n")
    step = max(1, len(rows) // 20)
    if simple:
        body = [line for line in raw_lines[1:] if line]
        for start in range(0, len(rows), step):
            stop = start + step
            pairs = zip(body[start:stop], extra[start:stop], strict=True)
            out.writelines(f"{a}{delimiter}{b}\n" for a, b in pairs)
            progress("writing", min(1.0, stop / len(rows)))
        return
    for name, i in replaced.items():
        for row, cell in zip(rows, cells[name], strict=True):
            row[i] = cell
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for start in range(0, len(rows), step):
        stop = start + step
        for row, ext in zip(rows[start:stop], extra[start:stop], strict=True):
            writer.writerow(row + ext.split(delimiter) if ext else row)
        progress("writing", min(1.0, stop / len(rows)))


def run(input_path: Path, output_path: Path | None, stdout: IO[str], stderr: IO[str]) -> int:
    try:
        text = input_path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        stderr.write(f"tumbuh zscore: cannot read {input_path}: {exc.strerror}\n")
        return 2
    except UnicodeDecodeError:
        stderr.write(f"tumbuh zscore: {input_path} is not UTF-8 text\n")
        return 2
    try:
        table = read_rows(text)
        progress = _progress(stderr.isatty() and len(table.rows) >= PROGRESS_MIN_ROWS)
        progress("reading", 1.0)
        result = compute_table(table)
    except InputError as exc:
        stderr.write(f"tumbuh zscore: {input_path}: {exc}\n")
        return 2
    if output_path is None:
        buf = io.StringIO()
        write_table(buf, table, result, progress)
        stdout.write(buf.getvalue())
        return 0
    directory = output_path.resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=f".{output_path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            write_table(fh, table, result, progress)
        os.replace(tmp, output_path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tumbuh zscore",
        description="Add WHO z-scores, flags and Permenkes 2/2020 categories to a CSV file.",
    )
    parser.add_argument("input", type=Path, metavar="INPUT.csv")
    parser.add_argument("-o", "--output", type=Path, metavar="OUTPUT.csv",
                        help="output file (default: standard output)")  # fmt: skip
    args = parser.parse_args(list(argv) if argv is not None else None)
    return run(args.input, args.output, sys.stdout, sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
