"""Build the VBA project: xlwings' standalone modules plus the CTI-MM handlers.

The xlwings modules come from the `quickstart_standalone.xlsm` that ships
with the installed xlwings, so the VBA always matches the Python xlwings
version. pyOpenVBA writes the project: it adds document modules for
ThisWorkbook and every sheet (setting missing sheet code names) and changes
nothing else in the package.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from functools import cache
from importlib import resources
from pathlib import Path

import pyopenvba
from pyopenvba.vba import VBAModuleKind

from ..errors import WorkbookError

HANDLER_MODULE = "CTIMM"
_XLWINGS_MODULES = {
    "xlwings": VBAModuleKind.standard,
    "Dictionary": VBAModuleKind.other,
}


@cache
def xlwings_modules() -> dict[str, str]:
    """Return the source of the xlwings standalone VBA modules, by module name."""
    import xlwings

    standalone = Path(xlwings.__file__).parent / "quickstart_standalone.xlsm"
    with pyopenvba.ExcelFile(standalone) as book:
        sources = book.vba_modules()
    return {name: sources[name] for name in _XLWINGS_MODULES}


def handler_module() -> str:
    """Return the ribbon handlers' source with the CRLF line ends VBA stores."""
    text = (
        resources.files(__package__)
        .joinpath(f"{HANDLER_MODULE}.bas")
        .read_text("utf-8")
    )
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def install_project(
    parts: dict[str, bytes], order: list[str], label: str
) -> dict[str, bytes]:
    """Add or update the VBA project in a package given as parts; return the new parts.

    A project that is already there keeps its other modules (the user's own
    macros); the xlwings and handler modules are replaced by current ones.
    """
    modules = {**xlwings_modules(), HANDLER_MODULE: handler_module()}
    kinds = {**_XLWINGS_MODULES, HANDLER_MODULE: VBAModuleKind.standard}
    with tempfile.TemporaryDirectory(prefix="ctimm-vba-") as folder:
        source = Path(folder) / "in.xlsm"
        target = Path(folder) / "out.xlsm"
        with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in order:
                archive.writestr(name, parts[name])
        try:
            with pyopenvba.ExcelFile(source) as book:
                project = (
                    book.vba_project()
                    if book.has_vba_project()
                    else book.add_vba_project()
                )
                present = set(project.module_names())
                for name, code in modules.items():
                    if name in present:
                        book.set_module(name, code)
                    else:
                        project.add_module(name, code, kind=kinds[name])
                book.save(target)
        except pyopenvba.PyOpenVBAError as exc:
            raise WorkbookError(
                f"{label}: its VBA project cannot be updated ({exc}). If it is "
                "password-protected, remove the password in Excel and try again."
            ) from None
        if not target.exists():
            shutil.copy(source, target)
        with zipfile.ZipFile(target) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
