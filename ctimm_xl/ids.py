"""Parse control IDs and the ID-shaped tokens of a `Links to` cell."""

from __future__ import annotations

import re

from .model import ControlId
from .text import fold

# An ID with the quirks users leave in it: a missing dot before the letter
# (`1.B.3a`), a trailing dot (`3.A.1.c.`) and spaces anywhere.
_ID = re.compile(r"(\d+)\.?([A-Za-z])\.?(\d+)\.?([A-Za-z]+)\.?")

# An ID-shaped token inside free text: matched whole, so `3.A.1.b` inside
# `x3.A.1.b` or `3.A.1.b.c` is not a link, while a trailing dot is allowed.
_LINK = re.compile(
    r"(?<![0-9A-Za-z.])(\d+)\.([A-Za-z])\.(\d+)\.?([A-Za-z]+)\.?(?![0-9A-Za-z.])"
)


def parse_id(text: str) -> ControlId | None:
    """Return the ID a bare ID text names, or None when it is not ID-shaped."""
    compact = re.sub(r"\s+", "", text.replace("\u00a0", " "))
    match = _ID.fullmatch(compact)
    if match is None:
        return None
    return _from_match(match)


def id_from_description(text: str) -> ControlId | None:
    """Return the ID at the start of a description cell (`3.B.2.a / ...`)."""
    head, slash, _rest = text.partition("/")
    if slash:
        parsed = parse_id(head)
        if parsed is not None:
            return parsed
    # Without a usable slash, accept an ID followed by a space, dash or colon.
    match = re.match(r"\s*([0-9A-Za-z.\u00a0 ]+?)\s*(?:[-–:]\s|$)", text)
    if match is not None:
        return parse_id(match.group(1))
    return None


def link_ids(text: str) -> list[ControlId]:
    """Return every ID-shaped token of a `Links to` cell, in order, once each."""
    seen: list[ControlId] = []
    for match in _LINK.finditer(fold(text, lower=False)):
        parsed = _from_match(match)
        if parsed not in seen:
            seen.append(parsed)
    return seen


def _from_match(match: re.Match[str]) -> ControlId:
    level, intel, phase, letter = match.groups()
    return ControlId(int(level), intel.upper(), int(phase), letter.lower())
