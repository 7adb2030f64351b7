"""`ctimm attach`: make a workbook macro-enabled with the CTI-MM ribbon and VBA.

Every part of the user's package stays byte-identical except what has to
change: the content types, the package and workbook relationships, the
workbook part (its code name and the hidden `xlwings.conf` sheet), a
`codeName` on the `sheetPr` of sheets that lack one, and the new parts
(`xl/vbaProject.bin`, `customUI/customUI14.xml`, the settings sheet).
Attaching again replaces the VBA modules and the ribbon in place.
"""

from __future__ import annotations

import contextlib
import posixpath
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from ..errors import UsageError
from ..xlsx.merge import MergeResult, serialize
from ..xlsx.package import (
    NS_CT,
    NS_MAIN,
    NS_PKG_REL,
    NS_REL,
    REL_WORKSHEET,
    Package,
    first_free,
    open_package,
    rels_part_name,
)
from ..xlsx.save import backup_path, check_not_open, exclusive, write_package
from .project import install_project

CONF_SHEET = "xlwings.conf"
UDF_MODULES = "ctimm_xl.excel.udfs"
REL_RIBBON = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
RIBBON_PART = "customUI/customUI14.xml"
_MACRO_WORKBOOK = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_PLAIN_WORKBOOK = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
)
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_M = f"{{{NS_MAIN}}}"


@dataclass(frozen=True)
class Settings:
    """Values for the `xlwings.conf` sheet; an empty one is left out."""

    interpreter_win: str = ""
    interpreter_mac: str = ""

    def rows(self) -> list[tuple[str, str]]:
        rows = [
            ("INTERPRETER_WIN", self.interpreter_win),
            ("INTERPRETER_MAC", self.interpreter_mac),
        ]
        return [(key, value) for key, value in rows if value] + [
            ("UDF MODULES", UDF_MODULES)
        ]


def ribbon_xml() -> bytes:
    return resources.files(__package__).joinpath("customUI14.xml").read_bytes()


def attach(
    source: Path, output: Path | None = None, settings: Settings | None = None
) -> Path:
    """Write a macro-enabled copy of `source` with the ribbon and VBA to `output`.

    Without `output` the result goes beside the source as NAME.xlsm; for an
    .xlsm source that is the source itself, updated after a backup copy.
    """
    source = Path(source)
    output = Path(output) if output is not None else source.with_suffix(".xlsm")
    if output.suffix.lower() != ".xlsm":
        raise UsageError(
            f"{output}: the output of attach must end in .xlsm, because it holds macros."
        )
    check_not_open(output)
    with exclusive(output) if output.is_file() else contextlib.nullcontext():
        package = open_package(source)
        merged = attach_package(package, settings or Settings())
        backup = backup_path(source) if output.resolve() == source.resolve() else None
        write_package(merged, package, output, backup)
    return output


def attach_package(package: Package, settings: Settings) -> MergeResult:
    """Return the parts of `package` with the ribbon, VBA and settings sheet added."""
    parts = dict(package.parts)
    order = list(package.order)
    main = package.main_part()
    _set_macro_content_type(parts)
    if not _has_sheet(package, main, CONF_SHEET):
        _add_settings_sheet(parts, order, main, settings)

    parts = install_project(parts, order, str(package.path))
    order = [name for name in order if name in parts] + sorted(set(parts) - set(order))

    existing = parts.get(RIBBON_PART)
    if existing is not None and b'id="ctimmTab"' not in existing:
        raise UsageError(
            f"{package.path}: the workbook already has a ribbon of its own "
            f"({RIBBON_PART}), which attach would replace. Remove it, or add the "
            "CTI-MM buttons to it by hand."
        )
    parts[RIBBON_PART] = ribbon_xml()
    if RIBBON_PART not in order:
        order.append(RIBBON_PART)
    _link_ribbon(parts)
    changed = {name for name in parts if package.parts.get(name) != parts[name]}
    return MergeResult(parts, order, changed)


def _set_macro_content_type(parts: dict[str, bytes]) -> None:
    types = parts["[Content_Types].xml"]
    if _MACRO_WORKBOOK.encode() in types:
        return
    if _PLAIN_WORKBOOK.encode() not in types:
        raise UsageError(
            "the workbook part has an unexpected content type (a template or add-in?); "
            "save it as an ordinary .xlsx workbook first."
        )
    parts["[Content_Types].xml"] = types.replace(
        _PLAIN_WORKBOOK.encode(), _MACRO_WORKBOOK.encode()
    )


def _has_sheet(package: Package, main: str, name: str) -> bool:
    root = package.xml(main)
    return any(sheet.get("name") == name for sheet in root.iter(_M + "sheet"))


def _add_settings_sheet(
    parts: dict[str, bytes], order: list[str], main: str, settings: Settings
) -> None:
    part = first_free("xl/worksheets/sheet{}.xml", parts)
    rows = []
    for index, (key, value) in enumerate(settings.rows(), start=1):
        rows.append(
            f'<row r="{index}"><c r="A{index}" t="inlineStr"><is><t>{escape(key)}</t></is></c>'
            f'<c r="B{index}" t="inlineStr"><is><t>{escape(value)}</t></is></c></row>'
        )
    parts[part] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{NS_MAIN}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    ).encode()
    order.append(part)

    rels_name = rels_part_name(main)
    rels = etree.fromstring(parts[rels_name])
    rel_id = first_free("rId{}", {rel.get("Id") for rel in rels})
    relation = etree.SubElement(rels, f"{{{NS_PKG_REL}}}Relationship")
    relation.set("Id", rel_id)
    relation.set("Type", REL_WORKSHEET)
    relation.set("Target", posixpath.relpath(part, posixpath.dirname(main)))
    parts[rels_name] = serialize(rels)

    book = etree.fromstring(parts[main])
    sheets = book.find(_M + "sheets")
    ids = [int(s.get("sheetId", "0")) for s in sheets if s.get("sheetId", "").isdigit()]
    sheet = etree.SubElement(sheets, _M + "sheet")
    sheet.set("name", CONF_SHEET)
    sheet.set("sheetId", str(max(ids, default=0) + 1))
    sheet.set("state", "hidden")
    sheet.set(f"{{{NS_REL}}}id", rel_id)
    parts[main] = serialize(book)

    types = etree.fromstring(parts["[Content_Types].xml"])
    override = etree.SubElement(types, f"{{{NS_CT}}}Override")
    override.set("PartName", "/" + part)
    override.set("ContentType", _CT_SHEET)
    parts["[Content_Types].xml"] = serialize(types)


def _link_ribbon(parts: dict[str, bytes]) -> None:
    rels = etree.fromstring(parts["_rels/.rels"])
    for rel in rels:
        if rel.get("Type") == REL_RIBBON:
            rel.set("Target", RIBBON_PART)
            break
    else:
        relation = etree.SubElement(rels, f"{{{NS_PKG_REL}}}Relationship")
        relation.set("Id", first_free("rIdCtimm{}", {rel.get("Id") for rel in rels}))
        relation.set("Type", REL_RIBBON)
        relation.set("Target", RIBBON_PART)
    new = serialize(rels)
    if etree.tostring(
        etree.fromstring(parts["_rels/.rels"]), method="c14n"
    ) != etree.tostring(rels, method="c14n"):
        parts["_rels/.rels"] = new
