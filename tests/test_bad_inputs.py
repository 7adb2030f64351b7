"""Bad and hostile workbooks, run through the real `ctimm score` command.

A rejected input must end with exit code 1 (2 for a usage error), one
`Error: ...` line on stderr that names the file and tells the user what to
do, no traceback, the input byte-identical and nothing new in its folder. A usable
input with bad cells must score and list each bad cell in `problems`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import corpus
import openpyxl
import pytest
from conftest import BUNDLED
from lxml import etree

GENERATED = ("Dashboard", "Checks", "Roadmap")
_UNSAFE = "Ask the sender for a copy saved by Excel"
_REPAIR = "let Excel repair it"
_DTD = "declares a DTD or XML entities"
_RESAVE = "Open it in Excel and save it again"


# --- assertions shared by the rejected cases ---------------------------------


def listing(folder: Path) -> dict[str, str | None]:
    """Every path under `folder`, with the sha256 of each file."""
    found: dict[str, str | None] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        found[key] = corpus.sha256(path) if path.is_file() else None
    return found


def assert_rejected(
    folder: Path,
    *args: object,
    names: str,
    mentions: tuple[str, ...] = (),
    advice: str,
    exit_code: int = 1,
    output: Path | None = None,
    cwd: Path | None = None,
) -> corpus.Run:
    """Run `ctimm score ARGS` and check that it failed cleanly, changing nothing."""
    before = listing(folder)
    run = corpus.run_ctimm("score", *args, cwd=cwd)

    assert "Traceback" not in run.stdout
    assert "Traceback" not in run.stderr
    assert run.returncode == exit_code, run.stderr
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    error = lines[0]
    assert error.startswith("Error: "), error
    assert names in error, error
    for fragment in mentions:
        assert fragment in error, error
    assert advice in error, error
    assert corpus.SECRET_MARKER not in run.stderr

    assert listing(folder) == before, "the run changed or left files in the folder"
    if output is not None:
        assert not output.exists()
        assert corpus.temporary_files(output.parent) == []
    return run


def output_for(workbook: Path) -> Path:
    suffix = workbook.suffix if workbook.suffix in (".xlsx", ".xlsm") else ".xlsx"
    return workbook.parent / f"scored{suffix}"


def score_json(workbook: Path) -> dict:
    """Score with --json, checking that the run wrote nothing and did not crash."""
    before = corpus.sha256(workbook)
    entries = sorted(os.listdir(workbook.parent))
    run = corpus.run_ctimm("score", workbook, "--json", cwd=workbook.parent)
    assert "Traceback" not in run.stdout + run.stderr
    assert run.returncode == 0, run.stderr
    assert corpus.sha256(workbook) == before
    assert sorted(os.listdir(workbook.parent)) == entries
    return json.loads(run.stdout)


def problems_of(result: dict, kind: str) -> list[dict]:
    return [problem for problem in result["problems"] if problem["kind"] == kind]


# --- inputs that must be rejected --------------------------------------------


@dataclass(frozen=True)
class Rejected:
    build: Callable[[Path], Path]
    mentions: tuple[str, ...]
    advice: str


def _needs_soffice(folder: Path) -> Path:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice's soffice is not on PATH, so no .ods can be made")
    return corpus.ods_spreadsheet(folder)


REJECTED = {
    "empty file": Rejected(
        corpus.empty_file, ("empty (0 bytes)",), "Restore it from a backup"
    ),
    "text renamed xlsx": Rejected(
        corpus.text_as_xlsx, ("not an Excel workbook",), "Save it from Excel"
    ),
    "truncated zip": Rejected(
        corpus.truncated_zip, ("damaged or truncated",), "Restore it from a backup"
    ),
    "legacy xls": Rejected(
        corpus.legacy_xls, ("legacy .xls",), "save it as .xlsx or .xlsm"
    ),
    "ods": Rejected(_needs_soffice, ("OpenDocument",), "Save it as Excel"),
    "encrypted": Rejected(
        corpus.encrypted_workbook, ("password-protected",), "remove the password"
    ),
    "docx renamed xlsx": Rejected(
        corpus.docx_like_package, ("no workbook part",), "save it as .xlsx"
    ),
    "no content types": Rejected(
        corpus.no_content_types, ("[Content_Types].xml",), "save it as .xlsx"
    ),
    "entity bomb in sheet": Rejected(
        corpus.entity_bomb_in_sheet, (corpus.LEVEL_2_PART, _DTD), _RESAVE
    ),
    "entity bomb in shared strings": Rejected(
        corpus.entity_bomb_in_shared_strings,
        (corpus.SHARED_STRINGS_PART, _DTD),
        _RESAVE,
    ),
    "external entity": Rejected(
        corpus.external_entity, (corpus.LEVEL_2_PART, _DTD), _RESAVE
    ),
    "dtd after 64 KiB comment": Rejected(
        corpus.dtd_after_long_comment, (corpus.LEVEL_2_PART, _DTD), _RESAVE
    ),
    "dtd in utf-16 part": Rejected(
        corpus.dtd_in_utf16_part, (corpus.LEVEL_2_PART, _DTD), _RESAVE
    ),
    "deep nesting": Rejected(
        corpus.deep_nesting, (corpus.LEVEL_2_PART, "not well-formed"), _REPAIR
    ),
    "cut sheet part": Rejected(
        corpus.malformed_sheet, (corpus.LEVEL_2_PART, "not well-formed"), _REPAIR
    ),
    "shared string out of range": Rejected(
        corpus.shared_string_out_of_range, ("'Level 2'!D3", "999999"), _REPAIR
    ),
    "shared string negative": Rejected(
        corpus.shared_string_negative, ("'Level 2'!D3", "'-1'"), _REPAIR
    ),
    "row number not a number": Rejected(
        corpus.row_number_not_a_number, ("'Level 2'", "'x3'"), _REPAIR
    ),
    "row number past excel": Rejected(
        corpus.row_number_past_excel, ("'Level 2'", "2000000"), _REPAIR
    ),
    "cell past 32767 chars": Rejected(
        corpus.overlong_cell, ("'Level 2'!D2", "32,767"), "Shorten that cell"
    ),
    "rows past limit": Rejected(
        corpus.too_many_rows, ("'Notes'", "200,000 rows"), "delete the unused rows"
    ),
    "parts past limit": Rejected(corpus.too_many_parts, ("10,000",), _UNSAFE),
    "understated part size": Rejected(
        corpus.understated_part_size,
        ("xl/media/big.bin", "cannot be inflated"),
        "Restore it from a backup",
    ),
    "damaged deflate stream": Rejected(
        corpus.damaged_deflate_stream,
        (corpus.LEVEL_2_PART, "cannot be inflated"),
        "Restore it from a backup",
    ),
    "zipcrypto entry": Rejected(
        corpus.zip_encrypted_entry,
        (corpus.LEVEL_2_PART, "encrypted"),
        "save the workbook without a password",
    ),
    "aes entry": Rejected(
        corpus.unknown_compression,
        (corpus.LEVEL_2_PART, "encrypted"),
        "save the workbook without a password",
    ),
    "unsupported zip version": Rejected(
        corpus.unsupported_zip_version,
        ("damaged or truncated",),
        "Restore it from a backup",
    ),
    "bad utf-8 entry name": Rejected(
        corpus.bad_utf8_entry_name,
        (corpus.LEVEL_2_PART, "cannot be inflated"),
        "Restore it from a backup",
    ),
    "no control table": Rejected(
        corpus.no_control_table,
        ("no control table",),
        "use the CTI-MM control workbook layout",
    ),
    "header without true column": Rejected(
        corpus.header_without_answer_column,
        ("'Level 2'!A1", "True?"),
        "add it and try again",
    ),
}


@pytest.mark.parametrize("case", REJECTED.values(), ids=REJECTED.keys())
def test_rejected_with_output(case: Rejected, tmp_path: Path):
    workbook = case.build(tmp_path)
    output = output_for(workbook)
    assert_rejected(
        tmp_path,
        workbook,
        "-o",
        output,
        names=str(workbook),
        mentions=case.mentions,
        advice=case.advice,
        output=output,
    )


@pytest.mark.parametrize(
    "case",
    [REJECTED["truncated zip"], REJECTED["entity bomb in sheet"]],
    ids=["truncated zip", "entity bomb in sheet"],
)
def test_rejected_in_place_keeps_file(case: Rejected, tmp_path: Path):
    workbook = case.build(tmp_path)
    assert_rejected(
        tmp_path,
        workbook,
        names=str(workbook),
        mentions=case.mentions,
        advice=case.advice,
    )


def test_rejected_creates_no_output_folder(tmp_path: Path):
    workbook = corpus.truncated_zip(tmp_path)
    output = tmp_path / "new" / "scored.xlsm"
    assert_rejected(
        tmp_path,
        workbook,
        "-o",
        output,
        names=str(workbook),
        mentions=("damaged or truncated",),
        advice="Restore it from a backup",
    )
    assert not output.parent.exists()


def test_external_entity_never_read(tmp_path: Path):
    workbook = corpus.external_entity(tmp_path)
    run = assert_rejected(
        tmp_path,
        workbook,
        "--json",
        names=str(workbook),
        mentions=(_DTD,),
        advice=_RESAVE,
    )
    assert corpus.SECRET_MARKER not in run.stdout + run.stderr


# --- zip bombs: rejected from the declared sizes, before inflating -----------


def test_zip_bomb_part_rejected_early(tmp_path: Path):
    inflated = 200 * corpus.MiB
    workbook = corpus.zip_bomb_part(tmp_path, inflated)
    assert workbook.stat().st_size < corpus.MiB
    output = output_for(workbook)
    run = assert_rejected(
        tmp_path,
        workbook,
        "-o",
        output,
        names=str(workbook),
        mentions=("xl/media/zeros.bin", f"{inflated:,} bytes"),
        advice=_UNSAFE,
        output=output,
    )
    assert run.seconds < 30
    assert run.max_rss_bytes < inflated // 2


def test_zip_bomb_total_rejected_early(tmp_path: Path):
    parts, part_size = 6, 90 * corpus.MiB
    workbook = corpus.zip_bomb_total(tmp_path, parts, part_size)
    with zipfile.ZipFile(workbook) as archive:
        sizes = [info.file_size for info in archive.infolist()]
    assert max(sizes) < 100 * corpus.MiB
    assert sum(sizes) > 500 * corpus.MiB
    output = output_for(workbook)
    run = assert_rejected(
        tmp_path,
        workbook,
        "-o",
        output,
        names=str(workbook),
        mentions=("would inflate to", "524,288,000"),
        advice=_UNSAFE,
        output=output,
    )
    assert run.seconds < 30
    assert run.max_rss_bytes < parts * part_size // 4


# --- paths that name no usable workbook or output -----------------------------


def test_missing_file_rejected(tmp_path: Path):
    missing = tmp_path / "nowhere.xlsx"
    assert_rejected(
        tmp_path,
        missing,
        names=str(missing),
        mentions=("file not found",),
        advice="Check the path",
    )


def test_folder_named_xlsx_rejected(tmp_path: Path):
    folder = tmp_path / "book.xlsx"
    folder.mkdir()
    assert_rejected(
        tmp_path,
        folder,
        names=str(folder),
        mentions=("is a folder",),
        advice="Pass the path of an .xlsx or .xlsm file",
    )


def test_folder_with_output_rejected(tmp_path: Path):
    folder = tmp_path / "answers"
    folder.mkdir()
    output = tmp_path / "scored.xlsx"
    assert_rejected(
        tmp_path,
        folder,
        "-o",
        output,
        names=str(folder),
        mentions=("is a folder",),
        advice="Pass the path of an .xlsx or .xlsm file",
        output=output,
    )


def test_folder_in_place_named_as_folder(tmp_path: Path):
    folder = tmp_path / "answers"
    folder.mkdir()
    assert_rejected(
        tmp_path,
        folder,
        names=str(folder),
        mentions=("is a folder",),
        advice="Pass the path of an .xlsx or .xlsm file",
    )


@pytest.mark.parametrize(
    "lock_name",
    ["~$answers.xlsx", ".~lock.answers.xlsx#"],
    ids=["excel lock file", "libreoffice lock file"],
)
def test_workbook_open_elsewhere_rejected(lock_name: str, tmp_path: Path):
    workbook = corpus.control_workbook(
        tmp_path / "answers.xlsx", corpus.answered_rows()
    )
    (tmp_path / lock_name).write_bytes(b"\x0bsomeone   ")
    assert_rejected(
        tmp_path,
        workbook,
        names=str(workbook),
        mentions=(lock_name, "open in Excel or LibreOffice"),
        advice="Close it there and run again",
    )


def test_output_under_a_file_rejected(tmp_path: Path):
    workbook = corpus.control_workbook(
        tmp_path / "answers.xlsx", corpus.answered_rows()
    )
    blocker = tmp_path / "plain.txt"
    blocker.write_text("not a folder", encoding="utf-8")
    output = blocker / "scored.xlsx"
    assert_rejected(
        tmp_path,
        workbook,
        "-o",
        output,
        names=str(output),
        mentions=("cannot write to the folder",),
        advice="Choose another output with -o",
    )


def test_read_only_output_folder_rejected(tmp_path: Path):
    workbook = corpus.control_workbook(
        tmp_path / "answers.xlsx", corpus.answered_rows()
    )
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip(
                "this user can write to a mode-555 folder (root ignores modes); "
                "test_output_under_a_file_rejected covers an unwritable output"
            )
        output = locked / "scored.xlsx"
        assert_rejected(
            tmp_path,
            workbook,
            "-o",
            output,
            names=str(output),
            mentions=("cannot write to the folder",),
            advice="Choose another output with -o",
            output=output,
        )
    finally:
        locked.chmod(0o755)


def test_output_folder_rejected(tmp_path: Path):
    workbook = corpus.control_workbook(
        tmp_path / "answers.xlsx", corpus.answered_rows()
    )
    output = tmp_path / "scored.xlsx"
    output.mkdir()
    assert_rejected(
        tmp_path,
        workbook,
        "-o",
        output,
        names=str(output),
        mentions=("is a folder",),
        advice="give -o a file name",
    )


def test_output_extension_mismatch_rejected(tmp_path: Path):
    workbook = corpus.control_workbook(
        tmp_path / "answers.xlsx", corpus.answered_rows()
    )
    output = tmp_path / "scored.xlsm"
    assert_rejected(
        tmp_path,
        workbook,
        "-o",
        output,
        names=str(output),
        mentions=(".xlsx",),
        advice="must keep the input's extension",
        exit_code=2,
        output=output,
    )


def test_output_same_as_input_updates_in_place(tmp_path: Path):
    workbook = corpus.control_workbook(
        tmp_path / "answers.xlsx", corpus.answered_rows()
    )
    original = corpus.sha256(workbook)
    (tmp_path / "sub").mkdir()
    for spelling in (workbook, tmp_path / "sub" / ".." / workbook.name):
        run = corpus.run_ctimm("score", workbook, "-o", spelling)
        assert "Traceback" not in run.stdout + run.stderr
        assert run.returncode == 0, run.stderr
        backup = tmp_path / "answers.bak.xlsx"
        assert backup.exists()
        book = openpyxl.load_workbook(workbook)
        assert [name for name in book.sheetnames if name in GENERATED] == list(
            GENERATED
        )
        assert corpus.temporary_files(tmp_path) == []
    # The first run kept the original; the second kept the first run's output.
    assert corpus.sha256(backup) != original
    assert sorted(os.listdir(tmp_path)) == ["answers.bak.xlsx", "answers.xlsx", "sub"]


def test_output_same_as_input_keeps_original_backup(tmp_path: Path):
    workbook = corpus.control_workbook(
        tmp_path / "answers.xlsx", corpus.answered_rows()
    )
    original = corpus.sha256(workbook)
    run = corpus.run_ctimm("score", workbook, "-o", workbook)
    assert run.returncode == 0, run.stderr
    assert corpus.sha256(tmp_path / "answers.bak.xlsx") == original


def test_user_sheet_named_dashboard_rejected(tmp_path: Path):
    workbook = corpus.user_sheet_named(tmp_path, "Dashboard")
    assert_rejected(
        tmp_path,
        workbook,
        names=str(workbook),
        mentions=("'Dashboard'", "did not create"),
        advice="Rename or delete that sheet",
    )


def test_user_sheet_named_dashboard_other_case(tmp_path: Path):
    workbook = corpus.user_sheet_named(tmp_path, "DASHBOARD")
    assert_rejected(
        tmp_path,
        workbook,
        names=str(workbook),
        mentions=("DASHBOARD",),
        advice="Rename or delete that sheet",
    )


def test_header_message_escapes_sheet_name(tmp_path: Path):
    workbook = corpus.header_without_answer_column(tmp_path, title="It's")
    assert_rejected(
        tmp_path,
        workbook,
        "--json",
        names=str(workbook),
        mentions=("'It''s'!A1",),
        advice="add it and try again",
    )


# --- usable workbooks with bad cells: scored, with the cells listed ----------


def test_formula_answers_cached_and_not(tmp_path: Path):
    result = score_json(corpus.formula_answers(tmp_path))
    uncached = problems_of(result, "uncached-formula")
    assert [p["cell"] for p in uncached] == ["'Level 2'!F3"]
    assert "recalculate" in uncached[0]["message"]
    assert all(p["cell"] != "'Level 2'!F2" for p in result["problems"])
    # F2's cached Yes counts: one of the four actions is answered.
    assert result["completeness"] == pytest.approx(0.25)


def test_error_values_in_answers(tmp_path: Path):
    workbook = corpus.error_answers(tmp_path)
    with zipfile.ZipFile(workbook) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="F3"[^>]* t="e"', sheet)
    assert re.search(r'<c r="F4"[^>]* t="e"', sheet)
    result = score_json(workbook)
    invalid = {p["cell"]: p["message"] for p in problems_of(result, "invalid-answer")}
    assert set(invalid) == {"'Level 2'!F3", "'Level 2'!F4"}
    assert "'#N/A'" in invalid["'Level 2'!F3"]
    assert "'#REF!'" in invalid["'Level 2'!F4"]


def test_merged_answers_reported(tmp_path: Path):
    result = score_json(corpus.merged_answers(tmp_path))
    cells = {p["cell"] for p in result["problems"]}
    assert cells & {"'Level 2'!F2", "'Level 2'!F3", "'Level 2'!F4"}


def test_out_of_range_id_and_link(tmp_path: Path):
    result = score_json(corpus.out_of_range_ids(tmp_path))
    unreadable = problems_of(result, "unreadable-id")
    assert [p["cell"] for p in unreadable] == ["'Level 2'!D4"]
    assert "6.D.9.z" in unreadable[0]["message"]
    assert result["controls"] == 2
    unknown = [v for v in result["violations"] if v["kind"] == "unknown-link"]
    assert [(v["control"], v["cell"]) for v in unknown] == [("2.A.1.a", "'Level 2'!E2")]
    assert unknown[0]["related"] == ["6.D.9.z"]


def test_link_cycle_reported(tmp_path: Path):
    result = score_json(corpus.link_cycle(tmp_path))
    cycles = problems_of(result, "link-cycle")
    assert len(cycles) == 1
    assert "2.A.1.b" in cycles[0]["message"]
    assert "2.A.1.c" in cycles[0]["message"]


def _generated_parts(path: Path) -> dict[str, bytes]:
    """The worksheet XML of each generated sheet, by sheet name."""
    with zipfile.ZipFile(path) as archive:
        book = etree.fromstring(archive.read("xl/workbook.xml"))
        rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {
            rel.get("Id"): rel.get("Target")
            for rel in rels.iter(f"{{{corpus.NS_PKG_REL}}}Relationship")
        }
        found = {}
        for sheet in book.iter(f"{{{corpus.NS_MAIN}}}sheet"):
            name = sheet.get("name")
            if name not in GENERATED:
                continue
            target = targets[sheet.get(f"{{{corpus.NS_REL}}}id")]
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            found[name] = archive.read(part)
    assert set(found) == set(GENERATED)
    return found


def test_quoted_sheet_name_links(tmp_path: Path):
    workbook = corpus.quoted_sheet_name(tmp_path)
    reference = "'It''s \"Q1\"'!F7"
    result = score_json(workbook)
    assert [p["cell"] for p in problems_of(result, "invalid-answer")] == [reference]

    output = tmp_path / "scored.xlsx"
    run = corpus.run_ctimm("score", workbook, "-o", output)
    assert run.returncode == 0, run.stderr
    checks = openpyxl.load_workbook(output)["Checks"]
    header = [cell.value for cell in checks[1]]
    kind_column = header.index("Kind") + 1
    cell_column = header.index("Cell") + 1
    rows = [
        row
        for row in range(2, checks.max_row + 1)
        if checks.cell(row=row, column=kind_column).value == "invalid-answer"
    ]
    assert len(rows) == 1
    cell = checks.cell(row=rows[0], column=cell_column)
    assert cell.value == reference
    assert cell.hyperlink is not None
    assert cell.hyperlink.location == reference
    raw = _generated_parts(output)["Checks"].decode()
    assert "location=\"'It''s &quot;Q1&quot;'!F7\"" in raw


def _from_user_text(formula: str) -> bool:
    """Whether a formula carries one of the texts that formula_like_text typed."""
    payloads = [value.lstrip("=") for value in corpus.FORMULA_LIKE.values()]
    payloads += ["CMD|", "maybe", "1+2.xlsx"]
    return any(payload in formula for payload in payloads)


def test_formula_like_text_stays_text(tmp_path: Path):
    workbook = corpus.formula_like_text(tmp_path)
    output = tmp_path / "scored.xlsx"
    # A relative path, so the Dashboard's Workbook cell starts with `=` too.
    run = corpus.run_ctimm("score", workbook.name, "-o", output.name, cwd=tmp_path)
    assert "Traceback" not in run.stdout + run.stderr
    assert run.returncode == 0, run.stderr

    book = openpyxl.load_workbook(output)
    texts: dict[str, list[str]] = {}
    for name in GENERATED:
        for row in book[name].iter_rows():
            for cell in row:
                where = f"{name}!{cell.coordinate}"
                if cell.data_type == "f":
                    assert not _from_user_text(str(cell.value)), where
                elif isinstance(cell.value, str):
                    texts.setdefault(name, []).append(cell.value)
    roadmap = texts["Roadmap"]
    assert "=1+2 a" in roadmap
    for column in ("process", "people", "technology"):
        assert corpus.FORMULA_LIKE[column] in roadmap, column
    assert workbook.name in texts["Dashboard"]
    assert any("=Sheet" in text for text in texts["Dashboard"])
    assert any(text.startswith("'=Sheet'!") for text in texts["Checks"])

    for name, data in _generated_parts(output).items():
        root = etree.fromstring(data)
        for formula in root.iter(f"{{{corpus.NS_MAIN}}}f"):
            assert not _from_user_text(formula.text or ""), (name, formula.text)

    user = book["=Sheet"]
    assert user["G2"].value == corpus.FORMULA_LIKE["remarks"]
    assert user["G2"].data_type == "s"
    assert user["D7"].data_type == "s"


@pytest.mark.slow
def test_hundred_thousand_rows(tmp_path: Path):
    workbook = corpus.many_control_rows(tmp_path, 100_000)
    output = tmp_path / "scored.xlsx"
    run = corpus.run_ctimm("score", workbook, "-o", output, "-q", timeout=120)
    assert "Traceback" not in run.stdout + run.stderr
    assert run.returncode == 0, run.stderr
    assert run.seconds < 120
    book = openpyxl.load_workbook(output, read_only=True)
    assert [name for name in book.sheetnames if name in GENERATED] == list(GENERATED)
    book.close()
    result = score_json(output)
    assert result["controls"] == len(corpus.ALL_IDS)
    duplicates = problems_of(result, "duplicate-id")
    assert len(duplicates) == 100_000 - len(corpus.ALL_IDS)


def test_missing_sheet_part_rejected(tmp_path: Path):
    with zipfile.ZipFile(BUNDLED) as archive:
        source = {name: archive.read(name) for name in archive.namelist()}
    del source["xl/worksheets/sheet3.xml"]
    damaged = tmp_path / "damaged.xlsm"
    with zipfile.ZipFile(damaged, "w") as archive:
        for name, data in source.items():
            archive.writestr(name, data)
    assert_rejected(
        tmp_path,
        damaged,
        "-o",
        str(tmp_path / "out.xlsm"),
        names=str(damaged),
        mentions=("'Level 3'", "xl/worksheets/sheet3.xml", "missing"),
        advice="let Excel repair it",
    )
