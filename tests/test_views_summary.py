"""`ctimm summary`: the one-page board report as PDF, PNG and HTML."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from datetime import date

import openpyxl
import pytest
from helpers import answer_cells, fill, run_cli, score_json

from ctimm_xl.views.palette import (
    BLACK,
    LEVEL_FILLS,
    LEVEL_TEXT,
    WHITE,
    contrast_ratio,
    relative_luminance,
)

ANSWERS = {
    "1.A.1.b": "Yes",
    "2.A.1.a": "Yes",
    "2.A.1.b": "Yes",
    "2.A.1.c": "Yes",
    "1.B.2.a": "Yes",
    "1.B.2.b": "Partial",
    "1.C.1.a": "No",
}


@pytest.fixture
def assessed(bundled, tmp_path):
    return fill(bundled, ANSWERS, tmp_path / "assessed.xlsx")


def weakest_names(result: dict) -> list[str]:
    from ctimm_xl.model import area_label

    order = [a["area"] for a in result["areas"]]
    ranked = sorted(
        result["areas"], key=lambda a: (a["score"], a["level"], order.index(a["area"]))
    )
    return [area_label(a["area"][0], int(a["area"][1])) for a in ranked[:5]]


def pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    completed = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return completed.stdout


def test_pdf_holds_the_figures(assessed, tmp_path):
    out = tmp_path / "summary.pdf"
    code, stdout, err = run_cli("summary", assessed, "-o", out)
    assert code == 0, err
    assert stdout == ""
    assert out.read_bytes().startswith(b"%PDF-")
    result = score_json(assessed)
    text = pdf_text(out)
    overall = result["rollups"][-1]
    assert "CTI-MM maturity summary" in text
    assert "assessed.xlsx" in text
    assert date.today().isoformat() in text
    assert re.search(r"Overall level\s+Overall score\s+Completeness\s+Violations", text)
    # The tiles' values, in the order of their labels, on one line.
    tiles = (
        rf"^\s*{overall['level']}\s+{overall['score']:.2f}\s+"
        rf"{result['completeness']:.0%}\s+{len(result['violations'])}\s+"
        rf"{len(result['roadmap'])}\s*$"
    )
    assert re.search(tiles, text, re.MULTILINE), text[:600]
    for name in weakest_names(result):
        assert name in text, name
    for step in result["roadmap"][:3]:
        assert step["control"] in text, step["control"]
    assert f"first 8 of {len(result['roadmap'])}" in text


def test_pdf_is_one_a4_landscape_page(assessed, tmp_path):
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo (poppler-utils) is not installed")
    out = tmp_path / "summary.pdf"
    code, _, err = run_cli("summary", assessed, "-o", out)
    assert code == 0, err
    info = subprocess.run(
        ["pdfinfo", str(out)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    width, height = map(
        float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups()
    )
    assert width == pytest.approx(841.9, abs=1)
    assert height == pytest.approx(595.3, abs=1)


def test_png_is_a4_landscape(assessed, tmp_path):
    image = pytest.importorskip("PIL.Image")
    out = tmp_path / "summary.png"
    code, _, err = run_cli("summary", assessed, "-o", out)
    assert code == 0, err
    with image.open(out) as picture:
        width, height = picture.size
        assert picture.format == "PNG"
    assert width == pytest.approx(11.69 * 150, abs=2)
    assert width / height == pytest.approx(297 / 210, rel=0.01)


def test_heatmap_cells_show_level_colors(tmp_path, bundled):
    image = pytest.importorskip("PIL.Image")
    out = tmp_path / "summary.png"
    code, _, err = run_cli("summary", bundled, "-o", out)
    assert code == 0, err
    with image.open(out) as picture:
        pixels = picture.convert("RGB").getcolors(1 << 20)
    colors = {f"{red:02X}{green:02X}{blue:02X}" for _, (red, green, blue) in pixels}
    # The blank workbook has areas at level 0 and at level 1, and the legend
    # shows every level.
    for level, fill_color in LEVEL_FILLS.items():
        assert fill_color in colors, level


def test_html_embeds_png_and_text(assessed, tmp_path):
    out = tmp_path / "summary.html"
    code, _, err = run_cli("summary", assessed, "-o", out)
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert "@page { size: A4 landscape; margin: 10mm; }" in html
    match = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert match
    assert base64.b64decode(match.group(1)).startswith(b"\x89PNG\r\n\x1a\n")
    result = score_json(assessed)
    overall = result["rollups"][-1]
    assert f"<b>{overall['score']:.2f}</b>" in html
    assert f"<b>{result['completeness']:.0%}</b>" in html
    for name in weakest_names(result):
        assert name.replace("&", "&amp;") in html, name
    for step in result["roadmap"][:8]:
        assert f"<td>{step['control']}</td>" in html


def test_html_escapes_workbook_text(bundled, tmp_path):
    path = fill(bundled, {}, tmp_path / "escaped.xlsx")
    workbook = openpyxl.load_workbook(path)
    sheet, ref = answer_cells(workbook)["1.A.1.b"]
    row = workbook[sheet][ref].row
    workbook[sheet].cell(
        row=row, column=4
    ).value = "1.A.1.b / <script>alert(1)</script> & more"
    workbook.save(path)
    out = tmp_path / "summary.html"
    code, _, err = run_cli("summary", path, "-o", out)
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium is not installed"
)
def test_html_prints_on_one_page(assessed, tmp_path):
    out = tmp_path / "summary.html"
    code, _, err = run_cli("summary", assessed, "-o", out)
    assert code == 0, err
    printed = tmp_path / "printed.pdf"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--print-to-pdf={printed}",
            out.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    info = subprocess.run(
        ["pdfinfo", str(printed)], capture_output=True, text=True, timeout=60
    ).stdout
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE), info


def test_empty_roadmap_is_stated(bundled, tmp_path):
    code, out, _ = run_cli("export", bundled, "--format", "json")
    assert code == 0
    level_one = {
        row["id"]: "Yes"
        for row in json.loads(out)
        if row["level"] == 1 and row["kind"] == "action"
    }
    done = fill(bundled, level_one, tmp_path / "done.xlsx")
    assert score_json(done, "--target", "1")["roadmap"] == []
    html = tmp_path / "summary.html"
    code, _, err = run_cli("summary", done, "-o", html, "--target", "1")
    assert code == 0, err
    assert "Nothing is open up to the targets." in html.read_text(encoding="utf-8")
    pdf = tmp_path / "summary.pdf"
    code, _, err = run_cli("summary", done, "-o", pdf, "--target", "1")
    assert code == 0, err
    assert "Nothing is open up to the targets." in pdf_text(pdf)


@pytest.mark.parametrize("name", ["summary.docx", "summary", "summary.xlsx"])
def test_rejects_unknown_format(bundled, tmp_path, name):
    out = tmp_path / name
    code, _, err = run_cli("summary", bundled, "-o", out)
    assert code == 2
    assert err == (
        f"Error: {out}: -o must name a file ending in .pdf, .png, .html or .htm.\n"
    )
    assert not out.exists()


def test_output_is_required(bundled):
    code, _, err = run_cli("summary", bundled)
    assert code == 2
    assert "-o/--output" in err


def test_unreadable_workbook(tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    out = tmp_path / "summary.pdf"
    code, _, err = run_cli("summary", broken, "-o", out)
    assert code == 1
    assert err.startswith(f"Error: {broken}: ")
    assert err.count("\n") == 1
    assert not out.exists()


def test_palette_lightness_orders_levels():
    luminance = [relative_luminance(LEVEL_FILLS[level]) for level in range(6)]
    for lower, higher in zip(luminance, luminance[1:], strict=False):
        assert lower - higher >= 0.13


def test_palette_text_contrast():
    for level, fill_color in LEVEL_FILLS.items():
        assert LEVEL_TEXT[level] in (BLACK, WHITE)
        assert contrast_ratio(fill_color, LEVEL_TEXT[level]) >= 4.5, level
