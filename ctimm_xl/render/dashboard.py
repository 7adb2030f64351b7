"""The Dashboard sheet: levels and scores of the 15 areas, roll-ups, targets, charts.

Levels, scores, completeness and the area table's counts are live formulas
over the control sheets' answer cells (`ctimm_xl.render.formulas`); the
checks and the targets used are the values of the last Score run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl.chart import Reference
from openpyxl.styles import PatternFill
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..core.result import Result
from ..core.scoring import AREAS
from ..model import (
    INTEL_LEVELS,
    MAX_LEVEL,
    PHASE_SHORT,
    PHASES,
    Answer,
    Kind,
    column_letter,
)
from .common import (
    CENTER,
    DATETIME_FORMAT,
    GRID,
    HEADER_FILL,
    HEADER_FONT,
    PERCENT_FORMAT,
    SCORE_FORMAT,
    SECTION_FONT,
    TITLE_FONT,
    WRAP,
    Formulas,
    add_table,
    header_row,
    put,
    put_text,
)
from .formulas import GRID_HEADERS, LiveRow, LiveSection
from .visuals import (
    add_heatmap,
    add_share_bar,
    completeness_chart,
    level_fill,
    level_font,
    place,
    radar_chart,
)

AREA_TABLE = "CTIMM_Areas"
AREA_COLUMNS = [
    "Area",
    "Intel level",
    "Phase",
    "Level",
    "Score",
    "Target",
    "Target used",
    "Actions",
    "Answered",
    "Indicators present",
    "Completeness",
]
# Column A holds labels; B-G the phases of the matrices, each the same width,
# so the two charts of a row (A-C and D-F) come out nearly equal.
WIDTHS = [18, 17, 17, 17, 17, 17, 17, 11, 11, 11, 13]
HEADER_HEIGHT = 30  # points, two lines of wrapped header text
_ANSWERED = tuple(
    answer.value for answer in (Answer.YES, Answer.NO, Answer.PARTIAL, Answer.NA)
)

# Rows of the fixed sections; the checks and everything under them move down
# with the number of kinds of checks found.
_FACTS_FIRST = 2
_LEVELS_TITLE = 11
_LEGEND_ROW = 17
_SCORES_TITLE = 19
_TARGETS_TITLE = 26
_CHARTS_TITLE = 32
# The charts stand in a 2 × 2 grid under their title, each _CHART_ROWS rows
# tall and three columns wide.
_CHART_ROWS = 16
_CHART_COLUMNS = ((1, 4), (4, 7))
_CHECKS_TITLE = _CHARTS_TITLE + 1 + 2 * _CHART_ROWS

_SUMMARY_NOTES = (
    "Levels, scores, completeness and the area counts are formulas over the",
    "answers on the control sheets, so they change as you edit an answer.",
    "Checks, Target used, the Roadmap and History change when you run Score.",
    "What the formulas cannot reproduce: see the foot of this sheet.",
)


@dataclass(frozen=True)
class _Layout:
    checks_lines: list[tuple[str, int, str]]

    @property
    def checks_total(self) -> int:
        return _CHECKS_TITLE + 2 + len(self.checks_lines)

    @property
    def area_title(self) -> int:
        return self.checks_total + 2

    @property
    def area_first(self) -> int:
        """The row of the first area in the area table (its header is one above)."""
        return self.area_title + 2

    @property
    def area_last(self) -> int:
        return self.area_first + len(AREAS) - 1

    @property
    def live_first(self) -> int:
        return self.area_last + 3


def render_dashboard(
    sheet: Worksheet,
    result: Result,
    scored_at: datetime,
    typed_targets: dict[str, str | float] | None,
    rows: list[LiveRow],
    formulas: Formulas,
) -> None:
    """Fill the Dashboard; `typed_targets` are Target cells kept as the user typed them."""
    layout = _Layout(_checks_lines(result))
    live = LiveSection(
        rows, layout.area_first, len(AREA_COLUMNS) + 2, layout.live_first
    )
    area_rows = {area: layout.area_first + i for i, area in enumerate(_area_codes())}

    _facts(sheet, result, scored_at, layout, live, formulas)
    _matrix(
        sheet,
        _LEVELS_TITLE,
        "Maturity level (0 = below level 1)",
        live,
        formulas,
        "level",
    )
    _legend(sheet, _LEGEND_ROW)
    _matrix(sheet, _SCORES_TITLE, "Score", live, formulas, "score")
    _targets(sheet, _TARGETS_TITLE, result)
    _charts(sheet, area_rows)
    _counts(sheet, layout)
    _area_table(sheet, layout, result, typed_targets or {}, live, formulas)
    live.write(sheet, formulas)

    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[column_letter(index)].width = width
    for offset in range(len(GRID_HEADERS)):
        letter = column_letter(len(AREA_COLUMNS) + 2 + offset)
        sheet.column_dimensions[letter].width = 10
    sheet.freeze_panes = None
    sheet.print_area = f"A1:{column_letter(len(AREA_COLUMNS))}{layout.area_last}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _area_codes() -> list[str]:
    return [f"{intel}{phase}" for intel, phase in AREAS]


def _facts(
    sheet: Worksheet,
    result: Result,
    scored_at: datetime,
    layout: _Layout,
    live: LiveSection,
    formulas: Formulas,
) -> None:
    put_text(sheet, 1, 1, "CTI-MM assessment").font = TITLE_FONT
    static = [
        ("Scored at", scored_at),
        ("Workbook", Path(result.workbook).name),
        ("Sheets used", ", ".join(result.source_sheets)),
        ("Sheets ignored", ", ".join(result.ignored_sheets) or "none"),
        (
            "Controls",
            f"{len(result.controls)} ({result.actions} actions, "
            f"{result.indicators} indicators)",
        ),
    ]
    row = _FACTS_FIRST
    for label, value in static:
        put_text(sheet, row, 1, label).font = HEADER_FONT
        cell = put(sheet, row, 2, value)
        if label == "Scored at":
            cell.number_format = DATETIME_FORMAT
        row += 1

    actions = f"H{layout.area_first}:H{layout.area_last}"
    answered = f"I{layout.area_first}:I{layout.area_last}"
    overall = live.rollups[-1]
    put_text(sheet, row, 1, "Completeness").font = HEADER_FONT
    formulas.put(
        sheet,
        row,
        2,
        f"IF(SUM({actions})=0,0,SUM({answered})/SUM({actions}))",
        live.completeness,
    ).number_format = PERCENT_FORMAT
    add_share_bar(sheet, f"B{row}")
    put_text(sheet, row + 1, 1, "Overall level").font = HEADER_FONT
    formulas.put(
        sheet, row + 1, 2, _overall_cell("level"), overall.level
    ).alignment = CENTER
    put_text(sheet, row + 2, 1, "Overall score").font = HEADER_FONT
    cell = formulas.put(sheet, row + 2, 2, _overall_cell("score"), overall.score)
    cell.number_format = SCORE_FORMAT
    cell.alignment = CENTER
    add_heatmap(sheet, f"B{row + 1}:B{row + 2}")

    for offset, note in enumerate(_SUMMARY_NOTES):
        put_text(sheet, _FACTS_FIRST + offset, 4, note)


def _overall_cell(field: str) -> str:
    first = _LEVELS_TITLE if field == "level" else _SCORES_TITLE
    # The overall value sits in the matrix's last row and last column.
    return f"{column_letter(2 + len(PHASES))}{first + 2 + len(INTEL_LEVELS)}"


def _matrix(
    sheet: Worksheet,
    row: int,
    title: str,
    live: LiveSection,
    formulas: Formulas,
    field: str,
) -> None:
    put_text(sheet, row, 1, title).font = SECTION_FONT
    row += 1
    names = ["Intel level", *PHASES.values(), "All phases"]
    _grid_header(sheet, row, names)
    first_value_row = row + 1
    last_phase = column_letter(1 + len(PHASES))
    for intel, name in INTEL_LEVELS.items():
        row += 1
        put_text(sheet, row, 1, name).font = HEADER_FONT
        sheet.cell(row=row, column=1).border = GRID
        for offset, phase in enumerate(PHASES):
            area = live.areas[f"{intel}{phase}"]
            ref = (
                live.level_ref(area.area)
                if field == "level"
                else live.score_ref(area.area)
            )
            _number(sheet, formulas, row, 2 + offset, ref, getattr(area, field), field)
        rollup = next(
            r for r in live.rollups if r.kind == "intel_level" and r.name == name
        )
        _number(
            sheet,
            formulas,
            row,
            2 + len(PHASES),
            _aggregate(field, f"B{row}:{last_phase}{row}"),
            getattr(rollup, field),
            field,
        )
    row += 1
    put_text(sheet, row, 1, "All intel levels").font = HEADER_FONT
    sheet.cell(row=row, column=1).border = GRID
    for offset, phase in enumerate(PHASES):
        letter = column_letter(2 + offset)
        rollup = next(r for r in live.rollups if r.kind == "phase" and r.phase == phase)
        _number(
            sheet,
            formulas,
            row,
            2 + offset,
            _aggregate(field, f"{letter}{first_value_row}:{letter}{row - 1}"),
            getattr(rollup, field),
            field,
        )
    _number(
        sheet,
        formulas,
        row,
        2 + len(PHASES),
        _aggregate(field, f"B{first_value_row}:{last_phase}{row - 1}"),
        getattr(live.rollups[-1], field),
        field,
    )
    add_heatmap(sheet, f"B{first_value_row}:{column_letter(2 + len(PHASES))}{row}")


def _aggregate(field: str, cells: str) -> str:
    # Roll-ups: the level is the minimum of the areas' levels, the score their mean.
    return f"MIN({cells})" if field == "level" else f"AVERAGE({cells})"


def _grid_header(sheet: Worksheet, row: int, names: list[str]) -> None:
    header_row(sheet, row, names)
    sheet.row_dimensions[row].height = HEADER_HEIGHT
    for column in range(1, len(names) + 1):
        cell = sheet.cell(row=row, column=column)
        cell.fill = HEADER_FILL
        cell.border = GRID
        cell.alignment = WRAP


def _number(
    sheet: Worksheet,
    formulas: Formulas,
    row: int,
    column: int,
    formula: str,
    value: float,
    field: str,
) -> None:
    cell = formulas.put(sheet, row, column, formula, value)
    cell.alignment = CENTER
    cell.border = GRID
    if field == "score":
        cell.number_format = SCORE_FORMAT


def _legend(sheet: Worksheet, row: int) -> None:
    put_text(sheet, row, 1, "Colour key").font = HEADER_FONT
    for level in range(MAX_LEVEL + 1):
        cell = put(sheet, row, 2 + level, level)
        cell.fill = level_fill(level)
        cell.font = level_font(level)
        cell.alignment = CENTER
        cell.border = GRID


def _targets(sheet: Worksheet, row: int, result: Result) -> None:
    put_text(sheet, row, 1, "Target level used for the roadmap").font = SECTION_FONT
    put_text(
        sheet,
        row,
        3,
        "as of the last Score run; run Score to update it, because the roadmap "
        "is planned then",
    )
    row += 1
    _grid_header(sheet, row, ["Intel level", *PHASES.values()])
    by_area = {a.area: a for a in result.areas}
    first = row + 1
    for intel, name in INTEL_LEVELS.items():
        row += 1
        put_text(sheet, row, 1, name).font = HEADER_FONT
        sheet.cell(row=row, column=1).border = GRID
        for offset, phase in enumerate(PHASES):
            cell = put(sheet, row, 2 + offset, by_area[f"{intel}{phase}"].target)
            cell.alignment = CENTER
            cell.border = GRID
    add_heatmap(sheet, f"B{first}:{column_letter(1 + len(PHASES))}{row}")


def _charts(sheet: Worksheet, area_rows: dict[str, int]) -> None:
    put_text(
        sheet, _CHARTS_TITLE, 1, "Current and target level by phase"
    ).font = SECTION_FONT
    first, last = min(area_rows.values()), max(area_rows.values())
    # The short phase names of the area table's first five rows label the
    # radars; the matrices' long names would leave little room for the plot.
    phases = Reference(sheet, min_col=3, min_row=first, max_row=first + len(PHASES) - 1)
    charts = []
    for index, name in enumerate(INTEL_LEVELS.values()):
        current = Reference(
            sheet, min_col=2, max_col=1 + len(PHASES), min_row=_LEVELS_TITLE + 2 + index
        )
        target = Reference(
            sheet,
            min_col=2,
            max_col=1 + len(PHASES),
            min_row=_TARGETS_TITLE + 2 + index,
        )
        charts.append(radar_chart(name, phases, current, target))
    completeness = Reference(
        sheet, min_col=len(AREA_COLUMNS), min_row=first, max_row=last
    )
    areas = Reference(sheet, min_col=1, min_row=first, max_row=last)
    charts.append(completeness_chart(areas, completeness))
    for index, chart in enumerate(charts):
        top = _CHARTS_TITLE + 1 + (index // 2) * _CHART_ROWS
        left, right = _CHART_COLUMNS[index % 2]
        place(sheet, chart, (top, left), (top + _CHART_ROWS - 1, right))
    # Print the second row of charts on the next page rather than across two.
    sheet.row_breaks.append(Break(id=_CHARTS_TITLE + _CHART_ROWS))


def _checks_lines(result: Result) -> list[tuple[str, int, str]]:
    counts = Counter(v.kind for v in result.violations)
    problems = Counter(p.kind for p in result.problems)
    lines = [(kind, n, "violation") for kind, n in sorted(counts.items())]
    lines += [(kind, n, "data problem") for kind, n in sorted(problems.items())]
    return lines or [("none", 0, "")]


def _counts(sheet: Worksheet, layout: _Layout) -> None:
    row = _CHECKS_TITLE
    put_text(sheet, row, 1, "Checks").font = SECTION_FONT
    put_text(
        sheet,
        row,
        3,
        "as of the last Score run; run Score to update them, because the checks "
        "follow the links between controls, which the formulas do not",
    )
    row += 1
    header_row(sheet, row, ["Kind", "Count", "Type"])
    total = 0
    for kind, count, label in layout.checks_lines:
        row += 1
        put_text(sheet, row, 1, kind)
        put(sheet, row, 2, count)
        put_text(sheet, row, 3, label)
        total += count
    row += 1
    put_text(sheet, row, 1, "Total").font = HEADER_FONT
    put(sheet, row, 2, total)


def _area_table(
    sheet: Worksheet,
    layout: _Layout,
    result: Result,
    typed_targets: dict[str, str | float],
    live: LiveSection,
    formulas: Formulas,
) -> None:
    row = layout.area_title
    put_text(sheet, row, 1, "Areas and targets").font = SECTION_FONT
    put_text(
        sheet,
        row,
        3,
        "Type a target (1-5) in Target, or leave it empty for the next level "
        "up. Target used: as of the last Score run.",
    )
    row += 1
    first = row
    header_row(sheet, row, AREA_COLUMNS)
    sheet.row_dimensions[row].height = HEADER_HEIGHT
    for column in range(1, len(AREA_COLUMNS) + 1):
        sheet.cell(row=row, column=column).alignment = WRAP
    by_area = {a.area: a for a in result.areas}
    for code in _area_codes():
        row += 1
        area = by_area[code]
        counted = live.areas[code]
        stored = typed_targets.get(code, result.stored_targets.get(code))
        put_text(sheet, row, 1, code)
        put_text(sheet, row, 2, INTEL_LEVELS[area.intel])
        put_text(sheet, row, 3, PHASE_SHORT[area.phase])
        formulas.put(sheet, row, 4, live.level_ref(code), counted.level)
        score = formulas.put(sheet, row, 5, live.score_ref(code), counted.score)
        score.number_format = SCORE_FORMAT
        target = put(sheet, row, 6, stored)
        target.fill = PatternFill("solid", fgColor="FFF2CC")
        put(sheet, row, 7, area.target)
        formulas.put(
            sheet,
            row,
            8,
            live.count_formula(code, Kind.ACTION),
            live.count(code, Kind.ACTION),
        )
        formulas.put(
            sheet,
            row,
            9,
            live.count_formula(code, Kind.ACTION, *_ANSWERED),
            live.count(code, Kind.ACTION, *_ANSWERED),
        )
        formulas.put(
            sheet,
            row,
            10,
            live.count_formula(code, Kind.INDICATOR, Answer.YES.value),
            live.count(code, Kind.INDICATOR, Answer.YES.value),
        )
        actions = live.count(code, Kind.ACTION)
        share = live.count(code, Kind.ACTION, *_ANSWERED) / actions if actions else 0.0
        formulas.put(
            sheet, row, 11, f"IF(H{row}=0,0,I{row}/H{row})", share
        ).number_format = PERCENT_FORMAT
        for column in range(4, len(AREA_COLUMNS) + 1):
            sheet.cell(row=row, column=column).alignment = CENTER
    add_table(sheet, AREA_TABLE, first, row, len(AREA_COLUMNS))
    add_share_bar(sheet, f"K{first + 1}:K{row}")
