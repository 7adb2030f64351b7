"""`ctimm attach` and the macro-enabled bundled workbook, checked without Excel."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

import pytest
from conftest import BUNDLED
from helpers import parts, run_cli
from lxml import etree
from validators import audit_errors, convert

from ctimm_xl.vba.attach import RIBBON_PART, Settings, attach
from ctimm_xl.vba.project import xlwings_modules

CUSTOM_UI = "{http://schemas.microsoft.com/office/2009/07/customui}"
ALLOWED = {
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/_rels/workbook.xml.rels",
    "xl/workbook.xml",
}


def olevba_modules(path) -> dict[str, str]:
    """Module name → source, as olevba reads them."""
    completed = subprocess.run(
        [sys.executable, "-m", "oletools.olevba", "--decode", "-c", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    found = {}
    for block in completed.stdout.split(
        "-------------------------------------------------------------------------------"
    )[1:]:
        match = re.search(r"VBA MACRO (\S+)\s", block)
        if match:
            name = match.group(1).rsplit(".", 1)[0]
            found[name] = block
    return found


def test_attach_original_changes_only_what_it_must(seed, tmp_path):
    out = tmp_path / "mine.xlsm"
    code, stdout, stderr = run_cli("attach", seed, "-o", out)
    assert code == 0, stderr
    before, after = parts(seed), parts(out)
    added = set(after) - set(before)
    assert RIBBON_PART in added
    assert "xl/vbaProject.bin" in added
    assert len(added) == 3  # and the xlwings.conf sheet
    for name, data in before.items():
        if after[name] == data:
            continue
        if name in ALLOWED:
            continue
        assert name.startswith("xl/worksheets/sheet"), name
        # Only a code name was added to the sheet.
        old = data.decode("utf-8")
        new = after[name].decode("utf-8")
        assert re.sub(r'<sheetPr codeName="[^"]+"/>', "", new) == old, name


def test_attach_keeps_checkboxes_linked(seed, tmp_path):
    out = attach(seed, tmp_path / "mine.xlsm")
    after = parts(out)
    props = [n for n in after if n.startswith("xl/ctrlProps/")]
    assert len(props) == 17
    assert all(after[n] == parts(seed)[n] for n in props)
    sheet = etree.fromstring(after["xl/worksheets/sheet6.xml"])
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    assert len(list(sheet.iter(main + "control"))) == 17


def test_reattach_updates_in_place(seed, tmp_path):
    first = attach(seed, tmp_path / "one.xlsm")
    second = attach(first, tmp_path / "two.xlsm")
    assert parts(second) == parts(first)
    again = attach(second)  # in place, with a backup copy
    assert again == second
    assert (tmp_path / "two.bak.xlsm").exists()
    names = zipfile.ZipFile(again).namelist()
    assert names.count(RIBBON_PART) == 1
    book = etree.fromstring(parts(again)["xl/workbook.xml"])
    sheets = [s.get("name") for s in book.iter("{*}sheet")]
    assert sheets.count("xlwings.conf") == 1


def test_vba_modules_and_handlers(seed, tmp_path):
    out = attach(seed, tmp_path / "mine.xlsm")
    modules = olevba_modules(out)
    assert {"ThisWorkbook", "xlwings", "Dictionary", "CTIMM"} <= set(modules)
    code_names = re.findall(
        rb'codeName="([^"]+)"',
        b"".join(
            data
            for name, data in parts(out).items()
            if name.startswith("xl/worksheets/sheet")
        ),
    )
    for code_name in code_names:
        assert code_name.decode() in modules
    ribbon = etree.fromstring(parts(out)[RIBBON_PART])
    actions = [b.get("onAction") for b in ribbon.iter(CUSTOM_UI + "button")]
    assert len(actions) == 5
    for action in actions:
        signature = rf"Public Sub {action}\(control As IRibbonControl\)"
        assert re.search(signature, modules["CTIMM"]), action


def test_vba_matches_installed_xlwings(seed, tmp_path):
    import xlwings

    out = attach(seed, tmp_path / "mine.xlsm")
    modules = olevba_modules(out)
    assert f"'Version: {xlwings.__version__}" in modules["xlwings"]
    assert "Version: " + xlwings.__version__ in xlwings_modules()["xlwings"]


def test_ribbon_buttons_are_complete():
    ribbon = etree.fromstring(parts(BUNDLED)[RIBBON_PART])
    tab = next(ribbon.iter(CUSTOM_UI + "tab"))
    assert tab.get("label") == "CTI-MM"
    labels = []
    for button in ribbon.iter(CUSTOM_UI + "button"):
        labels.append(button.get("label"))
        assert button.get("imageMso")
        assert button.get("screentip")
        assert button.get("onAction", "").startswith("CTIMM_")
    assert labels == ["Score", "Roadmap", "Check", "Clear flags", "Help"]


def test_ribbon_linked_with_extensibility_type():
    rels = etree.fromstring(parts(BUNDLED)["_rels/.rels"])
    types = {r.get("Target"): r.get("Type") for r in rels}
    assert types[RIBBON_PART] == (
        "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
    )


def test_validator_passes_built_and_attached(seed, tmp_path):
    assert audit_errors(BUNDLED) == []
    out = attach(seed, tmp_path / "mine.xlsm")
    assert audit_errors(out) == []


def test_validator_catches_a_broken_ribbon(tmp_path):
    # The schema check above can fail: a misspelt element is reported.
    broken = tmp_path / "broken.xlsm"
    source = parts(BUNDLED)
    source[RIBBON_PART] = source[RIBBON_PART].replace(b"<group ", b"<grop/><group ", 1)
    with zipfile.ZipFile(broken, "w") as archive:
        for name, data in source.items():
            archive.writestr(name, data)
    errors = audit_errors(broken)
    assert any("grop" in e for e in errors)


def test_settings_sheet_is_hidden_with_values(seed, tmp_path):
    out = attach(
        seed,
        tmp_path / "mine.xlsm",
        Settings(
            interpreter_win=r"C:\Py\pythonw.exe", interpreter_mac="/usr/bin/python3"
        ),
    )
    book = etree.fromstring(parts(out)["xl/workbook.xml"])
    conf = next(s for s in book.iter("{*}sheet") if s.get("name") == "xlwings.conf")
    assert conf.get("state") == "hidden"
    import openpyxl

    values = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(out)["xlwings.conf"].iter_rows(values_only=True)
    }
    assert values == {
        "INTERPRETER_WIN": r"C:\Py\pythonw.exe",
        "INTERPRETER_MAC": "/usr/bin/python3",
        "UDF MODULES": "ctimm_xl.excel.udfs",
    }


def test_score_keeps_vba_and_ribbon(tmp_path):
    out = tmp_path / "scored.xlsm"
    code, _, err = run_cli("score", BUNDLED, "-o", out)
    assert code == 0, err
    before, after = parts(BUNDLED), parts(out)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert after[RIBBON_PART] == before[RIBBON_PART]
    assert after["_rels/.rels"] == before["_rels/.rels"]
    assert audit_errors(out) == []


def test_attach_refuses_xlsx_output(seed, tmp_path):
    code, _, err = run_cli("attach", seed, "-o", tmp_path / "mine.xlsx")
    assert code == 2
    assert ".xlsm" in err


def test_attach_refuses_foreign_ribbon(tmp_path):
    source = parts(BUNDLED)
    source[RIBBON_PART] = source[RIBBON_PART].replace(
        b'id="ctimmTab"', b'id="theirTab"'
    )
    theirs = tmp_path / "theirs.xlsm"
    with zipfile.ZipFile(theirs, "w") as archive:
        for name, data in source.items():
            archive.writestr(name, data)
    code, _, err = run_cli("attach", theirs, "-o", tmp_path / "out.xlsm")
    assert code != 0
    assert "ribbon of its own" in err
    assert not (tmp_path / "out.xlsm").exists()


@pytest.mark.libreoffice
def test_libreoffice_imports_the_vba(seed, tmp_path):
    out = attach(seed, tmp_path / "mine.xlsm")
    ods = convert(out, "ods", tmp_path)
    names = zipfile.ZipFile(ods).namelist()
    modules = {
        n.split("/")[-1][:-4] for n in names if n.startswith("Basic/VBAProject/")
    }
    assert {
        "CTIMM",
        "xlwings",
        "Dictionary",
        "ThisWorkbook",
        "Sheet1",
        "Sheet6",
    } <= modules
