"""The domain model: controls, answers, areas and the results of an assessment.

Nothing here reads or writes files. Rows and columns are 1-based wherever a
cell is named, as in Excel.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property

MAX_LEVEL = 5

INTEL_LEVELS: dict[str, str] = {"A": "Strategic", "B": "Operational", "C": "Tactical"}
PHASES: dict[int, str] = {
    1: "Direction & requirements",
    2: "Collection & processing",
    3: "Analysis & production",
    4: "Dissemination",
    5: "Feedback",
}

# Short phase names for narrow places (terminal tables, chart labels).
PHASE_SHORT: dict[int, str] = {
    1: "Direction",
    2: "Collection",
    3: "Analysis",
    4: "Dissemination",
    5: "Feedback",
}


class Kind(str, enum.Enum):
    INDICATOR = "indicator"
    ACTION = "action"


class Answer(str, enum.Enum):
    YES = "Yes"
    NO = "No"
    PARTIAL = "Partial"
    NA = "N/A"
    UNANSWERED = ""


@dataclass(frozen=True, order=True)
class ControlId:
    """A control ID `L.I.P.x`: maturity level, intel level letter, phase, letter."""

    level: int
    intel: str
    phase: int
    letter: str

    def __str__(self) -> str:
        return f"{self.level}.{self.intel}.{self.phase}.{self.letter}"

    @cached_property
    def area(self) -> str:
        # Cached: the scoring and the checks ask for it once per control and rule.
        return f"{self.intel}{self.phase}"

    @property
    def in_model(self) -> bool:
        """Whether every part lies inside the model's 5 × 3 × 5 scheme."""
        return (
            1 <= self.level <= MAX_LEVEL
            and self.intel in INTEL_LEVELS
            and self.phase in PHASES
            and len(self.letter) == 1
            and self.letter.isalpha()
        )


@dataclass(frozen=True)
class CellRef:
    """A cell on a sheet; `row` and `column` count from 1."""

    sheet: str
    row: int
    column: int

    def __str__(self) -> str:
        return f"{quote_sheet(self.sheet)}!{column_letter(self.column)}{self.row}"


@dataclass
class Control:
    """One control row of the assessment, as read from a workbook."""

    id: ControlId
    kind: Kind
    answer: Answer
    description: str
    answer_cell: CellRef
    links: list[ControlId] = field(default_factory=list)
    links_cell: CellRef | None = None
    remarks: str = ""
    process: str = ""
    people: str = ""
    technology: str = ""
    answer_text: str = ""

    @property
    def level(self) -> int:
        return self.id.level

    @property
    def area(self) -> str:
        return self.id.area

    @property
    def is_action(self) -> bool:
        return self.kind is Kind.ACTION


@dataclass(frozen=True)
class Finding:
    """A violation of the model's rules or a data problem, tied to one cell."""

    kind: str
    control: str | None
    cell: str
    message: str
    related: tuple[str, ...] = ()


@dataclass
class AreaResult:
    intel: str
    phase: int
    level: int
    score: float
    target: int
    actions: int
    answered: int
    indicators_present: int

    @property
    def area(self) -> str:
        return f"{self.intel}{self.phase}"


@dataclass(frozen=True)
class Rollup:
    kind: str
    name: str
    phase: int | None
    level: int
    score: float


@dataclass(frozen=True)
class RoadmapStep:
    step: int
    control: Control
    unlocks_level: int
    reason: str


def area_label(intel: str, phase: int) -> str:
    return f"{INTEL_LEVELS[intel]} · {PHASES[phase]}"


def column_letter(column: int) -> str:
    """Return the Excel letters of a 1-based column number (1 → A, 27 → AA)."""
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def quote_sheet(name: str) -> str:
    """Quote a sheet name for a formula or reference, doubling apostrophes."""
    return "'" + name.replace("'", "''") + "'"
