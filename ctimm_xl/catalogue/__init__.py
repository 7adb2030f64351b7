"""The project's own catalogue of CTI-MM controls, kept as `controls.csv`.

Columns: id, maturity_level, intel_level, phase, kind, links (space-separated
IDs that build on this control), description, process, people, technology.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

from ..ids import parse_id
from ..model import ControlId, Kind


@dataclass(frozen=True)
class Entry:
    id: ControlId
    kind: Kind
    description: str
    links: tuple[ControlId, ...]
    process: str
    people: str
    technology: str


def load_catalogue() -> list[Entry]:
    """Return the catalogue's controls in the model's order."""
    text = resources.files(__package__).joinpath("controls.csv").read_text("utf-8")
    entries = []
    for row in csv.DictReader(io.StringIO(text)):
        control_id = parse_id(row["id"])
        if control_id is None:
            raise ValueError(f"controls.csv: invalid ID {row['id']!r}")
        links = tuple(parse_id(token) for token in row["links"].split())
        entries.append(
            Entry(
                id=control_id,
                kind=Kind(row["kind"]),
                description=row["description"],
                links=tuple(link for link in links if link is not None),
                process=row["process"],
                people=row["people"],
                technology=row["technology"],
            )
        )
    return entries
