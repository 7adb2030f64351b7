"""`ctimm compare`: areas, controls and violations that changed between two runs."""

from __future__ import annotations

import json
import logging
import zipfile

import openpyxl
import pytest
from helpers import answer_cells, fill, run_cli, score_json


def level_one_actions(result: dict, area: str, path) -> list[str]:
    """IDs of the level-1 actions of an area, read from an export of `path`."""
    code, out, _ = run_cli("export", path, "--format", "json")
    assert code == 0
    return [
        row["id"]
        for row in json.loads(out)
        if row["area"] == area and row["level"] == 1 and row["kind"] == "action"
    ]


@pytest.fixture
def pair(bundled, tmp_path):
    """OLD skips A1's level 1; NEW completes it, drops 1.C.1.a and skips B2's level 1."""
    blank = score_json(bundled)
    a1_level_one = level_one_actions(blank, "A1", bundled)
    old = fill(
        bundled,
        {"2.A.1.a": "Yes", "1.C.1.a": "Yes", "1.B.2.a": "No"},
        tmp_path / "old.xlsx",
    )
    new_answers = {"2.A.1.a": "Yes", "1.C.1.a": "No", "2.B.2.a": "Yes"}
    new_answers.update({control: "Yes" for control in a1_level_one})
    new = fill(bundled, new_answers, tmp_path / "new.xlsx")
    return old, new, a1_level_one


def test_json_lists_every_change(pair):
    old, new, a1_level_one = pair
    code, out, err = run_cli("compare", old, new, "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["old"] == str(old)
    assert data["new"] == str(new)

    up = {a["area"]: a for a in data["areas_up"]}
    assert "A1" in up
    assert up["A1"]["old_level"] == 0
    assert up["A1"]["new_level"] >= 1
    assert up["A1"]["new_score"] > up["A1"]["old_score"]
    assert up["A1"]["name"] == "Strategic · Direction & requirements"
    down = {a["area"]: a for a in data["areas_down"]}
    assert set(down) == {"C1"}

    newly = {c["control"]: c for c in data["controls_newly_yes"]}
    assert set(newly) == {*a1_level_one, "2.B.2.a"}
    assert newly["2.B.2.a"]["old_answer"] == ""
    gone = {c["control"]: c for c in data["controls_no_longer_yes"]}
    assert set(gone) == {"1.C.1.a"}
    assert gone["1.C.1.a"]["new_answer"] == "No"

    fixed = [(v["kind"], v["control"]) for v in data["violations_fixed"]]
    assert fixed == [("skipped-prerequisite", "2.A.1.a")]
    new_violations = [(v["kind"], v["control"]) for v in data["violations_new"]]
    assert new_violations == [("skipped-prerequisite", "2.B.2.a")]
    assert "1.B.2.a" in data["violations_new"][0]["related"]
    assert data["completeness"]["new"] > data["completeness"]["old"]


def test_same_workbook_has_no_changes(pair):
    old, _, _ = pair
    code, out, _ = run_cli("compare", old, old, "--json")
    assert code == 0
    data = json.loads(out)
    for key in (
        "areas_up",
        "areas_down",
        "controls_newly_yes",
        "controls_no_longer_yes",
        "violations_fixed",
        "violations_new",
    ):
        assert data[key] == [], key


def test_text_report(pair):
    old, new, _ = pair
    code, out, err = run_cli("compare", old, new)
    assert code == 0, err
    assert out.startswith(f"Compared {old} (old) with {new} (new)\n")
    assert "  areas up: " in out
    assert "    A1 Strategic · Direction & requirements: level 0 -> " in out
    assert "  areas down: 1\n    C1 Tactical · Direction & requirements" in out
    assert "    1.C.1.a (C1): Yes -> No" in out
    assert "    2.B.2.a (B2): unanswered -> Yes" in out
    assert "  violations fixed: 1\n    skipped-prerequisite 2.A.1.a (related " in out
    assert "  violations new: 1\n    skipped-prerequisite 2.B.2.a (related " in out


def test_violation_with_changed_related_is_new(bundled, tmp_path):
    """A skipped prerequisite whose missing actions change is one fixed, one new."""
    blank = score_json(bundled)
    missing = level_one_actions(blank, "B2", bundled)
    assert len(missing) >= 2
    old = fill(bundled, {"2.B.2.a": "Yes"}, tmp_path / "old.xlsx")
    new = fill(bundled, {"2.B.2.a": "Yes", missing[0]: "Yes"}, tmp_path / "new.xlsx")
    code, out, _ = run_cli("compare", old, new, "--json")
    assert code == 0
    data = json.loads(out)
    assert len(data["violations_fixed"]) == 1
    assert len(data["violations_new"]) == 1
    assert missing[0] in data["violations_fixed"][0]["related"]
    assert missing[0] not in data["violations_new"][0]["related"]


def test_workbook_output_writes_text_cells(bundled, tmp_path, caplog):
    old = fill(bundled, {}, tmp_path / "old.xlsx")
    new = fill(bundled, {"1.A.1.b": "Yes"}, tmp_path / "new.xlsx")
    # A description that starts with `=` must stay text in the Compare sheet.
    workbook = openpyxl.load_workbook(new)
    sheet, ref = answer_cells(workbook)["1.A.1.b"]
    row = workbook[sheet][ref].row
    description = workbook[sheet].cell(row=row, column=4)
    description.value = "1.A.1.b / =1+1"
    description.data_type = "s"
    workbook.save(new)

    out = tmp_path / "reports" / "compare.xlsx"
    with caplog.at_level(logging.INFO, logger="ctimm_xl"):
        code, stdout, err = run_cli("compare", old, new, "-o", out)
    assert code == 0, err
    assert "controls newly Yes: 1" in stdout
    assert f"wrote {out}" in caplog.messages

    result = openpyxl.load_workbook(out)
    assert result.sheetnames == ["Compare"]
    cells = {
        cell.value: cell
        for row in result["Compare"].iter_rows()
        for cell in row
        if cell.value is not None
    }
    assert cells["=1+1"].data_type == "s"
    assert "1.A.1.b" in cells
    assert "newly Yes" in cells
    assert "up" in cells
    with zipfile.ZipFile(out) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml


@pytest.mark.parametrize("name", ["compare.xlsm", "compare.csv"])
def test_output_must_be_xlsx(bundled, tmp_path, name):
    out = tmp_path / name
    code, _, err = run_cli("compare", bundled, bundled, "-o", out)
    assert code == 2
    assert err == f"Error: {out}: -o must name a file ending in .xlsx.\n"


def test_output_must_not_be_an_input(bundled, tmp_path):
    old = fill(bundled, {}, tmp_path / "old.xlsx")
    before = old.read_bytes()
    code, _, err = run_cli("compare", old, bundled, "-o", old)
    assert code == 2
    assert "names an input workbook" in err
    assert old.read_bytes() == before


def test_missing_new_workbook(bundled, tmp_path):
    missing = tmp_path / "later.xlsx"
    code, out, err = run_cli("compare", bundled, missing)
    assert code == 1
    assert out == ""
    assert err == f"Error: {missing}: file not found. Check the path and try again.\n"
