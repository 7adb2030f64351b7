"""What the user typed on the sheets ctimm generated in an earlier run.

Targets come from the `Target` column of the Dashboard's area table; Owner,
Due, Status, Notes, Impact and Effort come from the Roadmap, keyed by control
ID; the rows of earlier runs come from the History sheet. The raw answer
cells of the control sheets, which the Dashboard's formulas read, are read
here too (`read_answer_rows`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.priorities import MAX_ESTIMATE
from ..errors import WorkbookError
from ..ids import parse_id
from ..model import MAX_LEVEL, Finding, column_letter, quote_sheet
from ..reading.tables import RawRow, scan_tables
from ..text import fold
from ..xlsx.cells import Cell
from ..xlsx.package import parse_xml
from ..xlsx.workbook import WorkbookParts

DASHBOARD = "Dashboard"
CHECKS = "Checks"
ROADMAP = "Roadmap"
HISTORY = "History"
GENERATED = (DASHBOARD, CHECKS, ROADMAP, HISTORY)

USER_COLUMNS = ("Owner", "Due", "Status", "Notes", "Impact", "Effort")
# The Roadmap's estimates, whole numbers from 1 to MAX_ESTIMATE.
ESTIMATE_COLUMNS = ("Impact", "Effort")

_REL_CORE = (
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/"
    "core-properties"
)
_LAST_MODIFIED_BY = (
    "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
    "lastModifiedBy"
)


@dataclass
class HistoryRows:
    """The rows of an earlier History sheet, each as its cells by header text."""

    headers: list[str] = field(default_factory=list)
    rows: list[dict[str, Cell]] = field(default_factory=list)


@dataclass
class Previous:
    targets: dict[str, int] = field(default_factory=dict)
    user_columns: dict[str, dict[str, Cell]] = field(default_factory=dict)
    roadmap_ids: list[str] = field(default_factory=list)
    # Invalid Target cells, kept as typed so the user sees and fixes them.
    # What a problem cell on a generated sheet holds, such as ("target", "B2") or
    # ("estimate", "2.A.1.a", "Impact"), so the Checks sheet can link to where
    # that cell is once the sheet has been written again.
    cell_keys: dict[str, tuple[str, ...]] = field(default_factory=dict)
    invalid_targets: dict[str, str | float] = field(default_factory=dict)
    # Impact and Effort, by control ID, where the user typed a valid estimate.
    estimates: dict[str, dict[str, int]] = field(default_factory=dict)
    history: HistoryRows = field(default_factory=HistoryRows)
    # The package's `lastModifiedBy` core property, when there is one.
    last_modified_by: str = ""
    # The workbook the rest was read from, for `read_answer_rows`.
    workbook: WorkbookParts | None = None
    # The source sheets' control rows, when the caller already read them.
    answer_rows: dict[tuple[str, int], RawRow] | None = None
    problems: list[Finding] = field(default_factory=list)


def read_previous(parts: WorkbookParts) -> Previous:
    found = Previous(workbook=parts)
    entries = {entry.name: entry for entry in parts.sheets if entry.part}
    marked = parts.marked_sheets
    if DASHBOARD in marked and DASHBOARD in entries:
        _read_targets(parts, entries[DASHBOARD], found)
    if ROADMAP in marked and ROADMAP in entries:
        _read_user_columns(parts, entries[ROADMAP], found)
    if HISTORY in marked and HISTORY in entries:
        found.history = _read_history(parts, entries[HISTORY])
    found.last_modified_by = _last_modified_by(parts)
    return found


def read_answer_rows(
    parts: WorkbookParts, sheets: list[str]
) -> dict[tuple[str, int], RawRow]:
    """Return the control-table rows of `sheets`, keyed by (sheet, row)."""
    found: dict[tuple[str, int], RawRow] = {}
    for entry in parts.sheets:
        if entry.part is None or entry.name not in sheets:
            continue
        rows, _misses = scan_tables(entry.name, parts.cells(entry).rows())
        for row in rows:
            found.setdefault((row.sheet, row.row), row)
    return found


def _last_modified_by(parts: WorkbookParts) -> str:
    # A workbook read from Excel through xlwings has no package.
    package = getattr(parts, "package", None)
    if package is None:
        return ""
    for rel in package.rels(""):
        if rel.type == _REL_CORE and not rel.external and rel.target in package.parts:
            try:
                root = parse_xml(package.parts[rel.target], package.path, rel.target)
            except WorkbookError:
                # The core properties are only a name for History; a damaged
                # part does not stop the run.
                return ""
            found = root.find(_LAST_MODIFIED_BY)
            return (found.text or "").strip() if found is not None else ""
    return ""


def _read_history(parts: WorkbookParts, entry) -> HistoryRows:
    history = HistoryRows()
    columns: dict[int, str] | None = None
    for _row, cells in parts.cells(entry).rows():
        if columns is None:
            texts = {
                column: str(cell.value).strip()
                for column, cell in sorted(cells.items())
                if cell.kind == "text" and str(cell.value).strip()
            }
            if "scored at" in {fold(text) for text in texts.values()}:
                columns = {}
                for column, text in texts.items():
                    if text not in columns.values():
                        columns[column] = text
                history.headers = list(columns.values())
            continue
        kept = {
            columns[column]: cell
            for column, cell in cells.items()
            if column in columns and not cell.is_blank
        }
        if kept:
            history.rows.append(kept)
    return history


def _header(cells: dict[int, Cell]) -> dict[str, int]:
    return {
        fold(str(cell.value)): column
        for column, cell in sorted(cells.items(), reverse=True)
        if cell.kind == "text" and cell.value
    }


def _read_targets(parts: WorkbookParts, entry, found: Previous) -> None:
    columns: dict[str, int] | None = None
    previous_row = 0
    for row, cells in parts.cells(entry).rows():
        if columns is None:
            header = _header(cells)
            if "area" in header and "target" in header:
                columns = header
                previous_row = row
            continue
        area_cell = cells.get(columns["area"])
        # Rows without cells are not listed, so a gap in the numbers is the
        # empty row that ends the table.
        if area_cell is None or area_cell.is_blank or row != previous_row + 1:
            break
        previous_row = row
        area = area_cell.text.strip().upper()
        target_cell = cells.get(columns["target"])
        if target_cell is None or target_cell.is_blank:
            continue
        value = _as_level(target_cell)
        if value is None:
            cell = f"{quote_sheet(entry.name)}!{column_letter(columns['target'])}{row}"
            found.problems.append(
                Finding(
                    "invalid-target",
                    None,
                    cell,
                    f"The target {target_cell.text!r} for area {area} is not a whole "
                    f"level from 1 to {MAX_LEVEL}; the default (level + 1) is used. "
                    "Type a level from 1 to 5 or leave the cell empty.",
                )
            )
            found.invalid_targets[area] = target_cell.value  # type: ignore[assignment]
            found.cell_keys[cell] = ("target", area)
            continue
        found.targets[area] = value


def _as_level(cell: Cell) -> int | None:
    if cell.kind == "number":
        number = float(cell.value)  # type: ignore[arg-type]
    elif cell.kind == "text":
        try:
            number = float(fold(str(cell.value)).removeprefix("level").strip())
        except ValueError:
            return None
    else:
        return None
    if not number.is_integer() or not 1 <= number <= MAX_LEVEL:
        return None
    return int(number)


def _read_user_columns(parts: WorkbookParts, entry, found: Previous) -> None:
    columns: dict[str, int] | None = None
    for row, cells in parts.cells(entry).rows():
        if columns is None:
            header = _header(cells)
            if "control" in header and "step" in header:
                columns = header
            continue
        control_cell = cells.get(columns["control"])
        if control_cell is None or control_cell.is_blank:
            continue
        parsed = parse_id(control_cell.text)
        if parsed is None:
            continue
        if str(parsed) not in found.roadmap_ids:
            found.roadmap_ids.append(str(parsed))
        typed = {}
        for name in USER_COLUMNS:
            column = columns.get(name.lower())
            cell = cells.get(column) if column else None
            if cell is not None and (
                cell.formula_text or (not cell.is_blank and cell.kind != "error")
            ):
                typed[name] = cell
        if typed:
            found.user_columns[str(parsed)] = typed
        _read_estimates(entry.name, row, columns, typed, str(parsed), found)


def _read_estimates(
    sheet: str,
    row: int,
    columns: dict[str, int],
    typed: dict[str, Cell],
    control: str,
    found: Previous,
) -> None:
    for name in ESTIMATE_COLUMNS:
        cell = typed.get(name)
        if cell is None:
            continue
        value = _as_estimate(cell)
        if value is not None:
            found.estimates.setdefault(control, {})[name] = value
            continue
        where = f"{quote_sheet(sheet)}!{column_letter(columns[name.lower()])}{row}"
        found.cell_keys[where] = ("estimate", control, name)
        found.problems.append(
            Finding(
                "invalid-estimate",
                control,
                where,
                f"{control}: the {name} {cell.text!r} is not a whole number from 1 "
                f"to {MAX_ESTIMATE}; it is kept but not used to order the roadmap. "
                "Type 1 (low), 2 or 3 (high), or leave the cell empty.",
            )
        )


def _as_estimate(cell: Cell) -> int | None:
    # Only a number counts, as in the Priority formula (ISNUMBER).
    if cell.kind != "number":
        return None
    number = float(cell.value)  # type: ignore[arg-type]
    if not number.is_integer() or not 1 <= number <= MAX_ESTIMATE:
        return None
    return int(number)
