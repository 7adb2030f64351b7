"""Render the report sheets into a scratch workbook, saved to bytes.

The scratch workbook is never shown to the user: its sheet parts are merged
into the user's package by `ctimm_xl.xlsx.merge`, so openpyxl never loads and
re-saves the user's file (which would drop form controls and other parts).
"""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook

from ..core.result import Result
from .checks_sheet import render_checks
from .dashboard import render_dashboard
from .previous import CHECKS, DASHBOARD, ROADMAP, Previous
from .roadmap_sheet import render_roadmap


def render_report(
    result: Result,
    previous: Previous,
    scored_at: datetime,
    sheets: tuple[str, ...] = (DASHBOARD, CHECKS, ROADMAP),
) -> bytes:
    """Return an .xlsx holding the requested report sheets, in that order."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in sheets:
        sheet = workbook.create_sheet(name)
        if name == DASHBOARD:
            render_dashboard(sheet, result, scored_at, previous.invalid_targets)
        elif name == CHECKS:
            render_checks(sheet, result)
        elif name == ROADMAP:
            render_roadmap(sheet, result, previous)
        else:
            raise ValueError(f"unknown report sheet {name!r}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
