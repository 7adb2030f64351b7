"""The workbook part: its sheets in tab order and the marks ctimm leaves on them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from ..errors import WorkbookError
from .cells import SheetCells, read_shared_strings
from .package import (
    NS_MAIN,
    NS_REL,
    REL_SHARED_STRINGS,
    REL_WORKSHEET,
    Package,
)

# A hidden workbook-level defined name marks each sheet that ctimm generated,
# for example `ctimm_xl.Dashboard` referring to `'Dashboard'!$A$1`. A sheet of
# that name without the mark is the user's and is never overwritten.
MARK_PREFIX = "ctimm_xl."


@dataclass(frozen=True)
class SheetEntry:
    name: str
    sheet_id: str
    rel_id: str
    part: str | None
    state: str


class WorkbookParts:
    """Read-only view of a package's workbook part and its worksheets."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.main = package.main_part()
        self.root = package.xml(self.main)

    @cached_property
    def rels(self):
        return self.package.rels(self.main)

    @cached_property
    def sheets(self) -> list[SheetEntry]:
        targets = {rel.id: rel for rel in self.rels}
        entries = []
        for sheet in self.root.iter(f"{{{NS_MAIN}}}sheet"):
            rel_id = sheet.get(f"{{{NS_REL}}}id", "")
            rel = targets.get(rel_id)
            part = None
            if rel is not None and rel.type == REL_WORKSHEET:
                if rel.target not in self.package.parts:
                    raise WorkbookError(
                        f"{self.package.path}: sheet {sheet.get('name', '')!r} points "
                        f"to part {rel.target}, which is missing; the file is damaged. "
                        "Open it in Excel, let Excel repair it and save a copy."
                    )
                part = rel.target
            entries.append(
                SheetEntry(
                    sheet.get("name", ""),
                    sheet.get("sheetId", ""),
                    rel_id,
                    part,
                    sheet.get("state", "visible"),
                )
            )
        return entries

    @cached_property
    def marked_sheets(self) -> set[str]:
        """Names of the sheets that carry ctimm's generated-sheet mark."""
        marked = set()
        for name in self.root.iter(f"{{{NS_MAIN}}}definedName"):
            label = name.get("name", "")
            if not label.startswith(MARK_PREFIX):
                continue
            sheet = label[len(MARK_PREFIX) :]
            if _refers_to_sheet(name.text or "", sheet):
                marked.add(sheet)
        return marked

    @cached_property
    def shared_strings(self) -> list[str]:
        for rel in self.rels:
            if rel.type == REL_SHARED_STRINGS and rel.target in self.package.parts:
                data = self.package.parts[rel.target]
                return read_shared_strings(data, self.package.path, rel.target)
        return []

    def cells(self, entry: SheetEntry) -> SheetCells:
        assert entry.part is not None
        data = self.package.parts[entry.part]
        return SheetCells(
            data, self.shared_strings, self.package.path, entry.part, entry.name
        )


def user_sheet_in_the_way(
    names: Iterable[str], existing: Iterable[str], marked: set[str]
) -> str | None:
    """Return a user's sheet that has one of `names`, or None.

    Excel compares sheet names without regard to case, so `DASHBOARD` blocks
    `Dashboard`. Sheets that carry ctimm's mark are not in the way.
    """
    by_folded = {name.casefold(): name for name in existing}
    for wanted in names:
        found = by_folded.get(wanted.casefold())
        if found is not None and found not in marked:
            return found
    return None


def _refers_to_sheet(formula: str, sheet: str) -> bool:
    head = formula.split("!", 1)[0].strip()
    if head.startswith("'") and head.endswith("'"):
        head = head[1:-1].replace("''", "'")
    return head == sheet
