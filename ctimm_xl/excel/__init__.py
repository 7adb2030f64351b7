"""Entry points for Excel: the CTI-MM ribbon buttons call these through RunPython.

Each entry point finds the calling workbook with `xw.Book.caller()`, runs the
same core as `ctimm score`, and reports any error in a message box with the
one-line reason, also written to the log file `LOG_PATH`.
"""

from __future__ import annotations

import logging
import platform
import sys
from pathlib import Path

from .. import __version__
from ..errors import CtimmError

LOG_PATH = Path.home() / "ctimm-xl.log"
DOCS = "README.md of ctimm-xl (installed with the package; also on its project page)"

log = logging.getLogger(__name__)


def score() -> None:
    """Score: write Dashboard, Checks and Roadmap, and flag violations."""
    _click("score")


def roadmap() -> None:
    """Roadmap: rewrite only the Roadmap sheet."""
    _click("roadmap")


def check() -> None:
    """Check: rewrite only the Checks sheet and the flags."""
    _click("check")


def clear_flags() -> None:
    """Clear flags: remove the flags Score and Check put on answer cells."""
    _click("clear_flags")


def show_help() -> None:
    """Help: what the buttons do, where the docs are, and the installed versions."""
    import xlwings as xw

    book = xw.Book.caller()
    book.app.alert(help_text(xw.__version__), title="CTI-MM help")


def help_text(xlwings_version: str) -> str:
    return (
        "Score: compute the maturity of every area and write the Dashboard, "
        "Checks and Roadmap sheets; answer cells behind a violation are flagged.\n"
        "Roadmap: rewrite only the Roadmap sheet.\n"
        "Check: rewrite only the Checks sheet and the flags.\n"
        "Clear flags: remove the flags; your own formatting stays.\n\n"
        f"Documentation: {DOCS}.\n"
        f"Log file: {LOG_PATH}\n\n"
        f"ctimm-xl {__version__}, xlwings {xlwings_version}, "
        f"Python {platform.python_version()}"
    )


def _click(job: str) -> None:
    _skip_pandas()
    import xlwings as xw

    from .jobs import run_job
    from .xlwings_book import XlwingsBook

    _log_to_file()
    book = XlwingsBook(xw.Book.caller())
    log.info("%s on %s", job, book.path)
    try:
        run_job(book, job)
    except CtimmError as exc:
        log.error("%s failed: %s", job, exc)
        book.alert(str(exc))
    except Exception as exc:  # noqa: BLE001 - the user must see every failure
        log.exception("%s failed", job)
        book.alert(
            f"ctimm-xl could not finish {job}: {exc}. Details are in {LOG_PATH}."
        )


def _skip_pandas() -> None:
    # xlwings imports pandas whenever it is installed, which adds about half a
    # second to every click. A click runs in a process of its own (RunPython
    # starts one), which needs no pandas, so the import is made to fail and
    # xlwings carries on without it. UDFs, which share a process with other
    # code, are not affected.
    if "pandas" not in sys.modules:
        sys.modules["pandas"] = None  # type: ignore[assignment]


def _log_to_file() -> None:
    root = logging.getLogger("ctimm_xl")
    if any(isinstance(h, logging.FileHandler) for h in root.handlers):
        return
    handler = logging.FileHandler(LOG_PATH, encoding="utf-8")
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    root.setLevel(logging.INFO)
