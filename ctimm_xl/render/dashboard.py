"""The Dashboard sheet: levels and scores of the 15 areas, roll-ups and targets."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from ..core.result import Result
from ..model import INTEL_LEVELS, PHASES
from .common import (
    CENTER,
    DATETIME_FORMAT,
    GRID,
    HEADER_FILL,
    HEADER_FONT,
    PERCENT_FORMAT,
    SCORE_FORMAT,
    SECTION_FONT,
    TITLE_FONT,
    add_table,
    header_row,
    put,
    put_text,
    set_widths,
)

AREA_TABLE = "CTIMM_Areas"
AREA_COLUMNS = [
    "Area",
    "Intel level",
    "Phase",
    "Level",
    "Score",
    "Target",
    "Target used",
    "Actions",
    "Answered",
    "Indicators present",
]


def render_dashboard(
    sheet: Worksheet,
    result: Result,
    scored_at: datetime,
    typed_targets: dict[str, str | float] | None = None,
) -> None:
    """Fill the Dashboard; `typed_targets` are Target cells kept as the user typed them."""
    put_text(sheet, 1, 1, "CTI-MM assessment").font = TITLE_FONT
    facts = [
        ("Scored at", scored_at),
        ("Workbook", Path(result.workbook).name),
        ("Sheets used", ", ".join(result.source_sheets)),
        ("Sheets ignored", ", ".join(result.ignored_sheets) or "none"),
        (
            "Controls",
            f"{len(result.controls)} ({result.actions} actions, "
            f"{result.indicators} indicators)",
        ),
        ("Completeness", result.completeness),
        ("Overall level", result.rollups[-1].level),
        ("Overall score", result.rollups[-1].score),
    ]
    for offset, (label, value) in enumerate(facts):
        put_text(sheet, 2 + offset, 1, label).font = HEADER_FONT
        cell = put(sheet, 2 + offset, 2, value)
        if label == "Scored at":
            cell.number_format = DATETIME_FORMAT
        elif label == "Completeness":
            cell.number_format = PERCENT_FORMAT
        elif label == "Overall score":
            cell.number_format = SCORE_FORMAT
    row = 2 + len(facts) + 1

    row = _matrix(sheet, row, "Maturity level (0 = below level 1)", result, "level")
    row = _matrix(sheet, row + 1, "Score", result, "score")
    row = _counts(sheet, row + 1, result)
    _area_table(sheet, row + 1, result, typed_targets or {})

    set_widths(sheet, [22, 26, 26, 24, 16, 14, 12, 12, 12, 18])
    sheet.freeze_panes = None


def _matrix(sheet: Worksheet, row: int, title: str, result: Result, field: str) -> int:
    put_text(sheet, row, 1, title).font = SECTION_FONT
    row += 1
    names = ["Intel level", *PHASES.values(), "All phases"]
    header_row(sheet, row, names)
    for column in range(1, len(names) + 1):
        sheet.cell(row=row, column=column).fill = HEADER_FILL
        sheet.cell(row=row, column=column).border = GRID
    by_area = {(a.intel, a.phase): a for a in result.areas}
    intel_rollups = {r.name: r for r in result.rollups if r.kind == "intel_level"}
    phase_rollups = {r.phase: r for r in result.rollups if r.kind == "phase"}
    overall = result.rollups[-1]
    for intel, name in INTEL_LEVELS.items():
        row += 1
        put_text(sheet, row, 1, name).font = HEADER_FONT
        values = [getattr(by_area[(intel, phase)], field) for phase in PHASES]
        values.append(getattr(intel_rollups[name], field))
        _put_numbers(sheet, row, values, field)
    row += 1
    put_text(sheet, row, 1, "All intel levels").font = HEADER_FONT
    values = [getattr(phase_rollups[phase], field) for phase in PHASES]
    values.append(getattr(overall, field))
    _put_numbers(sheet, row, values, field)
    return row + 1


def _put_numbers(sheet: Worksheet, row: int, values: list, field: str) -> None:
    for offset, value in enumerate(values):
        cell = put(sheet, row, 2 + offset, value)
        cell.alignment = CENTER
        cell.border = GRID
        if field == "score":
            cell.number_format = SCORE_FORMAT
    sheet.cell(row=row, column=1).border = GRID


def _counts(sheet: Worksheet, row: int, result: Result) -> int:
    put_text(sheet, row, 1, "Checks").font = SECTION_FONT
    row += 1
    header_row(sheet, row, ["Kind", "Count", "Type"])
    counts = Counter(v.kind for v in result.violations)
    problems = Counter(p.kind for p in result.problems)
    lines = [(kind, n, "violation") for kind, n in sorted(counts.items())]
    lines += [(kind, n, "data problem") for kind, n in sorted(problems.items())]
    if not lines:
        lines = [("none", 0, "")]
    for kind, count, label in lines:
        row += 1
        put_text(sheet, row, 1, kind)
        put(sheet, row, 2, count)
        put_text(sheet, row, 3, label)
    row += 1
    put_text(sheet, row, 1, "Total")
    put(sheet, row, 2, len(result.violations) + len(result.problems))
    sheet.cell(row=row, column=1).font = HEADER_FONT
    return row + 1


def _area_table(
    sheet: Worksheet, row: int, result: Result, typed_targets: dict[str, str | float]
) -> None:
    put_text(sheet, row, 1, "Areas and targets").font = SECTION_FONT
    put_text(
        sheet,
        row,
        3,
        "Type a target level (1-5) in Target to plan towards it; "
        "leave it empty for the next level up.",
    )
    row += 1
    first = row
    header_row(sheet, row, AREA_COLUMNS)
    for area in result.areas:
        row += 1
        stored = typed_targets.get(area.area, result.stored_targets.get(area.area))
        values = [
            area.area,
            INTEL_LEVELS[area.intel],
            PHASES[area.phase],
            area.level,
            area.score,
            stored,
            area.target,
            area.actions,
            area.answered,
            area.indicators_present,
        ]
        for offset, value in enumerate(values, start=1):
            cell = put(sheet, row, offset, value)
            if AREA_COLUMNS[offset - 1] == "Score":
                cell.number_format = SCORE_FORMAT
            if AREA_COLUMNS[offset - 1] == "Target":
                cell.fill = PatternFill("solid", fgColor="FFF2CC")
    add_table(sheet, AREA_TABLE, first, row, len(AREA_COLUMNS))
