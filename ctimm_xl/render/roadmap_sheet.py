"""The Roadmap sheet: open steps in order, then steps the user tracked that are done.

Beside the roadmap, a small table totals per roadmap level the open steps,
the Process, People and Technology entries they need, and their Effort.
"""

from __future__ import annotations

from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ..core.priorities import MAX_ESTIMATE, order_by_priority, priority
from ..core.result import Result
from ..model import MAX_LEVEL, Answer, Control, area_label, column_letter
from ..text import fold
from ..xlsx.cells import Cell
from .common import (
    DATE_FORMAT,
    HEADER_FILL,
    HEADER_FONT,
    TOP,
    WRAP,
    Formulas,
    add_table,
    header_row,
    put,
    put_text,
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
    "Priority",
]
_WRAPPED = {"Description", "Reason", "Process", "People", "Technology", "Notes"}
_RESOURCES = ("Process", "People", "Technology")
DONE = "done"

TOTALS_COLUMNS = [
    "Roadmap level",
    "Open steps",
    "Process entries",
    "People entries",
    "Technology entries",
    "Steps with effort",
    "Effort total",
]
# The totals start two columns right of the roadmap table.
TOTALS_FIRST_COLUMN = len(ROADMAP_COLUMNS) + 2


def _letter(name: str) -> str:
    return column_letter(ROADMAP_COLUMNS.index(name) + 1)


def render_roadmap(
    sheet: Worksheet, result: Result, previous: Previous, formulas: Formulas
) -> None:
    header_row(sheet, 1, ROADMAP_COLUMNS)
    for column in range(1, len(ROADMAP_COLUMNS) + 1):
        sheet.cell(row=1, column=column).fill = HEADER_FILL
    row = 1
    placed = set()
    written: list[tuple[int | str, int, Control]] = []
    for step in order_by_priority(result.roadmap, previous.estimates):
        row += 1
        control = step.control
        placed.add(str(control.id))
        _write_row(
            sheet,
            row,
            step.step,
            step.unlocks_level,
            control,
            step.reason,
            previous,
            formulas,
        )
        written.append((step.step, step.unlocks_level, control))

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
        _write_row(sheet, row, DONE, control.level, control, reason, previous, formulas)
        written.append((DONE, control.level, control))

    for offset, (_step, _level, control) in enumerate(written, start=2):
        _priority_cell(sheet, offset, control, previous, formulas)
    last = max(row, 2)
    add_table(sheet, ROADMAP_TABLE, 1, row, len(ROADMAP_COLUMNS))
    _estimate_validation(sheet, last)
    _totals(sheet, last, written, previous, formulas)
    widths = [7, 9, 30, 10, 60, 10, 50, 36, 30, 30, 16, 12, 12, 30, 9, 9, 9, 2]
    widths += [10, 10, 12, 12, 12, 11, 10]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[column_letter(index)].width = width
    sheet.freeze_panes = "E2"


def _write_row(
    sheet: Worksheet,
    row: int,
    step: int | str,
    level: int,
    control: Control,
    reason: str,
    previous: Previous,
    formulas: Formulas,
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
        name = ROADMAP_COLUMNS[offset - 1]
        typed_cell = typed.get(name)
        if typed_cell is not None and typed_cell.formula_text:
            # A formula the user typed stays a formula, with its last result.
            cell = formulas.put(sheet, row, offset, typed_cell.formula_text, value)
            cell.alignment = WRAP if name in _WRAPPED else TOP
            continue
        # An empty resource stays an empty cell, so the totals' COUNTIFS skip it.
        cell = put(sheet, row, offset, None if value == "" else value)
        cell.alignment = WRAP if name in _WRAPPED else TOP
        if name == "Due" and isinstance(value, float):
            cell.number_format = DATE_FORMAT


def _typed_value(cell: Cell | None):
    if cell is None or cell.kind == "blank":
        return None
    if cell.kind in ("number", "bool"):
        return cell.value
    return str(cell.value)


def _priority_cell(
    sheet: Worksheet, row: int, control: Control, previous: Previous, formulas: Formulas
) -> None:
    impact = f"{_letter('Impact')}{row}"
    effort = f"{_letter('Effort')}{row}"
    checks = ",".join(
        f"{ref}>=1,{ref}<={MAX_ESTIMATE},INT({ref})={ref}" for ref in (impact, effort)
    )
    formula = (
        f"IF(AND(ISNUMBER({impact}),ISNUMBER({effort})),"
        f'IF(AND({checks}),{impact}+({MAX_ESTIMATE + 1}-{effort}),""),"")'
    )
    estimates = previous.estimates.get(str(control.id), {})
    value = priority(estimates.get("Impact"), estimates.get("Effort"))
    cell = formulas.put(
        sheet,
        row,
        ROADMAP_COLUMNS.index("Priority") + 1,
        formula,
        "" if value is None else value,
    )
    cell.alignment = TOP


def _estimate_validation(sheet: Worksheet, last: int) -> None:
    validation = DataValidation(
        type="whole",
        operator="between",
        formula1="1",
        formula2=str(MAX_ESTIMATE),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Estimate from 1 to 3",
        error="Type 1 (low), 2 or 3 (high), or leave the cell empty.",
        promptTitle="Estimate",
        prompt="1 = low, 2 = medium, 3 = high. Priority = Impact + (4 - Effort).",
        showInputMessage=True,
    )
    validation.add(f"{_letter('Impact')}2:{_letter('Effort')}{last}")
    sheet.add_data_validation(validation)


def _has_entry(text: str) -> bool:
    return bool(text.strip()) and fold(text) != "n/a"


def _totals(
    sheet: Worksheet,
    last: int,
    written: list[tuple[int | str, int, Control]],
    previous: Previous,
    formulas: Formulas,
) -> None:
    first_column = TOTALS_FIRST_COLUMN
    header_row(sheet, 1, TOTALS_COLUMNS, first_column)
    for offset in range(len(TOTALS_COLUMNS)):
        cell = sheet.cell(row=1, column=first_column + offset)
        cell.fill = HEADER_FILL
        cell.alignment = WRAP

    def span(name: str) -> str:
        letter = _letter(name)
        return f"${letter}$2:${letter}${last}"

    open_rows = f'{span("Step")},"<>{DONE}"'
    totals = [0.0] * len(TOTALS_COLUMNS)
    for level in range(1, MAX_LEVEL + 1):
        row = 1 + level
        put(sheet, row, first_column, level)
        rows = [
            control
            for step, unlocks, control in written
            if step != DONE and unlocks == level
        ]
        criteria = f"{span('Unlocks level')},{level},{open_rows}"
        efforts = [_typed_number(previous, c, "Effort") for c in rows]
        numbers = [value for value in efforts if value is not None]
        cells: list[tuple[str, float]] = [(f"COUNTIFS({criteria})", len(rows))]
        for name in _RESOURCES:
            cells.append(
                (
                    f'COUNTIFS({criteria},{span(name)},"?*",{span(name)},"<>n/a")',
                    sum(_has_entry(getattr(c, name.lower())) for c in rows),
                )
            )
        cells.append(
            (
                f'COUNTIFS({criteria},{span("Effort")},">0")',
                sum(value > 0 for value in numbers),
            )
        )
        cells.append((f"SUMIFS({span('Effort')},{criteria})", sum(numbers)))
        for offset, (formula, value) in enumerate(cells, start=1):
            formulas.put(sheet, row, first_column + offset, formula, value)
            totals[offset] += value
    row = 2 + MAX_LEVEL
    put_text(sheet, row, first_column, "All").font = HEADER_FONT
    for offset in range(1, len(TOTALS_COLUMNS)):
        letter = column_letter(first_column + offset)
        formulas.put(
            sheet,
            row,
            first_column + offset,
            f"SUM({letter}2:{letter}{row - 1})",
            totals[offset],
        ).font = HEADER_FONT
    put_text(
        sheet,
        row + 1,
        first_column,
        "Open steps per level; entries count non-empty resources other than n/a.",
    )


def _typed_number(previous: Previous, control: Control, name: str) -> float | None:
    cell = previous.user_columns.get(str(control.id), {}).get(name)
    if cell is None or cell.kind != "number":
        return None
    return float(cell.value)  # type: ignore[arg-type]
