"""The History sheet: one row per Score run, earlier rows kept as they were.

Each run writes back the rows of the previous History sheet cell by cell,
matched by header text, and appends its own row. Columns that the user added
to the table are kept after ctimm's own.
"""

from __future__ import annotations

import getpass
from datetime import datetime

from openpyxl.chart import Reference
from openpyxl.worksheet.worksheet import Worksheet

from ..core.result import Result
from ..core.scoring import AREAS
from ..model import INTEL_LEVELS, column_letter
from ..xlsx.cells import Cell
from .common import (
    DATETIME_FORMAT,
    PERCENT_FORMAT,
    SCORE_FORMAT,
    SECTION_FONT,
    WRAP,
    add_table,
    header_row,
    put,
    put_text,
)
from .previous import HistoryRows
from .visuals import (
    CURRENT_COLOUR,
    LEVEL_COLOURS,
    TARGET_COLOUR,
    history_chart,
    place,
)

HISTORY_TABLE = "CTIMM_History"
SCORED_AT = "Scored at"
_INTEL_NAMES = list(INTEL_LEVELS.values())
_AREA_CODES = [f"{intel}{phase}" for intel, phase in AREAS]
HISTORY_COLUMNS = [
    SCORED_AT,
    "Scored by",
    "Last saved by",
    "Completeness",
    "Violations",
    "Data problems",
    "Overall level",
    "Overall score",
    *(f"{name} level" for name in _INTEL_NAMES),
    *(f"{name} score" for name in _INTEL_NAMES),
    *(f"{code} level" for code in _AREA_CODES),
    *(f"{code} score" for code in _AREA_CODES),
]
# The chart's lines: the overall score and the level of each intel level,
# each with its own colour and dash so they stay apart in greyscale too.
CHART_LINES = [
    ("Overall score", LEVEL_COLOURS[5], "solid"),
    ("Strategic level", CURRENT_COLOUR, "dash"),
    ("Operational level", TARGET_COLOUR, "sysDot"),
    ("Tactical level", LEVEL_COLOURS[3], "dashDot"),
]
# The printed part: the chart and the columns up to the intel levels' scores.
_PRINTED_COLUMNS = HISTORY_COLUMNS.index("Tactical score") + 1

TITLE_ROW = 1
CHART_ROW = 2
HEADER_ROW = 20


def current_user() -> str:
    """Return the login name of the user running Score, or '' when the system has none."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        # getuser() raises when no login variable is set and the user id has
        # no password entry, as in some containers.
        return ""


def history_row(
    result: Result, scored_at: datetime, scored_by: str, last_saved_by: str
) -> dict[str, object]:
    """Return this run's History values by column header."""
    by_kind = {(r.kind, r.name): r for r in result.rollups}
    overall = result.rollups[-1]
    row: dict[str, object] = {
        SCORED_AT: scored_at,
        "Scored by": scored_by,
        "Last saved by": last_saved_by,
        "Completeness": result.completeness,
        "Violations": len(result.violations),
        "Data problems": len(result.problems),
        "Overall level": overall.level,
        "Overall score": overall.score,
    }
    for name in _INTEL_NAMES:
        row[f"{name} level"] = by_kind[("intel_level", name)].level
        row[f"{name} score"] = by_kind[("intel_level", name)].score
    for area in result.areas:
        row[f"{area.area} level"] = area.level
        row[f"{area.area} score"] = area.score
    return row


def render_history(
    sheet: Worksheet,
    result: Result,
    earlier: HistoryRows,
    scored_at: datetime,
    last_saved_by: str,
) -> None:
    put_text(
        sheet, TITLE_ROW, 1, "Score history (one row per Score run)"
    ).font = SECTION_FONT
    extra = [name for name in earlier.headers if name not in HISTORY_COLUMNS]
    headers = HISTORY_COLUMNS + extra
    header_row(sheet, HEADER_ROW, headers)
    sheet.row_dimensions[HEADER_ROW].height = 30
    for column in range(1, len(headers) + 1):
        sheet.cell(row=HEADER_ROW, column=column).alignment = WRAP

    row = HEADER_ROW
    for cells in earlier.rows:
        row += 1
        for column, name in enumerate(headers, start=1):
            if name in cells:
                _put_kept(sheet, row, column, name, cells[name])
    row += 1
    values = history_row(result, scored_at, current_user(), last_saved_by)
    for column, name in enumerate(HISTORY_COLUMNS, start=1):
        # An unknown name stays an empty cell, as it reads back on the next run.
        value = values[name]
        cell = put(sheet, row, column, None if value == "" else value)
        _format(cell, name)

    add_table(sheet, HISTORY_TABLE, HEADER_ROW, row, len(headers))
    _chart(sheet, row, headers)
    for column, name in enumerate(headers, start=1):
        width = 18 if name == SCORED_AT else 14
        sheet.column_dimensions[column_letter(column)].width = width
    sheet.print_area = f"A1:{column_letter(_PRINTED_COLUMNS)}{row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _put_kept(sheet: Worksheet, row: int, column: int, name: str, cell: Cell) -> None:
    value = cell.value
    if name == SCORED_AT and cell.kind == "text":
        # An ISO date as text, as a workbook read through Excel hands it over.
        try:
            value = datetime.fromisoformat(str(cell.value))
        except ValueError:
            value = cell.value
    target = put(sheet, row, column, value)
    if cell.kind == "error":
        target.data_type = "e"
    _format(target, name)


def _format(cell, name: str) -> None:
    if name == SCORED_AT:
        cell.number_format = DATETIME_FORMAT
    elif name == "Completeness":
        cell.number_format = PERCENT_FORMAT
    elif name.endswith("score"):
        cell.number_format = SCORE_FORMAT


def _chart(sheet: Worksheet, last_row: int, headers: list[str]) -> None:
    dates = Reference(sheet, min_col=1, min_row=HEADER_ROW + 1, max_row=last_row)
    lines = []
    for name, colour, dash in CHART_LINES:
        column = headers.index(name) + 1
        values = Reference(sheet, min_col=column, min_row=HEADER_ROW, max_row=last_row)
        lines.append((values, colour, dash))
    last_column = min(len(headers), _PRINTED_COLUMNS) + 1
    place(
        sheet,
        history_chart(dates, lines),
        (CHART_ROW, 1),
        (HEADER_ROW - 1, last_column),
    )
