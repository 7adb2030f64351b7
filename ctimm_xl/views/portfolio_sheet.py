"""The portfolio workbook: a Portfolio sheet with a level heatmap, and a Skipped sheet."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..core.scoring import AREAS
from ..model import INTEL_LEVELS, PHASE_SHORT
from ..render.common import (
    CENTER,
    PERCENT_FORMAT,
    SCORE_FORMAT,
    TITLE_FONT,
    WRAP,
    add_table,
    header_row,
    put,
    put_text,
    set_widths,
)
from ..xlsx.save import check_not_open
from ..xlsx.styles import sort_fonts_in_package
from .common import write_file
from .palette import LEVEL_FILLS, LEVEL_TEXT
from .portfolio import Portfolio

AREA_CODES = [f"{intel}{phase}" for intel, phase in AREAS]
COLUMNS = [
    "Workbook",
    *AREA_CODES,
    "Overall level",
    "Overall score",
    "Completeness",
    "Violations",
    "Data problems",
    "Open steps",
]
HEADER = 4  # the table's header row; rows 1-3 hold the title and the key


def write_portfolio_workbook(portfolio: Portfolio, output: Path) -> None:
    """Write the portfolio to a new workbook at `output`, replacing any file there."""
    check_not_open(Path(output))
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Portfolio"
    fill_portfolio_sheet(sheet, portfolio)
    fill_skipped_sheet(workbook.create_sheet("Skipped"), portfolio)
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_file(Path(output), sort_fonts_in_package(buffer.getvalue()))


def fill_portfolio_sheet(sheet: Worksheet, portfolio: Portfolio) -> None:
    """Write one row per workbook and color the level cells by level."""
    put_text(sheet, 1, 1, "CTI-MM portfolio").font = TITLE_FONT
    intel_key = ", ".join(f"{code} {name}" for code, name in INTEL_LEVELS.items())
    phase_key = ", ".join(f"{number} {name}" for number, name in PHASE_SHORT.items())
    put_text(
        sheet,
        2,
        1,
        f"Area codes: intel level ({intel_key}) and phase ({phase_key}). "
        "Levels run from 0 (below level 1) to 5.",
    )
    put_text(
        sheet,
        3,
        1,
        f"{len(portfolio.units)} workbooks scored in {portfolio.folder}; "
        f"{len(portfolio.skipped)} skipped (see the Skipped sheet).",
    )
    header_row(sheet, HEADER, COLUMNS)
    for column in range(2, len(COLUMNS) + 1):
        sheet.cell(row=HEADER, column=column).alignment = WRAP

    row = HEADER
    for unit in portfolio.units:
        row += 1
        values = [
            unit.file,
            *(unit.levels[code] for code in AREA_CODES),
            unit.overall_level,
            unit.overall_score,
            unit.completeness,
            unit.violations,
            unit.problems,
            unit.open_steps,
        ]
        for column, value in enumerate(values, start=1):
            cell = put(sheet, row, column, value)
            if 2 <= column <= len(AREA_CODES) + 2:
                cell.alignment = CENTER
        sheet.cell(row=row, column=len(AREA_CODES) + 3).number_format = SCORE_FORMAT
        sheet.cell(row=row, column=len(AREA_CODES) + 4).number_format = PERCENT_FORMAT

    add_table(sheet, "CTIMM_Portfolio", HEADER, row, len(COLUMNS))
    if row > HEADER:
        _level_heatmap(
            sheet, f"B{HEADER + 1}:{get_column_letter(len(AREA_CODES) + 2)}{row}"
        )
    sheet.freeze_panes = sheet.cell(row=HEADER + 1, column=2)
    # Print landscape, every column on one page width.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    set_widths(sheet, [36, *([5] * len(AREA_CODES)), 8, 8, 12, 10, 10, 8])


def fill_skipped_sheet(sheet: Worksheet, portfolio: Portfolio) -> None:
    header_row(sheet, 1, ["File", "Reason"])
    for row, skipped in enumerate(portfolio.skipped, start=2):
        put_text(sheet, row, 1, skipped.file)
        put_text(sheet, row, 2, skipped.reason).alignment = WRAP
    if not portfolio.skipped:
        put_text(sheet, 2, 1, "none")
    set_widths(sheet, [40, 100])


def _level_heatmap(sheet: Worksheet, cells: str) -> None:
    """Add one conditional format per level, so a changed value recolors itself."""
    for level, fill in LEVEL_FILLS.items():
        sheet.conditional_formatting.add(
            cells,
            CellIsRule(
                operator="equal",
                formula=[str(level)],
                fill=PatternFill(bgColor=fill, fgColor=fill, fill_type="solid"),
                font=Font(color=LEVEL_TEXT[level]),
            ),
        )
