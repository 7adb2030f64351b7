"""Maturity levels and scores of the 15 areas and their roll-ups.

Only actions are scored, and an N/A action is left out of every count. The
staged level of an area is the highest L in 0…5 such that every applicable
action of the area at a level ≤ L is Yes (the staged rule of C2M2); a level
without applicable actions is met. The score adds the share of Yes (a Partial
counts half) among the applicable actions of level L + 1.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import fmean

from ..model import (
    INTEL_LEVELS,
    MAX_LEVEL,
    PHASES,
    Answer,
    AreaResult,
    Control,
    Kind,
    Rollup,
)

AREAS: tuple[tuple[str, int], ...] = tuple(
    (intel, phase) for intel in INTEL_LEVELS for phase in PHASES
)


def applicable_actions(controls: Iterable[Control]) -> list[Control]:
    return [c for c in controls if c.kind is Kind.ACTION and c.answer is not Answer.NA]


def staged_level(actions: list[Control]) -> int:
    """Return the staged level of one area from its applicable actions."""
    level = 0
    for candidate in range(1, MAX_LEVEL + 1):
        if all(a.answer is Answer.YES for a in actions if a.level == candidate):
            level = candidate
        else:
            break
    return level


def area_score(actions: list[Control], level: int) -> float:
    if level >= MAX_LEVEL:
        return float(MAX_LEVEL)
    above = [a for a in actions if a.level == level + 1]
    # The next level has an applicable action that is not Yes, or the level
    # would have been met, so `above` is never empty here.
    done = sum(
        1.0 if a.answer is Answer.YES else 0.5
        for a in above
        if a.answer in (Answer.YES, Answer.PARTIAL)
    )
    return level + done / len(above)


def score_areas(
    controls: list[Control], targets: Mapping[str, int] | None = None
) -> list[AreaResult]:
    """Score each of the 15 areas; `targets` maps area codes (`B2`) to target levels."""
    by_area: dict[str, list[Control]] = {f"{i}{p}": [] for i, p in AREAS}
    for control in controls:
        if control.area in by_area:
            by_area[control.area].append(control)

    results = []
    for intel, phase in AREAS:
        code = f"{intel}{phase}"
        members = by_area[code]
        actions = [c for c in members if c.kind is Kind.ACTION]
        applicable = applicable_actions(members)
        level = staged_level(applicable)
        target = (targets or {}).get(code, min(level + 1, MAX_LEVEL))
        results.append(
            AreaResult(
                intel=intel,
                phase=phase,
                level=level,
                score=area_score(applicable, level),
                target=target,
                actions=len(actions),
                answered=sum(a.answer is not Answer.UNANSWERED for a in actions),
                indicators_present=sum(
                    c.kind is Kind.INDICATOR and c.answer is Answer.YES for c in members
                ),
            )
        )
    return results


def rollups(areas: list[AreaResult]) -> list[Rollup]:
    """Roll areas up per intel level, per phase and overall: minimum level, mean score."""
    found = []
    for intel, name in INTEL_LEVELS.items():
        group = [a for a in areas if a.intel == intel]
        found.append(_rollup("intel_level", name, None, group))
    for phase, name in PHASES.items():
        group = [a for a in areas if a.phase == phase]
        found.append(_rollup("phase", name, phase, group))
    found.append(_rollup("overall", "Overall", None, areas))
    return found


def _rollup(kind: str, name: str, phase: int | None, group: list[AreaResult]) -> Rollup:
    return Rollup(
        kind, name, phase, min(a.level for a in group), fmean(a.score for a in group)
    )


def completeness(controls: list[Control]) -> float:
    """Answered actions ÷ all actions; N/A counts as answered."""
    actions = [c for c in controls if c.kind is Kind.ACTION]
    if not actions:
        return 0.0
    return sum(c.answer is not Answer.UNANSWERED for c in actions) / len(actions)
