"""The Roadmap sheet: open steps in order, then steps the user tracked that are done."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from ..core.result import Result
from ..model import Answer, Control, area_label
from ..xlsx.cells import Cell
from .common import (
    DATE_FORMAT,
    HEADER_FILL,
    TOP,
    WRAP,
    add_table,
    header_row,
    put,
    set_widths,
)
from .previous import USER_COLUMNS, Previous

ROADMAP_TABLE = "CTIMM_Roadmap"
ROADMAP_COLUMNS = [
    "Step",
    "Unlocks level",
    "Area",
    "Control",
    "Description",
    "Answer",
    "Reason",
    "Process",
    "People",
    "Technology",
    *USER_COLUMNS,
]
_WRAPPED = {"Description", "Reason", "Process", "People", "Technology", "Notes"}


def render_roadmap(sheet: Worksheet, result: Result, previous: Previous) -> None:
    header_row(sheet, 1, ROADMAP_COLUMNS)
    for column in range(1, len(ROADMAP_COLUMNS) + 1):
        sheet.cell(row=1, column=column).fill = HEADER_FILL
    row = 1
    placed = set()
    for step in result.roadmap:
        row += 1
        control = step.control
        placed.add(str(control.id))
        _write_row(
            sheet, row, step.step, step.unlocks_level, control, step.reason, previous
        )

    # Rows of an earlier roadmap that left it stay, marked done, when the user
    # tracked them or the control is now Yes or N/A.
    by_id = {str(c.id): c for c in result.controls}
    for key in previous.roadmap_ids:
        control = by_id.get(key)
        if key in placed or control is None:
            continue
        finished = control.answer in (Answer.YES, Answer.NA)
        if not finished and key not in previous.user_columns:
            continue
        row += 1
        placed.add(key)
        if finished:
            reason = f"now {control.answer.value}"
        else:
            reason = "above the area's target level; kept because it was tracked"
        _write_row(sheet, row, "done", control.level, control, reason, previous)

    add_table(sheet, ROADMAP_TABLE, 1, row, len(ROADMAP_COLUMNS))
    set_widths(sheet, [7, 9, 30, 10, 60, 10, 50, 36, 30, 30, 16, 12, 12, 30])
    sheet.freeze_panes = "E2"


def _write_row(
    sheet: Worksheet,
    row: int,
    step: int | str,
    level: int,
    control: Control,
    reason: str,
    previous: Previous,
) -> None:
    values: list = [
        step,
        level,
        area_label(control.id.intel, control.id.phase),
        str(control.id),
        control.description,
        control.answer.value or "unanswered",
        reason,
        control.process,
        control.people,
        control.technology,
    ]
    typed = previous.user_columns.get(str(control.id), {})
    for name in USER_COLUMNS:
        values.append(_typed_value(typed.get(name)))
    for offset, value in enumerate(values, start=1):
        cell = put(sheet, row, offset, value)
        name = ROADMAP_COLUMNS[offset - 1]
        cell.alignment = WRAP if name in _WRAPPED else TOP
        if name == "Due" and isinstance(value, float):
            cell.number_format = DATE_FORMAT


def _typed_value(cell: Cell | None):
    if cell is None:
        return None
    if cell.kind in ("number", "bool"):
        return cell.value
    return str(cell.value)
