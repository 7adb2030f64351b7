"""Render the report sheets into a scratch workbook, saved to bytes.

The scratch workbook is never shown to the user: its sheet parts are merged
into the user's package by `ctimm_xl.xlsx.merge`, so openpyxl never loads and
re-saves the user's file (which would drop form controls and other parts).
openpyxl writes formulas without results, so the results computed here are
patched into the saved sheets as cached values.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from lxml import etree
from openpyxl import Workbook

from ..core.result import Result
from ..model import column_letter, quote_sheet
from ..xlsx.package import NS_MAIN, package_from_bytes
from ..xlsx.workbook import WorkbookParts
from .checks_sheet import render_checks
from .common import Formulas
from .dashboard import render_dashboard
from .formulas import live_rows
from .history import render_history
from .previous import CHECKS, DASHBOARD, HISTORY, ROADMAP, Previous, read_answer_rows
from .roadmap_sheet import render_roadmap

_M = f"{{{NS_MAIN}}}"


def render_report(
    result: Result,
    previous: Previous,
    scored_at: datetime,
    sheets: tuple[str, ...] = (DASHBOARD, CHECKS, ROADMAP, HISTORY),
) -> bytes:
    """Return an .xlsx holding the requested report sheets, in that order."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    formulas = Formulas()
    for name in sheets:
        if name not in (DASHBOARD, CHECKS, ROADMAP, HISTORY):
            raise ValueError(f"unknown report sheet {name!r}")
        workbook.create_sheet(name)
    # Checks comes last: it links to cells of the other report sheets, which
    # are only placed once those are written.
    for name in sorted(sheets, key=lambda n: n == CHECKS):
        sheet = workbook[name]
        if name == DASHBOARD:
            source = previous.answer_rows
            if source is None and previous.workbook is not None:
                source = read_answer_rows(previous.workbook, result.source_sheets)
            render_dashboard(
                sheet,
                result,
                scored_at,
                previous.invalid_targets,
                live_rows(result, source),
                formulas,
            )
        elif name == CHECKS:
            render_checks(sheet, result, _moved_cells(workbook, previous))
        elif name == ROADMAP:
            render_roadmap(sheet, result, previous, formulas)
        else:
            render_history(
                sheet,
                result,
                previous.history,
                scored_at,
                previous.last_modified_by,
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return cache_results(buffer.getvalue(), formulas)


def _moved_cells(workbook: Workbook, previous: Previous) -> dict[str, str]:
    """Map problem cells read from earlier report sheets to where they are now."""
    places: dict[tuple[str, ...], str] = {}
    if DASHBOARD in workbook.sheetnames:
        places.update(
            _column_places(workbook[DASHBOARD], "Area", ("Target",), "target")
        )
    if ROADMAP in workbook.sheetnames:
        places.update(
            _column_places(
                workbook[ROADMAP], "Control", ("Impact", "Effort"), "estimate"
            )
        )
    moved = {}
    for old, key in previous.cell_keys.items():
        if key in places:
            moved[old] = places[key]
    return moved


def _column_places(sheet, key_header: str, headers: tuple[str, ...], kind: str):
    """Find the header row holding `key_header`; map (kind, key[, header]) to cells."""
    found: dict[tuple[str, ...], str] = {}
    columns: dict[str, int] = {}
    # The written cells, read without iter_rows: on a sheet being written,
    # iter_rows creates every cell of the range it walks.
    by_row: dict[int, dict[int, object]] = {}
    for (row_number, column), cell in sheet._cells.items():
        by_row.setdefault(row_number, {})[column] = cell.value
    for row_number in sorted(by_row):
        values = by_row[row_number]
        texts = {v: c for c, v in values.items() if isinstance(v, str)}
        if not columns:
            if key_header in texts and all(h in texts for h in headers):
                columns = {h: texts[h] for h in (key_header, *headers)}
            continue
        key = values.get(columns[key_header])
        if not isinstance(key, str) or not key:
            if kind == "target":
                break
            continue
        for header in headers:
            letter = column_letter(columns[header])
            reference = f"{quote_sheet(sheet.title)}!{letter}{row_number}"
            # The first table with these headers wins.
            if kind == "target":
                found.setdefault((kind, key), reference)
            else:
                found.setdefault((kind, key, header), reference)
    return found


def cache_results(data: bytes, formulas: Formulas) -> bytes:
    """Write each formula's result into its cell's `<v>` in a saved scratch workbook."""
    package = package_from_bytes(data, "report")
    parts = dict(package.parts)
    for entry in WorkbookParts(package).sheets:
        values = formulas.values.get(entry.name)
        if not values or entry.part is None:
            continue
        root = package.xml(entry.part)
        for cell in root.iter(_M + "c"):
            reference = cell.get("r")
            if cell.find(_M + "f") is None or reference not in values:
                continue
            _set_cached(cell, values[reference])
        parts[entry.part] = etree.tostring(
            root, xml_declaration=True, encoding="UTF-8", standalone=True
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in package.order:
            archive.writestr(name, parts[name])
    return buffer.getvalue()


def _set_cached(cell: etree._Element, value: object) -> None:
    element = cell.find(_M + "v")
    if element is None:
        element = etree.SubElement(cell, _M + "v")
    if isinstance(value, bool):
        cell.set("t", "b")
        element.text = "1" if value else "0"
    elif isinstance(value, (int, float)):
        cell.attrib.pop("t", None)
        number = float(value)
        element.text = str(int(number)) if number.is_integer() else repr(number)
    else:
        cell.set("t", "str")
        element.text = str(value)
