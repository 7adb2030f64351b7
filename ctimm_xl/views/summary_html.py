"""The summary report as one HTML file that prints on one A4 landscape page."""

from __future__ import annotations

import base64
import textwrap
from html import escape

from ..model import INTEL_LEVELS, PHASE_SHORT
from .common import area_name
from .summary import SummaryData

# Longer action descriptions are shortened so that each roadmap row fits on one
# line at A4 width, which keeps the report on one page (a test prints it with
# Chromium where Chromium is installed).
DESCRIPTION_CHARS = 140

_CSS = """
@page { size: A4 landscape; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; margin: 0;
       font-size: 8.5pt; }
header { display: flex; justify-content: space-between; align-items: flex-end; }
h1 { font-size: 17pt; margin: 0; }
.sub { color: #555; margin: 2pt 0 0; }
.tiles { display: flex; gap: 6pt; }
.tile { border: 0.6pt solid #808080; background: #f2f2f2; padding: 3pt 8pt;
        text-align: center; min-width: 62pt; }
.tile span { display: block; color: #555; font-size: 7.5pt; }
.tile b { font-size: 14pt; }
img { width: 100%; max-height: 74mm; object-fit: contain; margin: 4pt 0; }
.tables { display: flex; gap: 14pt; margin-bottom: 6pt; }
.tables section { flex: 1; }
h2 { font-size: 10.5pt; margin: 0 0 3pt; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 1.5pt 4pt; border-bottom: 0.4pt solid #ccc;
         vertical-align: top; }
th { color: #555; font-size: 8pt; }
footer { color: #555; font-size: 7pt; margin-top: 5pt; }
section, img, table { break-inside: avoid; }
"""


def render_html(data: SummaryData, charts_png: bytes) -> bytes:
    """Return the HTML report: the charts as an embedded PNG, the figures as text."""
    image = base64.b64encode(charts_png).decode("ascii")
    heatmap_text = "; ".join(
        f"{a.area} level {a.level} (score {a.score:.2f}, target {a.target})"
        for a in data.areas
    )
    title = f"CTI-MM maturity summary: {data.workbook}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<div>",
        "<h1>CTI-MM maturity summary</h1>",
        f'<p class="sub">{escape(data.workbook)} · {data.date.isoformat()}</p>',
        "</div>",
        '<div class="tiles">',
        *(
            f'<div class="tile"><span>{label}</span><b>{value}</b></div>'
            for label, value in _tiles(data)
        ),
        "</div>",
        "</header>",
        f'<img src="data:image/png;base64,{image}" alt="{escape(heatmap_text)}">',
        '<div class="tables">',
        _levels(data),
        _weakest(data),
        "</div>",
        _roadmap(data),
        f"<footer>{escape(_footer(data))}</footer>",
        "</body>",
        "</html>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


def _tiles(data: SummaryData) -> list[tuple[str, str]]:
    return [
        ("Overall level", str(data.overall_level)),
        ("Overall score", f"{data.overall_score:.2f}"),
        ("Completeness", f"{data.completeness:.0%}"),
        ("Violations", str(data.violations)),
        ("Open steps", str(data.open_steps)),
    ]


def _table(headings: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _weakest(data: SummaryData) -> str:
    rows = [
        [a.area, area_name(a), str(a.level), f"{a.score:.2f}", str(a.target)]
        for a in data.weakest
    ]
    table = _table(["Area", "Name", "Level", "Score", "Target"], rows)
    return f"<section><h2>The {len(rows)} weakest areas</h2>{table}</section>"


def _roadmap(data: SummaryData) -> str:
    title = "Next roadmap steps"
    if data.open_steps > len(data.steps):
        title += f" (first {len(data.steps)} of {data.open_steps})"
    if not data.steps:
        return (
            f"<section><h2>{escape(title)}</h2>"
            "<p>Nothing is open up to the targets.</p></section>"
        )
    rows = [
        [
            str(s.step),
            str(s.control.id),
            s.control.area,
            str(s.unlocks_level),
            textwrap.shorten(
                s.control.description, DESCRIPTION_CHARS, placeholder=" …"
            ),
        ]
        for s in data.steps
    ]
    table = _table(["Step", "Control", "Area", "Level", "Action"], rows)
    return f"<section><h2>{escape(title)}</h2>{table}</section>"


def _levels(data: SummaryData) -> str:
    # The heatmap's numbers as text, for screen readers and for copying.
    by_area = {(a.intel, a.phase): a for a in data.areas}
    rows = [
        [name, *(str(by_area[(intel, p)].level) for p in PHASE_SHORT)]
        for intel, name in INTEL_LEVELS.items()
    ]
    table = _table(["Intel level", *PHASE_SHORT.values()], rows)
    return f"<section><h2>Maturity level per area</h2>{table}</section>"


def _footer(data: SummaryData) -> str:
    return (
        f"{data.actions} actions and {data.indicators} indicators read from "
        f"{', '.join(data.source_sheets) or 'no sheet'}; {data.problems} data "
        f"problems. Levels follow the staged rule: an area is at level L when "
        f"every applicable action up to L is Yes. ctimm-xl {data.version}."
    )
