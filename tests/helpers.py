"""Build filled-in workbooks for tests, the way users fill them in Excel."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import openpyxl

from ctimm_xl.cli import main
from ctimm_xl.ids import id_from_description


def answer_cells(workbook, sheet_names=None) -> dict[str, tuple[str, str]]:
    """Map control IDs to (sheet, True? cell) on an openpyxl workbook."""
    found = {}
    for sheet in workbook.worksheets:
        if sheet_names and sheet.title not in sheet_names:
            continue
        answer_column = description_column = None
        for row in sheet.iter_rows():
            texts = {c.column: str(c.value).strip().lower() for c in row if c.value}
            if "true?" in texts.values():
                answer_column = next(k for k, v in texts.items() if v == "true?")
                description_column = next(
                    k
                    for k, v in sorted(texts.items())
                    if "action" in v or "indicator" in v
                )
                continue
            if answer_column is None:
                continue
            value = sheet.cell(row=row[0].row, column=description_column).value
            if not value:
                continue
            parsed = id_from_description(str(value))
            if parsed and str(parsed) not in found:
                letter = openpyxl.utils.get_column_letter(answer_column)
                found[str(parsed)] = (sheet.title, f"{letter}{row[0].row}")
    return found


def fill(path: Path, answers: dict[str, object], out: Path | None = None) -> Path:
    """Write answers (by control ID) into an .xlsx copy of a workbook with openpyxl.

    openpyxl stands in for a user here; the copy loses what openpyxl drops.
    """
    workbook = openpyxl.load_workbook(path)
    cells = answer_cells(workbook)
    for control, value in answers.items():
        sheet, ref = cells[control]
        workbook[sheet][ref] = value
    target = out or path.with_suffix(".xlsx")
    workbook.save(target)
    return target


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run `ctimm` in this process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def score_json(path: Path, *extra: str) -> dict:
    code, out, err = run_cli("score", path, "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def area(result: dict, code: str) -> dict:
    return next(a for a in result["areas"] if a["area"] == code)


def make_control(text: str, answer="Yes", kind="action", links=(), sheet="S", row=1):
    """An in-memory control, for unit tests of the core."""
    from ctimm_xl.ids import parse_id
    from ctimm_xl.model import Answer, CellRef, Control, Kind

    answers = {
        "Yes": Answer.YES,
        "No": Answer.NO,
        "Partial": Answer.PARTIAL,
        "N/A": Answer.NA,
        "": Answer.UNANSWERED,
    }
    return Control(
        id=parse_id(text),
        kind=Kind(kind),
        answer=answers[answer],
        description=f"control {text}",
        answer_cell=CellRef(sheet, row, 6),
        links=[parse_id(link) for link in links],
        links_cell=CellRef(sheet, row, 5),
    )
