"""The Dashboard's heatmap and charts and the History chart, as LibreOffice draws them.

Each sheet is printed to PDF on its own and rendered to PNG with pdftoppm.
The PNG files stay in the test's temporary folder for a person to look at.
The asserts check what can be measured: the page count, the printed labels,
and pixels in the colours of the heatmap and of the chart series.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from helpers import fill
from libreoffice import convert_all, only_sheet, pdf_to_pngs, pdftoppm

from ctimm_xl.app import score_workbook
from ctimm_xl.core.scoring import AREAS
from ctimm_xl.model import Kind
from ctimm_xl.render.visuals import LEVEL_COLOURS, TARGET_COLOUR

pytestmark = pytest.mark.libreoffice

NOW = datetime(2026, 6, 1, 9, 30)


def staged_answers(bundled: Path) -> dict[str, str]:
    """Answers that put the 15 areas at levels 0, 1, 2, 3, 4, 5, 0, 1, …"""
    result = score_workbook(bundled, write=False).result
    wanted = {f"{i}{p}": index % 6 for index, (i, p) in enumerate(AREAS)}
    answers = {}
    for control in result.controls:
        if control.kind is not Kind.ACTION:
            continue
        level = wanted[control.area]
        if control.level <= level:
            answers[str(control.id)] = "Yes"
        elif control.level == level + 1:
            answers[str(control.id)] = "Partial"
        else:
            answers[str(control.id)] = "No"
    return answers


def pixels(pdf: Path, resolution: int = 50) -> list[tuple[int, int, int]]:
    """Every pixel of every page of `pdf`, from pdftoppm's PPM output."""
    found: list[tuple[int, int, int]] = []
    prefix = pdf.with_suffix("")
    subprocess.run(
        [pdftoppm(), "-r", str(resolution), str(pdf), str(prefix)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    for page in sorted(pdf.parent.glob(prefix.name + "-*.ppm")):
        data = page.read_bytes()
        # P6 header: magic, width, height, maximum value, then RGB bytes.
        fields = data.split(maxsplit=4)
        assert fields[0] == b"P6"
        assert fields[3] == b"255"
        body = fields[4]
        found += [tuple(body[i : i + 3]) for i in range(0, len(body) - 2, 3)]
    return found


def share_near(colours: list[tuple[int, int, int]], hex_colour: str) -> float:
    target = tuple(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    near = sum(
        1
        for pixel in colours
        if all(abs(a - b) <= 12 for a, b in zip(pixel, target, strict=True))
    )
    return near / len(colours)


def pdf_text(pdf: Path) -> str:
    completed = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return completed.stdout


def page_count(pdf: Path) -> int:
    completed = subprocess.run(
        ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True, timeout=60
    )
    line = next(x for x in completed.stdout.splitlines() if x.startswith("Pages:"))
    return int(line.split()[1])


def test_dashboard_and_history_render(bundled, tmp_path):
    pdftoppm()
    blank = tmp_path / "blank.xlsm"
    score_workbook(bundled, blank, now=NOW)
    filled = fill(bundled, staged_answers(bundled), tmp_path / "filled.xlsx")
    staged = tmp_path / "staged.xlsx"
    score_workbook(filled, staged, now=NOW)
    # A second run, a day later, gives the History chart two points.
    score_workbook(staged, now=datetime(2026, 6, 2, 9, 30))

    copies = [
        only_sheet(blank, "Dashboard", tmp_path / "blank-dashboard.xlsx"),
        only_sheet(staged, "Dashboard", tmp_path / "staged-dashboard.xlsx"),
        only_sheet(staged, "History", tmp_path / "staged-history.xlsx"),
    ]
    blank_pdf, staged_pdf, history_pdf = convert_all(copies, "pdf", tmp_path)
    for pdf in (blank_pdf, staged_pdf, history_pdf):
        assert pdf_to_pngs(pdf, tmp_path / "png" / pdf.stem)

    # The Dashboard prints on two landscape pages: figures and the first two
    # charts, then the other charts, the checks and the area table.
    assert page_count(staged_pdf) == 2
    text = pdf_text(staged_pdf)
    for label in (
        "Maturity level (0 = below level 1)",
        "Colour key",
        "Strategic",
        "Operational",
        "Tactical",
        "Actions answered, by area",
        "Current level",
        "Target level",
        "Areas and targets",
    ):
        assert label in text, label
    # The live notes at the foot of the sheet lie outside the print area.
    assert "How the live figures are computed" not in text

    blank_pixels = pixels(blank_pdf)
    staged_pixels = pixels(staged_pdf)
    # The heatmap: the darkest colour (level 5) fills only the legend's cell
    # on the blank workbook, and many cells once areas reach level 5.
    darkest = LEVEL_COLOURS[5]
    assert share_near(staged_pixels, darkest) > 4 * share_near(blank_pixels, darkest)
    for level, colour in enumerate(LEVEL_COLOURS):
        assert share_near(staged_pixels, colour) > 0.0005, f"level {level}"
    # The radars draw the target series in its own colour.
    assert share_near(staged_pixels, TARGET_COLOUR) > 0.0002

    assert page_count(history_pdf) == 1
    history_text = pdf_text(history_pdf)
    assert "Overall score and intel-level levels over time" in history_text
    assert "2026-06-02 09:30" in history_text
    assert share_near(pixels(history_pdf), TARGET_COLOUR) > 0.0002
