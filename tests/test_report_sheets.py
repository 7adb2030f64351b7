"""History rows, roadmap estimates and totals, and the parts behind the charts."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from helpers import fill, make_control, parts
from lxml import etree

from ctimm_xl.app import score_workbook
from ctimm_xl.model import RoadmapStep
from ctimm_xl.render import history
from ctimm_xl.render.history import HEADER_ROW, HISTORY_COLUMNS
from ctimm_xl.render.roadmap_sheet import (
    ROADMAP_COLUMNS,
    TOTALS_COLUMNS,
    TOTALS_FIRST_COLUMN,
    order_by_priority,
    priority,
)
from ctimm_xl.xlsx.package import open_package
from ctimm_xl.xlsx.workbook import WorkbookParts

NOW = datetime(2026, 6, 1, 9, 30)
LATER = datetime(2026, 7, 1, 10, 0)
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"


@pytest.fixture(autouse=True)
def fixed_user(monkeypatch):
    monkeypatch.setattr(history, "current_user", lambda: "tester")


def history_table(path: Path) -> tuple[list[str], list[tuple]]:
    sheet = openpyxl.load_workbook(path)["History"]
    rows = list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))
    header = [value for value in rows[0] if value is not None]
    body = [row[: len(header)] for row in rows[1:] if any(v is not None for v in row)]
    return header, body


def column(name: str) -> int:
    return ROADMAP_COLUMNS.index(name) + 1


# --- History ----------------------------------------------------------------------


def test_history_appends_one_row_per_run(bundled, tmp_path):
    first = tmp_path / "first.xlsm"
    outcome = score_workbook(bundled, first, now=NOW)
    header, rows = history_table(first)
    assert header == HISTORY_COLUMNS
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Scored at"] == NOW
    assert row["Scored by"] == "tester"
    assert row["Overall score"] == pytest.approx(outcome.result.rollups[-1].score)
    assert row["Violations"] == len(outcome.result.violations)
    assert row["A1 level"] == outcome.result.areas[0].level

    filled = fill(first, {"1.A.1.b": "Yes"}, tmp_path / "filled.xlsx")
    second = tmp_path / "second.xlsx"
    later = score_workbook(filled, second, now=LATER).result
    _, rows = history_table(second)
    assert len(rows) == 2
    assert rows[0] == tuple(history_table(first)[1][0])
    assert dict(zip(header, rows[1], strict=True))["A1 level"] == later.areas[0].level


def test_history_keeps_user_columns_and_edits(bundled, tmp_path):
    first = tmp_path / "first.xlsm"
    score_workbook(bundled, first, now=NOW)
    book = openpyxl.load_workbook(first, keep_vba=True)
    sheet = book["History"]
    extra = len(HISTORY_COLUMNS) + 1
    sheet.cell(row=HEADER_ROW, column=extra, value="Reviewer note")
    sheet.cell(row=HEADER_ROW + 1, column=extra, value="baseline before the audit")
    sheet.cell(row=HEADER_ROW + 1, column=2, value="Dana")
    edited = tmp_path / "edited.xlsm"
    book.save(edited)

    out = tmp_path / "out.xlsm"
    score_workbook(edited, out, now=LATER)
    header, rows = history_table(out)
    assert header == [*HISTORY_COLUMNS, "Reviewer note"]
    assert rows[0][1] == "Dana"
    assert rows[0][-1] == "baseline before the audit"
    assert rows[1][0] == LATER
    assert rows[1][-1] is None


def test_history_records_last_saved_by(seed, tmp_path):
    out = tmp_path / "out.xlsx"
    score_workbook(seed, out, now=NOW)
    header, rows = history_table(out)
    # The original workbook's core properties name who saved it last.
    assert dict(zip(header, rows[0], strict=True))["Last saved by"] == "Sławek Kiraga"


def test_history_not_written_by_roadmap_job(bundled, tmp_path):
    first = tmp_path / "first.xlsm"
    score_workbook(bundled, first, now=NOW)
    again = tmp_path / "again.xlsm"
    score_workbook(first, again, now=LATER, sheets=("Roadmap",))
    assert history_table(again)[1] == history_table(first)[1]


# --- Roadmap estimates and totals ------------------------------------------------------


def roadmap_rows(path: Path, data_only: bool = True) -> dict[str, dict]:
    sheet = openpyxl.load_workbook(path, data_only=data_only)["Roadmap"]
    found = {}
    for row in range(2, sheet.max_row + 1):
        control = sheet.cell(row=row, column=column("Control")).value
        if control:
            found[control] = {
                name: sheet.cell(row=row, column=column(name)).value
                for name in ROADMAP_COLUMNS
            }
    return found


def with_estimates(path: Path, estimates: dict[str, tuple], out: Path) -> Path:
    book = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
    sheet = book["Roadmap"]
    for row in range(2, sheet.max_row + 1):
        control = sheet.cell(row=row, column=column("Control")).value
        if control in estimates:
            impact, effort = estimates[control]
            sheet.cell(row=row, column=column("Impact"), value=impact)
            sheet.cell(row=row, column=column("Effort"), value=effort)
    book.save(out)
    return out


def test_priority_values():
    assert priority(3, 1) == 6
    assert priority(1, 3) == 2
    assert priority(2, 2) == 4
    assert priority(None, 2) is None
    assert priority(3, None) is None


def test_estimates_order_steps_and_survive(bundled, tmp_path):
    first = tmp_path / "first.xlsm"
    planned = score_workbook(bundled, first, now=NOW).result.roadmap
    level_one = [str(s.control.id) for s in planned if s.unlocks_level == 1]
    last, low = level_one[-1], level_one[0]
    estimates = {last: (3, 1), low: (1, 3), level_one[1]: ("high", 2)}
    edited = with_estimates(first, estimates, tmp_path / "edited.xlsm")

    out = tmp_path / "out.xlsm"
    result = score_workbook(edited, out, now=LATER).result
    rows = roadmap_rows(out)
    order = sorted(rows, key=lambda c: rows[c]["Step"])
    # The highest priority leads level 1; the lowest comes after every
    # unestimated step of its level, which count as priority 4.
    assert order[0] == last
    level_one_order = [c for c in order if rows[c]["Unlocks level"] == 1]
    assert level_one_order[-1] == low
    assert rows[last]["Priority"] == 6
    assert rows[low]["Priority"] == 2
    assert rows[level_one[1]]["Priority"] in (None, "")
    assert [rows[c]["Step"] for c in order] == list(range(1, len(order) + 1))
    # What the user typed stays, the invalid estimate too, and is reported.
    assert (rows[last]["Impact"], rows[last]["Effort"]) == (3, 1)
    assert rows[level_one[1]]["Impact"] == "high"
    problems = [p for p in result.problems if p.kind == "invalid-estimate"]
    assert [p.control for p in problems] == [level_one[1]]
    formulas = roadmap_rows(out, data_only=False)
    assert str(formulas[last]["Priority"]).startswith("=IF(AND(ISNUMBER(")


def test_estimates_never_break_prerequisites():
    first = make_control("1.A.1.a", "No")
    second = make_control("1.A.1.b", "No", links=())
    third = make_control("1.B.1.a", "No")
    first.links.append(third.id)  # 1.A.1.a comes before 1.B.1.a
    steps = [
        RoadmapStep(1, first, 1, ""),
        RoadmapStep(2, second, 1, ""),
        RoadmapStep(3, third, 1, ""),
    ]
    ordered = order_by_priority(steps, {"1.B.1.a": {"Impact": 3, "Effort": 1}})
    names = [str(s.control.id) for s in ordered]
    assert names.index("1.A.1.a") < names.index("1.B.1.a")
    assert names == ["1.A.1.a", "1.B.1.a", "1.A.1.b"]
    assert [s.step for s in ordered] == [1, 2, 3]
    assert order_by_priority(steps, {}) == steps


def test_totals_per_roadmap_level(bundled, tmp_path):
    first = tmp_path / "first.xlsm"
    planned = score_workbook(bundled, first, now=NOW).result.roadmap
    ids = [str(s.control.id) for s in planned if s.unlocks_level == 1][:3]
    edited = with_estimates(
        first,
        dict(zip(ids, [(2, 1), (2, 3), (3, 2)], strict=True)),
        tmp_path / "e.xlsm",
    )
    out = tmp_path / "out.xlsm"
    result = score_workbook(edited, out, now=LATER).result
    sheet = openpyxl.load_workbook(out, data_only=True)["Roadmap"]
    header = [
        sheet.cell(row=1, column=TOTALS_FIRST_COLUMN + i).value
        for i in range(len(TOTALS_COLUMNS))
    ]
    assert header == TOTALS_COLUMNS
    totals = {
        sheet.cell(row=row, column=TOTALS_FIRST_COLUMN).value: [
            sheet.cell(row=row, column=TOTALS_FIRST_COLUMN + i).value
            for i in range(1, len(TOTALS_COLUMNS))
        ]
        for row in range(2, 8)
    }
    for level in range(1, 6):
        steps = [s for s in result.roadmap if s.unlocks_level == level]
        assert totals[level][0] == len(steps), level
        process = sum(
            bool(s.control.process) and s.control.process.lower() != "n/a"
            for s in steps
        )
        assert totals[level][1] == process, level
    assert totals[1][4:] == [3, 6]
    assert totals["All"][0] == len(result.roadmap)
    assert totals["All"][5] == 6


# --- Parts behind the charts --------------------------------------------------------


def content_types(data: bytes) -> dict[str, str]:
    root = etree.fromstring(data)
    return {o.get("PartName"): o.get("ContentType") for o in root.iter(CT + "Override")}


def test_chart_parts_copied_with_types_and_rels(seed, tmp_path):
    before = parts(seed)
    out = tmp_path / "out.xlsx"
    score_workbook(seed, out, now=NOW)
    after = parts(out)
    package = open_package(out)
    entries = {e.name: e for e in WorkbookParts(package).sheets}
    types = content_types(after["[Content_Types].xml"])

    drawing = next(
        r.target
        for r in package.rels(entries["Dashboard"].part)
        if r.type.endswith("/drawing")
    )
    # The Dashboard's drawing gets a name of its own beside the user's drawings.
    assert drawing not in before
    assert (
        types["/" + drawing]
        == "application/vnd.openxmlformats-officedocument.drawing+xml"
    )
    charts = [r.target for r in package.rels(drawing) if r.type.endswith("/chart")]
    assert len(charts) == 4
    for chart in charts:
        assert chart in after
        assert chart not in before
        assert types["/" + chart].endswith("drawingml.chart+xml")
        assert b"'Dashboard'!" in after[chart] or b"Dashboard!" in after[chart]
    # The drawing's r:id attributes still match its relationships.
    ids = set(etree.fromstring(after[drawing]).xpath("//@r:id", namespaces=NS))
    assert ids == {r.id for r in package.rels(drawing)}


NS = {"r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}


def test_rerun_replaces_chart_parts(seed, tmp_path):
    score_workbook(seed, now=NOW)
    first = set(parts(seed))
    score_workbook(seed, now=LATER)
    second = parts(seed)
    assert set(second) == first
    charts = [n for n in second if n.startswith("xl/charts/")]
    assert len(charts) == 5  # four on the Dashboard, one on History
    types = content_types(second["[Content_Types].xml"])
    for name in second:
        if name.startswith(("xl/charts/", "xl/drawings/drawing", "xl/tables/")):
            assert "/" + name in types, name
    # Nothing is left that no relationship points to.
    package = open_package(seed)
    targets = {
        rel.target
        for name in second
        if name.endswith(".rels")
        for rel in package.rels(_source(name))
        if not rel.external
    }
    for name in charts:
        assert name in targets


def _source(rels_name: str) -> str:
    folder, name = (
        rels_name.rsplit("/_rels/", 1) if "/_rels/" in rels_name else ("", rels_name)
    )
    return (folder + "/" if folder else "") + name.removesuffix(".rels")


def test_shared_image_survives_regeneration(bundled, tmp_path):
    """A part that a user's sheet also points to is not removed with a report sheet."""
    first = tmp_path / "first.xlsm"
    score_workbook(bundled, first, now=NOW)
    source = parts(first)
    package = open_package(first)
    entries = {e.name: e for e in WorkbookParts(package).sheets}
    chart = next(
        r.target
        for r in package.rels(
            next(
                r.target
                for r in package.rels(entries["Dashboard"].part)
                if r.type.endswith("/drawing")
            )
        )
    )
    # Let a control sheet point at one of the Dashboard's charts as well.
    level_one = entries["Level 1"].part
    rels_name = level_one.replace("worksheets/", "worksheets/_rels/") + ".rels"
    source[rels_name] = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships"><Relationship Id="rIdShared" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/chart" Target="../'
        + chart.removeprefix("xl/").encode()
        + b'"/></Relationships>'
    )
    shared = tmp_path / "shared.xlsm"
    with zipfile.ZipFile(shared, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in source.items():
            archive.writestr(name, data)
    out = tmp_path / "out.xlsm"
    score_workbook(shared, out, now=LATER)
    assert parts(out)[chart] == source[chart]
