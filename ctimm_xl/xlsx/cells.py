"""Stream the cells of a worksheet part, row by row.

openpyxl cannot tell, in one pass, a formula that has a cached value from one
that has none, and it builds a cell object for every cell of the sheet. This
reader keeps both the formula flag and the cached value, holds one row at a
time, and refuses XML that declares a DTD. Rows and columns count from 1.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .. import limits
from ..errors import WorkbookError
from ..model import column_letter, quote_sheet
from .package import NS_MAIN, check_no_dtd, dtd_error, malformed_error

_C = f"{{{NS_MAIN}}}c"
_ROW = f"{{{NS_MAIN}}}row"
_V = f"{{{NS_MAIN}}}v"
_F = f"{{{NS_MAIN}}}f"
_IS = f"{{{NS_MAIN}}}is"
_T = f"{{{NS_MAIN}}}t"
_SI = f"{{{NS_MAIN}}}si"
_RPH = f"{{{NS_MAIN}}}rPh"
_MERGE = f"{{{NS_MAIN}}}mergeCell"
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")


@dataclass(frozen=True)
class Cell:
    """One cell: `kind` is text, number, bool, error or blank."""

    column: int
    kind: str
    value: str | float | bool | None
    formula: bool = False
    cached: bool = True
    # The formula's text without "=", when the cell holds one with its own text
    # (cells that share another cell's formula carry none).
    formula_text: str = ""

    @property
    def is_blank(self) -> bool:
        if self.kind == "blank":
            return True
        return self.kind == "text" and not str(self.value).strip()

    @property
    def text(self) -> str:
        """The value as a string, as a user would see it unformatted."""
        if self.value is None:
            return ""
        if self.kind == "bool":
            return "TRUE" if self.value else "FALSE"
        if self.kind == "number":
            number = float(self.value)
            return str(int(number)) if number.is_integer() else repr(number)
        return str(self.value)


def column_number(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def split_ref(ref: str) -> tuple[int, int]:
    """Return (row, column) of an A1 reference such as `F12`."""
    match = _REF.fullmatch(ref.replace("$", "").upper())
    if match is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(match.group(2)), column_number(match.group(1))


def read_shared_strings(data: bytes, path: Path, part: str) -> list[str]:
    check_no_dtd(data, path, part)
    strings: list[str] = []
    for _event, element in _iterparse(data, path, part, (_SI,)):
        strings.append(_rich_text(element))
        element.clear()
    return strings


class SheetCells:
    """The rows of one worksheet part; `merges` is filled once rows are read."""

    def __init__(
        self, data: bytes, strings: list[str], path: Path, part: str, sheet: str
    ) -> None:
        check_no_dtd(data, path, part)
        self._data = data
        self._strings = strings
        self._path = path
        self._part = part
        self._sheet = sheet
        self.merges: list[tuple[int, int, int, int]] = []

    def rows(self) -> Iterator[tuple[int, dict[int, Cell]]]:
        """Yield (row number, cells by column) for every row that has cells."""
        row_number = 0
        column = 0
        cells: dict[int, Cell] = {}
        count = 0
        events = ("start", "end")
        for event, element in _iterparse(
            self._data, self._path, self._part, (_ROW, _C, _MERGE), events
        ):
            tag = element.tag
            if tag == _ROW:
                if event == "start":
                    row_number = self._row_number(element.get("r"), row_number)
                    column = 0
                    cells = {}
                    continue
                count += 1
                if count > limits.MAX_ROWS_PER_SHEET:
                    raise WorkbookError(
                        f"{self._path}: sheet {self._sheet!r} has more than "
                        f"{limits.MAX_ROWS_PER_SHEET:,} rows, the limit ctimm "
                        "reads; delete the unused rows and try again."
                    )
                if cells:
                    yield row_number, cells
                element.clear()
            elif tag == _C and event == "end":
                ref = element.get("r")
                if ref:
                    match = _REF.fullmatch(ref)
                    column = column_number(match.group(1)) if match else column + 1
                else:
                    column += 1
                cell = self._cell(element, row_number, column)
                if cell is not None:
                    cells[column] = cell
                element.clear()
            elif tag == _MERGE and event == "end":
                self._add_merge(element.get("ref", ""))

    def _row_number(self, attribute: str | None, previous: int) -> int:
        if not attribute:
            number = previous + 1
        elif attribute.isascii() and attribute.isdigit():
            number = int(attribute)
        else:
            number = 0
        if not 1 <= number <= limits.MAX_ROW_NUMBER:
            raise WorkbookError(
                f"{self._path}: sheet {self._sheet!r} has a row numbered "
                f"{attribute!r}, but Excel rows are numbered 1 to "
                f"{limits.MAX_ROW_NUMBER:,}; the file is damaged. Open it in Excel, "
                "let Excel repair it and save a copy."
            )
        return number

    def _add_merge(self, ref: str) -> None:
        first, _, last = ref.partition(":")
        try:
            top, left = split_ref(first)
            bottom, right = split_ref(last or first)
        except ValueError:
            return
        self.merges.append((top, left, bottom, right))

    def _cell(self, element: etree._Element, row: int, column: int) -> Cell | None:
        cell = self._value_cell(element, row, column)
        if cell is not None and cell.formula:
            text = (element.find(_F).text or "").strip()
            if text:
                cell = dataclasses.replace(cell, formula_text=text)
        return cell

    def _value_cell(
        self, element: etree._Element, row: int, column: int
    ) -> Cell | None:
        kind = element.get("t", "n")
        formula = element.find(_F) is not None
        value_element = element.find(_V)
        raw = value_element.text if value_element is not None else None
        if raw is None and value_element is not None and formula and kind == "str":
            # Excel keeps an empty <v/> of type str for a formula whose result
            # is the empty string. An empty <v/> of no type (as openpyxl
            # writes) holds no result at all.
            raw = ""
        if kind == "inlineStr":
            inline = element.find(_IS)
            raw = _rich_text(inline) if inline is not None else None

        if raw is None:
            if formula:
                return Cell(column, "blank", None, formula=True, cached=False)
            return None
        if len(raw) > limits.MAX_CELL_CHARS:
            raise WorkbookError(
                f"{self._path}: cell {self._where(row, column)} contains {len(raw):,} "
                f"characters, more than Excel's limit of {limits.MAX_CELL_CHARS:,}; "
                "the file is damaged or was not written by Excel. Shorten that cell, "
                "or ask the sender for a copy saved by Excel."
            )
        if kind == "s":
            try:
                index = int(raw)
                if index < 0:
                    # A negative index would silently pick a string from the end.
                    raise IndexError(index)
                text = self._strings[index]
            except (ValueError, IndexError):
                raise WorkbookError(
                    f"{self._path}: cell {self._where(row, column)} points to shared "
                    f"string {raw!r}, which does not exist; the file is damaged. "
                    "Open it in Excel, let Excel repair it and save a copy."
                ) from None
            return Cell(column, "text", text, formula)
        if kind in ("str", "inlineStr", "d"):
            return Cell(column, "text", raw, formula)
        if kind == "b":
            return Cell(column, "bool", raw.strip() in ("1", "true"), formula)
        if kind == "e":
            return Cell(column, "error", raw, formula)
        try:
            return Cell(column, "number", float(raw), formula)
        except ValueError:
            return Cell(column, "text", raw, formula)

    def _where(self, row: int, column: int) -> str:
        return f"{quote_sheet(self._sheet)}!{column_letter(column)}{row}"


def _rich_text(element: etree._Element) -> str:
    # Phonetic runs (rPh) are reading aids, not part of the cell's text.
    parts = []
    for node in element.iter(_T):
        parent = node.getparent()
        if parent is not None and parent.tag == _RPH:
            continue
        parts.append(node.text or "")
    return "".join(parts)


def _iterparse(
    data: bytes,
    path: Path,
    part: str,
    tags: tuple[str, ...],
    events: tuple[str, ...] = ("end",),
) -> Iterator[tuple[str, etree._Element]]:
    context = etree.iterparse(
        io.BytesIO(data),
        events=events,
        tag=tags,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    checked = False
    try:
        for event, element in context:
            # check_no_dtd scanned the bytes. This checks what libxml2 parsed,
            # in case an encoding that the scan does not decode hid a DTD.
            if not checked:
                if element.getroottree().docinfo.doctype:
                    raise dtd_error(path, part)
                checked = True
            yield event, element
    except etree.XMLSyntaxError as exc:
        raise malformed_error(path, part, exc) from None
