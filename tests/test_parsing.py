"""Control IDs, links and answers as users type them."""

from __future__ import annotations

import pytest

from ctimm_xl.ids import id_from_description, link_ids, parse_id
from ctimm_xl.model import Answer
from ctimm_xl.reading.answers import parse_answer, parse_value_box
from ctimm_xl.xlsx.cells import Cell


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.B.2.a / Something", "3.B.2.a"),
        ("1.B.3a / Missing dot", "1.B.3.a"),
        ("3.A.1.c. / Trailing dot", "3.A.1.c"),
        ("2.B.2.b. / Trailing dot", "2.B.2.b"),
        (" 4.C.1.b\u00a0/ non-breaking space", "4.C.1.b"),
        ("4 . c . 1 . B / spaces and case", "4.C.1.b"),
        ("5.A.5.a/no spaces around the slash", "5.A.5.a"),
        ("2.C.3.d - dash instead of slash", "2.C.3.d"),
    ],
    ids=[
        "plain",
        "missing-dot",
        "trailing-dot",
        "trailing-dot-2",
        "nbsp",
        "spaces-case",
        "tight-slash",
        "dash",
    ],
)
def test_id_from_description(text, expected):
    assert str(id_from_description(text)) == expected


@pytest.mark.parametrize(
    "text",
    ["No ID at all", "", "/ starts with a slash", "Level 3 / words", "3.B / short"],
    ids=["words", "empty", "slash", "level-word", "short"],
)
def test_id_from_description_unreadable(text):
    assert id_from_description(text) is None


def test_parse_id_out_of_range_is_parsed_but_not_in_model():
    parsed = parse_id("6.D.9.z")
    assert str(parsed) == "6.D.9.z"
    assert not parsed.in_model
    assert parse_id("3.B.2.a").in_model


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.A.1.b", ["3.A.1.b"]),
        ("3.A.1.c.", ["3.A.1.c"]),
        ("2.B.1.a ", ["2.B.1.a"]),
        ("see 3.A.1.b, 2.B.1.a and 3.A.1.b again", ["3.A.1.b", "2.B.1.a"]),
        ("13.A.1.a", ["13.A.1.a"]),
        ("6.D.9.z", ["6.D.9.z"]),
        ("x3.A.1.b", []),
        ("3.A.1.b.c", []),
        ("v1.2 and 3.A.1", []),
        ("3.a.1.B\u00a0;4.B.2.c", ["3.A.1.b", "4.B.2.c"]),
        ("", []),
    ],
    ids=[
        "one",
        "trailing-dot",
        "trailing-space",
        "prose",
        "two-digit-level",
        "out-of-range",
        "inside-token",
        "longer-token",
        "not-ids",
        "case-nbsp",
        "empty",
    ],
)
def test_link_ids(text, expected):
    assert [str(i) for i in link_ids(text)] == expected


def text(value):
    return Cell(6, "text", value)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (text("Yes"), Answer.YES),
        (text(" yes "), Answer.YES),
        (text("Y"), Answer.YES),
        (text("TRUE"), Answer.YES),
        (text("x"), Answer.YES),
        (text("✓"), Answer.YES),
        (text("✔"), Answer.YES),
        (text("1"), Answer.YES),
        (Cell(6, "bool", True), Answer.YES),
        (Cell(6, "number", 1.0), Answer.YES),
        (text("No"), Answer.NO),
        (text("n"), Answer.NO),
        (text("False"), Answer.NO),
        (text("0"), Answer.NO),
        (Cell(6, "bool", False), Answer.NO),
        (Cell(6, "number", 0.0), Answer.NO),
        (text("Partial"), Answer.PARTIAL),
        (text("PARTIALLY"), Answer.PARTIAL),
        (Cell(6, "number", 0.5), Answer.PARTIAL),
        (text("N/A"), Answer.NA),
        (text("na"), Answer.NA),
        (text("Not\u00a0 applicable"), Answer.NA),
        (text("-"), Answer.NA),
        (text("   "), Answer.UNANSWERED),
        (None, Answer.UNANSWERED),
    ],
    ids=lambda v: repr(v.value) if isinstance(v, Cell) else None,
)
def test_parse_answer(cell, expected):
    parsed = parse_answer(cell)
    assert parsed.answer is expected
    assert parsed.problem is None


@pytest.mark.parametrize(
    "cell",
    [
        text("maybe"),
        text("Yes!"),
        Cell(6, "number", 2.0),
        Cell(6, "error", "#N/A"),
        Cell(6, "error", "#REF!"),
        text("yes no"),
    ],
    ids=["maybe", "yes-bang", "two", "na-error", "ref-error", "yes-no"],
)
def test_parse_answer_invalid(cell):
    parsed = parse_answer(cell)
    assert parsed.answer is Answer.UNANSWERED
    assert parsed.problem == "invalid-answer"


def test_parse_answer_formula():
    cached = parse_answer(Cell(6, "text", "Yes", formula=True))
    uncached = parse_answer(Cell(6, "blank", None, formula=True, cached=False))
    assert cached.answer is Answer.YES
    assert uncached.answer is Answer.UNANSWERED
    assert uncached.problem == "uncached-formula"


def test_value_box_counts_only_booleans():
    assert parse_value_box(Cell(11, "bool", True)) is Answer.YES
    assert parse_value_box(Cell(11, "bool", False)) is Answer.NO
    assert parse_value_box(text("TRUE")) is None
    assert parse_value_box(text("???")) is None
    assert parse_value_box(None) is None


def test_formula_with_empty_result_is_cached():
    from pathlib import Path

    from ctimm_xl.xlsx.cells import SheetCells

    xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="str"><f>IF(1,"","x")</f><v></v></c>'
        b'<c r="B1"><f>1+1</f></c></row></sheetData></worksheet>'
    )
    cells = dict(SheetCells(xml, [], Path("book.xlsx"), "sheet1.xml", "S").rows())[1]
    empty = parse_answer(cells[1])
    uncached = parse_answer(cells[2])
    assert empty.answer is Answer.UNANSWERED
    assert empty.problem is None
    assert uncached.problem == "uncached-formula"
