"""Draw the summary report with matplotlib: the whole page, or only its charts.

Each figure is a `matplotlib.figure.Figure` on its own Agg canvas, so pyplot's
state and the global backend stay untouched. PDF output goes through
matplotlib's PDF backend with TrueType (Type 42) fonts, so tools such as
pdftotext can extract its text.
"""

from __future__ import annotations

import io
import logging
import math
import textwrap

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.projections.polar import PolarAxes

from ..model import INTEL_LEVELS, MAX_LEVEL, PHASE_SHORT, PHASES, AreaResult
from .common import area_name
from .palette import LEVEL_FILLS, LEVEL_TEXT
from .summary import SummaryData

A4_LANDSCAPE = (11.69, 8.27)  # inches
PNG_DPI = 150
INK = "#1A1A1A"
MUTED = "#555555"
GRID_LINE = "#808080"
CURRENT_LINE = "#" + LEVEL_FILLS[5]
TARGET_LINE = "#444444"

_STYLE = {
    "font.family": "DejaVu Sans",
    "pdf.fonttype": 42,
    "text.color": INK,
    "axes.edgecolor": GRID_LINE,
}


def page(data: SummaryData, file_format: str) -> bytes:
    """Return the A4 landscape page as PDF or PNG bytes."""
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=A4_LANDSCAPE)
        FigureCanvasAgg(figure)
        _header(figure, data)
        draw_heatmap(figure.add_axes((0.11, 0.47, 0.33, 0.33)), data.areas)
        _legend(figure, 0.11, 0.405)
        for index, intel in enumerate(INTEL_LEVELS):
            _radar_axes(figure, 0.565 + index * 0.165, 0.625, 0.08)
            draw_radar(figure.axes[-1], intel, data.areas)
        _radar_key(figure, 0.6, 0.405)
        _weakest(figure, data, 0.05, 0.345)
        _roadmap(figure, data, 0.47, 0.345)
        _footer(figure, data)
        return _save(figure, file_format, {"Title": f"CTI-MM summary: {data.workbook}"})


def charts_png(data: SummaryData) -> bytes:
    """Return only the heatmap, its legend and the three radar charts, as PNG."""
    with matplotlib.rc_context(_STYLE):
        figure = Figure(figsize=(11.0, 3.6))
        FigureCanvasAgg(figure)
        draw_heatmap(figure.add_axes((0.1, 0.16, 0.33, 0.66)), data.areas)
        _legend(figure, 0.1, 0.04)
        for index, intel in enumerate(INTEL_LEVELS):
            _radar_axes(figure, 0.555 + index * 0.18, 0.5, 0.1)
            draw_radar(figure.axes[-1], intel, data.areas)
        _radar_key(figure, 0.6, 0.04)
        return _save(figure, "png", {})


def _radar_axes(figure: Figure, center_x: float, center_y: float, width: float):
    """Add a square polar axes of `width` (a fraction of the figure's width)."""
    figure_width, figure_height = figure.get_size_inches()
    height = width * figure_width / figure_height
    return figure.add_axes(
        (center_x - width / 2, center_y - height / 2, width, height),
        projection="polar",
    )


def draw_heatmap(axes: Axes, areas: list[AreaResult]) -> None:
    """Draw the 3 × 5 grid of area levels, with the level and score in each cell."""
    by_area = {(a.intel, a.phase): a for a in areas}
    for row, intel in enumerate(INTEL_LEVELS):
        for column, phase in enumerate(PHASES):
            area = by_area[(intel, phase)]
            text = "#" + LEVEL_TEXT[area.level]

            axes.add_patch(
                Rectangle(
                    (column, row),
                    1,
                    1,
                    facecolor="#" + LEVEL_FILLS[area.level],
                    edgecolor=GRID_LINE,
                    linewidth=0.8,
                )
            )
            axes.text(
                column + 0.5,
                row + 0.45,
                str(area.level),
                ha="center",
                va="center",
                fontsize=20,
                fontweight="bold",
                color=text,
            )
            axes.text(
                column + 0.5,
                row + 0.8,
                f"{area.area} · {area.score:.2f}",
                ha="center",
                va="center",
                fontsize=7.5,
                color=text,
            )

    axes.set_xlim(0, len(PHASES))
    axes.set_ylim(len(INTEL_LEVELS), 0)
    axes.set_aspect("equal")
    axes.xaxis.tick_top()
    axes.set_xticks([c + 0.5 for c in range(len(PHASES))])
    axes.set_xticklabels(PHASE_SHORT.values(), fontsize=8)
    axes.set_yticks([r + 0.5 for r in range(len(INTEL_LEVELS))])
    axes.set_yticklabels(INTEL_LEVELS.values(), fontsize=9)
    axes.tick_params(length=0)

    for spine in axes.spines.values():
        spine.set_visible(False)
    axes.set_title(
        "Maturity level per area (score below)", fontsize=10, loc="left", pad=22
    )


def draw_radar(axes: PolarAxes, intel: str, areas: list[AreaResult]) -> None:
    """Draw one intel level's five phases: current score (solid) and target (dashed)."""
    members = sorted((a for a in areas if a.intel == intel), key=lambda a: a.phase)
    angles = [2 * math.pi * i / len(members) for i in range(len(members))]
    closed = [*angles, angles[0]]
    scores = [a.score for a in members]
    targets = [float(a.target) for a in members]
    axes.set_theta_offset(math.pi / 2)
    axes.set_theta_direction(-1)
    axes.plot(closed, [*targets, targets[0]], color=TARGET_LINE, linestyle="--", lw=1.2)
    axes.plot(
        closed, [*scores, scores[0]], color=CURRENT_LINE, lw=1.8, marker="o", ms=3
    )
    axes.fill(closed, [*scores, scores[0]], color=CURRENT_LINE, alpha=0.18)
    axes.set_ylim(0, MAX_LEVEL)
    axes.set_yticks(range(1, MAX_LEVEL + 1))
    axes.set_yticklabels([str(n) for n in range(1, MAX_LEVEL + 1)], fontsize=6)
    axes.set_rlabel_position(90 + 360 / len(members) / 2)
    axes.set_xticks(angles)
    axes.set_xticklabels([PHASE_SHORT[a.phase] for a in members], fontsize=6.5)
    axes.tick_params(axis="x", pad=0)
    axes.grid(color="#BBBBBB", linewidth=0.5)
    axes.set_title(INTEL_LEVELS[intel], fontsize=10, pad=16)


def _header(figure: Figure, data: SummaryData) -> None:
    figure.text(0.05, 0.935, "CTI-MM maturity summary", fontsize=18, weight="bold")
    figure.text(
        0.05,
        0.9,
        f"{data.workbook} · {data.date.isoformat()}",
        fontsize=10,
        color=MUTED,
    )
    tiles = [
        ("Overall level", str(data.overall_level)),
        ("Overall score", f"{data.overall_score:.2f}"),
        ("Completeness", f"{data.completeness:.0%}"),
        ("Violations", str(data.violations)),
        ("Open steps", str(data.open_steps)),
    ]
    width, gap, left = 0.095, 0.01, 0.95 - 5 * 0.095 - 4 * 0.01
    for index, (label, value) in enumerate(tiles):
        x = left + index * (width + gap)
        figure.patches.append(
            Rectangle(
                (x, 0.87),
                width,
                0.09,
                transform=figure.transFigure,
                facecolor="#F2F2F2",
                edgecolor=GRID_LINE,
                linewidth=0.6,
            )
        )
        figure.text(x + width / 2, 0.935, label, ha="center", fontsize=8, color=MUTED)
        figure.text(
            x + width / 2, 0.885, value, ha="center", fontsize=16, weight="bold"
        )


def _legend(figure: Figure, left: float, bottom: float) -> None:
    """Draw the level colors as numbered boxes, starting at (left, bottom)."""
    inch_x, inch_y = (1 / size for size in figure.get_size_inches())
    box_width, box_height, gap = 0.5 * inch_x, 0.22 * inch_y, 0.06 * inch_x
    figure.text(left, bottom + box_height / 2, "Level", fontsize=8, va="center")
    x = left + 0.45 * inch_x
    for level, fill in LEVEL_FILLS.items():
        figure.patches.append(
            Rectangle(
                (x, bottom),
                box_width,
                box_height,
                transform=figure.transFigure,
                facecolor="#" + fill,
                edgecolor=GRID_LINE,
                linewidth=0.6,
            )
        )
        figure.text(
            x + box_width / 2,
            bottom + box_height / 2,
            str(level),
            ha="center",
            va="center",
            fontsize=8,
            weight="bold",
            color="#" + LEVEL_TEXT[level],
        )
        x += box_width + gap
    figure.text(
        x + gap, bottom + box_height / 2, "0 = below level 1", fontsize=7.5, va="center"
    )


def _radar_key(figure: Figure, left: float, bottom: float) -> None:
    """Draw the key of the radar charts' two lines, starting at (left, bottom)."""
    inch_x, inch_y = (1 / size for size in figure.get_size_inches())
    middle = bottom + 0.11 * inch_y
    line = 0.35 * inch_x
    styles = [
        ("current score", {"color": CURRENT_LINE, "lw": 1.8, "marker": "o", "ms": 3}),
        ("target level", {"color": TARGET_LINE, "lw": 1.2, "linestyle": "--"}),
    ]
    x = left
    for label, style in styles:
        figure.lines.append(
            Line2D(
                [x, x + line],
                [middle, middle],
                transform=figure.transFigure,
                **style,
            )
        )
        figure.text(x + line + 0.08 * inch_x, middle, label, fontsize=8, va="center")
        x += line + 1.4 * inch_x


def _table(
    figure: Figure,
    left: float,
    top: float,
    title: str,
    columns: list[tuple[str, float]],
    rows: list[list[str]],
    empty: str,
) -> None:
    """Draw a plain text table; `columns` pairs each heading with its x offset."""
    figure.text(left, top, title, fontsize=11, weight="bold")
    line = 0.028
    y = top - 0.035
    for heading, offset in columns:
        figure.text(left + offset, y, heading, fontsize=8, color=MUTED, weight="bold")
    if not rows:
        figure.text(left, y - line, empty, fontsize=8.5)
        return
    for row in rows:
        y -= line
        for (_, offset), value in zip(columns, row, strict=True):
            figure.text(left + offset, y, value, fontsize=8.5)


def _weakest(figure: Figure, data: SummaryData, left: float, top: float) -> None:
    rows = [
        [
            area.area,
            area_name(area),
            str(area.level),
            f"{area.score:.2f}",
            str(area.target),
        ]
        for area in data.weakest
    ]
    _table(
        figure,
        left,
        top,
        f"The {len(rows)} weakest areas",
        [
            ("Area", 0),
            ("Name", 0.045),
            ("Level", 0.29),
            ("Score", 0.33),
            ("Target", 0.375),
        ],
        rows,
        "No areas were scored.",
    )


def _roadmap(figure: Figure, data: SummaryData, left: float, top: float) -> None:
    rows = [
        [
            str(step.step),
            str(step.control.id),
            step.control.area,
            str(step.unlocks_level),
            textwrap.shorten(step.control.description, width=62, placeholder=" …"),
        ]
        for step in data.steps
    ]
    title = "Next roadmap steps"
    if data.open_steps > len(rows):
        title += f" (first {len(rows)} of {data.open_steps})"
    _table(
        figure,
        left,
        top,
        title,
        [
            ("Step", 0),
            ("Control", 0.035),
            ("Area", 0.095),
            ("Level", 0.13),
            ("Action", 0.17),
        ],
        rows,
        "Nothing is open up to the targets.",
    )


def _footer(figure: Figure, data: SummaryData) -> None:
    text = (
        f"{data.actions} actions and {data.indicators} indicators read from "
        f"{', '.join(data.source_sheets) or 'no sheet'}; {data.problems} data "
        f"problems. Levels follow the staged rule: an area is at level L when "
        f"every applicable action up to L is Yes. ctimm-xl {data.version}."
    )
    figure.text(0.05, 0.025, text, fontsize=7, color=MUTED)


def _save(figure: Figure, file_format: str, metadata: dict[str, str]) -> bytes:
    # fontTools logs every step of subsetting the PDF's fonts at INFO level,
    # which the CLI's root logger would print.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    buffer = io.BytesIO()
    if file_format == "pdf":
        figure.savefig(
            buffer, format="pdf", metadata={**metadata, "Creator": "ctimm-xl"}
        )
    else:
        figure.savefig(buffer, format="png", dpi=PNG_DPI, facecolor="white")
    return buffer.getvalue()
