"""The `ctimm attach` command."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def register(commands) -> None:
    parser = commands.add_parser(
        "attach",
        help="add the CTI-MM ribbon, VBA and xlwings settings to a workbook",
        description="Make a macro-enabled copy of WORKBOOK with the CTI-MM ribbon tab, "
        "the VBA that calls ctimm-xl through xlwings, and a hidden xlwings.conf sheet. "
        "Run it again on the result to update the VBA and ribbon in place.",
    )
    parser.add_argument(
        "workbook", type=Path, metavar="WORKBOOK", help=".xlsx or .xlsm file"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT.xlsm",
        help="where to write the result (default: WORKBOOK with the .xlsm extension)",
    )
    parser.add_argument(
        "--interpreter-win",
        default="",
        metavar="PATH",
        help="Python for Excel on Windows to run, e.g. C:\\...\\pythonw.exe (INTERPRETER_WIN)",
    )
    parser.add_argument(
        "--interpreter-mac",
        default="",
        metavar="PATH",
        help="Python for Excel on macOS to run, e.g. /usr/local/bin/python3 (INTERPRETER_MAC)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: pyOpenVBA takes a moment to load, and other commands need none of it.
    from .attach import Settings, attach

    settings = Settings(args.interpreter_win, args.interpreter_mac)
    written = attach(args.workbook, args.output, settings)
    print(f"Wrote {written}")
    return 0
