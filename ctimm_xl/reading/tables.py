"""Find control tables on a sheet by their header rows and yield their rows.

A header row has `Maturity Level`, `Intel Cycle Phase`, `Intel Level` and
`True?` (or `True`). Its description column is the first header cell left of
`True?` whose text contains indicator, action, control or description. Other
columns are found by their header text, on the header row or on the row under
it (the `Process | People | Technology` sub-header of `Resources required`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from ..model import Kind
from ..text import fold
from ..xlsx.cells import Cell

_REQUIRED = {
    "maturity level": "maturity",
    "intel cycle phase": "phase",
    "intel level": "intel",
}
_ANSWER_HEADERS = ("true?", "true")
_OPTIONAL = {
    "links to": "links",
    "remarks": "remarks",
    "value": "value",
    "process": "process",
    "people": "people",
    "technology": "technology",
}
_SUB_HEADERS = ("process", "people", "technology")
_DESCRIPTION_WORDS = ("indicator", "action", "control", "description")


@dataclass
class Table:
    sheet: str
    header_row: int
    kind: Kind
    columns: dict[str, int]
    first_row: int = 0


@dataclass
class RawRow:
    """One row of a control table, before its ID and answer are interpreted."""

    sheet: str
    row: int
    table: Table
    cells: dict[int, Cell] = field(repr=False)

    def cell(self, name: str) -> Cell | None:
        column = self.table.columns.get(name)
        return None if column is None else self.cells.get(column)

    def text(self, name: str) -> str:
        cell = self.cell(name)
        return "" if cell is None or cell.kind == "error" else cell.text.strip()


@dataclass
class NearMiss:
    """A row that looks like a header but lacks a required column."""

    sheet: str
    row: int
    missing: list[str]


def _header_texts(cells: dict[int, Cell]) -> dict[int, str]:
    return {
        column: fold(str(cell.value))
        for column, cell in cells.items()
        if cell.kind == "text" and cell.value
    }


def match_header(
    sheet: str, row: int, cells: dict[int, Cell]
) -> Table | NearMiss | None:
    """Return the table a header row opens, a near miss, or None."""
    texts = _header_texts(cells)
    columns: dict[str, int] = {}
    for column, text in sorted(texts.items()):
        name = _REQUIRED.get(text)
        if name is not None and name not in columns:
            columns[name] = column
        elif text in _ANSWER_HEADERS and "answer" not in columns:
            columns["answer"] = column
    found = sum(name in columns for name in ("maturity", "phase", "intel", "answer"))
    if found < 4:
        if found == 3 and len(columns) == 3:
            missing = [
                label
                for label, name in (
                    ("Maturity Level", "maturity"),
                    ("Intel Cycle Phase", "phase"),
                    ("Intel Level", "intel"),
                    ("True?", "answer"),
                )
                if name not in columns
            ]
            return NearMiss(sheet, row, missing)
        return None

    description = None
    for column, text in sorted(texts.items()):
        if column >= columns["answer"]:
            break
        if any(word in text for word in _DESCRIPTION_WORDS):
            description = (column, text)
            break
    if description is None:
        return NearMiss(sheet, row, ["a description column (Indicators or Actions)"])
    columns["description"] = description[0]
    kind = Kind.INDICATOR if "indicator" in description[1] else Kind.ACTION

    for column, text in sorted(texts.items()):
        name = _OPTIONAL.get(text)
        if name is not None and name not in columns:
            columns[name] = column
    return Table(sheet, row, kind, columns)


def add_sub_header(table: Table, cells: dict[int, Cell]) -> bool:
    """Take the Process / People / Technology columns from the row under a header.

    Returns whether the row was such a sub-header (and so holds no control).
    """
    texts = _header_texts(cells)
    found = {
        text: column for column, text in sorted(texts.items()) if text in _SUB_HEADERS
    }
    if not found:
        return False
    for text, column in found.items():
        table.columns.setdefault(text, column)
    return True


def scan_tables(
    sheet: str, rows: Iterator[tuple[int, dict[int, Cell]]]
) -> tuple[list[RawRow], list[NearMiss]]:
    """Return the control rows of every table on a sheet, and near-miss headers."""
    found: list[RawRow] = []
    near_misses: list[NearMiss] = []
    table: Table | None = None
    expect_sub_header = False
    for row_number, cells in rows:
        header = match_header(sheet, row_number, cells)
        if isinstance(header, Table):
            table = header
            expect_sub_header = True
            continue
        if isinstance(header, NearMiss):
            near_misses.append(header)
            continue
        if table is None:
            continue
        if expect_sub_header:
            expect_sub_header = False
            if add_sub_header(table, cells):
                continue
        description = cells.get(table.columns["description"])
        if description is None or description.is_blank or description.kind == "error":
            continue
        found.append(RawRow(sheet, row_number, table, cells))
    return found, near_misses
