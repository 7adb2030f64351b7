"""Shared fixtures: the bundled workbook, the original workbook, and helpers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "workbook" / "CTI-MM.xlsm"
SEED = REPO.parent / "shared" / "seed" / "CMM_maturity_model.xlsx"


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    """A copy of the bundled workbook in a temporary folder."""
    copy = tmp_path / "CTI-MM.xlsm"
    shutil.copy(BUNDLED, copy)
    return copy


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    """A copy of the original control workbook, or a skip when it is absent."""
    if not SEED.exists():
        pytest.skip(f"the original workbook is not at {SEED}")
    copy = tmp_path / "CMM_maturity_model.xlsx"
    shutil.copy(SEED, copy)
    return copy
