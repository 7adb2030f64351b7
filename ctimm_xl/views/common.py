"""Helpers shared by the view commands: score without writing, check and write outputs."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ..core.result import Result
from ..errors import OutputError, UsageError
from ..model import AreaResult, area_label
from ..reading.assessment import SOURCES

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def add_source_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default="auto",
        help="which sheets are the assessment: per-level sheets, the roll-up "
        "sheet, or auto (default: per-level unless only the roll-up is answered)",
    )


def load_result(path: Path, source: str = "auto", target: int | None = None) -> Result:
    """Score the workbook at `path` without writing anything."""
    # Imported here: building the command line must not load openpyxl.
    from ..app import score_workbook

    return score_workbook(Path(path), write=False, source=source, target=target).result


def area_name(area: AreaResult) -> str:
    """Return the area's label, such as `Operational · Collection & processing`."""
    return area_label(area.intel, area.phase)


def check_output(
    output: Path,
    inputs: Iterable[Path],
    suffixes: tuple[str, ...] | None = None,
    option: str = "-o",
) -> Path:
    """Raise a UsageError if `output` is a folder or an input, or lacks one of `suffixes`."""
    output = Path(output)
    if suffixes is not None and output.suffix.lower() not in suffixes:
        endings = ", ".join(suffixes[:-1])
        endings = f"{endings} or {suffixes[-1]}" if endings else suffixes[0]
        raise UsageError(f"{output}: {option} must name a file ending in {endings}.")
    if output.is_dir():
        raise UsageError(f"{output}: is a folder; give {option} a file name.")
    for source in inputs:
        if same_file(Path(source), output):
            raise UsageError(
                f"{output}: {option} names an input workbook, which would be "
                "overwritten; choose another file name."
            )
    return output


def write_file(output: Path, data: bytes) -> None:
    """Write `data` to `output` atomically, creating its folder when missing.

    The bytes go to a temporary file beside `output`, which then replaces it,
    so a reader never sees half a file and a failure leaves the old one.
    """
    output = Path(output)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=output.parent, prefix=f".{output.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise _write_error(output, exc) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, output)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise _write_error(output, exc) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_stdout(data: bytes) -> None:
    """Write bytes to stdout, or their UTF-8 text where stdout has no byte buffer."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    sys.stdout.flush()
    buffer.write(data)
    buffer.flush()


def _write_error(output: Path, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    return OutputError(
        f"{output}: cannot be written ({reason}). Check the folder's permissions "
        "and free space, or choose another output file."
    )


def same_file(first: Path, second: Path) -> bool:
    """Return whether two paths name one file, also when either does not exist yet."""
    try:
        return os.path.samefile(first, second)
    except OSError:
        return first.resolve() == second.resolve()
