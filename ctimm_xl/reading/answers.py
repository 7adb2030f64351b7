"""Turn the content of a `True?` or `Value` cell into an answer."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Answer
from ..text import fold
from ..xlsx.cells import Cell

_WORDS: dict[str, Answer] = {}
for _answer, _spellings in (
    (Answer.YES, ("yes", "y", "true", "1", "x", "✓", "✔")),
    (Answer.NO, ("no", "n", "false", "0")),
    (Answer.PARTIAL, ("partial", "partially")),
    (Answer.NA, ("n/a", "na", "not applicable", "-")),
):
    for _spelling in _spellings:
        _WORDS[_spelling] = _answer

_NUMBERS = {1.0: Answer.YES, 0.0: Answer.NO, 0.5: Answer.PARTIAL}


@dataclass(frozen=True)
class ParsedAnswer:
    answer: Answer
    problem: str | None = None
    shown: str = ""


def parse_answer(cell: Cell | None) -> ParsedAnswer:
    """Read a `True?` cell. A formula counts by its cached value."""
    if cell is None:
        return ParsedAnswer(Answer.UNANSWERED)
    if cell.formula and not cell.cached:
        return ParsedAnswer(Answer.UNANSWERED, "uncached-formula", "formula")
    if cell.kind == "blank" or cell.is_blank:
        return ParsedAnswer(Answer.UNANSWERED)
    if cell.kind == "bool":
        return ParsedAnswer(Answer.YES if cell.value else Answer.NO, shown=cell.text)
    if cell.kind == "number":
        answer = _NUMBERS.get(float(cell.value))  # type: ignore[arg-type]
        if answer is None:
            return ParsedAnswer(Answer.UNANSWERED, "invalid-answer", cell.text)
        return ParsedAnswer(answer, shown=cell.text)
    if cell.kind == "text":
        answer = _WORDS.get(fold(str(cell.value)))
        if answer is None:
            return ParsedAnswer(Answer.UNANSWERED, "invalid-answer", str(cell.value))
        return ParsedAnswer(answer, shown=str(cell.value))
    return ParsedAnswer(Answer.UNANSWERED, "invalid-answer", cell.text)


def parse_value_box(cell: Cell | None) -> Answer | None:
    """Read an indicator's `Value` cell, which its checkbox sets to TRUE or FALSE.

    Only a boolean counts. Anything else there (notes like `???`) is ignored.
    """
    if cell is None or cell.kind != "bool":
        return None
    if cell.formula and not cell.cached:
        return None
    return Answer.YES if cell.value else Answer.NO


def holds_answer(cell: Cell | None) -> bool:
    """Return whether a `True?` cell is non-blank, valid or not."""
    if cell is None:
        return False
    if cell.formula:
        return True
    return not cell.is_blank
