"""Writing report sheets back: lossless, repeatable, and keeping user edits."""

from __future__ import annotations

import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from helpers import digest, fill, parts, run_cli, score_json
from lxml import etree
from validators import audit_errors, convert

from ctimm_xl.app import score_workbook
from ctimm_xl.render.history import HEADER_ROW as HISTORY_HEADER_ROW
from ctimm_xl.xlsx.flags import MARKER_FORMULA
from ctimm_xl.xlsx.package import open_package
from ctimm_xl.xlsx.workbook import WorkbookParts

NOW = datetime(2026, 6, 1, 9, 30)
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ALLOWED_TO_CHANGE = {
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "xl/sharedStrings.xml",
    "docProps/app.xml",
    "docProps/core.xml",
}


def control_sheet_parts(path: Path) -> set[str]:
    return {n for n in parts(path) if n.startswith("xl/worksheets/sheet")}


def test_original_scored_loses_nothing(seed, tmp_path):
    out = tmp_path / "scored.xlsx"
    before = parts(seed)
    score_workbook(seed, out, now=NOW)
    after = parts(out)

    assert set(before) <= set(after)
    changed = {name for name in before if before[name] != after[name]}
    sheet_parts = {
        n for n in before if n.startswith("xl/worksheets/") and n.endswith(".xml")
    }
    assert changed - ALLOWED_TO_CHANGE <= sheet_parts
    for name in before:
        if name.startswith(
            (
                "xl/ctrlProps/",
                "xl/drawings/",
                "customXml/",
                "xl/printerSettings/",
                "xl/theme/",
                "xl/worksheets/_rels/",
                "docProps/custom",
            )
        ):
            assert after[name] == before[name], name


def test_original_checkboxes_survive_and_stay_linked(seed, tmp_path):
    out = tmp_path / "scored.xlsx"
    score_workbook(seed, out, now=NOW)
    before, after = parts(seed), parts(out)
    ctrl_props = sorted(n for n in after if n.startswith("xl/ctrlProps/"))
    assert len(ctrl_props) == 17
    links = set()
    for name in ctrl_props:
        root = etree.fromstring(after[name])
        assert root.get("objectType") == "CheckBox"
        links.add(root.get("fmlaLink"))
    assert len(links) == 17
    # The sheet's <controls> element, which ties each checkbox to its part, is untouched.
    sheet = "xl/worksheets/sheet6.xml"
    old_controls = next(etree.fromstring(before[sheet]).iter(MAIN + "controls"))
    new_controls = next(etree.fromstring(after[sheet]).iter(MAIN + "controls"))
    assert etree.tostring(new_controls, method="c14n") == etree.tostring(
        old_controls, method="c14n"
    )
    assert len(new_controls.findall(f".//{MAIN}control")) == 17


def test_user_cell_values_unchanged(seed, tmp_path):
    out = tmp_path / "scored.xlsx"
    score_workbook(seed, out, now=NOW)
    old = openpyxl.load_workbook(seed)
    new = openpyxl.load_workbook(out)
    for sheet in old.worksheets:
        old_values = [[c.value for c in row] for row in sheet.iter_rows()]
        new_values = [[c.value for c in row] for row in new[sheet.title].iter_rows()]
        assert new_values == old_values, sheet.title


def sheet_tree(path: Path, name: str) -> set[str]:
    """The part of sheet `name` and every part it reaches (its table, drawing, chart)."""
    package = open_package(path)
    entry = next(e for e in WorkbookParts(package).sheets if e.name == name)
    found = [entry.part]
    for part in found:
        found += [
            rel.target
            for rel in package.rels(part)
            if not rel.external and rel.target not in found
        ]
    return set(found)


def history_rows(path: Path) -> list[tuple]:
    sheet = openpyxl.load_workbook(path)["History"]
    rows = list(sheet.iter_rows(min_row=HISTORY_HEADER_ROW, values_only=True))
    return [row for row in rows[1:] if any(value is not None for value in row)]


def without_history_print_area(parts: dict[str, bytes]) -> dict[str, bytes]:
    """The parts with the History sheet's print area, which grows by a row per run, cut."""
    cut = dict(parts)
    cut["xl/workbook.xml"] = re.sub(
        rb"<definedName name=\"_xlnm.Print_Area\" localSheetId=\"\d+\">"
        rb"'History'![^<]*</definedName>",
        b"",
        parts["xl/workbook.xml"],
    )
    return cut


def test_rerun_changes_nothing_but_history(seed, tmp_path):
    score_workbook(seed, now=NOW)
    first = without_history_print_area(parts(seed))
    names = zipfile.ZipFile(seed).namelist()
    # Each run appends its row to History, which grows the shared-strings count.
    growing = sheet_tree(seed, "History") | {"xl/sharedStrings.xml"}
    for run in range(2):
        score_workbook(seed, now=NOW)
        again = without_history_print_area(parts(seed))
        assert {n for n in first if first[n] != again[n]} <= growing
        assert zipfile.ZipFile(seed).namelist() == names
        assert len(history_rows(seed)) == run + 2


def test_rerun_changes_only_timestamp(bundled, tmp_path):
    score_workbook(bundled, now=NOW)
    one = without_history_print_area(parts(bundled))
    score_workbook(bundled, now=datetime(2027, 1, 2, 3, 4))
    two = without_history_print_area(parts(bundled))
    differing = {n for n in one if one[n] != two[n]}
    dashboard = sheet_tree(bundled, "Dashboard")
    history = sheet_tree(bundled, "History") | {"xl/sharedStrings.xml"}
    assert len(differing & dashboard) == 1
    assert differing - dashboard <= history
    book = openpyxl.load_workbook(bundled)
    assert book["Dashboard"]["B2"].value == datetime(2027, 1, 2, 3, 4)
    rows = history_rows(bundled)
    assert [row[0] for row in rows] == [NOW, datetime(2027, 1, 2, 3, 4)]
    assert rows[0][1:] == rows[1][1:]


def test_generated_sheets_are_marked_and_tables(bundled, tmp_path):
    out = tmp_path / "out.xlsm"
    score_workbook(bundled, out, now=NOW)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[-4:] == ["Dashboard", "Checks", "Roadmap", "History"]
    assert set(book["Checks"].tables) == {"CTIMM_Checks"}
    assert set(book["Roadmap"].tables) == {"CTIMM_Roadmap"}
    assert set(book["History"].tables) == {"CTIMM_History"}
    names = {name for name in book.defined_names}
    marks = {
        f"ctimm_xl.{name}" for name in ("Dashboard", "Checks", "Roadmap", "History")
    }
    assert marks <= names


def test_dashboard_agrees_with_json(seed, tmp_path):
    out = tmp_path / "scored.xlsx"
    outcome = score_workbook(seed, out, now=NOW)
    data = outcome.result.to_json()
    sheet = openpyxl.load_workbook(out, data_only=True)["Dashboard"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows.index(next(r for r in rows if r[0] == "Area"))
    table = {r[0]: r for r in rows[header + 1 : header + 16]}
    for item in data["areas"]:
        row = table[item["area"]]
        assert row[3] == item["level"]
        assert row[4] == pytest.approx(item["score"])
        assert row[6] == item["target"]
    assert sheet["B7"].value == pytest.approx(data["completeness"])


def test_checks_sheet_links_to_cells(seed, tmp_path):
    out = tmp_path / "scored.xlsx"
    outcome = score_workbook(seed, out, now=NOW)
    sheet = openpyxl.load_workbook(out)["Checks"]
    expected = len(outcome.result.violations) + len(outcome.result.problems)
    assert sheet.max_row == expected + 1
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row=row, column=5)
        assert cell.hyperlink is not None
        assert cell.hyperlink.location == cell.value
        assert cell.hyperlink.target is None


def test_flags_mark_violations_and_clear(seed, tmp_path):
    out = tmp_path / "scored.xlsx"
    score_workbook(seed, out, now=NOW)
    root = etree.fromstring(parts(out)["xl/worksheets/sheet6.xml"])
    flagged = [
        cf.get("sqref")
        for cf in root.iter(MAIN + "conditionalFormatting")
        if MARKER_FORMULA in [f.text for f in cf.iter(MAIN + "formula")]
    ]
    assert len(flagged) == 1
    assert "F52" in flagged[0].split()  # 2.C.1.d, marked Yes above open 1.C.1.b
    # Answer everything Yes: the skipped prerequisites are gone, and so are their flags.
    book = openpyxl.load_workbook(out)
    sheet = book["All Levels"]
    for row in range(24, 236):
        if sheet.cell(row=row, column=4).value:
            sheet.cell(row=row, column=6, value="Yes")
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    again = tmp_path / "again.xlsx"
    outcome = score_workbook(edited, again, now=NOW)
    assert not [
        v for v in outcome.result.violations if v.kind == "skipped-prerequisite"
    ]
    root = etree.fromstring(parts(again)["xl/worksheets/sheet6.xml"])
    flagged = [
        cf.get("sqref")
        for cf in root.iter(MAIN + "conditionalFormatting")
        if MARKER_FORMULA in [f.text for f in cf.iter(MAIN + "formula")]
    ]
    assert len(flagged) <= 1
    assert all("F52" not in sqref.split() for sqref in flagged)


def test_unflagged_sheets_stay_byte_identical(bundled, tmp_path):
    out = tmp_path / "out.xlsm"
    before = parts(bundled)
    score_workbook(bundled, out, now=NOW)
    after = parts(out)
    for name in before:
        if name.startswith("xl/worksheets/"):
            assert after[name] == before[name], name


def test_user_sheet_named_dashboard_is_never_overwritten(bundled, tmp_path):
    book = openpyxl.load_workbook(bundled)
    book.create_sheet("Dashboard")["A1"] = "my own dashboard"
    mine = tmp_path / "mine.xlsx"
    book.save(mine)
    before = digest(mine)
    out = tmp_path / "out.xlsx"
    code, _, stderr = run_cli("score", mine, "-o", out)
    assert code != 0
    assert "'Dashboard'" in stderr
    assert "Rename" in stderr
    assert digest(mine) == before
    assert not out.exists()


def test_targets_and_roadmap_edits_survive(bundled, tmp_path):
    first = tmp_path / "first.xlsx"
    filled = fill(bundled, {"1.A.1.b": "Yes"}, tmp_path / "filled.xlsx")
    score_workbook(filled, first, now=NOW)

    book = openpyxl.load_workbook(first)
    dashboard = book["Dashboard"]
    target_row = next(
        r
        for r in range(1, dashboard.max_row + 1)
        if dashboard.cell(row=r, column=1).value == "B2"
    )
    dashboard.cell(row=target_row, column=6, value=3)
    bad_row = next(
        r
        for r in range(1, dashboard.max_row + 1)
        if dashboard.cell(row=r, column=1).value == "C3"
    )
    dashboard.cell(row=bad_row, column=6, value="soon")
    roadmap = book["Roadmap"]
    owner_row = next(
        r
        for r in range(2, roadmap.max_row + 1)
        if roadmap.cell(row=r, column=4).value == "1.B.2.a"
    )
    roadmap.cell(row=owner_row, column=11, value="Dana")
    roadmap.cell(row=owner_row, column=12, value=datetime(2027, 3, 31))
    roadmap.cell(row=owner_row, column=13, value="in progress")
    roadmap.cell(row=owner_row, column=14, value="=not a formula")
    roadmap.cell(row=owner_row, column=14).data_type = "s"
    edited = tmp_path / "edited.xlsx"
    book.save(edited)

    current = edited
    for run in range(3):
        out = tmp_path / f"run{run}.xlsx"
        outcome = score_workbook(current, out, now=NOW)
        current = out
    data = outcome.result.to_json()
    assert next(a for a in data["areas"] if a["area"] == "B2")["target"] == 3
    assert [p["kind"] for p in data["problems"]] == ["invalid-target"]
    roadmap = openpyxl.load_workbook(current)["Roadmap"]
    row = next(
        r
        for r in range(2, roadmap.max_row + 1)
        if roadmap.cell(row=r, column=4).value == "1.B.2.a"
    )
    assert roadmap.cell(row=row, column=11).value == "Dana"
    assert roadmap.cell(row=row, column=12).value == datetime(2027, 3, 31)
    assert roadmap.cell(row=row, column=13).value == "in progress"
    assert roadmap.cell(row=row, column=14).value == "=not a formula"
    assert roadmap.cell(row=row, column=14).data_type == "s"
    dashboard = openpyxl.load_workbook(current)["Dashboard"]
    values = {
        dashboard.cell(row=r, column=1).value: dashboard.cell(row=r, column=6).value
        for r in range(1, dashboard.max_row + 1)
    }
    assert values["B2"] == 3

    # --target wins for the run and leaves the stored target alone.
    flagged = tmp_path / "flag.xlsx"
    outcome = score_workbook(current, flagged, target=5, now=NOW)
    assert {a.target for a in outcome.result.areas} == {5}
    dashboard = openpyxl.load_workbook(flagged)["Dashboard"]
    values = {
        dashboard.cell(row=r, column=1).value: dashboard.cell(row=r, column=6).value
        for r in range(1, dashboard.max_row + 1)
    }
    assert values["B2"] == 3


def test_done_rows_stay_on_roadmap(bundled, tmp_path):
    first = tmp_path / "first.xlsm"
    score_workbook(bundled, first, now=NOW)
    book = openpyxl.load_workbook(first)
    roadmap = book["Roadmap"]
    row = next(
        r
        for r in range(2, roadmap.max_row + 1)
        if roadmap.cell(row=r, column=4).value == "1.A.1.b"
    )
    roadmap.cell(row=row, column=11, value="Sam")
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    answered = fill(edited, {"1.A.1.b": "Yes"}, tmp_path / "answered.xlsx")
    out = tmp_path / "out.xlsx"
    outcome = score_workbook(answered, out, now=NOW)
    assert "1.A.1.b" not in [str(s.control.id) for s in outcome.result.roadmap]
    roadmap = openpyxl.load_workbook(out)["Roadmap"]
    rows = [[c.value for c in r] for r in roadmap.iter_rows(min_row=2)]
    done = [r for r in rows if r[3] == "1.A.1.b"]
    assert len(done) == 1
    assert done[0][0] == "done"
    assert done[0][10] == "Sam"


def test_xlsm_keeps_vba_and_ribbon_parts(bundled, tmp_path):
    vba = bytes(range(256)) * 8
    ribbon = (
        b'<customUI xmlns="http://schemas.microsoft.com/office/2009/07/customui">'
        b"<ribbon/></customUI>"
    )
    source = parts(bundled)
    source["xl/vbaProject.bin"] = vba
    source["customUI/customUI14.xml"] = ribbon
    source["xl/_rels/workbook.xml.rels"] = source["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
        b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
    )
    source["_rels/.rels"] = source["_rels/.rels"].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdUi" Type="http://schemas.microsoft.com/office/2007/'
        b'relationships/ui/extensibility" Target="customUI/customUI14.xml"/></Relationships>',
    )
    source["[Content_Types].xml"] = source["[Content_Types].xml"].replace(
        b"<Default ",
        b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        b"<Default ",
        1,
    )
    macro = tmp_path / "macro.xlsm"
    with zipfile.ZipFile(macro, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in source.items():
            archive.writestr(name, data)
    out = tmp_path / "scored.xlsm"
    score_workbook(macro, out, now=NOW)
    after = parts(out)
    assert after["xl/vbaProject.bin"] == vba
    assert after["customUI/customUI14.xml"] == ribbon
    assert after["_rels/.rels"] == source["_rels/.rels"]
    assert b"rIdVba" in after["xl/_rels/workbook.xml.rels"]
    assert b"macroEnabled" in after["[Content_Types].xml"]


def test_in_place_update_keeps_backup(bundled):
    before = bundled.read_bytes()
    code, stdout, _ = run_cli("score", bundled)
    assert code == 0
    backup = bundled.with_name("CTI-MM.bak.xlsm")
    assert backup.read_bytes() == before
    assert "Dashboard" in openpyxl.load_workbook(bundled).sheetnames
    assert f"Wrote {bundled}" in stdout


def test_output_must_keep_extension(bundled, tmp_path):
    code, _, stderr = run_cli("score", bundled, "-o", tmp_path / "out.xlsx")
    assert code == 2
    assert "extension" in stderr
    assert not (tmp_path / "out.xlsx").exists()


def test_audit_clean_on_bundled_and_outputs(bundled, seed, tmp_path):
    assert audit_errors(bundled) == []
    out = tmp_path / "bundled-out.xlsm"
    score_workbook(bundled, out, now=NOW)
    assert audit_errors(out) == []
    seed_out = tmp_path / "seed-out.xlsx"
    score_workbook(seed, seed_out, now=NOW)
    assert set(audit_errors(seed_out)) <= set(audit_errors(seed))


@pytest.mark.libreoffice
def test_libreoffice_opens_outputs(bundled, seed, tmp_path):
    for source in (bundled, seed):
        out = tmp_path / f"scored-{source.stem}{source.suffix}"
        score_workbook(source, out, now=NOW)
        folder = tmp_path / f"lo-{source.stem}"
        folder.mkdir()
        converted = convert(out, "ods", folder)
        assert converted.stat().st_size > 0
        # LibreOffice saw the report sheets: their names are in the .ods content.
        with zipfile.ZipFile(converted) as archive:
            content = archive.read("content.xml").decode()
        for name in ("Dashboard", "Checks", "Roadmap"):
            assert f'table:name="{name}"' in content


def test_json_writes_nothing_without_output(bundled):
    before = digest(bundled)
    result = score_json(bundled)
    assert result["controls"] == 217
    assert digest(bundled) == before
    assert not list(bundled.parent.glob("*.bak.*"))


def test_json_with_output_writes(bundled, tmp_path):
    out = tmp_path / "out.xlsm"
    result = score_json(bundled, "-o", out)
    assert result["controls"] == 217
    assert out.exists()
    shutil.rmtree(tmp_path / "nothing", ignore_errors=True)


def test_flags_clear_when_sheet_has_no_violation_left(bundled, tmp_path):
    filled = fill(bundled, {"2.A.1.a": "Yes"}, tmp_path / "filled.xlsx")
    first = tmp_path / "first.xlsx"
    outcome = score_workbook(filled, first, now=NOW)
    assert outcome.result.violations
    flagged = {n for n, d in parts(first).items() if b"ctimm-xl flag" in d}
    # 2.A.1.a on Level 2, and the level-1 actions beneath it on Level 1.
    assert flagged == {"xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"}
    fixed = fill(first, {"2.A.1.a": "No"}, tmp_path / "fixed.xlsx")
    again = tmp_path / "again.xlsx"
    outcome = score_workbook(fixed, again, now=NOW)
    assert outcome.result.violations == []
    assert not [n for n, d in parts(again).items() if b"ctimm-xl flag" in d]


def test_json_roadmap_follows_impact_and_effort(bundled, tmp_path):
    first = tmp_path / "first.xlsm"
    score_workbook(bundled, first, target=2, now=NOW)
    book = openpyxl.load_workbook(first)
    roadmap = book["Roadmap"]
    header = [c.value for c in roadmap[1]]
    rows = {
        roadmap.cell(row=r, column=4).value: r for r in range(2, roadmap.max_row + 1)
    }
    level_two = [
        roadmap.cell(row=r, column=4).value
        for r in range(2, roadmap.max_row + 1)
        if roadmap.cell(row=r, column=2).value == 2
    ]
    last = level_two[-1]
    roadmap.cell(row=rows[last], column=header.index("Impact") + 1, value=3)
    roadmap.cell(row=rows[last], column=header.index("Effort") + 1, value=1)
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    data = score_workbook(edited, write=False, target=2).result.to_json()
    planned = [s["control"] for s in data["roadmap"] if s["unlocks_level"] == 2]
    assert planned[0] == last
    out = tmp_path / "out.xlsx"
    score_workbook(edited, out, target=2, now=NOW)
    sheet = openpyxl.load_workbook(out)["Roadmap"]
    on_sheet = [
        sheet.cell(row=r, column=4).value
        for r in range(2, sheet.max_row + 1)
        if sheet.cell(row=r, column=2).value == 2
    ]
    assert on_sheet[: len(planned)] == planned


def test_roadmap_formulas_typed_by_user_survive(bundled, tmp_path):
    first = tmp_path / "first.xlsm"
    score_workbook(bundled, first, now=NOW)
    book = openpyxl.load_workbook(first)
    roadmap = book["Roadmap"]
    header = [c.value for c in roadmap[1]]
    row = next(
        r
        for r in range(2, roadmap.max_row + 1)
        if roadmap.cell(row=r, column=4).value == "1.A.1.b"
    )
    roadmap.cell(
        row=row, column=header.index("Notes") + 1, value='=CONCATENATE("see ","wiki")'
    )
    edited = tmp_path / "edited.xlsx"
    book.save(edited)  # openpyxl stores no result, as for a formula never calculated
    out = tmp_path / "out.xlsx"
    for _ in range(2):
        score_workbook(edited, out, now=NOW)
        edited = out.with_name("again.xlsx")
        shutil.copy(out, edited)
    sheet = openpyxl.load_workbook(out)["Roadmap"]
    row = next(
        r
        for r in range(2, sheet.max_row + 1)
        if sheet.cell(row=r, column=4).value == "1.A.1.b"
    )
    assert sheet.cell(row=row, column=header.index("Notes") + 1).value == (
        '=CONCATENATE("see ","wiki")'
    )


def test_checks_link_follows_moved_target_cell(bundled, tmp_path):
    first = tmp_path / "first.xlsm"
    score_workbook(bundled, first, now=NOW)
    book = openpyxl.load_workbook(first)
    dashboard = book["Dashboard"]
    row = next(
        r
        for r in range(1, dashboard.max_row + 1)
        if dashboard.cell(row=r, column=1).value == "A2"
    )
    dashboard.cell(row=row, column=6, value="soon")
    # Shift the Dashboard down, so the rewritten sheet puts A2 elsewhere.
    dashboard.insert_rows(1, 3)
    edited = tmp_path / "edited.xlsx"
    book.save(edited)
    out = tmp_path / "out.xlsx"
    outcome = score_workbook(edited, out, now=NOW)
    problem = next(p for p in outcome.result.problems if p.kind == "invalid-target")
    assert problem.cell == f"'Dashboard'!F{row + 3}"
    scored = openpyxl.load_workbook(out)
    checks = scored["Checks"]
    link = next(
        checks.cell(row=r, column=5)
        for r in range(2, checks.max_row + 1)
        if checks.cell(row=r, column=2).value == "invalid-target"
    )
    target_row = next(
        r
        for r in range(1, scored["Dashboard"].max_row + 1)
        if scored["Dashboard"].cell(row=r, column=1).value == "A2"
    )
    assert link.value == f"'Dashboard'!F{target_row}"
    assert link.hyperlink.location == link.value
    assert scored["Dashboard"].cell(row=target_row, column=6).value == "soon"
