"""Batch conversions with headless LibreOffice: recalculated copies, PDFs, PNGs.

Every call uses a fresh user profile in which LibreOffice recalculates every
formula of an OOXML file on load. Its default for such files is to trust the
cached values, so without this setting a stale cached value would pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from validators import soffice

# org.openoffice.Office.Calc/Formula/Load/OOXMLRecalcMode: 0 = always
# recalculate, 1 = never, 2 = ask.
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
</oor:items>
"""


def _profile(folder: Path) -> str:
    profile = folder / "lo-profile"
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS)
    return f"-env:UserInstallation=file://{profile}"


def convert_all(
    paths: list[Path], target: str, folder: Path, profiles: Path | None = None
) -> list[Path]:
    """Convert every file with headless LibreOffice; return the outputs in order.

    The files are split among one soffice process per CPU (at most four),
    each with its own profile, since one process converts one file at a time.
    `profiles` is where the profiles live (default: `folder`); reusing them
    saves the seconds LibreOffice spends setting up a new one. The inputs need
    distinct stems, because each output is named after its input's stem.
    """
    out = folder / "converted"
    out.mkdir(parents=True, exist_ok=True)
    stems = [path.stem for path in paths]
    assert len(set(stems)) == len(stems), "inputs need distinct stems"
    workers = max(1, min(4, os.cpu_count() or 1, len(paths)))
    running = []
    for index in range(workers):
        chunk = paths[index::workers]
        command = [
            soffice(),
            _profile((profiles or folder) / f"worker{index}"),
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            *(str(path) for path in chunk),
        ]
        running.append(
            subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        )
    for process in running:
        _stdout, stderr = process.communicate(timeout=900)
        assert process.returncode == 0, stderr
    extension = target.split(":")[0]
    outputs = [out / f"{path.stem}.{extension}" for path in paths]
    missing = [str(path) for path in outputs if not path.exists()]
    assert not missing, f"LibreOffice wrote no {missing}"
    return outputs


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        pytest.skip("poppler's pdftoppm is not installed")
    return found


def pdf_to_pngs(pdf: Path, prefix: Path, resolution: int = 80) -> list[Path]:
    """Render every page of `pdf` to PNG files named after `prefix`."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [pdftoppm(), "-r", str(resolution), "-png", str(pdf), str(prefix)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return sorted(prefix.parent.glob(prefix.name + "-*.png"))


def only_sheet(path: Path, sheet: str, out: Path) -> Path:
    """Copy a workbook with every sheet but `sheet` hidden, so a PDF shows only that one.

    LibreOffice also prints a hidden sheet that has a print area, so the print
    areas of the other sheets are dropped as well.
    """
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.xml":
                data = _show_only(data.decode(), sheet).encode()
            copy.writestr(info, data)
    return out


def _show_only(book: str, sheet: str) -> str:
    names = re.findall(r'<sheet\b[^>]*\bname="([^"]*)"', book)
    index = names.index(sheet)

    def visibility(match: re.Match) -> str:
        tag = re.sub(r'\sstate="[^"]*"', "", match.group(0))
        if f'name="{sheet}"' not in tag:
            tag = tag.replace("<sheet ", '<sheet state="hidden" ', 1)
        return tag

    book = re.sub(r"<sheet\b[^>]*/>", visibility, book)
    book = re.sub(r'\s(activeTab|firstSheet)="\d+"', "", book)
    book = book.replace(
        "<workbookView ", f'<workbookView activeTab="{index}" firstSheet="{index}" ', 1
    )
    return re.sub(
        r'<definedName name="_xlnm\.Print_Area" localSheetId="(\d+)">[^<]*</definedName>',
        lambda m: m.group(0) if int(m.group(1)) == index else "",
        book,
    )
