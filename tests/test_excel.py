"""The Excel entry points and worksheet functions, exercised without Excel.

`FakeBook` implements the `ExcelBook` interface the jobs use, over a package
on disk: it reads values the way Excel hands them over (openpyxl's cached
values) and writes the report sheets with the same merge as the CLI.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from helpers import fill, score_json

from ctimm_xl.app import JOBS, flag_cells
from ctimm_xl.errors import OutputError
from ctimm_xl.excel import formulas, help_text
from ctimm_xl.excel.jobs import run_job
from ctimm_xl.excel.live import LiveWorkbook, SheetValues, to_cell
from ctimm_xl.xlsx.merge import PackageEditor
from ctimm_xl.xlsx.package import open_package, package_from_bytes
from ctimm_xl.xlsx.save import write_package
from ctimm_xl.xlsx.workbook import WorkbookParts

NOW = datetime(2026, 6, 1, 9, 30)


class FakeBook:
    """An open workbook as the jobs see it, backed by a file."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.flags: dict[str, list[str]] | None = None
        self.reports: list[tuple[str, ...]] = []

    def sheet_values(self) -> list[SheetValues]:
        book = openpyxl.load_workbook(self.path, data_only=True)
        found = []
        for sheet in book.worksheets:
            if sheet.title == "xlwings.conf":
                continue
            values = [list(row) for row in sheet.iter_rows(values_only=True)]
            found.append(
                SheetValues(sheet.title, 1, 1, values, sheet.sheet_state != "visible")
            )
        return found

    def marked_sheets(self) -> set[str]:
        return WorkbookParts(open_package(Path(self.path))).marked_sheets

    def write_report(self, scratch: Path, names: tuple[str, ...]) -> None:
        self.reports.append(names)
        package = open_package(Path(self.path))
        report = package_from_bytes(scratch.read_bytes(), "report")
        editor = PackageEditor(package)
        editor.drop_sheets(names)
        for entry in WorkbookParts(report).sheets:
            editor.replace_sheet(report, entry.part, entry.name)
        write_package(editor.finish(), package, Path(self.path))

    def set_flags(self, flags: dict[str, list[str]]) -> None:
        self.flags = flags


@pytest.fixture
def answered(bundled, tmp_path):
    return fill(
        bundled,
        {"1.A.1.b": "Yes", "2.A.1.a": "Yes", "1.C.1.a": "maybe"},
        tmp_path / "answered.xlsx",
    )


def test_score_job_matches_cli(answered):
    expected = score_json(answered)
    book = FakeBook(answered)
    result = run_job(book, "score", NOW)
    data = result.to_json()
    for key in (
        "areas",
        "rollups",
        "violations",
        "roadmap",
        "completeness",
        "source_sheets",
    ):
        assert data[key] == expected[key], key
    assert book.reports == [JOBS["score"]]
    assert JOBS["score"][:3] == ("Dashboard", "Checks", "Roadmap")
    assert book.flags == flag_cells(result)
    assert book.flags  # 2.A.1.a skips 2.A.1.b's level-1 prerequisites
    names = openpyxl.load_workbook(answered).sheetnames
    assert names[-len(JOBS["score"]) :] == list(JOBS["score"])


def test_roadmap_and_check_jobs_write_one_sheet(answered):
    book = FakeBook(answered)
    run_job(book, "roadmap", NOW)
    assert book.reports == [("Roadmap",)]
    assert book.flags is None
    run_job(book, "check", NOW)
    assert book.reports[-1] == ("Checks",)
    assert book.flags
    names = openpyxl.load_workbook(answered).sheetnames
    assert names[-2:] == ["Roadmap", "Checks"]
    assert "Dashboard" not in names


def test_repeated_clicks_replace_sheets(answered):
    book = FakeBook(answered)
    for _ in range(3):
        run_job(book, "score", NOW)
    names = openpyxl.load_workbook(answered).sheetnames
    assert names.count("Dashboard") == 1
    assert names.count("Roadmap") == 1


def test_clear_flags_job(answered):
    book = FakeBook(answered)
    assert run_job(book, "clear_flags") is None
    assert book.flags == {}
    assert book.reports == []


def test_user_dashboard_is_refused(bundled, tmp_path):
    workbook = openpyxl.load_workbook(bundled)
    workbook.create_sheet("Dashboard")
    mine = tmp_path / "mine.xlsx"
    workbook.save(mine)
    book = FakeBook(mine)
    with pytest.raises(OutputError, match="never overwrites"):
        run_job(book, "score", NOW)
    assert book.reports == []


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("Yes", "text"),
        (True, "bool"),
        (1, "number"),
        (0.5, "number"),
        ("#N/A", "error"),
        ("#REF!", "error"),
        (datetime(2026, 1, 2), "text"),
    ],
    ids=["text", "bool", "int", "half", "na-error", "ref-error", "date"],
)
def test_live_values_become_cells(value, kind):
    assert to_cell(3, value).kind == kind
    assert to_cell(3, None) is None
    assert to_cell(3, "") is None


def test_worksheet_functions():
    ids = ["1.B.2.a / collect", "1.B.2.b", "2.B.2.a", "2.B.2.b", "3.B.2.a", "1.A.1.a"]
    answers = ["Yes", "y", "Partial", None, "Yes", "No"]
    assert formulas.level(ids, answers, "Operational", 2) == 1
    assert formulas.score(ids, answers, "B", "Collection") == pytest.approx(1.25)
    assert formulas.level(ids, answers, "strategic", 1) == 0
    checks = formulas.checks(ids, answers)
    assert checks[0] == ["Kind", "Control", "Related", "Message"]
    assert checks[1][:3] == ["skipped-prerequisite", "3.B.2.a", "2.B.2.a, 2.B.2.b"]
    steps = formulas.next_steps(ids, answers, 2)
    assert [row[1] for row in steps[1:]] == ["1.A.1.a", "2.B.2.a"]


def test_worksheet_functions_share_one_evaluation():
    formulas._evaluate.cache_clear()
    ids = [[f"1.A.{p}.a"] for p in range(1, 6)]  # a column, as Excel passes 2-D ranges
    answers = [["Yes"], ["No"], ["Yes"], ["Yes"], ["Yes"]]
    for phase in range(1, 6):
        formulas.level(ids, answers, "A", phase)
    info = formulas._evaluate.cache_info()
    assert info.misses == 1
    assert info.hits == 4


def test_worksheet_function_rejects_unknown_area():
    with pytest.raises(ValueError, match="intel level"):
        formulas.level(["1.A.1.a"], ["Yes"], "Q", 1)
    with pytest.raises(ValueError, match="phase"):
        formulas.level(["1.A.1.a"], ["Yes"], "A", 9)


def test_udfs_are_xlwings_functions():
    from ctimm_xl.excel import udfs

    assert udfs.CTIMM_LEVEL(["1.C.3.a", "2.C.3.a"], ["Yes", "No"], "Tactical", 3) == 1
    assert udfs.CTIMM_SCORE(["1.C.3.a", "2.C.3.a"], ["Yes", "No"], "C", 3) == 1.0
    assert udfs.CTIMM_NEXT(["1.C.3.a", "2.C.3.a"], ["Yes", "No"], 1)[1][1] == "2.C.3.a"
    if sys.platform == "win32":
        # xlwings registers functions only where Excel UDFs exist.
        functions = (
            udfs.CTIMM_LEVEL,
            udfs.CTIMM_SCORE,
            udfs.CTIMM_CHECKS,
            udfs.CTIMM_NEXT,
        )
        for function in functions:
            assert hasattr(function, "__xlfunc__")


def test_click_path_imports_no_pandas():
    code = (
        "import sys, ctimm_xl.excel as e; e._skip_pandas(); "
        "import ctimm_xl.excel.jobs, ctimm_xl.excel.xlwings_book; "
        "print(sys.modules.get('pandas') is not None)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert completed.stdout.strip() == "False", completed.stderr


def test_help_text_names_versions():
    text = help_text("0.37.8")
    assert "xlwings 0.37.8" in text
    assert "Score:" in text
    assert "Clear flags:" in text


def test_click_reports_errors_in_a_message_box(monkeypatch, tmp_path):
    import xlwings as xw

    import ctimm_xl.excel as excel

    class Book:
        fullname = str(tmp_path / "missing.xlsx")

        class app:  # noqa: N801 - stands in for xlwings' App
            messages: list[str] = []

            @classmethod
            def alert(cls, message, title=None):
                cls.messages.append(message)

        sheets: list = []
        names: list = []

    monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: Book()))
    monkeypatch.setattr(excel, "LOG_PATH", tmp_path / "ctimm.log")
    excel.score()
    assert len(Book.app.messages) == 1
    assert "no control table found" in Book.app.messages[0]
    assert "no control table found" in (tmp_path / "ctimm.log").read_text()


@pytest.mark.excel
def test_score_button_in_real_excel(bundled):
    xw = pytest.importorskip("xlwings")
    if sys.platform not in ("win32", "darwin"):
        pytest.skip("Microsoft Excel runs only on Windows and macOS")
    try:
        app = xw.App(visible=False)
    except Exception as exc:  # noqa: BLE001 - no Excel installed
        pytest.skip(f"Excel could not be started: {exc}")
    try:
        book = app.books.open(str(bundled))
        book.macro("CTIMM_Score")(None)
        assert "Dashboard" in [s.name for s in book.sheets]
    finally:
        app.quit()


class _Names(list):
    def add(self, name, refers_to):
        added = _Name(name, refers_to, self)
        self.append(added)
        return added


class _Name:
    def __init__(self, name, refers_to, owner):
        self.name, self.refers_to, self._owner = name, refers_to, owner

    def delete(self):
        self._owner.remove(self)


class _Range:
    def __init__(self, row, column, values):
        self.row, self.column, self._values = row, column, values

    def options(self, **kwargs):
        assert kwargs == {"ndim": 2, "err_to_str": True}
        return self

    @property
    def value(self):
        return self._values


class _Sheet:
    def __init__(self, book, name, values, row=1, column=1, visible=True):
        self.book, self.name, self.visible = book, name, visible
        self.used_range = _Range(row, column, values)
        self.formulas: dict[str, list] = {}

    def range(self, address):
        sheet = self

        class _Target:
            def resize(self, rows, columns):
                return self

            @property
            def formula(self):
                return sheet.formulas[address]

            @formula.setter
            def formula(self, value):
                sheet.formulas[address] = value

        return _Target()

    @property
    def index(self):
        return self.book.sheets.index(self) + 1

    def copy(self, after):
        clone = _Sheet(after.book, self.name + " (2)", self.used_range.value)
        after.book.sheets.insert(after.index, clone)

    def delete(self):
        self.book.sheets.remove(self)


class _Sheets(list):
    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)


class _StubBook:
    """Stands in for an xlwings Book with the attributes XlwingsBook uses."""

    def __init__(self, fullname, sheets):
        self.fullname = fullname
        self.sheets = _Sheets()
        self.names = _Names()
        self.app = self
        self.books = self
        self.opened: list = []
        for name, values, row, column in sheets:
            self.sheets.append(_Sheet(self, name, values, row, column))

    def open(self, path, update_links=None):
        assert update_links is False
        source = _StubBook(
            path, [(n, [["x"]], 1, 1) for n in ("Dashboard", "Checks", "Roadmap")]
        )
        source.close = lambda: self.opened.append("closed")
        return source


def test_xlwings_book_reads_offset_ranges():
    from ctimm_xl.excel.xlwings_book import XlwingsBook

    header = ["Maturity Level", "Intel Cycle Phase", "Intel Level", "Actions", "True?"]
    rows = [header, ["Level 1", "Feedback", "Strategic", "1.A.5.a / x", "#N/A"]]
    stub = _StubBook(
        "C:/book.xlsx", [("Mine", rows, 4, 2), ("xlwings.conf", [["k", "v"]], 1, 1)]
    )
    values = XlwingsBook(stub).sheet_values()
    assert [v.name for v in values] == ["Mine"]
    live = LiveWorkbook("C:/book.xlsx", values, set())
    cells = dict(live.cells(live.sheets[0]).rows())
    assert cells[5][6].kind == "error"  # F5: the range starts at B4
    assert cells[4][2].value == "Maturity Level"


def test_xlwings_book_replaces_marked_sheets(tmp_path):
    from ctimm_xl.excel.xlwings_book import XlwingsBook

    stub = _StubBook(
        "C:/book.xlsx", [("Level 1", [["a"]], 1, 1), ("Dashboard", [["old"]], 1, 1)]
    )
    stub.names.add("ctimm_xl.Dashboard", "='Dashboard'!$A$1")
    book = XlwingsBook(stub)
    assert book.marked_sheets() == {"Dashboard"}
    scratch = tmp_path / "report.xlsx"
    report = openpyxl.Workbook()
    report.active.title = "Dashboard"
    report["Dashboard"]["B2"] = "='Level 1'!F3"
    report.create_sheet("Roadmap")["A1"] = "plain"
    report.save(scratch)
    book.write_report(scratch, ("Dashboard", "Roadmap"))
    assert [s.name for s in stub.sheets] == ["Level 1", "Dashboard", "Roadmap"]
    assert stub.sheets["Dashboard"].used_range.value == [["x"]]
    assert sorted(n.name for n in stub.names) == [
        "ctimm_xl.Dashboard",
        "ctimm_xl.Roadmap",
    ]
    assert stub.opened == ["closed"]
    assert stub.sheets["Dashboard"].formulas == {"B2": [["='Level 1'!F3"]]}
    assert stub.sheets["Roadmap"].formulas == {}


def test_formula_runs_skip_text(tmp_path):
    from ctimm_xl.excel.xlwings_book import formula_runs

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Dashboard"
    sheet["A1"] = "=1+1"
    sheet["B1"] = "='Level 1'!F3"
    sheet["C1"] = "text"
    sheet["D1"] = "=SUM(A1:B1)"
    sheet["A2"] = "=not a formula"
    sheet["A2"].data_type = "s"
    path = tmp_path / "scratch.xlsx"
    book.save(path)
    assert formula_runs(path, "Dashboard") == [
        ("A1", ["=1+1", "='Level 1'!F3"]),
        ("D1", ["=SUM(A1:B1)"]),
    ]
