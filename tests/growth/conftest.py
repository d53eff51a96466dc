"""Fixtures for the growth tests: WHO's reference outputs in ``shared/data`` beside the checkout."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

# tests/growth/conftest.py -> parents[2] is the repository root; shared/ sits beside it.
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _reference_file(name: str) -> Path:
    path = SHARED_DATA / name
    if not path.is_file():
        message = f"WHO reference file not found: {path}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def reference_path() -> Path:
    return _reference_file("who_anthro_reference.csv")


@pytest.fixture(scope="session")
def edge_cases_path() -> Path:
    return _reference_file("who_anthro_edge_cases.csv")


@pytest.fixture(scope="session")
def reference_rows(reference_path: Path) -> list[dict[str, str]]:
    return read_csv(reference_path)


@pytest.fixture(scope="session")
def edge_case_rows(edge_cases_path: Path) -> list[dict[str, str]]:
    return read_csv(edge_cases_path)
