"""The Dashboard's formulas, recalculated by LibreOffice, against Python's scoring.

The scored workbooks' answer cells are edited in the package XML after
scoring, so every cached value on the Dashboard is stale; a LibreOffice that
did not recalculate would fail. All workbooks of a test go through one
soffice run, because starting LibreOffice takes most of the time.
"""

from __future__ import annotations

import random
import re
import warnings
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from libreoffice import convert_all
from lxml import etree

from ctimm_xl.app import score_workbook
from ctimm_xl.core.result import Result
from ctimm_xl.model import Answer, CellRef, Kind
from ctimm_xl.render.formulas import INVALID, formula_reading
from ctimm_xl.render.previous import read_answer_rows
from ctimm_xl.xlsx.cells import Cell, column_number
from ctimm_xl.xlsx.package import open_package
from ctimm_xl.xlsx.workbook import WorkbookParts

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def profiles(tmp_path_factory) -> Path:
    """LibreOffice profiles shared by this module's conversions."""
    return tmp_path_factory.mktemp("lo-profiles")


NOW = datetime(2026, 6, 1, 9, 30)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
M = f"{{{MAIN}}}"
RANDOM_BUNDLED = 200
RANDOM_SEED = 20

# Answers that the formulas read exactly as ctimm does, in every spelling and
# type the reader accepts, and some it rejects.
YES_FORMS = ["Yes", "yes", " YES ", "y", "Y", "true", "TRUE", "1", "x", "X", "✓", "✔"]
# LibreOffice 7.4 reads a tab in a cell that also contains a line break as
# U+0001, which Excel does not, so the two are never combined here.
YES_FORMS += [1, 1.0, True, "yes\u00a0", "\tyes", "yes\n", "Yes\u202f", "\u2007y"]
OTHER_FORMS = ["No", "no", "n", "N", "false", "0", 0, False, " no  "]
OTHER_FORMS += ["Partial", "partial", "PARTIALLY", 0.5]
OTHER_FORMS += ["N/A", "n/a", "na", "NA", "not applicable", "Not  Applicable", "-"]
OTHER_FORMS += [None, "", "   ", "maybe", "*", "?", "y*", "~", 2, 0.25, "0.5", "#N/A"]


# --- editing answers in the package XML ---------------------------------------


def _set_value(cell: etree._Element, value: object) -> None:
    for child in list(cell):
        cell.remove(child)
    cell.attrib.pop("t", None)
    if value is None:
        return
    if isinstance(value, bool):
        cell.set("t", "b")
        etree.SubElement(cell, M + "v").text = "1" if value else "0"
    elif isinstance(value, (int, float)):
        etree.SubElement(cell, M + "v").text = repr(float(value))
    elif value == "#N/A":
        cell.set("t", "e")
        etree.SubElement(cell, M + "v").text = "#N/A"
    else:
        cell.set("t", "inlineStr")
        text = etree.SubElement(etree.SubElement(cell, M + "is"), M + "t")
        text.text = str(value)
        text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def _cell_element(root: etree._Element, row: int, column: int) -> etree._Element:
    reference = f"{_letters(column)}{row}"
    data = root.find(M + "sheetData")
    row_element = next(
        (r for r in data.iter(M + "row") if r.get("r") == str(row)), None
    )
    if row_element is None:
        row_element = etree.SubElement(data, M + "row", r=str(row))
        ordered = sorted(data, key=lambda r: int(r.get("r")))
        data[:] = ordered
    for cell in row_element.iter(M + "c"):
        if cell.get("r") == reference:
            return cell
    cell = etree.SubElement(row_element, M + "c", r=reference)
    ordered = sorted(
        row_element, key=lambda c: column_number(re.sub(r"\d", "", c.get("r")))
    )
    row_element[:] = ordered
    return cell


def _letters(column: int) -> str:
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def with_answers(source: Path, values: dict[CellRef, object], out: Path) -> Path:
    """Copy a package with the given cells set, editing only their sheets' XML."""
    package = open_package(source)
    parts = WorkbookParts(package)
    by_sheet: dict[str, dict[CellRef, object]] = {}
    for ref, value in values.items():
        by_sheet.setdefault(ref.sheet, {})[ref] = value
    edited = dict(package.parts)
    for entry in parts.sheets:
        if entry.name not in by_sheet:
            continue
        root = package.xml(entry.part)
        for ref, value in by_sheet[entry.name].items():
            _set_value(_cell_element(root, ref.row, ref.column), value)
        edited[entry.part] = etree.tostring(
            root, xml_declaration=True, encoding="UTF-8"
        )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in package.order:
            archive.writestr(name, edited[name])
    return out


def stale_cache(source: Path, out: Path) -> Path:
    """Copy a scored package with every cached result on the Dashboard set to 99."""
    package = open_package(source)
    entry = next(e for e in WorkbookParts(package).sheets if e.name == "Dashboard")
    root = package.xml(entry.part)
    changed = 0
    for cell in root.iter(M + "c"):
        value = cell.find(M + "v")
        if cell.find(M + "f") is not None and value is not None:
            value.text = "99"
            cell.attrib.pop("t", None)
            changed += 1
    assert changed > 500
    parts = dict(package.parts)
    parts[entry.part] = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in package.order:
            archive.writestr(name, parts[name])
    return out


# --- reading the recalculated Dashboard --------------------------------------------


def dashboard_cells(path: Path) -> dict[tuple[int, int], object]:
    """The Dashboard's values as openpyxl reads them (cached results, not formulas)."""
    with warnings.catch_warnings():
        # LibreOffice writes extensions that openpyxl does not know and warns about.
        warnings.simplefilter("ignore")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book["Dashboard"]
            return {
                (cell.row, cell.column): cell.value
                for row in sheet.iter_rows()
                for cell in row
                if getattr(cell, "value", None) is not None
            }
        finally:
            book.close()


def _value(cells: dict, row: int, column: int):
    return cells.get((row, column))


def _row_of(cells: dict, text: str, column: int = 1) -> int:
    return min(
        row for (row, col), value in cells.items() if col == column and value == text
    )


def dashboard_figures(path: Path) -> dict:
    """The Dashboard's figures after LibreOffice recalculated them."""
    cells = dashboard_cells(path)
    figures: dict = {"areas": {}, "rollups": {}, "readings": {}}
    header = _row_of(cells, "Area")
    for row in range(header + 1, header + 16):
        code = _value(cells, row, 1)
        figures["areas"][code] = tuple(_value(cells, row, c) for c in (4, 5, 8, 9, 10))
    for field, title in (
        ("level", "Maturity level (0 = below level 1)"),
        ("score", "Score"),
    ):
        top = _row_of(cells, title) + 2
        for offset, name in enumerate(("Strategic", "Operational", "Tactical")):
            figures["rollups"][("intel_level", name, field)] = _value(
                cells, top + offset, 7
            )
        for phase in range(1, 6):
            figures["rollups"][("phase", phase, field)] = _value(
                cells, top + 3, 1 + phase
            )
        figures["rollups"][("overall", None, field)] = _value(cells, top + 3, 7)
    figures["completeness"] = _value(cells, _row_of(cells, "Completeness"), 2)
    figures["overall"] = (
        _value(cells, _row_of(cells, "Overall level"), 2),
        _value(cells, _row_of(cells, "Overall score"), 2),
    )
    controls = _row_of(cells, "Control")
    row = controls + 1
    while _value(cells, row, 1):
        figures["readings"][_value(cells, row, 1)] = _value(cells, row, 9) or ""
        row += 1
    return figures


# --- the comparison -----------------------------------------------------------------


def expected_reading(result: Result, control) -> str:
    if control.answer is not Answer.UNANSWERED:
        return control.answer.value
    invalid = any(
        p.kind == "invalid-answer" and p.control == str(control.id)
        for p in result.problems
    )
    return INVALID if invalid else ""


def assert_matches(figures: dict, result: Result, label: str) -> None:
    for area in result.areas:
        level, score, actions, answered, present = figures["areas"][area.area]
        where = f"{label} {area.area}"
        assert level == area.level, where
        assert score == pytest.approx(area.score, abs=1e-9), where
        assert actions == area.actions, where
        assert answered == area.answered, where
        assert present == area.indicators_present, where
    for rollup in result.rollups:
        key = rollup.phase if rollup.kind == "phase" else rollup.name
        if rollup.kind == "overall":
            key = None
        level = figures["rollups"][(rollup.kind, key, "level")]
        score = figures["rollups"][(rollup.kind, key, "score")]
        assert level == rollup.level, f"{label} {rollup.kind} {rollup.name}"
        assert score == pytest.approx(rollup.score, abs=1e-9), f"{label} {rollup.name}"
    overall = result.rollups[-1]
    assert figures["overall"][0] == overall.level, label
    assert figures["overall"][1] == pytest.approx(overall.score, abs=1e-9), label
    assert figures["completeness"] == pytest.approx(result.completeness, abs=1e-9), (
        label
    )
    for control in result.controls:
        wanted = expected_reading(result, control)
        assert figures["readings"][str(control.id)] == wanted, f"{label} {control.id}"


def random_answers(
    rng: random.Random, result: Result, value_cells: dict[str, CellRef]
) -> dict[CellRef, object]:
    share_yes = rng.uniform(0.3, 1.0)
    values: dict[CellRef, object] = {}
    for control in result.controls:
        if rng.random() < share_yes:
            values[control.answer_cell] = rng.choice(YES_FORMS)
        else:
            values[control.answer_cell] = rng.choice(OTHER_FORMS)
        box = value_cells.get(str(control.id))
        if box is not None:
            values[box] = rng.choice([True, False, None, "???"])
    return values


def indicator_value_cells(path: Path, result: Result) -> dict[str, CellRef]:
    rows = read_answer_rows(WorkbookParts(open_package(path)), result.source_sheets)
    found = {}
    for control in result.controls:
        raw = rows[(control.answer_cell.sheet, control.answer_cell.row)]
        column = raw.table.columns.get("value")
        if control.kind is Kind.INDICATOR and column is not None:
            found[str(control.id)] = CellRef(control.answer_cell.sheet, raw.row, column)
    return found


@pytest.mark.slow
def test_formulas_equal_python_on_random_answers(bundled, seed, tmp_path, profiles):
    rng = random.Random(20260601)
    inputs: list[tuple[Path, Result]] = []
    base_scores = {}
    for source, count in ((bundled, RANDOM_BUNDLED), (seed, RANDOM_SEED)):
        scored = tmp_path / f"scored-{source.stem}{source.suffix}"
        base = score_workbook(source, scored, now=NOW).result
        base_scores[source.stem] = base.rollups[-1].score
        boxes = indicator_value_cells(scored, base)
        for number in range(count):
            answers = random_answers(rng, base, boxes)
            out = with_answers(
                scored, answers, tmp_path / f"{source.stem}-{number:03d}{source.suffix}"
            )
            inputs.append((out, score_workbook(out, write=False).result))
    # The cached values are those of the unedited workbooks, so most are stale.
    stale = [
        r for path, r in inputs if r.rollups[-1].score != base_scores[path.stem[:-4]]
    ]
    assert len(stale) > len(inputs) // 2

    converted = convert_all([path for path, _ in inputs], "xlsx", tmp_path, profiles)
    levels = set()
    for (path, result), recalculated in zip(inputs, converted, strict=True):
        assert_matches(dashboard_figures(recalculated), result, path.name)
        levels.update(a.level for a in result.areas)
    # The random answers reach every level, so every branch of the level formula ran.
    assert levels == {0, 1, 2, 3, 4, 5}


def test_formulas_equal_python_on_shipped_workbooks(bundled, seed, tmp_path, profiles):
    inputs = []
    for source in (bundled, seed):
        scored = tmp_path / f"scored-{source.stem}{source.suffix}"
        result = score_workbook(source, scored, now=NOW).result
        inputs.append(
            (stale_cache(scored, tmp_path / f"stale-{source.stem}.xlsx"), result)
        )
    converted = convert_all([path for path, _ in inputs], "xlsx", tmp_path, profiles)
    for (path, result), recalculated in zip(inputs, converted, strict=True):
        assert_matches(dashboard_figures(recalculated), result, path.name)


def test_cached_values_equal_python(bundled, seed, tmp_path):
    for source in (bundled, seed):
        out = tmp_path / f"scored{source.suffix}"
        result = score_workbook(source, out, now=NOW).result
        assert_matches(dashboard_figures(out), result, source.name)


# Answers where the formulas and ctimm disagree, as the Dashboard's notes and
# docs/scoring.md say: an em space is folded by ctimm but not by TRIM.
UNREPRODUCED = {"yes\u2003": Answer.YES, "\u3000no": Answer.NO}


def test_formulas_differ_where_documented(bundled, tmp_path, profiles):
    scored = tmp_path / "scored.xlsm"
    base = score_workbook(bundled, scored, now=NOW).result
    actions = [c for c in base.controls if c.kind is Kind.ACTION][: len(UNREPRODUCED)]
    values = dict(zip((c.answer_cell for c in actions), UNREPRODUCED, strict=True))
    edited = with_answers(scored, values, tmp_path / "edited.xlsm")
    result = score_workbook(edited, write=False).result
    by_id = {str(c.id): c for c in result.controls}
    (recalculated,) = convert_all([edited], "xlsx", tmp_path, profiles)
    readings = dashboard_figures(recalculated)["readings"]
    for control, text in zip(actions, UNREPRODUCED, strict=True):
        assert by_id[str(control.id)].answer is UNREPRODUCED[text]
        assert readings[str(control.id)] == INVALID
        assert formula_reading(Cell(6, "text", text)) == INVALID
