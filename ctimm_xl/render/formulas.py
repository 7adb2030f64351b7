"""Formulas that recompute the Dashboard's levels and scores from the answer cells.

Each control of the assessment gets one row in a table at the foot of the
Dashboard: its ID, area, level and kind, and formulas that read its `True?`
cell (and an indicator's `Value` cell) the way `ctimm_xl.reading.answers`
does. COUNTIFS over that table give, per area and maturity level, the
applicable actions and the ones answered Yes or Partial. The staged level and
the score of each area follow from those counts as in `ctimm_xl.core.scoring`.

The formulas use only functions of Excel 2007 that are neither volatile nor
locale-dependent. The same reading is done in Python (`formula_reading`) to
compute the cached values, so a viewer that never recalculates shows what
Excel would show.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from functools import cache

from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ..core.result import Result
from ..core.scoring import AREAS, completeness, rollups, score_areas
from ..model import (
    MAX_LEVEL,
    Answer,
    AreaResult,
    CellRef,
    Control,
    Kind,
    Rollup,
    column_letter,
    quote_sheet,
)

# The reader's own tables of answers, so the formulas cannot drift from them.
from ..reading.answers import _NUMBERS as ANSWER_NUMBERS
from ..reading.answers import _WORDS as ANSWER_WORDS
from ..reading.tables import RawRow
from ..xlsx.cells import Cell
from .common import (
    HEADER_FILL,
    HEADER_FONT,
    SECTION_FONT,
    WRAP,
    Formulas,
    header_row,
    put,
    put_text,
)

# What a formula's reading of an answer cell can be, besides the four answers.
UNANSWERED = ""
INVALID = "invalid"

# Characters that the formulas turn into a plain space before TRIM, as
# `ctimm_xl.text.fold` does. Tab, line feed and carriage return are written
# as CHAR(9), CHAR(10) and CHAR(13), which are the same in every code page.
# The others are written as literal characters, because CHAR(160) depends on
# the code page of the machine that calculates.
FORMULA_SPACES = ("\t", "\n", "\r", "\u00a0", "\u2007", "\u202f")

_ANSWER_ORDER = (Answer.YES, Answer.NO, Answer.PARTIAL, Answer.NA)
_BY_READING = {answer.value: answer for answer in _ANSWER_ORDER}

# Notes shown above the live tables, on what the formulas cannot reproduce.
LIVE_NOTES = (
    "The levels, scores, completeness and counts above are formulas over the "
    "answer cells listed below, so they follow every edit without Python.",
    "The formulas accept the spellings ctimm score accepts, including ✓ and ✔, "
    "and fold tabs, line breaks and non-breaking spaces into spaces.",
    "They cannot fold other Unicode spaces (for example an em space) or tell "
    "numbers apart that Excel's 15-digit comparison treats as equal; such an "
    "answer reads as invalid here.",
    "They read the rows and sheets found by the last Score run. Run Score after "
    "adding, deleting or renumbering controls, or after answering another set "
    "of sheets (per-level or All Levels).",
    "Checks, Target used, the roadmap and History are not formulas, because "
    "they follow links between controls and earlier runs: run Score to update "
    "them.",
)

GRID_HEADERS = (
    [f"Applicable {level}" for level in range(1, MAX_LEVEL + 1)]
    + [f"Yes {level}" for level in range(1, MAX_LEVEL + 1)]
    + [f"Partial {level}" for level in range(1, MAX_LEVEL + 1)]
    + ["Level", "Score"]
)
CONTROL_HEADERS = [
    "Control",
    "Area",
    "Level",
    "Kind",
    "Answer cell",
    "True? folded",
    "True? reads as",
    "Value box",
    "Counts as",
]
# Offsets of the grid's column blocks from its first column.
_APPLICABLE = 0
_YES = _APPLICABLE + MAX_LEVEL
_PARTIAL = _YES + MAX_LEVEL
_LEVEL = _PARTIAL + MAX_LEVEL
_SCORE = _LEVEL + 1


# --- the reading, in Python -------------------------------------------------


def formula_fold(cell: Cell | None) -> str:
    """Fold a text cell as the `True? folded` formula does; other cells give ''."""
    if cell is None or cell.kind != "text":
        return ""
    text = str(cell.value)
    for space in FORMULA_SPACES:
        text = text.replace(space, " ")
    # TRIM drops leading and trailing spaces and keeps one of each inner run.
    return " ".join(piece for piece in text.split(" ") if piece).lower()


def formula_reading(cell: Cell | None) -> str:
    """Return what the `True? reads as` formula computes for an answer cell."""
    if cell is None or cell.kind == "blank":
        return UNANSWERED
    if cell.kind == "bool":
        return Answer.YES.value if cell.value else Answer.NO.value
    if cell.kind == "number":
        answer = ANSWER_NUMBERS.get(float(cell.value))  # type: ignore[arg-type]
        return answer.value if answer is not None else INVALID
    if cell.kind == "text":
        folded = formula_fold(cell)
        if not folded:
            return UNANSWERED
        answer = ANSWER_WORDS.get(folded)
        return answer.value if answer is not None else INVALID
    return INVALID


def value_box_reading(cell: Cell | None) -> str:
    """Return what the `Value box` formula computes: Yes or No for a boolean, else ''."""
    if cell is not None and cell.kind == "bool":
        return Answer.YES.value if cell.value else Answer.NO.value
    return UNANSWERED


# --- the formulas -------------------------------------------------------------


def _string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _space_literal(space: str) -> str:
    if space in "\t\n\r":
        return f"CHAR({ord(space)})"
    return _string(space)


# Placeholders for the cell references in the formula templates below; each
# template is built once and filled in per control row.
_REF = "\x00ref\x00"
_FOLDED = "\x00folded\x00"


def fold_formula(ref: str) -> str:
    return _fold_template().replace(_REF, ref)


@cache
def _fold_template() -> str:
    ref = _REF
    inner = ref
    for space in FORMULA_SPACES:
        inner = f'SUBSTITUTE({inner},{_space_literal(space)}," ")'
    return f'IF(ISTEXT({ref}),LOWER(TRIM({inner})),"")'


def reading_formula(ref: str, folded: str) -> str:
    """Return the formula that reads answer cell `ref`; `folded` holds its folded text."""
    return _reading_template().replace(_REF, ref).replace(_FOLDED, folded)


@cache
def _reading_template() -> str:
    ref, folded = _REF, _FOLDED
    numbers = _string(INVALID)
    for number, answer in sorted(ANSWER_NUMBERS.items(), reverse=True):
        numbers = f"IF({ref}={number:g},{_string(answer.value)},{numbers})"
    words = _string(INVALID)
    for answer in reversed(_ANSWER_ORDER):
        spellings = [text for text, found in ANSWER_WORDS.items() if found is answer]
        constant = "{" + ",".join(_string(text) for text in spellings) + "}"
        # SUMPRODUCT compares with `=`, which ignores case and, unlike MATCH
        # and COUNTIF, treats * ? and ~ as plain characters.
        words = (
            f"IF(SUMPRODUCT(--({folded}={constant}))>0,{_string(answer.value)},{words})"
        )
    return (
        f'IF(ISLOGICAL({ref}),IF({ref},"Yes","No"),'
        f"IF(ISNUMBER({ref}),{numbers},"
        f'IF(ISTEXT({ref}),IF({folded}="","",{words}),'
        f'IF(ISBLANK({ref}),"",{_string(INVALID)}))))'
    )


def value_box_formula(ref: str) -> str:
    return f'IF(ISLOGICAL({ref}),IF({ref},"Yes","No"),"")'


def absolute(ref: CellRef) -> str:
    return f"{quote_sheet(ref.sheet)}!${column_letter(ref.column)}${ref.row}"


# --- the live section -----------------------------------------------------------


@dataclass(frozen=True)
class LiveRow:
    """One control as the formulas see it."""

    control: Control
    answer: Cell | None
    value_ref: CellRef | None
    value: Cell | None

    @property
    def folded(self) -> str:
        return formula_fold(self.answer)

    @property
    def reading(self) -> str:
        return formula_reading(self.answer)

    @property
    def value_box(self) -> str:
        return value_box_reading(self.value) if self.value_ref else UNANSWERED

    @property
    def counts_as(self) -> str:
        if self.value_ref is not None and self.reading == UNANSWERED:
            return self.value_box
        return self.reading


def live_rows(
    result: Result, source: dict[tuple[str, int], RawRow] | None
) -> list[LiveRow]:
    """Pair each control with its raw answer cell, and an indicator with its Value cell.

    Without `source` (the raw rows of the control sheets), the cells are
    rebuilt from the answers the reader found.
    """
    rows = []
    for control in result.controls:
        ref = control.answer_cell
        raw = source.get((ref.sheet, ref.row)) if source is not None else None
        if source is None:
            answer = (
                Cell(ref.column, "text", control.answer.value)
                if control.answer is not Answer.UNANSWERED
                else None
            )
            rows.append(LiveRow(control, answer, None, None))
            continue
        answer = raw.cells.get(ref.column) if raw is not None else None
        value_ref = value = None
        value_column = raw.table.columns.get("value") if raw is not None else None
        if control.kind is Kind.INDICATOR and value_column is not None:
            value_ref = CellRef(ref.sheet, ref.row, value_column)
            value = raw.cells.get(value_column)
        rows.append(LiveRow(control, answer, value_ref, value))
    return rows


class LiveSection:
    """The live tables of the Dashboard and the cells that other sections use.

    The grid of counts per area and maturity level is beside the area table,
    one row per area in the order of `AREAS`. The notes and the table of
    controls are at the foot of the sheet. Rows and columns are fixed when
    the section is created, so the sections above can refer to its cells
    before it is written.
    """

    def __init__(
        self,
        rows: list[LiveRow],
        grid_first_row: int,
        grid_column: int,
        first_row: int,
    ) -> None:
        self.rows = rows
        self.grid_first = grid_first_row
        self.grid_column = grid_column
        self.first_row = first_row
        self.controls_header = first_row + len(LIVE_NOTES) + 2
        self.controls_first = self.controls_header + 1
        self.controls_last = self.controls_first + max(len(rows), 1) - 1
        self._area_rows = {
            f"{intel}{phase}": self.grid_first + index
            for index, (intel, phase) in enumerate(AREAS)
        }
        live = [
            replace(
                row.control, answer=_BY_READING.get(row.counts_as, Answer.UNANSWERED)
            )
            for row in rows
        ]
        self.controls = live
        # Counts by (area, kind, maturity level, answer), made once for the
        # many per-area figures below.
        self._tally: Counter[tuple[str, Kind, int, str]] = Counter(
            (c.area, c.kind, c.level, c.answer.value) for c in live
        )
        self.areas: dict[str, AreaResult] = {a.area: a for a in score_areas(live)}
        self.rollups: list[Rollup] = rollups(list(self.areas.values()))
        self.completeness = completeness(live)

    def _column(self, offset: int) -> int:
        return self.grid_column + offset

    # References for the sections above.

    def level_ref(self, area: str) -> str:
        return f"${column_letter(self._column(_LEVEL))}${self._area_rows[area]}"

    def score_ref(self, area: str) -> str:
        return f"${column_letter(self._column(_SCORE))}${self._area_rows[area]}"

    def _range(self, column: int) -> str:
        letter = column_letter(column)
        return f"${letter}${self.controls_first}:${letter}${self.controls_last}"

    def count_formula(self, area: str, kind: Kind, *readings: str) -> str:
        """Return COUNTIFS over the control table: controls of `area` and `kind`.

        With `readings`, only the controls that count as one of them are counted.
        """
        base = f'{self._range(2)},"{area}",{self._range(4)},"{kind.value}"'
        if not readings:
            return f"COUNTIFS({base})"
        return "+".join(
            f"COUNTIFS({base},{self._range(9)},{_string(reading)})"
            for reading in readings
        )

    def count(self, area: str, kind: Kind, *readings: str) -> int:
        """Return what `count_formula` computes for the same arguments."""
        return sum(
            n
            for (where, what, _level, answer), n in self._tally.items()
            if where == area and what is kind and (not readings or answer in readings)
        )

    # Writing.

    def write(self, sheet: Worksheet, formulas: Formulas) -> None:
        row = self.first_row
        put_text(sheet, row, 1, "How the live figures are computed").font = SECTION_FONT
        for offset, note in enumerate(LIVE_NOTES, start=1):
            put_text(sheet, row + offset, 1, note)
        self._write_grid(sheet, formulas)
        self._write_controls(sheet, formulas)

    def _write_grid(self, sheet: Worksheet, formulas: Formulas) -> None:
        header = self.grid_first - 1
        put_text(
            sheet,
            header - 1,
            self.grid_column,
            "Actions per area and maturity level (N/A left out), "
            "from which Level and Score follow",
        ).font = HEADER_FONT
        header_row(sheet, header, GRID_HEADERS, self.grid_column)
        for offset in range(len(GRID_HEADERS)):
            cell = sheet.cell(row=header, column=self._column(offset))
            cell.fill = HEADER_FILL
            cell.alignment = WRAP
        for area, row in self._area_rows.items():
            counts = self._level_counts(area)
            for level in range(1, MAX_LEVEL + 1):
                applicable, yes, partial = counts[level]
                formulas.put(
                    sheet,
                    row,
                    self._column(_APPLICABLE + level - 1),
                    self._level_count_formula(area, level)
                    + "-"
                    + self._level_count_formula(area, level, Answer.NA.value),
                    applicable,
                )
                formulas.put(
                    sheet,
                    row,
                    self._column(_YES + level - 1),
                    self._level_count_formula(area, level, Answer.YES.value),
                    yes,
                )
                formulas.put(
                    sheet,
                    row,
                    self._column(_PARTIAL + level - 1),
                    self._level_count_formula(area, level, Answer.PARTIAL.value),
                    partial,
                )
            live = self.areas[area]
            formulas.put(
                sheet, row, self._column(_LEVEL), self._level_formula(row), live.level
            )
            formulas.put(
                sheet, row, self._column(_SCORE), self._score_formula(row), live.score
            ).number_format = "0.00"

    def _level_counts(self, area: str) -> dict[int, tuple[int, int, int]]:
        counts = {}
        for level in range(1, MAX_LEVEL + 1):
            by_answer = {
                answer: n
                for (where, kind, at, answer), n in self._tally.items()
                if where == area and kind is Kind.ACTION and at == level
            }
            applicable = sum(by_answer.values()) - by_answer.get(Answer.NA.value, 0)
            counts[level] = (
                applicable,
                by_answer.get(Answer.YES.value, 0),
                by_answer.get(Answer.PARTIAL.value, 0),
            )
        return counts

    def _level_count_formula(self, area: str, level: int, reading: str = "") -> str:
        criteria = (
            f'{self._range(2)},"{area}",{self._range(3)},{level},'
            f'{self._range(4)},"{Kind.ACTION.value}"'
        )
        if reading:
            criteria += f",{self._range(9)},{_string(reading)}"
        return f"COUNTIFS({criteria})"

    def _level_formula(self, row: int) -> str:
        # The staged level: the first level whose applicable actions are not
        # all Yes stops the climb. A level without applicable actions is met.
        formula = str(MAX_LEVEL)
        for level in range(MAX_LEVEL, 0, -1):
            applicable = f"{column_letter(self._column(_APPLICABLE + level - 1))}{row}"
            yes = f"{column_letter(self._column(_YES + level - 1))}{row}"
            formula = f"IF({yes}<{applicable},{level - 1},{formula})"
        return formula

    def _score_formula(self, row: int) -> str:
        level = f"{column_letter(self._column(_LEVEL))}{row}"

        def block(offset: int) -> str:
            first = column_letter(self._column(offset))
            last = column_letter(self._column(offset + MAX_LEVEL - 1))
            return f"{first}{row}:{last}{row}"

        # Below level 5 the next level has an applicable action that is not
        # Yes, so the divisor is never zero where it is used.
        above = f"{level}+1"
        return (
            f"IF({level}>={MAX_LEVEL},{MAX_LEVEL},{level}+"
            f"(INDEX({block(_YES)},{above})"
            f"+INDEX({block(_PARTIAL)},{above})/2)"
            f"/INDEX({block(_APPLICABLE)},{above}))"
        )

    def _write_controls(self, sheet: Worksheet, formulas: Formulas) -> None:
        put_text(
            sheet,
            self.controls_header - 1,
            1,
            "Answers as the formulas read them",
        ).font = HEADER_FONT
        header_row(sheet, self.controls_header, CONTROL_HEADERS)
        for column in range(1, len(CONTROL_HEADERS) + 1):
            sheet.cell(row=self.controls_header, column=column).fill = HEADER_FILL
        for offset, live in enumerate(self.rows):
            row = self.controls_first + offset
            control = live.control
            put_text(sheet, row, 1, str(control.id))
            put_text(sheet, row, 2, control.area)
            put(sheet, row, 3, control.level)
            put_text(sheet, row, 4, control.kind.value)
            answer = absolute(control.answer_cell)
            link = put_text(sheet, row, 5, str(control.answer_cell))
            # An internal hyperlink: `location` alone, so no relationship is written.
            link.hyperlink = Hyperlink(
                ref=link.coordinate, location=str(control.answer_cell)
            )
            link.style = "Hyperlink"
            folded = f"F{row}"
            formulas.put(sheet, row, 6, fold_formula(answer), live.folded)
            formulas.put(sheet, row, 7, reading_formula(answer, folded), live.reading)
            if live.value_ref is not None:
                formulas.put(
                    sheet,
                    row,
                    8,
                    value_box_formula(absolute(live.value_ref)),
                    live.value_box,
                )
                formulas.put(
                    sheet, row, 9, f'IF(G{row}="",H{row},G{row})', live.counts_as
                )
            else:
                formulas.put(sheet, row, 9, f"G{row}", live.counts_as)
