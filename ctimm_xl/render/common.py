"""Cell helpers shared by the report sheets. Rows and columns count from 1."""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
SECTION_FONT = Font(bold=True, size=12)
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
CENTER = Alignment(horizontal="center", vertical="center")
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
SCORE_FORMAT = "0.00"
PERCENT_FORMAT = "0%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def put_text(sheet: Worksheet, row: int, column: int, text: str):
    """Write `text` as a string cell, never as a formula.

    openpyxl turns any string that starts with `=` into a formula, so the type
    is set back to string after the value is assigned.
    """
    cleaned = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell = sheet.cell(row=row, column=column)
    cell.value = cleaned
    cell.data_type = "s"
    return cell


@dataclass
class Formulas:
    """The formulas written to the scratch sheets, with the value each computes.

    openpyxl writes a formula without a cached value, so `render_report`
    patches these values in after saving; Excel and viewers then show numbers
    before any recalculation.
    """

    values: dict[str, dict[str, object]] = field(default_factory=dict)

    def put(self, sheet: Worksheet, row: int, column: int, formula: str, value):
        """Write `formula` (without the leading `=`) and record `value` as its result."""
        cell = sheet.cell(row=row, column=column)
        cell.value = "=" + formula
        if value is not None:
            # No result is known for a formula that was never calculated.
            self.values.setdefault(sheet.title, {})[cell.coordinate] = value
        return cell


def put(sheet: Worksheet, row: int, column: int, value):
    if isinstance(value, str):
        return put_text(sheet, row, column, value)
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    return cell


def header_row(
    sheet: Worksheet, row: int, names: list[str], first_column: int = 1
) -> None:
    for offset, name in enumerate(names):
        cell = put_text(sheet, row, first_column + offset, name)
        cell.font = HEADER_FONT


def add_table(
    sheet: Worksheet, name: str, first_row: int, last_row: int, columns: int
) -> None:
    """Make the block an Excel Table so users can sort and filter it."""
    ref = f"A{first_row}:{get_column_letter(columns)}{max(last_row, first_row + 1)}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(
        name="TableStyleMedium2", showRowStripes=True, showColumnStripes=False
    )
    sheet.add_table(table)


def set_widths(sheet: Worksheet, widths: list[float]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
