"""The bundled workbook: built from the catalogue, in the original layout."""

from __future__ import annotations

import openpyxl
from conftest import BUNDLED
from helpers import parts

from ctimm_xl.build import build_workbook
from ctimm_xl.catalogue import load_catalogue


def test_committed_workbook_equals_build(tmp_path):
    fresh = tmp_path / "CTI-MM.xlsm"
    build_workbook(fresh)
    assert parts(fresh) == parts(BUNDLED)


def test_build_is_reproducible(tmp_path):
    one, two = tmp_path / "one.xlsm", tmp_path / "two.xlsm"
    build_workbook(one)
    build_workbook(two)
    assert one.read_bytes() == two.read_bytes()


def test_bundled_layout():
    book = openpyxl.load_workbook(BUNDLED)
    assert book.sheetnames == [
        "Level 1",
        "Level 2",
        "Level 3",
        "Level 4",
        "Level 5",
        "xlwings.conf",
    ]
    assert book["xlwings.conf"].sheet_state == "hidden"
    for sheet in book.worksheets[:5]:
        assert sheet.freeze_panes == "A3"
        header = [sheet.cell(row=1, column=c).value for c in range(1, 11)]
        assert header[:3] == ["Maturity Level", "Intel Cycle Phase", "Intel Level"]
        assert header[4:8] == ["Links to", "True?", "Remarks", "Resources required"]
        sub = [sheet.cell(row=2, column=c).value for c in range(8, 11)]
        assert sub == ["Process", "People", "Technology"]
        assert sheet.column_dimensions["D"].width >= 60
        validations = sheet.data_validations.dataValidation
        assert validations
        assert all("Yes" in v.formula1 and "No" in v.formula1 for v in validations)
        covered = " ".join(str(v.sqref) for v in validations)
        assert "F3" in covered


def test_bundled_holds_every_catalogue_control():
    book = openpyxl.load_workbook(BUNDLED)
    descriptions = [
        str(c.value) for sheet in book.worksheets[:5] for c in sheet["D"] if c.value
    ]
    ids = [d.split(" / ")[0] for d in descriptions if " / " in d]
    assert ids == [str(e.id) for e in load_catalogue()]


def test_level_one_has_indicator_then_action_table():
    sheet = openpyxl.load_workbook(BUNDLED)["Level 1"]
    headers = [c.value for c in sheet["D"] if c.value and " / " not in str(c.value)]
    assert len(headers) == 2
    assert "Indicators" in headers[0]
    assert "Actions" in headers[1]


def test_bundled_is_macro_enabled_content_type():
    types = parts(BUNDLED)["[Content_Types].xml"]
    assert b"application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert "xl/sharedStrings.xml" in parts(BUNDLED)
