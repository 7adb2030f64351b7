"""The score job shared by the command line and Excel: read, evaluate, write back."""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .core.priorities import order_by_priority
from .core.result import Result, evaluate
from .errors import UsageError
from .model import MAX_LEVEL, Control, column_letter
from .reading.assessment import read_assessment
from .render.previous import CHECKS, GENERATED, ROADMAP, read_previous
from .render.report import render_report
from .xlsx.merge import PackageEditor
from .xlsx.package import check_file, open_package, package_from_bytes
from .xlsx.save import backup_path, check_not_open, exclusive, write_package
from .xlsx.workbook import WorkbookParts

log = logging.getLogger(__name__)

# The report sheets that each job writes.
JOBS: dict[str, tuple[str, ...]] = {
    "score": GENERATED,
    "roadmap": (ROADMAP,),
    "check": (CHECKS,),
}

_FLAGGED_PROBLEMS = {"invalid-answer", "uncached-formula"}


@dataclass
class Outcome:
    result: Result
    written: Path | None
    backup: Path | None


def score_workbook(
    path: Path,
    output: Path | None = None,
    *,
    target: int | None = None,
    source: str = "auto",
    write: bool = True,
    sheets: tuple[str, ...] = GENERATED,
    now: datetime | None = None,
) -> Outcome:
    """Score the workbook at `path` and, when `write`, write the report sheets.

    Without `output` the workbook is updated in place after a backup copy.
    """
    if target is not None and not 1 <= target <= MAX_LEVEL:
        raise UsageError(
            f"--target must be a level from 1 to {MAX_LEVEL}, not {target}."
        )
    path = Path(path)
    destination = Path(output) if output is not None else path
    in_place = _same_file(path, destination)
    check_file(path)
    if write:
        _check_suffixes(path, destination)
        check_not_open(destination)

    lock_target = destination if write else None
    with (
        exclusive(lock_target)
        if lock_target and lock_target.exists()
        else contextlib.nullcontext()
    ):
        package = open_package(path)
        parts = WorkbookParts(package)
        if write:
            PackageEditor(package).check_can_write(sheets)
        previous = read_previous(parts)
        assessment = read_assessment(package, source, parts)
        result = evaluate(
            str(path),
            assessment.controls,
            source_sheets=assessment.source_sheets,
            ignored_sheets=assessment.ignored_sheets,
            problems=[*assessment.problems, *previous.problems],
            stored_targets=previous.targets,
            target=target,
        )
        # The user's Impact and Effort reorder each roadmap level, for the JSON
        # result as for the Roadmap sheet.
        result.roadmap = order_by_priority(result.roadmap, previous.estimates)
        if not write:
            return Outcome(result, None, None)
        previous.answer_rows = assessment.rows

        editor = PackageEditor(package)
        scratch = package_from_bytes(
            render_report(
                result, previous, now or datetime.now().replace(microsecond=0), sheets
            ),
            "report",
        )
        scratch_parts = WorkbookParts(scratch)
        editor.drop_sheets(sheets)
        for entry in scratch_parts.sheets:
            editor.replace_sheet(scratch, entry.part, entry.name)
        editor.set_flags(flag_cells(result))
        merged = editor.finish()
        backup = backup_path(path) if in_place else None
        write_package(merged, package, destination, backup)
        log.debug("wrote %s", destination)
        return Outcome(result, destination, backup)


def flag_cells(result: Result) -> dict[str, list[str]]:
    """Answer cells to flag, by sheet: controls named in violations, invalid answers."""
    by_id: dict[str, Control] = {str(c.id): c for c in result.controls}
    cells: dict[str, list[str]] = {}

    def add(control: Control | None) -> None:
        if control is None:
            return
        ref = control.answer_cell
        a1 = f"{column_letter(ref.column)}{ref.row}"
        listed = cells.setdefault(ref.sheet, [])
        if a1 not in listed:
            listed.append(a1)

    for violation in result.violations:
        add(by_id.get(violation.control or ""))
        for related in violation.related:
            add(by_id.get(related))
    for problem in result.problems:
        if problem.kind in _FLAGGED_PROBLEMS:
            add(by_id.get(problem.control or ""))
    return cells


def _same_file(path: Path, destination: Path) -> bool:
    if destination == path:
        return True
    try:
        return os.path.samefile(path, destination)
    except OSError:
        return path.resolve() == destination.resolve()


def _check_suffixes(path: Path, destination: Path) -> None:
    # The workbook part's content type differs between .xlsx and .xlsm, and
    # Excel refuses a file whose extension does not match it.
    source_kind = path.suffix.lower()
    output_kind = destination.suffix.lower()
    if destination == path and output_kind not in (".xlsx", ".xlsm"):
        raise UsageError(
            f"{path}: only an .xlsx or .xlsm workbook can be updated in place. "
            "Give its true extension, or write a copy with -o NAME.xlsx."
        )
    if output_kind not in (".xlsx", ".xlsm"):
        raise UsageError(
            f"{destination}: the output must end in .xlsx or .xlsm, like the input "
            f"({path.name})."
        )
    if source_kind in (".xlsx", ".xlsm") and output_kind != source_kind:
        raise UsageError(
            f"{destination}: the output must keep the input's extension "
            f"({source_kind}); Excel refuses a workbook whose extension does not "
            "match its content."
        )
