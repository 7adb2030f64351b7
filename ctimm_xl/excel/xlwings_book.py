"""`ExcelBook` over an xlwings Book: the only place the jobs touch Excel.

NOTE: no Excel runs where this project is tested. The tests drive this class
with stand-in objects that have the xlwings attributes it uses, which checks
the flow but not Excel's behaviour. Calls through `.api` are the Windows COM
object model; on macOS they are skipped where noted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import xlwings as xw

from ..render.previous import GENERATED
from ..xlsx.flags import MARKER_FORMULA
from ..xlsx.workbook import MARK_PREFIX
from .live import SheetValues

_XL_EXPRESSION = 2  # XlFormatConditionType.xlExpression


def formula_runs(scratch: Path, sheet: str) -> list[tuple[str, list[str]]]:
    """Return the formulas of a scratch sheet as runs of adjacent cells in a row.

    Each run is (address of its first cell, formulas left to right).
    """
    import openpyxl

    book = openpyxl.load_workbook(scratch, read_only=True)
    runs: list[tuple[str, list[str]]] = []
    try:
        for row in book[sheet].iter_rows():
            current: list[str] = []
            start = ""
            for cell in row:
                is_formula = getattr(cell, "data_type", None) == "f"
                if is_formula:
                    if not current:
                        start = cell.coordinate
                    current.append(str(cell.value))
                    continue
                if current:
                    runs.append((start, current))
                    current = []
            if current:
                runs.append((start, current))
    finally:
        book.close()
    return runs


def _restore_formulas(sheet, runs: list[tuple[str, list[str]]]) -> None:
    # Copied out of the scratch workbook, formulas that name the control
    # sheets pointed at sheets that workbook lacks; written again here, they
    # refer to this workbook's sheets. Only formula cells are written, so text
    # that starts with "=" stays text.
    for start, formulas in runs:
        sheet.range(start).resize(1, len(formulas)).formula = [formulas]


class XlwingsBook:
    def __init__(self, book: xw.Book) -> None:
        self.book = book
        self.path = book.fullname

    def sheet_values(self) -> list[SheetValues]:
        found = []
        for sheet in self.book.sheets:
            if sheet.name == "xlwings.conf":
                continue
            used = sheet.used_range
            # err_to_str: error cells arrive as "#N/A" and so on, not as None.
            values = used.options(ndim=2, err_to_str=True).value or []
            found.append(
                SheetValues(
                    sheet.name, used.row, used.column, values, not sheet.visible
                )
            )
        return found

    def marked_sheets(self) -> set[str]:
        marked = set()
        for name in self.book.names:
            if name.name.startswith(MARK_PREFIX):
                sheet = name.name[len(MARK_PREFIX) :]
                if sheet in [s.name for s in self.book.sheets]:
                    marked.add(sheet)
        return marked

    def write_report(self, scratch: Path, names: tuple[str, ...]) -> None:
        """Copy the report sheets from the scratch workbook, replacing earlier ones."""
        app = self.book.app
        source = app.books.open(str(scratch), update_links=False)
        try:
            for name in names:
                existing = [s for s in self.book.sheets if s.name == name]
                if existing:
                    after = existing[0]
                    source.sheets[name].copy(after=after)
                    copied = self.book.sheets[after.index]  # the sheet right after
                    after.delete()
                    copied.name = name
                else:
                    source.sheets[name].copy(after=self.book.sheets[-1])
                    copied = self.book.sheets[-1]
                    copied.name = name
                self._mark(name)
                _restore_formulas(copied, formula_runs(scratch, name))
        finally:
            source.close()

    def _mark(self, sheet: str) -> None:
        label = MARK_PREFIX + sheet
        for name in self.book.names:
            if name.name == label:
                name.delete()
        added = self.book.names.add(label, f"='{sheet}'!$A$1")
        if sys.platform.startswith("win"):
            added.api.Visible = False

    def set_flags(self, flags: dict[str, list[str]]) -> None:
        """Replace the tool's flag rule on every control sheet (Windows only)."""
        if not sys.platform.startswith("win"):
            # NOTE: on macOS the flags are not set from Excel; `ctimm score`
            # on the saved file sets them.
            return
        for sheet in self.book.sheets:
            if sheet.name in GENERATED:
                continue
            conditions = sheet.api.Cells.FormatConditions
            for index in range(conditions.Count, 0, -1):
                condition = conditions.Item(index)
                try:
                    formula = condition.Formula1
                except Exception:  # noqa: BLE001 - data bars and the like have none
                    continue
                if "ctimm-xl flag" in str(formula):
                    condition.Delete()
            cells = flags.get(sheet.name)
            if not cells:
                continue
            target = sheet.range(",".join(cells))
            condition = target.api.FormatConditions.Add(
                _XL_EXPRESSION, Formula1="=" + MARKER_FORMULA
            )
            condition.Font.Bold = True
            condition.Font.Color = 0x06009C  # BGR of dark red
            condition.Interior.Color = 0xCEC7FF  # BGR of light red

    def alert(self, message: str) -> None:
        self.book.app.alert(message, title="CTI-MM")
