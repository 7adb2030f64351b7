"""`ctimm portfolio`: one row per workbook of a folder, bad files skipped."""

from __future__ import annotations

import io
import json
import logging
import shutil

import openpyxl
import pytest
from helpers import fill, run_cli, score_json

from ctimm_xl.views import portfolio as portfolio_module
from ctimm_xl.views.palette import LEVEL_FILLS, LEVEL_TEXT
from ctimm_xl.views.portfolio import Progress


@pytest.fixture
def folder(bundled, tmp_path):
    """Two answered units, the blank workbook, a broken file, and clutter."""
    units = tmp_path / "units"
    units.mkdir()
    fill(bundled, {"1.A.1.b": "Yes", "2.A.1.a": "Yes"}, units / "north.xlsx")
    fill(bundled, {"2.B.2.a": "Yes"}, units / "south.xlsx")
    shutil.copy(bundled, units / "blank.xlsm")
    (units / "broken.xlsx").write_bytes(b"this is not a workbook")
    (units / "~$north.xlsx").write_bytes(b"\x00" * 165)  # Excel's owner file
    shutil.copy(units / "south.xlsx", units / "south.bak.xlsx")
    (units / "notes.txt").write_text("not a workbook", encoding="utf-8")
    nested = units / "region"
    nested.mkdir()
    fill(bundled, {"1.C.1.a": "Yes"}, nested / "east.xlsx")
    return units


def portfolio_json(*args):
    code, out, err = run_cli("portfolio", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_json_rows_and_skipped(folder):
    data = portfolio_json(folder)
    files = [w["file"] for w in data["workbooks"]]
    assert files == ["blank.xlsm", "north.xlsx", "south.xlsx"]
    skipped = {s["file"]: s["reason"] for s in data["skipped"]}
    assert set(skipped) == {"broken.xlsx", "south.bak.xlsx"}
    assert skipped["broken.xlsx"].startswith("not an Excel workbook")
    assert "\n" not in skipped["broken.xlsx"]
    assert "backup" in skipped["south.bak.xlsx"]


def test_json_matches_score(folder):
    data = portfolio_json(folder)
    north = next(w for w in data["workbooks"] if w["file"] == "north.xlsx")
    result = score_json(folder / "north.xlsx")
    assert north["levels"] == {a["area"]: a["level"] for a in result["areas"]}
    assert north["overall_level"] == result["rollups"][-1]["level"]
    assert north["overall_score"] == pytest.approx(result["rollups"][-1]["score"])
    assert north["completeness"] == pytest.approx(result["completeness"])
    assert north["violations"] == len(result["violations"])
    assert north["violations"] == 0
    south = next(w for w in data["workbooks"] if w["file"] == "south.xlsx")
    assert south["violations"] == 1
    assert south["open_steps"] == len(score_json(folder / "south.xlsx")["roadmap"])


def test_recursive_includes_subfolders(folder):
    data = portfolio_json(folder, "-r")
    files = [w["file"] for w in data["workbooks"]]
    assert files == ["blank.xlsm", "north.xlsx", "region/east.xlsx", "south.xlsx"]


def test_skipped_files_are_logged(folder, caplog):
    with caplog.at_level(logging.WARNING, logger="ctimm_xl"):
        code, out, _ = run_cli("portfolio", folder)
    assert code == 0
    assert any(
        m.startswith("skipped broken.xlsx: not an Excel") for m in caplog.messages
    )
    assert out.startswith(f"Scored 3 workbooks in {folder}\n")
    assert "  north.xlsx " in out
    assert out.rstrip().endswith("skipped: 2")


def test_workbook_output(folder, tmp_path):
    out = tmp_path / "portfolio.xlsx"
    code, _, err = run_cli("portfolio", folder, "-o", out)
    assert code == 0, err
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Portfolio", "Skipped"]
    sheet = workbook["Portfolio"]
    header = [c.value for c in sheet[4]]
    assert header[:3] == ["Workbook", "A1", "A2"]
    assert header[15:18] == ["C5", "Overall level", "Overall score"]
    assert header[-4:] == ["Completeness", "Violations", "Data problems", "Open steps"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=5, values_only=True) if r[0]}
    assert set(rows) == {"blank.xlsm", "north.xlsx", "south.xlsx"}
    north = score_json(folder / "north.xlsx")
    assert list(rows["north.xlsx"][1:16]) == [a["level"] for a in north["areas"]]
    assert rows["south.xlsx"][19] == 1  # violations
    skipped = {
        r[0]: r[1] for r in workbook["Skipped"].iter_rows(min_row=2, values_only=True)
    }
    assert skipped["broken.xlsx"].startswith("not an Excel workbook")


def test_heatmap_uses_palette(folder, tmp_path):
    out = tmp_path / "portfolio.xlsx"
    code, _, err = run_cli("portfolio", folder, "-o", out)
    assert code == 0, err
    sheet = openpyxl.load_workbook(out)["Portfolio"]
    ranges = list(sheet.conditional_formatting)
    assert [str(r.sqref) for r in ranges] == ["B5:Q7"]
    rules = ranges[0].rules
    by_level = {int(rule.formula[0]): rule for rule in rules}
    assert sorted(by_level) == list(LEVEL_FILLS)
    for level, rule in by_level.items():
        assert rule.operator == "equal"
        assert rule.dxf.fill.bgColor.rgb.endswith(LEVEL_FILLS[level])
        assert rule.dxf.font.color.rgb.endswith(LEVEL_TEXT[level])


def test_output_in_folder_is_skipped(folder):
    out = folder / "portfolio.xlsx"
    code, _, err = run_cli("portfolio", folder, "-o", out)
    assert code == 0, err
    data = portfolio_json(folder, "-o", out)
    skipped = {s["file"]: s["reason"] for s in data["skipped"]}
    assert skipped["portfolio.xlsx"] == "the output of this portfolio run"


def test_unexpected_error_skips_one_file(folder, monkeypatch):
    real = portfolio_module.load_result

    def flaky(path, source="auto"):
        if path.name == "north.xlsx":
            raise RuntimeError("boom")
        return real(path, source)

    monkeypatch.setattr(portfolio_module, "load_result", flaky)
    data = portfolio_json(folder)
    assert [w["file"] for w in data["workbooks"]] == ["blank.xlsm", "south.xlsx"]
    reason = {s["file"]: s["reason"] for s in data["skipped"]}["north.xlsx"]
    assert reason.startswith("unexpected RuntimeError while scoring (boom)")


def test_all_bad_exits_one(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"")
    (tmp_path / "b.xlsm").write_bytes(b"junk")
    code, out, err = run_cli("portfolio", tmp_path)
    assert code == 1
    assert out == ""
    assert err == (
        f"Error: {tmp_path}: none of the 2 workbooks could be scored; the reason "
        "for each is printed above.\n"
    )


def test_empty_folder(tmp_path):
    code, _, err = run_cli("portfolio", tmp_path)
    assert code == 1
    assert err == (
        f"Error: {tmp_path}: no .xlsx or .xlsm file found; add -r to include "
        "subfolders.\n"
    )


def test_not_a_folder(bundled):
    code, _, err = run_cli("portfolio", bundled)
    assert code == 2
    assert err == (
        f"Error: {bundled}: not a folder. Pass the folder that holds the workbooks.\n"
    )


def test_output_must_be_xlsx(folder, tmp_path):
    out = tmp_path / "portfolio.csv"
    code, _, err = run_cli("portfolio", folder, "-o", out)
    assert code == 2
    assert err == f"Error: {out}: -o must name a file ending in .xlsx.\n"


def test_no_progress_without_tty(folder):
    code, _, err = run_cli("portfolio", folder)
    assert code == 0
    assert "\r" not in err
    assert "scoring 1/" not in err


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_tty_is_one_line():
    stream = FakeTerminal()
    progress = Progress(stream)
    progress.update(1, 500, "north.xlsx")
    progress.update(2, 500, "x" * 200)
    progress.clear()
    text = stream.getvalue()
    assert "\n" not in text
    assert "scoring 1/500 north.xlsx" in text
    frames = text.split("\r")
    assert all(len(frame) <= 79 for frame in frames)
    assert text.endswith("\r" + " " * 79 + "\r")


def test_progress_silent_off_tty():
    stream = io.StringIO()
    progress = Progress(stream)
    progress.update(1, 2, "a.xlsx")
    progress.clear()
    assert stream.getvalue() == ""
