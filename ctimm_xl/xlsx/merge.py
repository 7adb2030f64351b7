"""Merge report sheets into the user's package without touching anything else.

The user's parts are copied as they are. Only these change: the workbook part,
its relationships, `[Content_Types].xml`, the styles and shared-strings parts,
and, where flags are added or removed, the control sheets' own parts. The
report sheets come from a scratch workbook that openpyxl wrote; their style
and string indexes are renumbered into the user's styles and strings. Every
part a scratch sheet reaches through relationships (tables, drawings, charts
and whatever those charts point to) is copied under a fresh name.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from lxml import etree

from ..errors import OutputError
from .flags import flag_dxf, has_flag, set_flags
from .package import (
    NS_CT,
    NS_MAIN,
    NS_PKG_REL,
    NS_REL,
    REL_SHARED_STRINGS,
    REL_STYLES,
    REL_WORKSHEET,
    Package,
    Relationship,
    first_free,
    parse_xml,
    rels_part_name,
)
from .strings import EMPTY_SST, SharedStrings
from .styles import StyleMerger
from .workbook import MARK_PREFIX, WorkbookParts, user_sheet_in_the_way

_M = f"{{{NS_MAIN}}}"
_R_ID = f"{{{NS_REL}}}id"
_CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_SST = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
_CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
_REL_TABLE = NS_REL + "/table"
# Relationships that lead out of a sheet's own tree: removing a generated
# sheet never follows them.
_NEVER_FOLLOWED = {REL_WORKSHEET, REL_STYLES, REL_SHARED_STRINGS}
_SST_REFERENCE = re.compile(rb"<c\b[^>]*\bt=(?:\"s\"|'s')")

# Sheet-scoped defined names that carry a report sheet's print settings.
_SHEET_PRINT_NAMES = {"_xlnm.Print_Area", "_xlnm.Print_Titles"}
# Child order of <workbook> (CT_Workbook) after <sheets>, for placing definedNames.
_BEFORE_DEFINED_NAMES = ("sheets", "functionGroups", "externalReferences")


@dataclass
class MergeResult:
    parts: dict[str, bytes]
    order: list[str]
    changed: set[str] = field(default_factory=set)


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class PackageEditor:
    """Edits a copy of a package's parts; `finish()` returns the new parts."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.parts = dict(package.parts)
        self.order = list(package.order)
        self.changed: set[str] = set()
        self.workbook = WorkbookParts(package)
        self.main = self.workbook.main
        self.book = package.xml(self.main)
        self.rels_name = rels_part_name(self.main)
        self.rels = (
            package.xml(self.rels_name)
            if self.rels_name in self.parts
            else etree.Element(
                f"{{{NS_PKG_REL}}}Relationships", nsmap={None: NS_PKG_REL}
            )
        )
        self.types = package.xml("[Content_Types].xml")
        self._styles: etree._Element | None = None
        self._strings: SharedStrings | None = None
        self._styles_name: str | None = None
        self._strings_name: str | None = None
        self._touched_xml: dict[str, etree._Element] = {}
        self._reused: dict[str, etree._Element] = {}

    # --- relationships and content types -------------------------------

    def _rel_elements(self):
        return list(self.rels.iter(f"{{{NS_PKG_REL}}}Relationship"))

    def _rel_target(self, rel) -> str:
        target = rel.get("Target", "")
        if target.startswith("/"):
            return posixpath.normpath(target.lstrip("/"))
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.main), target))

    def _relative(self, part: str) -> str:
        return posixpath.relpath(part, posixpath.dirname(self.main))

    def _new_rel_id(self) -> str:
        return first_free("rId{}", {rel.get("Id") for rel in self._rel_elements()})

    def _set_override(self, part: str, content_type: str | None) -> None:
        name = "/" + part
        for override in self.types.iter(f"{{{NS_CT}}}Override"):
            if override.get("PartName") == name:
                if content_type is None:
                    self.types.remove(override)
                else:
                    override.set("ContentType", content_type)
                return
        if content_type is not None:
            element = etree.SubElement(self.types, f"{{{NS_CT}}}Override")
            element.set("PartName", name)
            element.set("ContentType", content_type)

    def _free_name(self, pattern: str) -> str:
        return first_free(pattern, self.parts)

    # --- styles and strings ----------------------------------------------

    def _styles_root(self, scratch: Package) -> etree._Element:
        if self._styles is None:
            for rel in self._rel_elements():
                if rel.get("Type") == REL_STYLES:
                    self._styles_name = self._rel_target(rel)
            if self._styles_name and self._styles_name in self.parts:
                self._styles = self.package.xml(self._styles_name)
            else:
                # A workbook without a styles part takes the scratch one whole.
                self._styles_name = "xl/styles.xml"
                self._styles = scratch.xml("xl/styles.xml")
                self._add_rel(REL_STYLES, self._styles_name)
                self._set_override(self._styles_name, _CT_STYLES)
                self.changed.add(self._styles_name)
        return self._styles

    def _shared_strings(self) -> SharedStrings:
        if self._strings is None:
            for rel in self._rel_elements():
                if rel.get("Type") == REL_SHARED_STRINGS:
                    self._strings_name = self._rel_target(rel)
            if self._strings_name and self._strings_name in self.parts:
                root = self.package.xml(self._strings_name)
            else:
                self._strings_name = "xl/sharedStrings.xml"
                root = etree.fromstring(EMPTY_SST)
                self._add_rel(REL_SHARED_STRINGS, self._strings_name)
                self._set_override(self._strings_name, _CT_SST)
            self._strings = SharedStrings(root)
        return self._strings

    def _add_rel(self, rel_type: str, part: str, rel_id: str | None = None) -> str:
        rel_id = rel_id or self._new_rel_id()
        element = etree.SubElement(self.rels, f"{{{NS_PKG_REL}}}Relationship")
        element.set("Id", rel_id)
        element.set("Type", rel_type)
        element.set("Target", self._relative(part))
        self.changed.add(self.rels_name)
        return rel_id

    # --- sheets ------------------------------------------------------------

    def sheet_element(self, name: str):
        for sheet in self.book.iter(_M + "sheet"):
            if sheet.get("name") == name:
                return sheet
        return None

    def check_can_write(self, names: tuple[str, ...]) -> None:
        marked = self.workbook.marked_sheets
        existing = [s.get("name", "") for s in self.book.iter(_M + "sheet")]
        name = user_sheet_in_the_way(names, existing, marked)
        if name is not None:
            raise OutputError(
                f"{self.package.path}: the workbook already has a sheet named "
                f"{name!r} that ctimm did not create, and ctimm never overwrites "
                "a user's sheet. Rename or delete that sheet and run again."
            )

    def _remove_part_tree(self, part: str) -> None:
        """Remove a generated sheet part and the parts only it reaches (tables, charts).

        A part that something outside the tree still points to, such as an
        image that Excel shares between two drawings, is kept.
        """
        tree = self._part_tree(part)
        outside_targets: set[str] = set()
        for name in self.parts:
            if not name.endswith(".rels"):
                continue
            source = _source_of_rels(name)
            if source in tree or source not in self.parts:
                continue
            outside_targets.update(
                rel.target for rel in self.package.rels(source) if not rel.external
            )
        for name in tree:
            if name != part and name in outside_targets:
                continue
            for doomed in (name, rels_part_name(name)):
                if doomed in self.parts:
                    del self.parts[doomed]
                    self._set_override(doomed, None)

    def _part_tree(self, part: str) -> list[str]:
        """Return `part` and every part it reaches by internal relationships."""
        found = [part]
        position = 0
        while position < len(found):
            current = found[position]
            position += 1
            if current not in self.package.parts:
                continue
            for rel in self.package.rels(current):
                if (
                    not rel.external
                    and rel.target in self.parts
                    and rel.type not in _NEVER_FOLLOWED
                    and rel.target not in found
                ):
                    found.append(rel.target)
        return found

    def drop_sheets(self, names: tuple[str, ...]) -> None:
        """Remove the parts of earlier generated sheets, keeping their tab and relationship.

        All are removed before any is added, so part names and table IDs come
        out the same on every run.
        """
        for name in names:
            existing = self.sheet_element(name)
            if existing is None or name in self._reused:
                continue
            rel_id = existing.get(_R_ID)
            for candidate in self._rel_elements():
                if candidate.get("Id") == rel_id:
                    self._reused[name] = candidate
                    self._remove_part_tree(self._rel_target(candidate))

    def replace_sheet(self, scratch: Package, scratch_part: str, name: str) -> None:
        """Put the scratch sheet `scratch_part` into the package as sheet `name`."""
        styles = StyleMerger(self._styles_root(scratch), scratch.xml("xl/styles.xml"))
        strings = self._shared_strings()
        rel = self._reused.get(name)
        if rel is None and self.sheet_element(name) is not None:
            self.drop_sheets((name,))
            rel = self._reused.get(name)

        part = self._free_name("xl/worksheets/sheet{}.xml")
        root = scratch.xml(scratch_part)
        self._renumber_cells(root, styles, strings)
        self.parts[part] = serialize(root)
        self._set_override(part, _CT_SHEET)
        self._copy_related(scratch, scratch_part, part, {})
        styles.finish()
        self._touched_xml[self._styles_name or "xl/styles.xml"] = self._styles_root(
            scratch
        )
        if styles.changed:
            self.changed.add(self._styles_name or "xl/styles.xml")

        if rel is not None:
            rel.set("Target", self._relative(part))
            self.changed.add(self.rels_name)
        else:
            rel_id = self._add_rel(REL_WORKSHEET, part)
            sheets = self.book.find(_M + "sheets")
            used = [
                int(s.get("sheetId", "0"))
                for s in sheets
                if s.get("sheetId", "").isdigit()
            ]
            element = etree.SubElement(sheets, _M + "sheet")
            element.set("name", name)
            element.set("sheetId", str(max(used, default=0) + 1))
            element.set(_R_ID, rel_id)
        self._mark(name)
        self._copy_sheet_names(scratch, name)
        self.changed.add(self.main)

    def _renumber_cells(
        self, root, styles: StyleMerger, strings: SharedStrings
    ) -> None:
        for cell in root.iter(_M + "c"):
            if cell.get("s") is not None:
                cell.set("s", str(styles.xf(int(cell.get("s")))))
            if cell.get("t") == "inlineStr":
                inline = cell.find(_M + "is")
                text = (
                    "".join(t.text or "" for t in inline.iter(_M + "t"))
                    if inline is not None
                    else ""
                )
                if inline is not None:
                    cell.remove(inline)
                cell.set("t", "s")
                value = etree.SubElement(cell, _M + "v")
                value.text = str(strings.index(text))
        for row in root.iter(_M + "row"):
            if row.get("s") is not None:
                row.set("s", str(styles.xf(int(row.get("s")))))
        for column in root.iter(_M + "col"):
            if column.get("style") is not None:
                column.set("style", str(styles.xf(int(column.get("style")))))
        for rule in root.iter(_M + "cfRule"):
            if rule.get("dxfId") is not None:
                rule.set("dxfId", str(styles.dxf(int(rule.get("dxfId")))))

    def _copy_related(
        self, scratch: Package, scratch_part: str, part: str, copied: dict[str, str]
    ) -> None:
        """Copy the parts that `scratch_part` points to and write `part`'s relationships.

        Relationship IDs are kept, so the r:id attributes inside the copied
        XML stay valid; only the targets change. `copied` maps scratch part
        names to the names already given to them in the package.
        """
        rels = scratch.rels(scratch_part)
        if not rels:
            return
        out = etree.Element(f"{{{NS_PKG_REL}}}Relationships", nsmap={None: NS_PKG_REL})
        for rel in rels:
            element = etree.SubElement(out, f"{{{NS_PKG_REL}}}Relationship")
            element.set("Id", rel.id)
            element.set("Type", rel.type)
            if rel.external:
                element.set("Target", rel.target)
                element.set("TargetMode", "External")
                continue
            target = copied.get(rel.target)
            if target is None:
                target = self._copy_part(scratch, rel, copied)
            element.set("Target", posixpath.relpath(target, posixpath.dirname(part)))
        self.parts[rels_part_name(part)] = serialize(out)

    def _copy_part(
        self, scratch: Package, rel: Relationship, copied: dict[str, str]
    ) -> str:
        source = rel.target
        target = self._free_name(_numbered_pattern(source))
        copied[source] = target
        if rel.type == _REL_TABLE:
            table = scratch.xml(source)
            table.set("id", str(self._free_table_id()))
            name = self._free_table_name(table.get("displayName", "Table"))
            table.set("name", name)
            table.set("displayName", name)
            self.parts[target] = serialize(table)
        else:
            self.parts[target] = scratch.parts[source]
        self._set_override(target, _content_type(scratch, source))
        self._copy_related(scratch, source, target, copied)
        return target

    def _tables(self):
        for name, data in self.parts.items():
            if name.startswith("xl/tables/") and name.endswith(".xml"):
                yield parse_xml(data, self.package.path, name)

    def _free_table_id(self) -> int:
        return max((int(t.get("id", "0")) for t in self._tables()), default=0) + 1

    def _free_table_name(self, wanted: str) -> str:
        used = {t.get("displayName", "").lower() for t in self._tables()}
        used |= {t.get("name", "").lower() for t in self._tables()}
        name, number = wanted, 2
        while name.lower() in used:
            name = f"{wanted}_{number}"
            number += 1
        return name

    def _copy_sheet_names(self, scratch: Package, name: str) -> None:
        """Give sheet `name` the print settings that the scratch sheet of that name has.

        Print areas and print titles are defined names scoped to a sheet by its
        position (`localSheetId`), so they are renumbered to the sheet's
        position in the user's workbook. Earlier ones of the sheet are replaced.
        """
        position = next(
            index
            for index, sheet in enumerate(self.book.iter(_M + "sheet"))
            if sheet.get("name") == name
        )
        scratch_book = scratch.xml(WorkbookParts(scratch).main)
        scratch_position = next(
            (
                index
                for index, sheet in enumerate(scratch_book.iter(_M + "sheet"))
                if sheet.get("name") == name
            ),
            None,
        )
        wanted = [
            defined
            for defined in scratch_book.iter(_M + "definedName")
            if defined.get("localSheetId") == str(scratch_position)
            and defined.get("name") in _SHEET_PRINT_NAMES
        ]
        names = self.book.find(_M + "definedNames")
        if names is not None:
            for existing in names.findall(_M + "definedName"):
                if (
                    existing.get("localSheetId") == str(position)
                    and existing.get("name") in _SHEET_PRINT_NAMES
                ):
                    names.remove(existing)
        # Right after the sheet's mark, so reruns keep the names in one order.
        anchor = self._mark_element(name)
        for defined in wanted:
            element = etree.Element(_M + "definedName")
            element.set("name", defined.get("name", ""))
            element.set("localSheetId", str(position))
            element.text = defined.text
            anchor.addnext(element)
            anchor = element

    def _defined_names(self) -> etree._Element:
        names = self.book.find(_M + "definedNames")
        if names is None:
            names = etree.Element(_M + "definedNames")
            anchor = None
            for tag in _BEFORE_DEFINED_NAMES:
                found = self.book.find(_M + tag)
                if found is not None:
                    anchor = found
            anchor.addnext(names)
        return names

    def _mark(self, sheet: str) -> None:
        names = self._defined_names()
        label = MARK_PREFIX + sheet
        reference = "'" + sheet.replace("'", "''") + "'!$A$1"
        existing = self._mark_element(sheet)
        if existing is not None:
            existing.text = reference
            return
        element = etree.SubElement(names, _M + "definedName")
        element.set("name", label)
        element.set("hidden", "1")
        element.text = reference

    def _mark_element(self, sheet: str):
        names = self.book.find(_M + "definedNames")
        label = MARK_PREFIX + sheet
        for existing in names.findall(_M + "definedName") if names is not None else []:
            if existing.get("name") == label and existing.get("localSheetId") is None:
                return existing
        return None

    # --- flags ---------------------------------------------------------------

    def set_flags(self, flags: dict[str, list[str]]) -> None:
        """Flag the given cells (A1 references) on each control sheet; clear the rest."""
        dxf_id = None
        for entry in self.workbook.sheets:
            if entry.part is None or entry.name in self.workbook.marked_sheets:
                continue
            cells = flags.get(entry.name, [])
            data = self.parts[entry.part]
            if not cells and not has_flag(data):
                continue
            root = parse_xml(data, self.package.path, entry.part)
            if cells and dxf_id is None:
                styles = self._styles_root_for_flags()
                merger = StyleMerger(styles, styles)
                dxf_id = merger.add_dxf(flag_dxf())
                merger.finish()
                if merger.changed:
                    self.changed.add(self._styles_name or "xl/styles.xml")
            set_flags(root, cells, dxf_id if dxf_id is not None else 0)
            self.parts[entry.part] = serialize(root)
            self.changed.add(entry.part)

    def _styles_root_for_flags(self) -> etree._Element:
        if self._styles is None:
            for rel in self._rel_elements():
                if rel.get("Type") == REL_STYLES:
                    self._styles_name = self._rel_target(rel)
            if not self._styles_name or self._styles_name not in self.parts:
                raise OutputError(
                    f"{self.package.path}: the workbook has no styles part, so "
                    "flags cannot be added. Open and save it in Excel first."
                )
            self._styles = self.package.xml(self._styles_name)
        return self._styles

    # --- result ----------------------------------------------------------------

    def finish(self) -> MergeResult:
        if self._styles is not None and self._styles_name in self.changed:
            self.parts[self._styles_name] = serialize(self._styles)
        if self._strings is not None:
            references = sum(
                len(_SST_REFERENCE.findall(data))
                for name, data in self.parts.items()
                if name.startswith("xl/worksheets/") and name.endswith(".xml")
            )
            before = self._strings.root.get("count")
            self._strings.finish(references)
            if (
                self._strings.added
                or before != self._strings.root.get("count")
                or (self._strings_name not in self.package.parts)
            ):
                self.parts[self._strings_name] = serialize(self._strings.root)
                self.changed.add(self._strings_name)
        if self.main in self.changed:
            self.parts[self.main] = serialize(self.book)
        if self.rels_name in self.changed:
            self.parts[self.rels_name] = serialize(self.rels)
        new_types = serialize(self.types)
        if new_types != self.package.parts["[Content_Types].xml"]:
            self.parts["[Content_Types].xml"] = new_types
        order = [name for name in self.order if name in self.parts]
        order += sorted(name for name in self.parts if name not in set(order))
        return MergeResult(self.parts, order, self.changed)


def _content_type(package: Package, part: str) -> str:
    """Return a scratch part's content type, from its Override or its extension's Default."""
    types = package.xml("[Content_Types].xml")
    for override in types.iter(f"{{{NS_CT}}}Override"):
        if override.get("PartName") == "/" + part:
            return override.get("ContentType", "")
    extension = posixpath.splitext(part)[1].lstrip(".").lower()
    for default in types.iter(f"{{{NS_CT}}}Default"):
        if default.get("Extension", "").lower() == extension:
            return default.get("ContentType", "")
    return "application/octet-stream"


def _numbered_pattern(part: str) -> str:
    """Turn `xl/charts/chart3.xml` into `xl/charts/chart{}.xml` for `_free_name`."""
    folder, name = posixpath.split(part)
    stem, extension = posixpath.splitext(name)
    stem = stem.rstrip("0123456789") or "part"
    return posixpath.join(
        folder, stem.replace("{", "").replace("}", "") + "{}" + extension
    )


def _source_of_rels(rels_name: str) -> str:
    """Return the part that a relationships part such as `xl/_rels/workbook.xml.rels` belongs to."""
    folder, name = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), name.removesuffix(".rels"))
