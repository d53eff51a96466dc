"""Nutritional status categories of Permenkes 2/2020 (Standar Antropometri Anak).

Each index has ordered categories with a stable code, the Indonesian label used on the KMS /
Buku KIA, and an English gloss. Boundaries follow the regulation's wording: "-3 SD sd < -2 SD"
is the second category, so exactly -2.00 is normal, exactly -3.00 is "pendek"/"kurang", and an
upper bound like "+1 SD" is inclusive ("> +1 SD" starts the next category).

Indices: ``"wfa"`` BB/U (weight-for-age), ``"lhfa"`` PB/U or TB/U (length/height-for-age),
``"wflh"`` BB/PB or BB/TB (weight-for-length/height), ``"bmifa"`` IMT/U (BMI-for-age).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

Index = Literal["wfa", "lhfa", "wflh", "bmifa"]


@dataclass(frozen=True)
class Category:
    """One category of one index; ``rank`` is its position, lowest z first."""

    index: str
    rank: int
    code: str
    label_id: str
    label_en: str

    def label(self, locale: str = "id") -> str:
        return self.label_en if locale == "en" else self.label_id


@dataclass(frozen=True)
class _Scheme:
    # Lower bounds of categories 1..n-1 and whether each bound itself belongs to the upper
    # category (">=": lower bounds of "-3 SD sd ...") or to the lower one (">": "> +1 SD").
    bounds: tuple[float, ...]
    inclusive: tuple[bool, ...]
    categories: tuple[Category, ...]


def _scheme(index: str, bounds: tuple[float, ...], inclusive: tuple[bool, ...],
            names: tuple[tuple[str, str, str], ...]) -> _Scheme:  # fmt: skip
    cats = tuple(Category(index, i, *name) for i, name in enumerate(names))
    return _Scheme(bounds, inclusive, cats)


_NUTRITION = (
    ("severely_wasted", "gizi buruk", "severely wasted"),
    ("wasted", "gizi kurang", "wasted"),
    ("normal", "gizi baik", "normal"),
    ("possible_risk_of_overweight", "berisiko gizi lebih", "possible risk of overweight"),
    ("overweight", "gizi lebih", "overweight"),
    ("obese", "obesitas", "obese"),
)
_SIX = ((-3.0, -2.0, 1.0, 2.0, 3.0), (True, True, False, False, False))

SCHEMES: dict[str, _Scheme] = {
    "wfa": _scheme("wfa", (-3.0, -2.0, 1.0), (True, True, False), (
        ("severely_underweight", "berat badan sangat kurang", "severely underweight"),
        ("underweight", "berat badan kurang", "underweight"),
        ("normal_weight", "berat badan normal", "normal weight"),
        ("risk_of_overweight", "risiko berat badan lebih",
         "risk of overweight (confirm with weight-for-length/height or BMI)"),
    )),
    "lhfa": _scheme("lhfa", (-3.0, -2.0, 3.0), (True, True, False), (
        ("severely_stunted", "sangat pendek", "severely stunted"),
        ("stunted", "pendek", "stunted"),
        ("normal_height", "normal", "normal length/height"),
        ("tall", "tinggi", "tall"),
    )),
    "wflh": _scheme("wflh", *_SIX, _NUTRITION),
    "bmifa": _scheme("bmifa", *_SIX, _NUTRITION),
}  # fmt: skip

STUNTING_CUTOFF = -2.0  # stunting = PB/U or TB/U < -2 SD


def _over_bounds(index: Index, z):
    """For each bound of the index's scheme, whether z lies above it (or on it, for an
    inclusive bound): a category's rank is how many are true. z is a float or an array."""
    scheme = SCHEMES[index]
    return ((z >= bound) if inclusive else (z > bound)
            for bound, inclusive in zip(scheme.bounds, scheme.inclusive, strict=True))


def category_ranks(index: Index, z: np.ndarray) -> np.ndarray:
    """Vectorised: the category rank for each z (int8), -1 where z is NaN."""
    z = np.asarray(z, dtype=np.float64)
    rank = np.zeros(z.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for above in _over_bounds(index, z):
            rank += above
    rank[np.isnan(z)] = -1
    return rank


def category_labels(index: Index, z: np.ndarray, locale: str = "id") -> np.ndarray:
    """Vectorised: the label of each z as an object array; empty string where z is NaN."""
    labels = np.array([c.label(locale) for c in SCHEMES[index].categories] + [""], dtype=object)
    return labels[category_ranks(index, z)]  # rank -1 picks the trailing ""


def categorize(index: Index, z: float | None) -> Category | None:
    """The category of one z-score, or None when it is missing."""
    if z is None or math.isnan(z):
        return None
    return SCHEMES[index].categories[sum(_over_bounds(index, z))]


def categories(index: Index) -> tuple[Category, ...]:
    """All categories of an index, lowest first."""
    return SCHEMES[index].categories


def is_stunted(zlen: float | None) -> bool:
    """Stunting: length/height-for-age below -2 SD."""
    return zlen is not None and not math.isnan(zlen) and zlen < STUNTING_CUTOFF
