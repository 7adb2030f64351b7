"""Build the blank control workbook `workbook/CTI-MM.xlsm` from the catalogue.

The layout follows the original control workbook: sheets `Level 1` …
`Level 5`, a two-row header (`Resources required` over Process, People and
Technology), a list of answers on `True?`, and on `Level 1` the indicator
table above the action table. The output is byte-for-byte reproducible:
timestamps are fixed and strings go to a shared-strings part.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from lxml import etree
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .catalogue import Entry, load_catalogue
from .model import INTEL_LEVELS, MAX_LEVEL, PHASES, Kind
from .render.common import put_text
from .xlsx.merge import serialize
from .xlsx.package import NS_CT, NS_MAIN, NS_PKG_REL, REL_SHARED_STRINGS
from .xlsx.strings import EMPTY_SST, SharedStrings
from .xlsx.styles import sort_font

ANSWER_LIST = '"Yes,No,Partial,N/A"'
COLUMNS = [
    "Maturity Level",
    "Intel Cycle Phase",
    "Intel Level",
    None,  # the description header, which names the table's kind
    "Links to",
    "True?",
    "Remarks",
    "Resources required",
]
DESCRIPTION_HEADERS = {
    Kind.INDICATOR: "Indicators (ID, description)",
    Kind.ACTION: "Actions (control ID, description)",
}
WIDTHS = [14, 24, 13, 80, 12, 10, 32, 34, 34, 34]
FIXED_TIME = datetime(2026, 1, 1)
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_PLAIN_WORKBOOK = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
)
_CT_SST = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)

_BOLD = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_THIN = Side(style="thin", color="808080")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)


def build_workbook(output: Path) -> None:
    """Write the blank control workbook to `output`.

    An .xlsm gets the CTI-MM ribbon, the VBA project and the xlwings
    settings sheet, as `ctimm attach` adds them; an .xlsx is the bare layout.
    """
    macro = output.suffix.lower() == ".xlsm"
    data = render_workbook(load_catalogue(), macro=macro)
    if macro:
        from .vba.attach import Settings, attach_package
        from .xlsx.package import package_from_bytes

        merged = attach_package(package_from_bytes(data, str(output)), Settings())
        data = _zip_parts(merged.parts, merged.order)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)


def _zip_parts(parts: dict[str, bytes], order: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in order:
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), parts[name])
    return out.getvalue()


def render_workbook(entries: list[Entry], *, macro: bool = True) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for level in range(1, MAX_LEVEL + 1):
        sheet = workbook.create_sheet(f"Level {level}")
        row = 1
        for kind in (Kind.INDICATOR, Kind.ACTION):
            chosen = [e for e in entries if e.id.level == level and e.kind is kind]
            if not chosen:
                continue
            if row > 1:
                row += 1  # one blank row between two tables, as in the original
            row = _table(sheet, row, kind, chosen)
        for index, width in enumerate(WIDTHS):
            sheet.column_dimensions[chr(65 + index)].width = width
        sheet.freeze_panes = "A3"
    workbook.properties.creator = "ctimm-xl"
    workbook.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _normalise(buffer.getvalue(), macro)


def _table(sheet: Worksheet, row: int, kind: Kind, entries: list[Entry]) -> int:
    """Write one table (two header rows, then a row per control); return the next row."""
    for column, name in enumerate(COLUMNS, start=1):
        put_text(sheet, row, column, name or DESCRIPTION_HEADERS[kind])
    for column, name in enumerate(("Process", "People", "Technology"), start=8):
        put_text(sheet, row + 1, column, name)
    for column in range(1, 11):
        for header_row in (row, row + 1):
            cell = sheet.cell(row=header_row, column=column)
            cell.font = _BOLD
            cell.fill = _HEADER_FILL
            cell.border = _GRID
            cell.alignment = _HEADER_ALIGN
    for column in range(1, 8):
        sheet.merge_cells(
            start_row=row, start_column=column, end_row=row + 1, end_column=column
        )
    sheet.merge_cells(start_row=row, start_column=8, end_row=row, end_column=10)

    first = row + 2
    for offset, entry in enumerate(entries):
        current = first + offset
        values = [
            f"Level {entry.id.level}",
            PHASES[entry.id.phase],
            INTEL_LEVELS[entry.id.intel],
            f"{entry.id} / {entry.description}",
            " ".join(str(link) for link in entry.links),
            "",
            "",
            entry.process,
            entry.people,
            entry.technology,
        ]
        for column, value in enumerate(values, start=1):
            if value:
                put_text(sheet, current, column, value)
            cell = sheet.cell(row=current, column=column)
            cell.alignment = _WRAP
            cell.border = _GRID
    last = first + len(entries) - 1
    validation = DataValidation(type="list", formula1=ANSWER_LIST, allow_blank=True)
    validation.promptTitle = "Answer"
    validation.prompt = "Yes, No, Partial or N/A"
    validation.showInputMessage = True
    validation.add(f"F{first}:F{last}")
    sheet.add_data_validation(validation)
    return last + 1


def _normalise(data: bytes, macro: bool) -> bytes:
    """Fix timestamps, move inline strings to a shared-strings part, set the content type."""
    source = zipfile.ZipFile(io.BytesIO(data))
    parts = {name: source.read(name) for name in source.namelist()}
    strings = SharedStrings(etree.fromstring(EMPTY_SST))
    cells = 0
    main = f"{{{NS_MAIN}}}"
    for name in sorted(parts):
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        root = etree.fromstring(parts[name])
        for cell in root.iter(main + "c"):
            if cell.get("t") != "inlineStr":
                continue
            inline = cell.find(main + "is")
            text = "".join(t.text or "" for t in inline.iter(main + "t"))
            cell.remove(inline)
            cell.set("t", "s")
            etree.SubElement(cell, main + "v").text = str(strings.index(text))
            cells += 1
        parts[name] = serialize(root)
    strings.finish(cells)
    styles = etree.fromstring(parts["xl/styles.xml"])
    for font in styles.iter(main + "font"):
        sort_font(font)
    parts["xl/styles.xml"] = serialize(styles)
    parts["xl/sharedStrings.xml"] = serialize(strings.root)

    rels = etree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    relation = etree.SubElement(rels, f"{{{NS_PKG_REL}}}Relationship")
    relation.set("Id", f"rId{len(rels) + 1}")
    relation.set("Type", REL_SHARED_STRINGS)
    relation.set("Target", "sharedStrings.xml")
    parts["xl/_rels/workbook.xml.rels"] = serialize(rels)

    types = etree.fromstring(parts["[Content_Types].xml"])
    for override in types.iter(f"{{{NS_CT}}}Override"):
        if override.get("ContentType") == _PLAIN_WORKBOOK and macro:
            override.set("ContentType", _MACRO_WORKBOOK)
    override = etree.SubElement(types, f"{{{NS_CT}}}Override")
    override.set("PartName", "/xl/sharedStrings.xml")
    override.set("ContentType", _CT_SST)
    parts["[Content_Types].xml"] = serialize(types)

    core = parts["docProps/core.xml"].decode("utf-8")
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    for tag in ("dcterms:created", "dcterms:modified"):
        start = core.find(f"<{tag}")
        end = core.find(f"</{tag}>")
        if start != -1 and end != -1:
            opening = core[start : core.index(">", start) + 1]
            core = core[:start] + opening + stamp + core[end:]
    parts["docProps/core.xml"] = core.encode("utf-8")

    names = [name for name in source.namelist() if name in parts]
    return _zip_parts(parts, [*names, "xl/sharedStrings.xml"])
