"""The computations behind the worksheet functions, on plain cell values (no xlwings).

Excel hands a function the values of its ranges and recalculates it when they
change; the function never reads the workbook. Every cell that calls a
function over the same ranges gets the same arguments, so the parsed and
scored assessment is memoized on those values (`_evaluate`) and computed once
per recalculation, not once per cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ..core.result import Result, evaluate
from ..ids import id_from_description, link_ids
from ..model import INTEL_LEVELS, PHASES, CellRef, Control, Kind
from ..reading.answers import parse_answer
from ..text import fold
from .live import to_cell

_INTEL_BY_NAME = {name.lower(): letter for letter, name in INTEL_LEVELS.items()}


def _flat(values: object) -> tuple:
    if values is None:
        return ()
    if isinstance(values, (list, tuple)):
        flat = []
        for value in values:
            if isinstance(value, (list, tuple)):
                flat.extend(value)
            else:
                flat.append(value)
        return tuple(flat)
    return (values,)


def assess(ids, answers, links=None, kinds=None, target=None) -> Result:
    """Score the controls given as parallel ranges of IDs, answers, links and kinds."""
    return _evaluate(_flat(ids), _flat(answers), _flat(links), _flat(kinds), target)


@lru_cache(maxsize=64)
def _evaluate(ids: tuple, answers: tuple, links: tuple, kinds: tuple, target) -> Result:
    controls: list[Control] = []
    seen = set()
    for row, text in enumerate(ids):
        parsed = id_from_description(str(text)) if text is not None else None
        if parsed is None or not parsed.in_model or parsed in seen:
            continue
        seen.add(parsed)
        kind_text = fold(str(kinds[row])) if row < len(kinds) and kinds[row] else ""
        answer = parse_answer(to_cell(1, answers[row]) if row < len(answers) else None)
        link_text = str(links[row]) if row < len(links) and links[row] else ""
        controls.append(
            Control(
                id=parsed,
                kind=Kind.INDICATOR if "indicator" in kind_text else Kind.ACTION,
                answer=answer.answer,
                description="",
                answer_cell=CellRef("range", row + 1, 1),
                links=link_ids(link_text),
            )
        )
    level = int(target) if target not in (None, "") else None
    return evaluate(
        "range",
        controls,
        source_sheets=[],
        ignored_sheets=[],
        problems=[],
        target=level,
    )


def area_code(intel_level: object, phase: object) -> str:
    """Return the area code (`B2`) for an intel level and a phase given loosely."""
    intel_text = fold(str(intel_level))
    intel = _INTEL_BY_NAME.get(intel_text, intel_text.upper()[:1])
    if intel not in INTEL_LEVELS:
        raise ValueError(f"unknown intel level {intel_level!r}; use A, B, C or a name")
    if isinstance(phase, (int, float)) and int(phase) in PHASES:
        return f"{intel}{int(phase)}"
    phase_text = fold(str(phase))
    for number, name in PHASES.items():
        if phase_text and (
            phase_text == str(number) or name.lower().startswith(phase_text)
        ):
            return f"{intel}{number}"
    raise ValueError(f"unknown phase {phase!r}; use 1-5 or a phase name")


def level(ids, answers, intel_level, phase, kinds=None) -> int:
    code = area_code(intel_level, phase)
    return next(
        a.level for a in assess(ids, answers, kinds=kinds).areas if a.area == code
    )


def score(ids, answers, intel_level, phase, kinds=None) -> float:
    code = area_code(intel_level, phase)
    return next(
        a.score for a in assess(ids, answers, kinds=kinds).areas if a.area == code
    )


def checks(ids, answers, links=None, kinds=None) -> list[list[str]]:
    """Violations as rows (kind, control, related, message), with a header row."""
    rows = [["Kind", "Control", "Related", "Message"]]
    for violation in assess(ids, answers, links, kinds).violations:
        rows.append(
            [
                violation.kind,
                violation.control or "",
                ", ".join(violation.related),
                violation.message,
            ]
        )
    return rows


def next_steps(
    ids, answers, n=5, links=None, kinds=None, target=None
) -> list[list[object]]:
    """Return the first `n` roadmap steps as rows (step, control, unlocks level, reason)."""
    rows: list[list[object]] = [["Step", "Control", "Unlocks level", "Reason"]]
    for step in assess(ids, answers, links, kinds, target).roadmap[: int(n)]:
        rows.append([step.step, str(step.control.id), step.unlocks_level, step.reason])
    return rows


def as_sequence(values: object) -> Sequence:
    return _flat(values)
