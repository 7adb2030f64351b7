"""Text comparison as users type it: case, spaces and non-breaking spaces ignored."""

from __future__ import annotations

import re

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")


def fold(text: str, *, lower: bool = True) -> str:
    """Trim, fold runs of spaces and non-breaking spaces into one, and lower-case."""
    folded = _SPACES.sub(" ", text).strip()
    return folded.lower() if lower else folded
