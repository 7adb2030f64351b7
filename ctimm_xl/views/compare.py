"""`ctimm compare`: what changed between two assessments of the same model."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.result import Result
from ..model import Answer, Finding, Rollup
from .common import add_source_option, area_name, check_output, load_result

log = logging.getLogger(__name__)

# Scores are means of fractions, so two equal scores can differ in the last bits.
SCORE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class AreaChange:
    area: str
    name: str
    old_level: int
    new_level: int
    old_score: float
    new_score: float


@dataclass(frozen=True)
class ControlChange:
    """A control whose answer moved to or from Yes; None means absent from that workbook."""

    control: str
    area: str
    description: str
    old_answer: Answer | None
    new_answer: Answer | None


@dataclass
class Comparison:
    old: str
    new: str
    old_overall: Rollup
    new_overall: Rollup
    old_completeness: float
    new_completeness: float
    areas_up: list[AreaChange] = field(default_factory=list)
    areas_down: list[AreaChange] = field(default_factory=list)
    newly_yes: list[ControlChange] = field(default_factory=list)
    no_longer_yes: list[ControlChange] = field(default_factory=list)
    violations_fixed: list[Finding] = field(default_factory=list)
    violations_new: list[Finding] = field(default_factory=list)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "compare",
        help="show what changed between an earlier and a later assessment",
        description="Score OLD and NEW without changing them and list the areas "
        "whose level or score moved, the controls that became Yes or stopped "
        "being Yes, and the violations fixed and new. A violation is matched by "
        "its kind, control and related controls.",
    )
    parser.add_argument("old", type=Path, metavar="OLD", help="the earlier workbook")
    parser.add_argument("new", type=Path, metavar="NEW", help="the later workbook")
    parser.add_argument(
        "--json", action="store_true", help="print the comparison as JSON on stdout"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT.xlsx",
        help="also write the comparison to a new workbook, on a sheet named Compare",
    )
    add_source_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.output is not None:
        check_output(args.output, [args.old, args.new], (".xlsx",))
    comparison = compare_results(
        load_result(args.old, args.source), load_result(args.new, args.source)
    )
    if args.json:
        json.dump(comparison_json(comparison), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(comparison_text(comparison))
    if args.output is not None:
        from .compare_sheet import write_compare_workbook

        write_compare_workbook(comparison, args.output)
        log.info("wrote %s", args.output)
    return 0


def compare_results(old: Result, new: Result) -> Comparison:
    """Compare two results area by area, control by control and violation by violation."""
    comparison = Comparison(
        old=old.workbook,
        new=new.workbook,
        old_overall=old.rollups[-1],
        new_overall=new.rollups[-1],
        old_completeness=old.completeness,
        new_completeness=new.completeness,
    )
    old_areas = {a.area: a for a in old.areas}
    for area in new.areas:
        before = old_areas[area.area]
        change = AreaChange(
            area.area,
            area_name(area),
            before.level,
            area.level,
            before.score,
            area.score,
        )
        # A higher level always means a higher score, so the score decides.
        if area.score > before.score + SCORE_TOLERANCE:
            comparison.areas_up.append(change)
        elif area.score < before.score - SCORE_TOLERANCE:
            comparison.areas_down.append(change)

    old_controls = {str(c.id): c for c in old.controls}
    new_controls = {str(c.id): c for c in new.controls}
    for key, control in new_controls.items():
        before = old_controls.get(key)
        old_answer = before.answer if before is not None else None
        if control.answer is Answer.YES and old_answer is not Answer.YES:
            comparison.newly_yes.append(
                ControlChange(
                    key, control.area, control.description, old_answer, control.answer
                )
            )
    for key, control in old_controls.items():
        after = new_controls.get(key)
        new_answer = after.answer if after is not None else None
        if control.answer is Answer.YES and new_answer is not Answer.YES:
            comparison.no_longer_yes.append(
                ControlChange(
                    key, control.area, control.description, control.answer, new_answer
                )
            )

    old_keys = {violation_key(v) for v in old.violations}
    new_keys = {violation_key(v) for v in new.violations}
    comparison.violations_fixed = [
        v for v in old.violations if violation_key(v) not in new_keys
    ]
    comparison.violations_new = [
        v for v in new.violations if violation_key(v) not in old_keys
    ]
    return comparison


def violation_key(finding: Finding) -> tuple[str, str, tuple[str, ...]]:
    """Return what identifies a violation across runs: kind, control, related controls.

    The message and cell are left out, because they change when rows move.
    A skipped prerequisite whose list of missing actions shrinks counts as one
    fixed and one new violation.
    """
    return (finding.kind, finding.control or "", tuple(sorted(finding.related)))


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    return {
        "old": comparison.old,
        "new": comparison.new,
        "overall": {
            "old_level": comparison.old_overall.level,
            "new_level": comparison.new_overall.level,
            "old_score": comparison.old_overall.score,
            "new_score": comparison.new_overall.score,
        },
        "completeness": {
            "old": comparison.old_completeness,
            "new": comparison.new_completeness,
        },
        "areas_up": [_area_json(a) for a in comparison.areas_up],
        "areas_down": [_area_json(a) for a in comparison.areas_down],
        "controls_newly_yes": [_control_json(c) for c in comparison.newly_yes],
        "controls_no_longer_yes": [_control_json(c) for c in comparison.no_longer_yes],
        "violations_fixed": [_finding_json(v) for v in comparison.violations_fixed],
        "violations_new": [_finding_json(v) for v in comparison.violations_new],
    }


def comparison_text(comparison: Comparison) -> str:
    """Return the comparison as the text report that `ctimm compare` prints."""
    old, new = comparison.old_overall, comparison.new_overall
    lines = [
        f"Compared {comparison.old} (old) with {comparison.new} (new)",
        f"  overall: level {old.level} -> {new.level}, score {old.score:.2f} -> "
        f"{new.score:.2f} ({new.score - old.score:+.2f})",
        f"  completeness: {comparison.old_completeness:.0%} -> "
        f"{comparison.new_completeness:.0%}",
    ]
    for title, areas in (
        ("areas up", comparison.areas_up),
        ("areas down", comparison.areas_down),
    ):
        lines.append(f"  {title}: {len(areas) or 'none'}")
        for a in areas:
            lines.append(
                f"    {a.area} {a.name}: level {a.old_level} -> {a.new_level}, "
                f"score {a.old_score:.2f} -> {a.new_score:.2f}"
            )
    for title, controls in (
        ("controls newly Yes", comparison.newly_yes),
        ("controls no longer Yes", comparison.no_longer_yes),
    ):
        lines.append(f"  {title}: {len(controls) or 'none'}")
        for c in controls:
            lines.append(
                f"    {c.control} ({c.area}): {answer_label(c.old_answer)} -> "
                f"{answer_label(c.new_answer)}"
            )
    for title, findings in (
        ("violations fixed", comparison.violations_fixed),
        ("violations new", comparison.violations_new),
    ):
        lines.append(f"  {title}: {len(findings) or 'none'}")
        for v in findings:
            related = f" (related {', '.join(v.related)})" if v.related else ""
            lines.append(f"    {v.kind} {v.control or '-'}{related}")
    return "\n".join(lines)


def answer_label(answer: Answer | None) -> str:
    """Return an answer for display: `Yes`, …, `unanswered`, or `absent`."""
    if answer is None:
        return "absent"
    return answer.value or "unanswered"


def _area_json(change: AreaChange) -> dict[str, Any]:
    return {
        "area": change.area,
        "name": change.name,
        "old_level": change.old_level,
        "new_level": change.new_level,
        "old_score": change.old_score,
        "new_score": change.new_score,
    }


def _control_json(change: ControlChange) -> dict[str, Any]:
    return {
        "control": change.control,
        "area": change.area,
        "old_answer": None if change.old_answer is None else change.old_answer.value,
        "new_answer": None if change.new_answer is None else change.new_answer.value,
    }


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "kind": finding.kind,
        "control": finding.control,
        "related": list(finding.related),
        "cell": finding.cell,
        "message": finding.message,
    }
