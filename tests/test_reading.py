"""Reading real workbooks: the bundled one, the original and filled-in copies."""

from __future__ import annotations

import openpyxl
import pytest
from helpers import area, fill, run_cli, score_json


def test_bundled_workbook_reads_whole_catalogue(bundled):
    result = score_json(bundled)
    assert result["controls"] == 217
    assert result["actions"] == 198
    assert result["indicators"] == 19
    assert result["source_sheets"] == [
        "Level 1",
        "Level 2",
        "Level 3",
        "Level 4",
        "Level 5",
    ]
    assert result["ignored_sheets"] == []
    assert result["problems"] == []
    assert result["violations"] == []
    assert result["completeness"] == 0.0


def test_original_uses_answered_roll_up(seed):
    result = score_json(seed)
    assert result["source_sheets"] == ["All Levels"]
    assert result["ignored_sheets"] == [
        "Level 1",
        "Level 2",
        "Level 3",
        "Level 4",
        "Level 5",
    ]
    assert result["controls"] == 225
    duplicates = [p for p in result["problems"] if p["kind"] == "duplicate-id"]
    assert [(p["control"], p["cell"]) for p in duplicates] == [
        ("1.C.1.d", "'All Levels'!F28")
    ]
    assert {v["kind"] for v in result["violations"]} == {"skipped-prerequisite"}


def test_original_per_level_on_request(seed):
    result = score_json(seed, "--source", "per-level")
    assert result["controls"] == 217
    assert result["source_sheets"][0] == "Level 1"
    assert result["ignored_sheets"] == ["All Levels"]


def test_per_level_answers_win_over_roll_up(seed, tmp_path):
    filled = fill(seed, {"1.A.1.b": "Yes"}, tmp_path / "filled.xlsx")
    result = score_json(filled)
    assert result["ignored_sheets"] == ["All Levels"]
    assert result["controls"] == 217


def test_original_checkboxes_count_as_indicator_answers(seed):
    result = score_json(seed, "--source", "roll-up")
    # K4 (1.A.1.c) is ticked in the original; it links to 3.A.1.c, which is not Yes.
    assert area(result, "A1")["level"] == 1
    assert not [v for v in result["violations"] if v["kind"] == "contradiction"]


def test_sloppy_answers_on_bundled(bundled, tmp_path):
    answers = {
        "1.A.1.b": " yes ",
        "1.C.1.a": "Y",
        "1.C.1.b": "TRUE",
        "1.C.1.c": "x",
        "2.C.1.a": "✓",
        "1.C.2.e": True,
        "1.B.2.a": 1,
        "1.B.2.b": "n/a",
        "1.B.2.d": "Partially",
        "2.B.2.a": 0.5,
        "1.C.2.a": "maybe",
        "1.C.2.c": "No",
        "1.B.3.b": "-",
    }
    result = score_json(fill(bundled, answers, tmp_path / "sloppy.xlsx"))
    assert area(result, "A1")["level"] >= 1
    invalid = [p for p in result["problems"] if p["kind"] == "invalid-answer"]
    assert len(invalid) == 1
    assert "'maybe'" in invalid[0]["message"]
    assert invalid[0]["cell"].startswith("'Level 1'!F")
    # B2: 1.B.2.a Yes, 1.B.2.b N/A, 1.B.2.d Partial: level 0, score 0 + 1.5/2.
    assert area(result, "B2")["level"] == 0
    assert area(result, "B2")["score"] == pytest.approx(0.75)


def test_inserted_column_and_renamed_reordered_sheets(bundled, tmp_path):
    workbook = openpyxl.load_workbook(bundled)
    for sheet in workbook.worksheets:
        for merged in list(sheet.merged_cells.ranges):
            sheet.unmerge_cells(str(merged))
        sheet.insert_cols(5)
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == "Links to":
                    sheet.cell(row=cell.row, column=5, value="Evidence")
    level1 = workbook["Level 1"]
    row = next(
        r
        for r in range(1, level1.max_row + 1)
        if str(level1.cell(row=r, column=4).value).startswith("1.A.1.b")
    )
    level1.cell(row=row, column=7, value="Yes")  # True? moved from F to G
    workbook["Level 3"].title = "Walk"
    workbook["Level 1"].title = "Crawl"
    workbook.move_sheet("Walk", offset=-2)
    out = tmp_path / "moved.xlsx"
    workbook.save(out)
    result = score_json(out)
    assert result["controls"] == 217
    assert result["source_sheets"] == ["Walk", "Crawl", "Level 2", "Level 4", "Level 5"]
    assert result["problems"] == []
    yes = [r for r in result["roadmap"] if r["control"] == "1.A.1.b"]
    assert yes == []


def test_table_moved_down_and_right(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Notes first"
    sheet["A1"] = "Our assessment, Q3"
    header = [
        "Maturity Level",
        "Intel Cycle Phase",
        "Intel Level",
        "Actions (ID, description)",
        "Evidence",
        "True?",
        "Remarks",
    ]
    for offset, name in enumerate(header):
        sheet.cell(row=6, column=3 + offset, value=name)
    rows = [
        ("Level 1", "Dissemination", "Strategic", "1.A.4.a / share", "doc", "Yes"),
        ("Level 2", "Dissemination", "Strategic", "2.A.4.a / more", "", "no"),
    ]
    for index, values in enumerate(rows, start=7):
        for offset, value in enumerate(values):
            sheet.cell(row=index, column=3 + offset, value=value)
    out = tmp_path / "moved.xlsx"
    workbook.save(out)
    result = score_json(out)
    assert result["controls"] == 2
    assert area(result, "A4")["level"] == 1
    assert result["roadmap"][0]["control"] == "2.A.4.a"


def test_headers_with_odd_spacing_and_case(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    header = [
        " maturity\u00a0 LEVEL",
        "Intel  Cycle Phase ",
        "INTEL LEVEL",
        "Controls",
        "True",
    ]
    for offset, name in enumerate(header, start=1):
        sheet.cell(row=1, column=offset, value=name)
    sheet.append(["Level 1", "Feedback", "Tactical", "1.C.5.a / x", "yes"])
    out = tmp_path / "odd.xlsx"
    workbook.save(out)
    result = score_json(out)
    assert result["controls"] == 1
    assert result["completeness"] == 1.0
    # The only action is Yes and levels 2-5 have none, so all are met.
    assert area(result, "C5")["level"] == 5


def test_links_user_added_and_unknown(bundled, tmp_path):
    workbook = openpyxl.load_workbook(bundled)
    sheet = workbook["Level 1"]
    # Find the rows of two level-1 actions.
    rows = {
        str(sheet.cell(row=r, column=4).value).split(" /")[0]: r
        for r in range(1, sheet.max_row + 1)
    }
    sheet.cell(row=rows["1.A.1.b"], column=5, value="2.A.1.a; 6.D.9.z, x2.A.1.b")
    sheet.cell(row=rows["1.A.1.b"], column=6, value="No")
    level2 = workbook["Level 2"]
    rows2 = {
        str(level2.cell(row=r, column=4).value).split(" /")[0]: r
        for r in range(1, level2.max_row + 1)
    }
    level2.cell(row=rows2["2.A.1.a"], column=6, value="Yes")
    out = tmp_path / "links.xlsx"
    workbook.save(out)
    result = score_json(out)
    kinds = {
        (v["kind"], v["control"], tuple(v["related"])) for v in result["violations"]
    }
    assert ("link-unmet", "2.A.1.a", ("1.A.1.b",)) in kinds
    assert ("unknown-link", "1.A.1.b", ("6.D.9.z",)) in kinds
    assert ("skipped-prerequisite", "2.A.1.a", ("1.A.1.b",)) in kinds
    unknown = next(v for v in result["violations"] if v["kind"] == "unknown-link")
    assert unknown["cell"] == f"'Level 1'!E{rows['1.A.1.b']}"


def test_id_mismatch_and_unreadable(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Level 2"
    sheet.append(
        ["Maturity Level", "Intel Cycle Phase", "Intel Level", "Actions", "True?"]
    )
    sheet.append(
        ["Level 2", "Feedback", "Strategic", "2.B.5.a / wrong intel level", "Yes"]
    )
    sheet.append(["Level 2", "Feedback", "Strategic", "no id here", "Yes"])
    sheet.append(["Level 2", "Feedback", "Strategic", "6.D.9.z / out of range", "Yes"])
    out = tmp_path / "mismatch.xlsx"
    workbook.save(out)
    result = score_json(out)
    problems = {(p["kind"], p["cell"]) for p in result["problems"]}
    assert ("id-mismatch", "'Level 2'!D2") in problems
    assert ("unreadable-id", "'Level 2'!D3") in problems
    assert ("unreadable-id", "'Level 2'!D4") in problems
    assert result["controls"] == 1
    # The ID wins: 2.B.5.a counts in B5 (level 1 has no action there, so 5).
    assert area(result, "B5")["level"] == 5
    assert area(result, "A5")["level"] == 5


def test_formula_answers(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(
        ["Maturity Level", "Intel Cycle Phase", "Intel Level", "Actions", "True?"]
    )
    sheet.append(
        ["Level 1", "Feedback", "Strategic", "1.A.5.a / a", '=IF(1=1,"Yes","No")']
    )
    out = tmp_path / "formula.xlsx"
    workbook.save(out)  # openpyxl writes no cached value
    result = score_json(out)
    assert [p["kind"] for p in result["problems"]] == ["uncached-formula"]
    assert result["completeness"] == 0.0


def test_duplicate_id_first_row_wins(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Mine"
    sheet.append(
        ["Maturity Level", "Intel Cycle Phase", "Intel Level", "Actions", "True?"]
    )
    sheet.append(["Level 1", "Feedback", "Strategic", "1.A.5.a / first", "Yes"])
    sheet.append(["Level 1", "Feedback", "Strategic", "1.A.5.a / again", "No"])
    sheet.append(["Level 2", "Feedback", "Strategic", "2.A.5.a / next", "No"])
    out = tmp_path / "dup.xlsx"
    workbook.save(out)
    result = score_json(out)
    assert area(result, "A5")["level"] == 1
    assert result["controls"] == 2
    assert [(p["kind"], p["cell"]) for p in result["problems"]] == [
        ("duplicate-id", "'Mine'!E3")
    ]


def test_no_control_table_is_an_error(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "just notes"
    out = tmp_path / "notes.xlsx"
    workbook.save(out)
    code, stdout, stderr = run_cli("score", out)
    assert code != 0
    assert stderr.startswith(f"Error: {out}: no control table found")
    assert "Traceback" not in stderr


def test_header_without_true_column_names_it(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(
        ["Maturity Level", "Intel Cycle Phase", "Intel Level", "Actions"]
    )
    out = tmp_path / "no-true.xlsx"
    workbook.save(out)
    code, _, stderr = run_cli("score", out)
    assert code != 0
    assert "True?" in stderr
    assert "row 1" in stderr.lower() or "A1" in stderr
