"""`ctimm portfolio`: score every workbook in a folder, one row per workbook."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..core.result import Result
from ..errors import CtimmError, UsageError, WorkbookError
from .common import (
    WORKBOOK_SUFFIXES,
    add_source_option,
    check_output,
    load_result,
    same_file,
)

log = logging.getLogger(__name__)

# Backups that `ctimm score` keeps beside a workbook it updates in place.
BACKUP_SUFFIXES = tuple(f".bak{suffix}" for suffix in WORKBOOK_SUFFIXES)


@dataclass
class Unit:
    """One scored workbook of a portfolio; `file` is relative to the folder."""

    file: str
    levels: dict[str, int]
    scores: dict[str, float]
    overall_level: int
    overall_score: float
    completeness: float
    violations: int
    problems: int
    open_steps: int


@dataclass
class Skipped:
    file: str
    reason: str


@dataclass
class Portfolio:
    folder: str
    units: list[Unit] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "portfolio",
        help="score every workbook in a folder, one row per workbook",
        description="Score every .xlsx and .xlsm file in DIR without changing "
        "them: one row per workbook with its 15 area levels, overall level and "
        "score, completeness and counts of violations. A workbook that cannot "
        "be read is listed as skipped with the reason, and the run goes on.",
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="folder of workbooks")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT.xlsx",
        help="write the portfolio workbook here (sheets Portfolio and Skipped)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the portfolio as JSON on stdout"
    )
    parser.add_argument(
        "-r",
        "--recursive",
        action="store_true",
        help="include the workbooks in subfolders too",
    )
    add_source_option(parser)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    if not folder.is_dir():
        raise UsageError(
            f"{folder}: not a folder. Pass the folder that holds the workbooks."
        )
    if args.output is not None:
        check_output(args.output, [], (".xlsx",))
    files = find_workbooks(folder, args.recursive)
    if not files:
        hint = "" if args.recursive else "; add -r to include subfolders"
        raise WorkbookError(f"{folder}: no .xlsx or .xlsm file found{hint}.")

    portfolio = score_portfolio(folder, files, args.source, args.output)
    if not portfolio.units:
        raise WorkbookError(
            f"{folder}: none of the {len(files)} workbooks could be scored; the "
            "reason for each is printed above."
        )
    if args.output is not None:
        from .portfolio_sheet import write_portfolio_workbook

        write_portfolio_workbook(portfolio, args.output)
        log.info("wrote %s", args.output)
    if args.json:
        json.dump(portfolio_json(portfolio), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif not args.quiet:
        print(portfolio_text(portfolio))
    return 0


def find_workbooks(folder: Path, recursive: bool) -> list[Path]:
    """Return the .xlsx and .xlsm files in `folder`, sorted, without Excel's lock files.

    Symbolic links to folders are not followed, so a link loop cannot hang a
    recursive run.
    """
    found: list[Path] = []
    for root, folders, names in os.walk(folder):
        folders.sort()
        for name in names:
            if name.startswith("~$"):
                continue  # Excel's owner file beside an open workbook
            path = Path(root) / name
            if path.suffix.lower() in WORKBOOK_SUFFIXES and path.is_file():
                found.append(path)
        if not recursive:
            break
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def score_portfolio(
    folder: Path, files: list[Path], source: str, output: Path | None
) -> Portfolio:
    """Score each file; a file that fails is recorded as skipped, and the run goes on."""
    portfolio = Portfolio(str(folder))
    progress = Progress(sys.stderr)
    for index, path in enumerate(files, start=1):
        name = path.relative_to(folder).as_posix()
        progress.update(index, len(files), name)
        reason = _skip_reason(path, output)
        if reason is None:
            try:
                portfolio.units.append(
                    unit_from_result(name, load_result(path, source))
                )
                continue
            except CtimmError as exc:
                reason = str(exc).removeprefix(f"{path}: ")
            except Exception as exc:  # one bad file must not stop the run
                log.debug("scoring %s failed", path, exc_info=True)
                reason = (
                    f"unexpected {type(exc).__name__} while scoring ({exc}); "
                    "please report it with the workbook"
                )
        portfolio.skipped.append(Skipped(name, reason))
        progress.clear()
        log.warning("skipped %s: %s", name, reason)
    progress.clear()
    return portfolio


def unit_from_result(file: str, result: Result) -> Unit:
    overall = result.rollups[-1]
    return Unit(
        file=file,
        levels={a.area: a.level for a in result.areas},
        scores={a.area: a.score for a in result.areas},
        overall_level=overall.level,
        overall_score=overall.score,
        completeness=result.completeness,
        violations=len(result.violations),
        problems=len(result.problems),
        open_steps=len(result.roadmap),
    )


def portfolio_json(portfolio: Portfolio) -> dict[str, Any]:
    return {
        "folder": portfolio.folder,
        "workbooks": [
            {
                "file": u.file,
                "levels": u.levels,
                "scores": u.scores,
                "overall_level": u.overall_level,
                "overall_score": u.overall_score,
                "completeness": u.completeness,
                "violations": u.violations,
                "problems": u.problems,
                "open_steps": u.open_steps,
            }
            for u in portfolio.units
        ],
        "skipped": [{"file": s.file, "reason": s.reason} for s in portfolio.skipped],
    }


def portfolio_text(portfolio: Portfolio) -> str:
    """Return one line per scored workbook, then the count of skipped files."""
    width = max(len(u.file) for u in portfolio.units)
    lines = [
        f"Scored {len(portfolio.units)} workbooks in {portfolio.folder}",
        f"  {'workbook':<{width}}  level  score  complete  violations",
    ]
    for u in portfolio.units:
        lines.append(
            f"  {u.file:<{width}}  {u.overall_level:>5}  {u.overall_score:5.2f}  "
            f"{u.completeness:>8.0%}  {u.violations:>10}"
        )
    lines.append(f"  skipped: {len(portfolio.skipped) or 'none'}")
    return "\n".join(lines)


class Progress:
    """A one-line progress counter on a terminal; silent when `stream` is not a TTY."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()
        self.visible = False

    def update(self, index: int, total: int, name: str) -> None:
        if not self.enabled:
            return
        line = f"scoring {index}/{total} {name}"[:79]
        self.stream.write(f"\r{line:<79}")
        self.stream.flush()
        self.visible = True

    def clear(self) -> None:
        if self.visible:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()
            self.visible = False


def _skip_reason(path: Path, output: Path | None) -> str | None:
    if path.name.lower().endswith(BACKUP_SUFFIXES):
        return "a backup copy that ctimm score keeps; rename it to include it"
    if output is not None and same_file(path, output):
        return "the output of this portfolio run"
    return None
