"""The `ctimm` command line."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .errors import CtimmError
from .model import INTEL_LEVELS, PHASE_SHORT, PHASES
from .reading.assessment import SOURCES

if TYPE_CHECKING:
    from .app import Outcome

log = logging.getLogger("ctimm_xl")

EXIT_VIOLATIONS = 3

# Modules (relative to this package) that each add a command with register().
_COMMAND_MODULES: list[str] = [
    ".vba.command",
    ".views.export",
    ".views.compare",
    ".views.summary",
    ".views.portfolio",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ctimm",
        description="Score a CTI-MM control workbook: maturity per area, "
        "prerequisite checks and a roadmap, written back into the workbook.",
    )
    parser.add_argument(
        "--version", action="version", version=f"ctimm-xl {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    score = commands.add_parser(
        "score",
        help="score a workbook and write Dashboard, Checks and Roadmap sheets",
        description="Score WORKBOOK. Without -o the workbook is updated in place "
        "and the previous version is kept as NAME.bak.xlsx (or .bak.xlsm).",
    )
    score.add_argument(
        "workbook", type=Path, metavar="WORKBOOK", help=".xlsx or .xlsm file"
    )
    score.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT",
        help="write the scored workbook here instead",
    )
    score.add_argument(
        "--target",
        type=int,
        metavar="N",
        help="plan every area up to maturity level N (1-5); overrides the Dashboard "
        "targets for this run without changing them",
    )
    score.add_argument(
        "--source",
        choices=SOURCES,
        default="auto",
        help="which sheets are the assessment: per-level sheets, the roll-up "
        "sheet, or auto (default: per-level unless only the roll-up is answered)",
    )
    score.add_argument(
        "--json",
        action="store_true",
        help="print the result as JSON on stdout; writes nothing unless -o is given",
    )
    score.add_argument(
        "--strict",
        action="store_true",
        help=f"exit with {EXIT_VIOLATIONS} when there are violations",
    )
    score.add_argument("-q", "--quiet", action="store_true", help="print only errors")

    build = commands.add_parser(
        "build",
        help="build the bundled workbook from the catalogue",
        description="Build the blank CTI-MM control workbook from the project's catalogue.",
    )
    build.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("workbook/CTI-MM.xlsm"),
        metavar="OUT",
        help="where to write it (default: workbook/CTI-MM.xlsm)",
    )
    build.set_defaults(handler=_build)

    # Further commands live in their own modules: each one's register(commands)
    # adds a subparser whose defaults carry `handler`, called with the args.
    for module in _COMMAND_MODULES:
        importlib.import_module(module, __package__).register(commands)
    return parser


def console() -> None:
    """Run the `ctimm` console script."""
    if sys.argv[1:2] == ["score"] and "numpy" not in sys.modules:
        # openpyxl imports numpy, when installed, only to accept numpy values
        # in cells. The score job never writes any, so skipping the import
        # saves about 0.1 s a run (benchmarks/run.py). Other commands may
        # need numpy, so they still import it.
        sys.modules["numpy"] = None  # type: ignore[assignment]
    raise SystemExit(main())


def main(argv: list[str] | None = None) -> int:
    # A SIGTERM unwinds like Ctrl-C, so temporary files are removed on the way
    # out. It is set first, so a signal during start-up is handled too.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        logging.basicConfig(
            level=logging.WARNING if getattr(args, "quiet", False) else logging.INFO,
            format="%(message)s",
            stream=sys.stderr,
        )
        if args.command == "score":
            return _score(args)
        return args.handler(args)
    except CtimmError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Error: interrupted; the workbook was not changed.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout went away (`ctimm score --json | head`); stay quiet.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    return 2


def _build(args: argparse.Namespace) -> int:
    from .build import build_workbook

    build_workbook(args.output)
    log.info("built %s", args.output)
    return 0


def _terminate(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


def _score(args: argparse.Namespace) -> int:
    # Imported here so that `--help`, `--version` and signal handling start
    # before openpyxl has loaded.
    from .app import score_workbook

    write = not args.json or args.output is not None
    outcome = score_workbook(
        args.workbook,
        args.output,
        target=args.target,
        source=args.source,
        write=write,
    )
    try:
        return _report(args, outcome)
    except KeyboardInterrupt:
        if outcome.written is None:
            raise
        print(
            f"Error: interrupted after {outcome.written} was written in full.",
            file=sys.stderr,
        )
        return 130


def _report(args: argparse.Namespace, outcome: Outcome) -> int:
    if args.json:
        json.dump(outcome.result.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(summary(outcome))
    if args.strict and outcome.result.violations:
        return EXIT_VIOLATIONS
    return 0


def summary(outcome: Outcome) -> str:
    """Return a short text report of a scored workbook."""
    result = outcome.result
    lines = [
        f"Scored {result.workbook}",
        f"  sheets used: {', '.join(result.source_sheets)}",
        f"  sheets ignored: {', '.join(result.ignored_sheets) or 'none'}",
        f"  {len(result.controls)} controls ({result.actions} actions, "
        f"{result.indicators} indicators), {result.completeness:.0%} of actions answered",
        "",
        "  level (score)      "
        + " ".join(f"{name:>13}" for name in PHASE_SHORT.values()),
    ]
    by_area = {(a.intel, a.phase): a for a in result.areas}
    for intel, name in INTEL_LEVELS.items():
        cells = " ".join(
            f"{by_area[(intel, p)].level:>6} ({by_area[(intel, p)].score:4.2f})"
            for p in PHASES
        )
        lines.append(f"  {name:<18} {cells}")
    overall = result.rollups[-1]
    lines += ["", f"  overall: level {overall.level}, score {overall.score:.2f}"]
    lines.append("  " + _counts("violations", result.violations))
    lines.append("  " + _counts("data problems", result.problems))
    if result.roadmap:
        first = result.roadmap[0]
        lines.append(
            f"  roadmap: {len(result.roadmap)} open steps; first {first.control.id} "
            f"(level {first.unlocks_level})"
        )
    else:
        lines.append("  roadmap: nothing open up to the targets")
    if outcome.written is not None:
        lines.append(f"Wrote {outcome.written}")
        if outcome.backup is not None:
            lines.append(f"  previous version kept as {outcome.backup}")
    return "\n".join(lines)


def _counts(label: str, findings) -> str:
    counts = Counter(f.kind for f in findings)
    if not counts:
        return f"{label}: none"
    detail = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
    return f"{label}: {sum(counts.values())} ({detail})"
