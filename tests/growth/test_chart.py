from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from growth.chart import render_growth_chart

BORN = date(2022, 3, 1)
POINTS = [
    (date(2022, 3, 1), 3.2, 50.0),
    (date(2022, 6, 1), 5.9, 60.5),
    (date(2022, 12, 1), 7.9, 69.0),
    (date(2023, 6, 1), 9.0, 76.0),
    (date(2024, 3, 1), None, 84.0),
    (date(2024, 9, 1), 11.5, None),
]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_chart_is_small_valid_png() -> None:
    data = render_growth_chart("f", BORN, POINTS, "Siti Aminah")
    assert _png_size(data) == (800, 1000)
    assert len(data) < 150_000
    young = render_growth_chart(1, BORN, POINTS[:3], "Budi", locale="en")
    assert len(young) < 150_000 and young != data
    assert len(render_growth_chart("m", BORN, [], "Tanpa data")) < 150_000


def test_chart_is_thread_safe() -> None:
    """Charts are drawn in worker threads; the cached background must not leak between them.

    (Drawing time is a benchmark, `bench/measure.py`, not an assertion.)"""
    expected = render_growth_chart("m", BORN, POINTS, "Budi")
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: render_growth_chart("m", BORN, POINTS, "Budi"),
                                range(8)))  # fmt: skip
    assert all(r == expected for r in results)


def test_import_growth_does_not_import_matplotlib() -> None:
    code = "import sys, growth; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
