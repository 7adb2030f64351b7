"""Read a workbook into an assessment: its controls, answers and data problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LayoutError, UsageError
from ..ids import id_from_description, link_ids
from ..model import Answer, CellRef, Control, Finding, Kind, column_letter, quote_sheet
from ..text import fold
from ..xlsx.package import Package
from ..xlsx.workbook import WorkbookParts
from .answers import holds_answer, parse_answer, parse_value_box
from .tables import NearMiss, RawRow, scan_tables

SOURCES = ("auto", "per-level", "roll-up")

_INTEL_WORDS = {"strategic": "A", "operational": "B", "tactical": "C"}
_PHASE_WORDS = (
    ("dir", 1),
    ("requirement", 1),
    ("collection", 2),
    ("processing", 2),
    ("analysis", 3),
    ("production", 3),
    ("dissemination", 4),
    ("feedback", 5),
)


@dataclass
class SheetScan:
    name: str
    rows: list[RawRow]
    rollup: bool = False
    has_answers: bool = False
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)


@dataclass
class Assessment:
    """The controls that make up an assessment, in tab order and row order."""

    path: Path
    controls: list[Control]
    source_sheets: list[str]
    ignored_sheets: list[str]
    problems: list[Finding] = field(default_factory=list)
    sheet_names: list[str] = field(default_factory=list)
    # The control-table rows of the source sheets, keyed by (sheet, row).
    rows: dict[tuple[str, int], RawRow] = field(default_factory=dict)


def read_assessment(
    package: Package, source: str = "auto", parts: WorkbookParts | None = None
) -> Assessment:
    """Read the control tables of a package and pick the sheets that are the assessment."""
    if source not in SOURCES:
        raise UsageError(
            f"--source must be one of {', '.join(SOURCES)}, not {source!r}."
        )
    parts = parts or WorkbookParts(package)
    generated = parts.marked_sheets
    scans: list[SheetScan] = []
    near_misses: list[NearMiss] = []
    for entry in parts.sheets:
        if entry.part is None or entry.name in generated:
            continue
        cells = parts.cells(entry)
        rows, misses = scan_tables(entry.name, cells.rows())
        near_misses.extend(misses)
        if rows:
            scans.append(
                _classify(SheetScan(entry.name, rows, merges=list(cells.merges)))
            )

    if not scans:
        raise _no_table_error(package.path, near_misses)
    chosen, ignored = _choose(scans, source, package.path)
    controls, problems = _build_controls(chosen)
    problems += _merged_answers(chosen, controls)
    return Assessment(
        package.path,
        controls,
        [scan.name for scan in chosen],
        [scan.name for scan in ignored],
        problems,
        [entry.name for entry in parts.sheets],
        {(row.sheet, row.row): row for scan in chosen for row in reversed(scan.rows)},
    )


def _classify(scan: SheetScan) -> SheetScan:
    levels = set()
    for row in scan.rows:
        level = _level_of(row.text("maturity"))
        if level is None:
            parsed = id_from_description(row.text("description"))
            level = parsed.level if parsed else None
        if level is not None:
            levels.add(level)
        if holds_answer(row.cell("answer")):
            scan.has_answers = True
        elif row.table.kind is Kind.INDICATOR and parse_value_box(row.cell("value")):
            scan.has_answers = True
    scan.rollup = len(levels) >= 3
    return scan


def _choose(
    scans: list[SheetScan], source: str, path: Path
) -> tuple[list[SheetScan], list[SheetScan]]:
    per_level = [scan for scan in scans if not scan.rollup]
    rollups = [scan for scan in scans if scan.rollup]
    if source == "per-level":
        use_rollups = False
    elif source == "roll-up":
        use_rollups = True
    else:
        answered = any(scan.has_answers for scan in per_level)
        use_rollups = bool(rollups) and (
            not per_level
            or (not answered and any(scan.has_answers for scan in rollups))
        )
    chosen = rollups if use_rollups else per_level
    if not chosen:
        requested = "roll-up" if use_rollups else "per-level"
        raise LayoutError(
            f"{path}: --source {source} asks for {requested} sheets, but the "
            f"workbook has none (control sheets: {', '.join(s.name for s in scans)}). "
            "Run again without --source."
        )
    ignored = per_level if use_rollups else rollups
    return chosen, ignored


def _build_controls(scans: list[SheetScan]) -> tuple[list[Control], list[Finding]]:
    controls: list[Control] = []
    problems: list[Finding] = []
    seen: dict[str, str] = {}
    for scan in scans:
        for row in scan.rows:
            control = _control_from_row(row, problems)
            if control is None:
                continue
            key = str(control.id)
            if key in seen:
                problems.append(
                    Finding(
                        "duplicate-id",
                        key,
                        str(control.answer_cell),
                        f"{key} appears again here; the first row ({seen[key]}) "
                        "counts and this one is ignored. Give this row its own ID "
                        "or delete it.",
                    )
                )
                continue
            seen[key] = str(control.answer_cell)
            controls.append(control)
    return controls, problems


def _merged_answers(scans: list[SheetScan], controls: list[Control]) -> list[Finding]:
    """Report controls whose answer cell is merged into the answer cell of a row above."""
    found = []
    merges = {scan.name: scan.merges for scan in scans}
    for control in controls:
        cell = control.answer_cell
        for top, left, bottom, right in merges.get(cell.sheet, []):
            inside = top <= cell.row <= bottom and left <= cell.column <= right
            if not inside or (cell.row, cell.column) == (top, left):
                continue
            first = f"{column_letter(left)}{top}"
            span = f"{first}:{column_letter(right)}{bottom}"
            found.append(
                Finding(
                    "merged-answer",
                    str(control.id),
                    str(cell),
                    f"{control.id}: its answer cell is merged into {span}, so only "
                    f"{first} holds an answer and this control counts as unanswered. "
                    "Unmerge the cells and answer each row.",
                )
            )
    return found


def _control_from_row(row: RawRow, problems: list[Finding]) -> Control | None:
    columns = row.table.columns
    description_cell = CellRef(row.sheet, row.row, columns["description"])
    description = row.text("description")
    parsed = id_from_description(description)
    if parsed is None or not parsed.in_model:
        reason = (
            "has no readable control ID before ' / '"
            if parsed is None
            else f"names {parsed}, which lies outside the model's IDs (levels 1-5, "
            "intel levels A-C, phases 1-5, one letter)"
        )
        problems.append(
            Finding(
                "unreadable-id",
                None,
                str(description_cell),
                f"The description {_preview(description)} {reason}; the row is "
                "skipped. Start the text with an ID such as '3.B.2.a / '.",
            )
        )
        return None

    answer_cell = CellRef(row.sheet, row.row, columns["answer"])
    parsed_answer = parse_answer(row.cell("answer"))
    answer = parsed_answer.answer
    if parsed_answer.problem == "invalid-answer":
        problems.append(
            Finding(
                "invalid-answer",
                str(parsed),
                str(answer_cell),
                f"{parsed}: the answer {parsed_answer.shown!r} is not one of Yes, "
                "No, Partial or N/A; it counts as unanswered. Pick a value from "
                "the cell's list.",
            )
        )
    elif parsed_answer.problem == "uncached-formula":
        problems.append(
            Finding(
                "uncached-formula",
                str(parsed),
                str(answer_cell),
                f"{parsed}: the answer is a formula that has never been calculated, "
                "so it counts as unanswered. Open the workbook in Excel, let it "
                "recalculate (F9) and save.",
            )
        )
    if row.table.kind is Kind.INDICATOR and answer is Answer.UNANSWERED:
        if parsed_answer.problem is None:
            answer = parse_value_box(row.cell("value")) or Answer.UNANSWERED

    _check_id_columns(row, parsed, description_cell, problems)
    text = description.split("/", 1)[1].strip() if "/" in description else description
    return Control(
        id=parsed,
        kind=row.table.kind,
        answer=answer,
        description=text,
        answer_cell=answer_cell,
        links=link_ids(row.text("links")),
        links_cell=CellRef(row.sheet, row.row, columns["links"])
        if "links" in columns
        else None,
        remarks=row.text("remarks"),
        process=row.text("process"),
        people=row.text("people"),
        technology=row.text("technology"),
        answer_text=parsed_answer.shown,
    )


def _check_id_columns(row: RawRow, parsed, description_cell: CellRef, problems) -> None:
    disagreements = []
    level = _level_of(row.text("maturity"))
    if level is not None and level != parsed.level:
        disagreements.append(f"Maturity Level says {level}")
    intel = _INTEL_WORDS.get(fold(row.text("intel")))
    if intel is not None and intel != parsed.intel:
        disagreements.append(f"Intel Level says {row.text('intel')!r}")
    phase = _phase_of(row.text("phase"))
    if phase is not None and phase != parsed.phase:
        disagreements.append(f"Intel Cycle Phase says {row.text('phase')!r}")
    if disagreements:
        problems.append(
            Finding(
                "id-mismatch",
                str(parsed),
                str(description_cell),
                f"{parsed}: the ID disagrees with its row ({'; '.join(disagreements)}); "
                "the ID is used. Correct the ID or the row's columns.",
            )
        )


def _level_of(text: str) -> int | None:
    match = re.fullmatch(r"(?:level\s*)?([0-9]+)", fold(text))
    return int(match.group(1)) if match else None


def _phase_of(text: str) -> int | None:
    folded = fold(text)
    if folded.isdigit():
        return int(folded)
    for word, phase in _PHASE_WORDS:
        if folded.startswith(word) or f" {word}" in folded:
            return phase
    return None


def _preview(text: str) -> str:
    short = text if len(text) <= 40 else text[:37] + "..."
    return repr(short)


def _no_table_error(path: Path, near_misses: list[NearMiss]) -> LayoutError:
    if near_misses:
        miss = near_misses[0]
        where = f"{quote_sheet(miss.sheet)}!{column_letter(1)}{miss.row}"
        return LayoutError(
            f"{path}: no control table found. Row {miss.row} of sheet "
            f"{miss.sheet!r} ({where}) looks like a header but has no "
            f"{' and no '.join(miss.missing)} column; add it and try again."
        )
    return LayoutError(
        f"{path}: no control table found. A control table needs a header row with "
        "Maturity Level, Intel Cycle Phase, Intel Level, a description column "
        "(Indicators or Actions) and True?; use the CTI-MM control workbook layout."
    )
