"""`ctimm export`: one tidy row per control, as CSV, JSON or Parquet."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path
from typing import Any

from ..core.result import Result
from ..errors import OutputError, UsageError
from ..model import INTEL_LEVELS, PHASES
from .common import (
    WORKBOOK_SUFFIXES,
    add_source_option,
    check_output,
    load_result,
    write_file,
    write_stdout,
)

FORMATS = ("csv", "json", "parquet")

# The columns of an export, in order. Levels, phases and scores are numbers,
# everything else is text.
FIELDS = (
    "workbook",
    "id",
    "level",
    "intel_level",
    "intel_level_name",
    "phase",
    "phase_name",
    "area",
    "kind",
    "answer",
    "answer_text",
    "description",
    "remarks",
    "links",
    "area_level",
    "area_score",
    "cell",
)

# OWASP's advice against CSV (formula) injection: a spreadsheet treats a cell
# that starts with one of these as a formula, so such text gets a leading `'`.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "export",
        help="export one row per control as CSV, JSON or Parquet",
        description="Score WORKBOOK without changing it and export one row per "
        "control: its ID, level, intel level, phase, area, kind, answer, "
        "remarks and links, with its area's level and score. CSV and JSON go to "
        "stdout unless -o is given; Parquet needs -o.",
    )
    parser.add_argument(
        "workbook", type=Path, metavar="WORKBOOK", help=".xlsx or .xlsm file"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="output format (default: from the -o file's extension, else csv)",
    )
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here, not to stdout"
    )
    add_source_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    file_format = _choose_format(args.format, args.output)
    if args.output is not None:
        _check_export_path(args.output, args.workbook)
    elif file_format == "parquet":
        raise UsageError(
            f"{args.workbook}: Parquet is a binary format and is not written to "
            "stdout; add -o FILE.parquet."
        )
    rows = control_rows(load_result(args.workbook, args.source))
    if file_format == "csv":
        data = to_csv(rows)
    elif file_format == "json":
        data = to_json(rows)
    else:
        data = to_parquet(rows, args.output)
    if args.output is None:
        write_stdout(data)
    else:
        write_file(args.output, data)
    return 0


def control_rows(result: Result) -> list[dict[str, Any]]:
    """Return one row per control, in the assessment's order, keyed by FIELDS."""
    areas = {area.area: area for area in result.areas}
    workbook = Path(result.workbook).name
    rows = []
    for control in result.controls:
        area = areas[control.area]
        rows.append(
            {
                "workbook": workbook,
                "id": str(control.id),
                "level": control.level,
                "intel_level": control.id.intel,
                "intel_level_name": INTEL_LEVELS[control.id.intel],
                "phase": control.id.phase,
                "phase_name": PHASES[control.id.phase],
                "area": control.area,
                "kind": control.kind.value,
                "answer": control.answer.value,
                "answer_text": control.answer_text,
                "description": control.description,
                "remarks": control.remarks,
                "links": " ".join(str(link) for link in control.links),
                "area_level": area.level,
                "area_score": area.score,
                "cell": str(control.answer_cell),
            }
        )
    return rows


def escape_formula(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with `'`; return numbers as they are.

    Every text cell that starts with a trigger is escaped, a lone `-` (an N/A
    answer as typed) included, because one rule is easier to trust than a
    list of safe exceptions. The `answer` column still carries `N/A` unescaped.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """Return the rows as CSV in UTF-8 with a byte order mark, for Excel."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=FIELDS)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: escape_formula(value) for key, value in row.items()})
    return text.getvalue().encode("utf-8-sig")


def to_json(rows: list[dict[str, Any]]) -> bytes:
    return (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def to_parquet(rows: list[dict[str, Any]], output: Path) -> bytes:
    """Return the rows as a Parquet file, written by pandas with pyarrow."""
    try:
        import pandas
        import pyarrow  # noqa: F401  (pandas picks the engine, this checks it is there)
    except ImportError as exc:
        raise OutputError(
            f"{output}: Parquet export needs pandas and pyarrow, and {exc.name} is "
            "not installed; run `python -m pip install pandas pyarrow`."
        ) from None
    frame = pandas.DataFrame(rows, columns=list(FIELDS))
    for column in ("level", "phase", "area_level"):
        frame[column] = frame[column].astype("int64")
    frame["area_score"] = frame["area_score"].astype("float64")
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", index=False)
    return buffer.getvalue()


def _choose_format(requested: str | None, output: Path | None) -> str:
    if requested is not None:
        return requested
    if output is not None and output.suffix.lower().lstrip(".") in FORMATS:
        return output.suffix.lower().lstrip(".")
    return "csv"


def _check_export_path(output: Path, workbook: Path) -> None:
    if output.suffix.lower() in (*WORKBOOK_SUFFIXES, ".xls"):
        raise UsageError(
            f"{output}: -o names a workbook file; an export is CSV, JSON or "
            "Parquet, so end the name in .csv, .json or .parquet."
        )
    check_output(output, [workbook])
