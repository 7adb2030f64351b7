"""Cell values read from a live Excel workbook, shaped for the workbook readers.

`LiveWorkbook` offers what `ctimm_xl.reading` and `ctimm_xl.render.previous`
use of a package (`sheets`, `marked_sheets`, `cells(entry).rows()`), so the
Excel path reads answers with exactly the same code as the command line.
Rows and columns count from 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..xlsx.cells import Cell
from ..xlsx.workbook import SheetEntry

# The error values Excel shows in cells; xlwings hands them over as these strings
# when asked to (`err_to_str=True`).
EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
    }
)


@dataclass(frozen=True)
class SheetValues:
    """The used range of one sheet: its top-left cell and its values, row by row."""

    name: str
    first_row: int
    first_column: int
    values: Sequence[Sequence[object]]
    hidden: bool = False


def to_cell(column: int, value: object) -> Cell | None:
    """Convert a value as xlwings returns it into a reader cell (None when empty)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Cell(column, "bool", value)
    if isinstance(value, (int, float)):
        return Cell(column, "number", float(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return Cell(column, "text", value.isoformat())
    text = str(value)
    if text in EXCEL_ERRORS:
        return Cell(column, "error", text)
    if text == "":
        return None
    return Cell(column, "text", text)


class _LiveCells:
    def __init__(self, sheet: SheetValues) -> None:
        self._sheet = sheet
        self.merges: list[tuple[int, int, int, int]] = []

    def rows(self) -> Iterator[tuple[int, dict[int, Cell]]]:
        sheet = self._sheet
        for offset, values in enumerate(sheet.values):
            cells = {}
            for index, value in enumerate(values):
                column = sheet.first_column + index
                cell = to_cell(column, value)
                if cell is not None:
                    cells[column] = cell
            if cells:
                yield sheet.first_row + offset, cells


class LiveWorkbook:
    """The parts of a workbook that the readers use, built from values Excel returned."""

    def __init__(self, path: str, sheets: list[SheetValues], marked: set[str]) -> None:
        self.path = Path(path)
        self._by_name = {sheet.name: sheet for sheet in sheets}
        self.sheets = [
            SheetEntry(
                s.name, str(n), f"live{n}", s.name, "hidden" if s.hidden else "visible"
            )
            for n, s in enumerate(sheets, start=1)
        ]
        self.marked_sheets = set(marked)

    def cells(self, entry: SheetEntry) -> _LiveCells:
        return _LiveCells(self._by_name[entry.name])
