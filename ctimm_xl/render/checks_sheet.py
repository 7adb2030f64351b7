"""The Checks sheet: one row per violation and data problem, linked to its cell."""

from __future__ import annotations

from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from ..core.result import Result
from .common import WRAP, add_table, header_row, put_text, set_widths

CHECKS_TABLE = "CTIMM_Checks"
CHECK_COLUMNS = ["Type", "Kind", "Control", "Related", "Cell", "Message"]


def render_checks(
    sheet: Worksheet, result: Result, moved: dict[str, str] | None = None
) -> None:
    """Fill the Checks sheet; `moved` maps cells of rewritten sheets to their new place."""
    moved = moved or {}
    header_row(sheet, 1, CHECK_COLUMNS)
    rows = [("violation", v) for v in result.violations]
    rows += [("data problem", p) for p in result.problems]
    row = 1
    for label, finding in rows:
        row += 1
        put_text(sheet, row, 1, label)
        put_text(sheet, row, 2, finding.kind)
        put_text(sheet, row, 3, finding.control or "")
        put_text(sheet, row, 4, ", ".join(finding.related))
        cell = put_text(sheet, row, 5, moved.get(finding.cell, finding.cell))
        # An internal hyperlink: `location` alone, so no relationship is written.
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=cell.value)
        cell.style = "Hyperlink"
        put_text(sheet, row, 6, finding.message).alignment = WRAP
    if not rows:
        row = 2
        put_text(sheet, row, 6, "No violations or data problems found.")
    add_table(sheet, CHECKS_TABLE, 1, row, len(CHECK_COLUMNS))
    set_widths(sheet, [14, 22, 11, 30, 18, 90])
    sheet.freeze_panes = "A2"
