"""What the user typed on the sheets ctimm generated in an earlier run.

Targets come from the `Target` column of the Dashboard's area table; Owner,
Due, Status and Notes come from the Roadmap, keyed by control ID.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ids import parse_id
from ..model import MAX_LEVEL, Finding, column_letter, quote_sheet
from ..text import fold
from ..xlsx.cells import Cell
from ..xlsx.workbook import WorkbookParts

DASHBOARD = "Dashboard"
CHECKS = "Checks"
ROADMAP = "Roadmap"
GENERATED = (DASHBOARD, CHECKS, ROADMAP)

USER_COLUMNS = ("Owner", "Due", "Status", "Notes")


@dataclass
class Previous:
    targets: dict[str, int] = field(default_factory=dict)
    user_columns: dict[str, dict[str, Cell]] = field(default_factory=dict)
    roadmap_ids: list[str] = field(default_factory=list)
    # Invalid Target cells, kept as typed so the user sees and fixes them.
    invalid_targets: dict[str, str | float] = field(default_factory=dict)
    problems: list[Finding] = field(default_factory=list)


def read_previous(parts: WorkbookParts) -> Previous:
    found = Previous()
    entries = {entry.name: entry for entry in parts.sheets if entry.part}
    marked = parts.marked_sheets
    if DASHBOARD in marked and DASHBOARD in entries:
        _read_targets(parts, entries[DASHBOARD], found)
    if ROADMAP in marked and ROADMAP in entries:
        _read_user_columns(parts, entries[ROADMAP], found)
    return found


def _header(cells: dict[int, Cell]) -> dict[str, int]:
    return {
        fold(str(cell.value)): column
        for column, cell in sorted(cells.items(), reverse=True)
        if cell.kind == "text" and cell.value
    }


def _read_targets(parts: WorkbookParts, entry, found: Previous) -> None:
    columns: dict[str, int] | None = None
    for row, cells in parts.cells(entry).rows():
        if columns is None:
            header = _header(cells)
            if "area" in header and "target" in header:
                columns = header
            continue
        area_cell = cells.get(columns["area"])
        if area_cell is None or area_cell.is_blank:
            break
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
    for _row, cells in parts.cells(entry).rows():
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
            if cell is not None and not cell.is_blank and cell.kind != "error":
                typed[name] = cell
        if typed:
            found.user_columns[str(parsed)] = typed
