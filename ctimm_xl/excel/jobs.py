"""The ribbon jobs, run against any object that behaves like an open workbook.

`ExcelBook` is the narrow interface the jobs need; `xlwings_book.XlwingsBook`
implements it over xlwings, and the tests implement it over a package on disk.
Nothing here imports xlwings.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from typing import Protocol

from ..app import JOBS, flag_cells
from ..core.priorities import order_by_priority
from ..core.result import Result, evaluate
from ..errors import OutputError
from ..reading.assessment import read_assessment
from ..render.previous import read_previous
from ..render.report import render_report
from ..xlsx.workbook import user_sheet_in_the_way
from .live import LiveWorkbook, SheetValues


class ExcelBook(Protocol):
    """An open workbook, as the jobs see it."""

    path: str

    def sheet_values(self) -> list[SheetValues]: ...

    def marked_sheets(self) -> set[str]: ...

    def write_report(self, scratch: Path, names: tuple[str, ...]) -> None: ...

    def set_flags(self, flags: dict[str, list[str]]) -> None: ...


class _PathOnly:
    # read_assessment takes the package only for its path.
    def __init__(self, path: Path) -> None:
        self.path = path


def run_job(book: ExcelBook, job: str, now: datetime | None = None) -> Result | None:
    """Run `score`, `roadmap`, `check` or `clear_flags` on an open workbook."""
    if job == "clear_flags":
        book.set_flags({})
        return None
    names = JOBS[job]
    live = LiveWorkbook(book.path, book.sheet_values(), book.marked_sheets())
    existing = [entry.name for entry in live.sheets]
    name = user_sheet_in_the_way(names, existing, live.marked_sheets)
    if name is not None:
        raise OutputError(
            f"{book.path}: the workbook already has a sheet named {name!r} that "
            "ctimm did not create, and ctimm never overwrites a user's sheet. "
            "Rename or delete that sheet and click again."
        )

    previous = read_previous(live)
    assessment = read_assessment(_PathOnly(live.path), "auto", live)  # type: ignore[arg-type]
    result = evaluate(
        str(live.path),
        assessment.controls,
        source_sheets=assessment.source_sheets,
        ignored_sheets=assessment.ignored_sheets,
        problems=[*assessment.problems, *previous.problems],
        stored_targets=previous.targets,
    )
    result.roadmap = order_by_priority(result.roadmap, previous.estimates)
    previous.answer_rows = assessment.rows
    report = render_report(
        result, previous, now or datetime.now().replace(microsecond=0), names
    )
    with tempfile.TemporaryDirectory(prefix="ctimm-") as folder:
        scratch = Path(folder) / "report.xlsx"
        scratch.write_bytes(report)
        book.write_report(scratch, names)
    if job in ("score", "check"):
        book.set_flags(flag_cells(result))
    return result
