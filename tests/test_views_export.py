"""`ctimm export`: tidy rows per control as CSV, JSON and Parquet."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import openpyxl
import pytest
from helpers import answer_cells, fill, run_cli, score_json

from ctimm_xl.views.export import FIELDS, escape_formula

BUNDLED_CONTROLS = 217  # 19 indicators and 198 actions

REMARKS = {
    "1.A.1.b": '=HYPERLINK("http://127.0.0.1/","click")',
    "1.B.2.a": "+1+2",
    "1.C.1.a": "@SUM(A1:A2)",
    "1.C.1.b": "-3",
    "1.A.2.a": "plain remark, kept",
}


def with_remarks(path, remarks):
    """Write remarks beside the True? cells, as text (never as formulas)."""
    workbook = openpyxl.load_workbook(path)
    cells = answer_cells(workbook)
    for control, text in remarks.items():
        sheet, ref = cells[control]
        answer = workbook[sheet][ref]
        remark = workbook[sheet].cell(row=answer.row, column=answer.column + 1)
        remark.value = text
        remark.data_type = "s"
    workbook.save(path)
    return path


@pytest.fixture
def answered(bundled, tmp_path):
    path = fill(
        bundled,
        {"1.A.1.b": "Yes", "1.B.2.a": "-", "1.C.1.a": "Partial", "2.A.1.a": "Yes"},
        tmp_path / "answered.xlsx",
    )
    return with_remarks(path, REMARKS)


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_to_stdout_has_bom_and_header(bundled):
    code, out, err = run_cli("export", bundled)
    assert code == 0, err
    assert out.startswith("\ufeff")
    rows = csv_rows(out)
    assert list(rows[0]) == list(FIELDS)
    assert len(rows) == BUNDLED_CONTROLS


def test_csv_bytes_start_with_utf8_bom(bundled):
    completed = subprocess.run(
        [sys.executable, "-m", "ctimm_xl", "export", str(bundled), "--format", "csv"],
        capture_output=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith(b"\xef\xbb\xbfworkbook,id,level,")
    assert b"Direction & requirements" in completed.stdout


def test_csv_row_contents(answered):
    code, out, err = run_cli("export", answered)
    assert code == 0, err
    rows = {row["id"]: row for row in csv_rows(out)}
    row = rows["1.A.1.b"]
    assert row["workbook"] == "answered.xlsx"
    assert row["level"] == "1"
    assert row["intel_level"] == "A"
    assert row["intel_level_name"] == "Strategic"
    assert row["phase"] == "1"
    assert row["phase_name"] == "Direction & requirements"
    assert row["area"] == "A1"
    assert row["kind"] == "action"
    assert row["answer"] == "Yes"
    assert row["cell"].startswith("'Level 1'!F")
    result = score_json(answered)
    a1 = next(a for a in result["areas"] if a["area"] == "A1")
    assert row["area_level"] == str(a1["level"])
    assert float(row["area_score"]) == pytest.approx(a1["score"])
    assert rows["1.A.1.a"]["kind"] == "indicator"
    assert rows["1.A.1.a"]["links"] == "3.A.1.b"
    assert rows["1.C.1.a"]["answer"] == "Partial"
    assert rows["1.A.2.a"]["remarks"] == "plain remark, kept"


def test_csv_escapes_formula_triggers(answered):
    code, out, _ = run_cli("export", answered)
    assert code == 0
    rows = {row["id"]: row for row in csv_rows(out)}
    for control, remark in REMARKS.items():
        expected = remark if control == "1.A.2.a" else "'" + remark
        assert rows[control]["remarks"] == expected, control


def test_csv_escapes_dash_answer_but_not_numbers(answered):
    code, out, _ = run_cli("export", answered)
    assert code == 0
    row = {r["id"]: r for r in csv_rows(out)}["1.B.2.a"]
    # The answer as typed is `-`, a minus sign to a spreadsheet, so it is escaped;
    # the normalised answer says N/A.
    assert row["answer_text"] == "'-"
    assert row["answer"] == "N/A"
    for column in ("level", "phase", "area_level", "area_score"):
        assert not row[column].startswith("'"), column
        float(row[column])


def test_escape_formula_rules():
    assert escape_formula("=1+1") == "'=1+1"
    assert escape_formula("-") == "'-"
    # The reader trims remarks, so tab and CR only reach this function directly.
    assert escape_formula("\tx") == "'\tx"
    assert escape_formula("\rx") == "'\rx"
    assert escape_formula("3.B.2.a") == "3.B.2.a"
    assert escape_formula("a=b") == "a=b"
    assert escape_formula(-1) == -1
    assert escape_formula(0.5) == 0.5
    assert escape_formula("") == ""


def test_json_is_list_of_typed_objects(answered, tmp_path):
    out = tmp_path / "rows.json"
    code, stdout, err = run_cli("export", answered, "-o", out)
    assert code == 0, err
    assert stdout == ""
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert isinstance(rows, list)
    assert len(rows) == BUNDLED_CONTROLS
    row = next(r for r in rows if r["id"] == "1.A.1.b")
    assert list(row) == list(FIELDS)
    assert row["level"] == 1
    assert isinstance(row["area_score"], float)
    # JSON is not opened by spreadsheets, so nothing is escaped there.
    assert row["remarks"] == REMARKS["1.A.1.b"]


def test_json_to_stdout(bundled):
    code, out, err = run_cli("export", bundled, "--format", "json")
    assert code == 0, err
    rows = json.loads(out)
    assert rows[0]["id"] == "1.A.1.a"
    assert rows[0]["answer"] == ""


def test_parquet_round_trip(answered, tmp_path):
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    out = tmp_path / "rows.parquet"
    code, _, err = run_cli("export", answered, "--format", "parquet", "-o", out)
    assert code == 0, err
    frame = pandas.read_parquet(out)
    assert list(frame.columns) == list(FIELDS)
    assert len(frame) == BUNDLED_CONTROLS
    assert str(frame["level"].dtype) == "int64"
    assert str(frame["area_score"].dtype) == "float64"
    row = frame[frame["id"] == "1.B.2.a"].iloc[0]
    assert row["answer"] == "N/A"
    assert row["answer_text"] == "-"
    assert row["remarks"] == REMARKS["1.B.2.a"]


def test_parquet_needs_output(bundled):
    code, out, err = run_cli("export", bundled, "--format", "parquet")
    assert code == 2
    assert out == ""
    assert err.startswith("Error: ")
    assert "add -o FILE.parquet" in err
    assert err.count("\n") == 1


def test_format_follows_output_suffix(bundled, tmp_path):
    out = tmp_path / "nested" / "rows.parquet"
    code, _, err = run_cli("export", bundled, "-o", out)
    assert code == 0, err
    assert out.read_bytes().startswith(b"PAR1")


def test_rejects_workbook_as_output(bundled, tmp_path):
    out = tmp_path / "rows.xlsx"
    code, _, err = run_cli("export", bundled, "-o", out)
    assert code == 2
    assert err.startswith(f"Error: {out}: -o names a workbook file")
    assert not out.exists()


def test_rejects_input_as_output(tmp_path, bundled):
    renamed = bundled.rename(tmp_path / "data.csv")
    code, _, err = run_cli("export", renamed, "-o", renamed)
    assert code == 2
    assert "would be overwritten" in err
    assert renamed.stat().st_size > 0


def test_missing_workbook(tmp_path):
    missing = tmp_path / "nope.xlsx"
    code, out, err = run_cli("export", missing)
    assert code == 1
    assert out == ""
    assert err == f"Error: {missing}: file not found. Check the path and try again.\n"


def test_views_keep_heavy_imports_lazy(bundled):
    code = (
        "import sys, contextlib, io\n"
        "from ctimm_xl.cli import build_parser, main\n"
        "build_parser()\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['score', {str(bundled)!r}, '--json'])\n"
        "print(sorted(m for m in ('pandas', 'pyarrow', 'matplotlib') "
        "if m in sys.modules))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
