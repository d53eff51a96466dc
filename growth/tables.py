"""Load the WHO Child Growth Standards 2006 LMS tables shipped in ``growth/data``.

Age tables are indexed by whole day (0..1856), weight-for-length/height tables by length in
0.1 cm steps. Each table becomes dense ``(2, n)`` arrays (row 0 boys, row 1 girls) so z-scores
are a fancy-indexing lookup; rows a table does not cover (arm circumference and skinfolds
before day 91) hold NaN. Loaded once, on first use, and cached.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import numpy as np

AGE_TABLES = ("wfa", "lhfa", "bmifa", "hcfa", "acfa", "tsfa", "ssfa")
LENGTH_TABLES = ("wfl", "wfh")
MAX_AGE_DAYS = 1856


@dataclass(frozen=True)
class LmsTable:
    """Dense LMS arrays of shape (2, n); ``first`` is the key of column 0.

    For age tables the key is the day; for length tables it is tenths of a cm (450 = 45.0 cm).
    ``sd`` maps k in (-3, -2, 2, 3) to the value at k SD (``M (1 + L S k)^(1/L)``), computed
    exactly as WHO's code does, used by the restricted LMS method beyond +/-3 SD.
    """

    first: int
    l: np.ndarray  # noqa: E741 - L of the LMS method
    m: np.ndarray
    s: np.ndarray
    sd: dict[int, np.ndarray]
    l_is_one: bool  # length- and head-for-age are normal (L = 1): no pow needed

    @property
    def size(self) -> int:
        return self.l.shape[1]

    @functools.cached_property
    def flat(self) -> dict[str, np.ndarray]:
        """The same arrays flattened (boys then girls) for fast ``np.take``."""
        out = {"l": self.l.ravel(), "m": self.m.ravel(), "s": self.s.ravel()}
        out.update({f"sd{k}": v.ravel() for k, v in self.sd.items()})
        return out


def sd_value(m: np.ndarray, l: np.ndarray, s: np.ndarray, k: float) -> np.ndarray:  # noqa: E741
    """Measurement at ``k`` SD: WHO's ``m * ((1 + l * s * k)^(1 / l))`` (same operation order)."""
    with np.errstate(all="ignore"):
        return m * ((1 + l * s * k) ** (1 / l))


def _read(name: str) -> tuple[np.ndarray, np.ndarray]:
    with resources.files("growth").joinpath("data", f"lms_{name}.csv").open("rb") as fh:
        # loadtxt parses with PyOS_string_to_double: correctly rounded, like WHO's tables.
        table = np.loadtxt(fh, delimiter=",", skiprows=1, dtype=np.float64)
    return table[:, 0].astype(np.int64), table[:, 1:]


def _build(name: str, scale: int, first: int | None = None) -> LmsTable:
    sex, values = _read(name)
    keys = np.rint(values[:, 0] * scale).astype(np.int64)
    first = int(keys.min()) if first is None else first
    last = int(keys.max())
    arrays = [np.full((2, last - first + 1), np.nan) for _ in range(3)]
    for col, arr in enumerate(arrays, start=1):
        arr[sex - 1, keys - first] = values[:, col]
    l, m, s = arrays  # noqa: E741
    sd = {k: sd_value(m, l, s, k) for k in (-3, -2, 2, 3)}
    return LmsTable(first=first, l=l, m=m, s=s, sd=sd, l_is_one=bool(np.all(l[~np.isnan(l)] == 1)))


@functools.cache
def age_table(name: str) -> LmsTable:
    """Day-indexed table: one of ``AGE_TABLES``."""
    if name not in AGE_TABLES:
        raise KeyError(name)
    # All age tables start at day 0 (NaN before a table's first day) so one flat index
    # (sex - 1) * size + day serves every indicator.
    return _build(name, 1, first=0)


@functools.cache
def length_table(name: str) -> LmsTable:
    """Weight-for-length (``"wfl"``, 45-110 cm) or -height (``"wfh"``, 65-120 cm) table."""
    if name not in LENGTH_TABLES:
        raise KeyError(name)
    return _build(name, 10)
