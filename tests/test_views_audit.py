"""The workbooks that compare and portfolio write pass the Open XML validator."""

from __future__ import annotations

import shutil

from helpers import run_cli
from validators import audit_errors


def test_compare_workbook_is_valid(bundled, tmp_path):
    other = tmp_path / "other.xlsm"
    shutil.copy(bundled, other)
    out = tmp_path / "compare.xlsx"
    code, _, err = run_cli("compare", bundled, other, "-o", out, "-q")
    assert code == 0, err
    assert audit_errors(out) == []


def test_portfolio_workbook_is_valid(bundled, tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    shutil.copy(bundled, units / "a.xlsm")
    out = tmp_path / "portfolio.xlsx"
    code, _, err = run_cli("portfolio", units, "-o", out, "-q")
    assert code == 0, err
    assert audit_errors(out) == []
