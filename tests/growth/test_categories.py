from __future__ import annotations

import math

import numpy as np
import pytest

from growth.categories import categories, categorize, category_labels, category_ranks, is_stunted


@pytest.mark.parametrize(
    ("z", "code", "label"),
    [
        (-3.01, "severely_stunted", "sangat pendek"),
        (-3.0, "stunted", "pendek"),
        (-2.01, "stunted", "pendek"),
        (-2.0, "normal_height", "normal"),
        (3.0, "normal_height", "normal"),
        (3.01, "tall", "tinggi"),
    ],
)
def test_length_for_age_edges(z: float, code: str, label: str) -> None:
    cat = categorize("lhfa", z)
    assert cat is not None and cat.code == code and cat.label_id == label


@pytest.mark.parametrize(
    ("z", "code", "label"),
    [
        (-3.01, "severely_underweight", "berat badan sangat kurang"),
        (-3.0, "underweight", "berat badan kurang"),
        (-2.0, "normal_weight", "berat badan normal"),
        (1.0, "normal_weight", "berat badan normal"),
        (1.01, "risk_of_overweight", "risiko berat badan lebih"),
    ],
)
def test_weight_for_age_edges(z: float, code: str, label: str) -> None:
    cat = categorize("wfa", z)
    assert cat is not None and (cat.code, cat.label_id) == (code, label)


@pytest.mark.parametrize("index", ["wflh", "bmifa"])
@pytest.mark.parametrize(
    ("z", "label"),
    [
        (-3.01, "gizi buruk"),
        (-3.0, "gizi kurang"),
        (-2.0, "gizi baik"),
        (1.0, "gizi baik"),
        (1.01, "berisiko gizi lebih"),
        (2.0, "berisiko gizi lebih"),
        (2.01, "gizi lebih"),
        (3.0, "gizi lebih"),
        (3.01, "obesitas"),
    ],
)
def test_nutrition_edges(index: str, z: float, label: str) -> None:
    cat = categorize(index, z)  # type: ignore[arg-type]
    assert cat is not None and cat.label_id == label


def test_missing_and_vectorised() -> None:
    assert categorize("wfa", None) is None
    assert categorize("wfa", math.nan) is None
    z = np.array([-3.5, -2.0, np.nan, 4.0])
    assert category_ranks("lhfa", z).tolist() == [0, 2, -1, 3]
    assert category_labels("lhfa", z).tolist() == ["sangat pendek", "normal", "", "tinggi"]
    assert category_labels("lhfa", z, "en")[0] == "severely stunted"


def test_codes_are_unique_per_index() -> None:
    for index in ("wfa", "lhfa", "wflh", "bmifa"):
        codes = [c.code for c in categories(index)]  # type: ignore[arg-type]
        assert len(codes) == len(set(codes))


def test_stunting() -> None:
    assert is_stunted(-2.01) and not is_stunted(-2.0)
    assert not is_stunted(None) and not is_stunted(math.nan)
