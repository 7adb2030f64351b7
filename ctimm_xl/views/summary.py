"""`ctimm summary`: a one-page board report as PDF, PNG or HTML."""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .. import __version__
from ..core.result import Result
from ..core.scoring import AREAS
from ..errors import OutputError
from ..model import AreaResult, RoadmapStep
from .common import add_source_option, check_output, load_result, write_file

log = logging.getLogger(__name__)

SUFFIXES = (".pdf", ".png", ".html", ".htm")
WEAKEST_AREAS = 5
TOP_STEPS = 8


@dataclass
class SummaryData:
    """The figures of one board report, taken from a scored workbook."""

    workbook: str
    date: date
    overall_level: int
    overall_score: float
    completeness: float
    actions: int
    indicators: int
    violations: int
    problems: int
    source_sheets: list[str]
    areas: list[AreaResult]
    weakest: list[AreaResult]
    steps: list[RoadmapStep]
    open_steps: int
    version: str = __version__


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "summary",
        help="write a one-page board report (PDF, PNG or HTML)",
        description="Score WORKBOOK without changing it and write a one-page A4 "
        "landscape report: a heatmap of the 15 area levels, a radar chart per "
        "intel level (current score against target), the five weakest areas, "
        "the first roadmap steps and the completeness. The -o file's extension "
        "picks the format.",
    )
    parser.add_argument(
        "workbook", type=Path, metavar="WORKBOOK", help=".xlsx or .xlsm file"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="FILE",
        help="the report: FILE.pdf, FILE.png or FILE.html",
    )
    parser.add_argument(
        "--target",
        type=int,
        metavar="N",
        help="plan every area up to maturity level N (1-5) for this report "
        "(default: the Dashboard's targets, else one level above each area)",
    )
    add_source_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    output = check_output(args.output, [args.workbook], SUFFIXES)
    result = load_result(args.workbook, args.source, args.target)
    data = summary_data(result, date.today())
    write_file(output, render_summary(data, output.suffix.lower()))
    log.info("wrote %s", output)
    return 0


def summary_data(result: Result, day: date) -> SummaryData:
    """Collect the report's figures; the weakest areas are the lowest scores first."""
    order = {f"{intel}{phase}": index for index, (intel, phase) in enumerate(AREAS)}
    weakest = sorted(result.areas, key=lambda a: (a.score, a.level, order[a.area]))
    overall = result.rollups[-1]
    return SummaryData(
        workbook=Path(result.workbook).name,
        date=day,
        overall_level=overall.level,
        overall_score=overall.score,
        completeness=result.completeness,
        actions=result.actions,
        indicators=result.indicators,
        violations=len(result.violations),
        problems=len(result.problems),
        source_sheets=list(result.source_sheets),
        areas=list(result.areas),
        weakest=weakest[:WEAKEST_AREAS],
        steps=list(result.roadmap[:TOP_STEPS]),
        open_steps=len(result.roadmap),
    )


def render_summary(data: SummaryData, suffix: str) -> bytes:
    """Return the report as the bytes of a .pdf, .png or .html file."""
    try:
        from . import summary_figure
    except ImportError as exc:
        raise OutputError(
            f"the summary report needs matplotlib, and {exc.name} is not "
            "installed; run `python -m pip install matplotlib`."
        ) from None
    if suffix in (".html", ".htm"):
        from .summary_html import render_html

        return render_html(data, summary_figure.charts_png(data))
    return summary_figure.page(data, suffix.lstrip("."))
