"""Generated sheet parts compared, part by part, with the files in tests/golden/.

The bundled workbook is scored at a fixed time by a fixed user. Each
generated sheet's parts (the sheet, its tables, its drawing and charts) are
compared with the stored copies once the volatile content is removed: the
time of scoring and the user's name. Shared-string indexes are replaced by
the strings themselves. To accept a deliberate change, run
`CTIMM_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py` and review the
diff of tests/golden/.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from ctimm_xl.app import score_workbook
from ctimm_xl.render import history
from ctimm_xl.render.previous import GENERATED
from ctimm_xl.xlsx.cells import read_shared_strings
from ctimm_xl.xlsx.package import Package, open_package
from ctimm_xl.xlsx.workbook import WorkbookParts

GOLDEN = Path(__file__).parent / "golden" / "bundled"
NOW = datetime(2026, 6, 1, 9, 30)
M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_TYPES = {"table", "drawing", "chart"}


def sheet_parts(package: Package, sheet: str) -> dict[str, str]:
    """Map stable names (`Dashboard.chart2.xml`) to the part names of a sheet's tree."""
    entry = next(e for e in WorkbookParts(package).sheets if e.name == sheet)
    found = {f"{sheet}.sheet.xml": entry.part}
    counts: dict[str, int] = {}
    pending = [entry.part]
    while pending:
        part = pending.pop(0)
        for rel in sorted(package.rels(part), key=lambda r: r.id):
            kind = rel.type.rsplit("/", 1)[-1]
            if rel.external or kind not in REL_TYPES:
                continue
            counts[kind] = counts.get(kind, 0) + 1
            found[f"{sheet}.{kind}{counts[kind]}.xml"] = rel.target
            pending.append(rel.target)
    return found


def normalised(package: Package, part: str, strings: list[str], sheet: str) -> bytes:
    root = package.xml(part)
    if root.tag == M + "worksheet":
        _inline_strings(root, strings)
        _drop_volatile(root, sheet)
    # Canonical form first, so namespace prefixes and attribute order do not
    # matter, then one element per line, so a change shows as a readable diff.
    canonical = etree.fromstring(etree.tostring(root, method="c14n"))
    for element in canonical.iter():
        if element.text is not None and not element.text.strip() and len(element):
            element.text = None
        if element.tail is not None and not element.tail.strip():
            element.tail = None
    return etree.tostring(canonical, pretty_print=True).rstrip(b"\n")


def _inline_strings(root: etree._Element, strings: list[str]) -> None:
    for cell in root.iter(M + "c"):
        if cell.get("t") != "s":
            continue
        value = cell.find(M + "v")
        cell.set("t", "golden-string")
        value.text = strings[int(value.text)]


def _drop_volatile(root: etree._Element, sheet: str) -> None:
    volatile = set()
    if sheet == "Dashboard":
        volatile.add("B2")  # Scored at
    if sheet == "History":
        for cell in root.iter(M + "c"):
            reference = cell.get("r", "")
            row = int("".join(ch for ch in reference if ch.isdigit()))
            # Scored at and Scored by of every run.
            if row > history.HEADER_ROW and reference[0] in "AB":
                volatile.add(reference)
    for cell in root.iter(M + "c"):
        if cell.get("r") in volatile:
            for child in list(cell):
                cell.remove(child)


@pytest.fixture
def scored(bundled, tmp_path, monkeypatch) -> Package:
    monkeypatch.setattr(history, "current_user", lambda: "tester")
    out = tmp_path / "scored.xlsm"
    score_workbook(bundled, out, now=NOW)
    return open_package(out)


def generated_parts(package: Package) -> dict[str, bytes]:
    parts = WorkbookParts(package)
    strings = read_shared_strings(
        package.parts["xl/sharedStrings.xml"], package.path, "xl/sharedStrings.xml"
    )
    assert parts.shared_strings == strings
    found = {}
    for sheet in GENERATED:
        for name, part in sheet_parts(package, sheet).items():
            found[name] = normalised(package, part, strings, sheet)
    return found


def test_generated_parts_match_golden_files(scored):
    found = generated_parts(scored)
    if os.environ.get("CTIMM_UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for old in GOLDEN.glob("*.xml"):
            old.unlink()
        for name, data in found.items():
            (GOLDEN / name).write_bytes(data + b"\n")
    stored = {
        path.name: path.read_bytes().rstrip(b"\n") for path in GOLDEN.glob("*.xml")
    }
    assert sorted(found) == sorted(stored)
    for name in sorted(found):
        assert found[name] == stored[name], f"{name} differs from tests/golden/bundled"


def test_golden_parts_name_every_kind(scored):
    names = set(generated_parts(scored))
    assert {
        "Dashboard.sheet.xml",
        "Dashboard.table1.xml",
        "Dashboard.drawing1.xml",
        "Dashboard.chart4.xml",
        "Checks.table1.xml",
        "Roadmap.table1.xml",
        "History.table1.xml",
        "History.chart1.xml",
    } <= names
