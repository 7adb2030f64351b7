"""The `Compare` sheet that `ctimm compare -o OUT.xlsx` writes into a new workbook."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from ..model import Finding
from ..render.common import (
    HEADER_FILL,
    PERCENT_FORMAT,
    SCORE_FORMAT,
    SECTION_FONT,
    TITLE_FONT,
    WRAP,
    header_row,
    put,
    put_text,
    set_widths,
)
from ..xlsx.save import check_not_open
from ..xlsx.styles import sort_fonts_in_package
from .common import write_file
from .compare import AreaChange, Comparison, ControlChange, answer_label

SHEET = "Compare"


def write_compare_workbook(comparison: Comparison, output: Path) -> None:
    """Write a workbook with one sheet, `Compare`, to `output` (replacing it)."""
    check_not_open(Path(output))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    fill_compare_sheet(sheet, comparison)
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_file(Path(output), sort_fonts_in_package(buffer.getvalue()))


def fill_compare_sheet(sheet: Worksheet, comparison: Comparison) -> None:
    """Lay out the comparison: headline figures, then areas, controls and violations.

    Every text cell is written as a string, so a description that starts with
    `=` stays text and never becomes a formula.
    """
    put_text(sheet, 1, 1, "CTI-MM comparison").font = TITLE_FONT
    old, new = comparison.old_overall, comparison.new_overall
    header_row(sheet, 3, ["", "Old", "New", "Change"])
    facts = [
        ("Workbook", Path(comparison.old).name, Path(comparison.new).name, None, None),
        ("Overall level", old.level, new.level, new.level - old.level, None),
        ("Overall score", old.score, new.score, new.score - old.score, SCORE_FORMAT),
        (
            "Completeness",
            comparison.old_completeness,
            comparison.new_completeness,
            comparison.new_completeness - comparison.old_completeness,
            PERCENT_FORMAT,
        ),
    ]
    row = 4
    for label, before, after, change, number_format in facts:
        put_text(sheet, row, 1, label).font = SECTION_FONT
        for column, value in ((2, before), (3, after), (4, change)):
            if value is None:
                continue
            cell = put(sheet, row, column, value)
            if number_format:
                cell.number_format = number_format
        row += 1

    row = _areas(sheet, row + 1, comparison)
    row = _controls(sheet, row + 1, comparison)
    _violations(sheet, row + 1, comparison)
    set_widths(sheet, [16, 60, 16, 16, 16, 16, 12])


def _section(sheet: Worksheet, row: int, title: str, columns: list[str]) -> int:
    put_text(sheet, row, 1, title).font = SECTION_FONT
    header_row(sheet, row + 1, columns)
    for column in range(1, len(columns) + 1):
        sheet.cell(row=row + 1, column=column).fill = HEADER_FILL
    return row + 2


def _areas(sheet: Worksheet, row: int, comparison: Comparison) -> int:
    columns = ["Change", "Area", "Code", "Old level", "New level"]
    row = _section(sheet, row, "Areas that moved", [*columns, "Old score", "New score"])
    changes: list[tuple[str, AreaChange]] = [
        *(("up", a) for a in comparison.areas_up),
        *(("down", a) for a in comparison.areas_down),
    ]
    rows = [
        [
            direction,
            area.name,
            area.area,
            area.old_level,
            area.new_level,
            area.old_score,
            area.new_score,
        ]
        for direction, area in changes
    ]
    return _rows(sheet, row, rows, score_columns=(6, 7))


def _controls(sheet: Worksheet, row: int, comparison: Comparison) -> int:
    row = _section(
        sheet,
        row,
        "Controls whose answer moved to or from Yes",
        ["Change", "Description", "Control", "Old answer", "New answer", "Area"],
    )
    changes: list[tuple[str, ControlChange]] = [
        *(("newly Yes", c) for c in comparison.newly_yes),
        *(("no longer Yes", c) for c in comparison.no_longer_yes),
    ]
    rows = [
        [
            label,
            control.description,
            control.control,
            answer_label(control.old_answer),
            answer_label(control.new_answer),
            control.area,
        ]
        for label, control in changes
    ]
    return _rows(sheet, row, rows)


def _violations(sheet: Worksheet, row: int, comparison: Comparison) -> int:
    row = _section(
        sheet,
        row,
        "Violations fixed and new",
        ["Change", "Message", "Control", "Kind", "Related", "Cell"],
    )
    changes: list[tuple[str, Finding]] = [
        *(("fixed", v) for v in comparison.violations_fixed),
        *(("new", v) for v in comparison.violations_new),
    ]
    rows = [
        [
            label,
            finding.message,
            finding.control or "",
            finding.kind,
            " ".join(finding.related),
            finding.cell,
        ]
        for label, finding in changes
    ]
    return _rows(sheet, row, rows)


def _rows(
    sheet: Worksheet,
    row: int,
    rows: list[list[object]],
    score_columns: tuple[int, ...] = (),
) -> int:
    if not rows:
        put_text(sheet, row, 1, "none")
        return row + 1
    for values in rows:
        for column, value in enumerate(values, start=1):
            cell = put(sheet, row, column, value)
            if column == 2:
                cell.alignment = WRAP
            elif column in score_columns:
                cell.number_format = SCORE_FORMAT
        row += 1
    return row
