"""Run scoring, checks and planning on a set of controls and gather the result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model import (
    INTEL_LEVELS,
    PHASES,
    AreaResult,
    Control,
    Finding,
    Kind,
    RoadmapStep,
    Rollup,
)
from .checks import find_violations
from .roadmap import cycle_problems, link_cycles, plan
from .scoring import completeness, rollups, score_areas


@dataclass
class Result:
    workbook: str
    controls: list[Control]
    source_sheets: list[str]
    ignored_sheets: list[str]
    areas: list[AreaResult]
    rollups: list[Rollup]
    completeness: float
    violations: list[Finding]
    problems: list[Finding]
    roadmap: list[RoadmapStep]
    stored_targets: dict[str, int] = field(default_factory=dict)

    @property
    def actions(self) -> int:
        return sum(c.kind is Kind.ACTION for c in self.controls)

    @property
    def indicators(self) -> int:
        return sum(c.kind is Kind.INDICATOR for c in self.controls)

    def to_json(self) -> dict[str, Any]:
        return {
            "workbook": self.workbook,
            "source_sheets": self.source_sheets,
            "ignored_sheets": self.ignored_sheets,
            "controls": len(self.controls),
            "actions": self.actions,
            "indicators": self.indicators,
            "completeness": self.completeness,
            "areas": [
                {
                    "area": a.area,
                    "intel_level": INTEL_LEVELS[a.intel],
                    "phase": a.phase,
                    "phase_name": PHASES[a.phase],
                    "level": a.level,
                    "score": a.score,
                    "target": a.target,
                }
                for a in self.areas
            ],
            "rollups": [
                {
                    "kind": r.kind,
                    "name": r.name,
                    "phase": r.phase,
                    "level": r.level,
                    "score": r.score,
                }
                for r in self.rollups
            ],
            "violations": [
                {
                    "kind": v.kind,
                    "control": v.control,
                    "related": list(v.related),
                    "cell": v.cell,
                    "message": v.message,
                }
                for v in self.violations
            ],
            "problems": [
                {
                    "kind": p.kind,
                    "control": p.control,
                    "cell": p.cell,
                    "message": p.message,
                }
                for p in self.problems
            ],
            "roadmap": [
                {
                    "step": s.step,
                    "control": str(s.control.id),
                    "area": s.control.area,
                    "unlocks_level": s.unlocks_level,
                    "reason": s.reason,
                }
                for s in self.roadmap
            ],
        }


def evaluate(
    workbook: str,
    controls: list[Control],
    *,
    source_sheets: list[str],
    ignored_sheets: list[str],
    problems: list[Finding],
    stored_targets: Mapping[str, int] | None = None,
    target: int | None = None,
) -> Result:
    """Score, check and plan. `target` (from --target) overrides stored targets."""
    stored = dict(stored_targets or {})
    areas = score_areas(controls)
    for area in areas:
        if target is not None:
            area.target = target
        elif area.area in stored:
            area.target = stored[area.area]
        # Otherwise score_areas has set the default, the level + 1 (at most 5).
    targets = {area.area: area.target for area in areas}

    cycles = link_cycles(controls)
    return Result(
        workbook=workbook,
        controls=controls,
        source_sheets=source_sheets,
        ignored_sheets=ignored_sheets,
        areas=areas,
        rollups=rollups(areas),
        completeness=completeness(controls),
        violations=find_violations(controls),
        problems=[*problems, *cycle_problems(cycles)],
        roadmap=plan(controls, targets, cycles),
        stored_targets=stored,
    )
