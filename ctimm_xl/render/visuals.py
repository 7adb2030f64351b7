"""Native Excel visuals for the report sheets: the level heatmap, data bars and charts.

Everything here is a conditional format or an openpyxl chart, so Excel and
LibreOffice draw it from the cells, and it follows the live formulas.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, RadarChart, Reference, Series
from openpyxl.chart.axis import DateAxis
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.formatting.rule import DataBarRule, FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from ..model import MAX_LEVEL

# A sequential palette from light to dark (ColorBrewer YlGnBu, 6 classes),
# one colour per level 0-5. Its lightness falls steadily, so the order
# survives greyscale printing and the common forms of colour blindness. The
# number stays in each cell, in black on the light half and white on the dark.
LEVEL_COLOURS = ("FFFFCC", "C7E9B4", "7FCDBB", "41B6C4", "2C7FB8", "253494")
LEVEL_TEXT = ("000000", "000000", "000000", "000000", "FFFFFF", "FFFFFF")
BAR_COLOUR = "2C7FB8"
# Data bars sit behind black numbers, so they take a light colour of the palette.
DATA_BAR_COLOUR = LEVEL_COLOURS[2]
CURRENT_COLOUR = "2C7FB8"
TARGET_COLOUR = "D95F02"


def level_fill(level: int) -> PatternFill:
    return PatternFill("solid", fgColor=LEVEL_COLOURS[level])


def level_font(level: int, bold: bool = False) -> Font:
    return Font(color=LEVEL_TEXT[level], bold=bold)


def add_heatmap(sheet: Worksheet, cells: str) -> None:
    """Colour a block of levels or scores by the level (the whole part) in each cell."""
    top_left = cells.split(":", 1)[0]
    for level in range(MAX_LEVEL + 1):
        # A differential fill reads its colour from bgColor; fgColor is set too
        # for readers that take the pattern's foreground.
        fill = PatternFill(
            "solid", fgColor=LEVEL_COLOURS[level], bgColor=LEVEL_COLOURS[level]
        )
        rule = FormulaRule(
            formula=[f"AND(ISNUMBER({top_left}),INT({top_left})={level})"],
            fill=fill,
            font=Font(color=LEVEL_TEXT[level]),
            stopIfTrue=True,
        )
        sheet.conditional_formatting.add(cells, rule)


def add_share_bar(sheet: Worksheet, cells: str) -> None:
    """Draw a data bar from 0 % to 100 % behind each share in `cells`."""
    rule = DataBarRule(
        start_type="num",
        start_value=0,
        end_type="num",
        end_value=1,
        color="FF" + DATA_BAR_COLOUR,
        showValue=True,
    )
    sheet.conditional_formatting.add(cells, rule)


def place(
    sheet: Worksheet, chart, first: tuple[int, int], last: tuple[int, int]
) -> None:
    """Anchor `chart` from the top left of cell `first` to the top left of `last`.

    Cells are (row, column), counted from 1. Anchoring to cells rather than
    to a size in pixels keeps the chart aligned with the columns in every
    application, since Excel and LibreOffice turn column widths into pixels
    differently.
    """
    anchor = TwoCellAnchor(editAs="oneCell")
    anchor._from = AnchorMarker(col=first[1] - 1, colOff=0, row=first[0] - 1, rowOff=0)
    anchor.to = AnchorMarker(col=last[1] - 1, colOff=0, row=last[0] - 1, rowOff=0)
    chart.anchor = anchor
    sheet.add_chart(chart)


def _show_axes(chart) -> None:
    # openpyxl 3.1 writes both axes as deleted unless `delete` is set to False.
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _level_axis(axis) -> None:
    axis.scaling.min = 0
    axis.scaling.max = MAX_LEVEL
    axis.majorUnit = 1
    axis.number_format = "0"


def _colour(series: Series, colour: str, dash: str = "solid") -> None:
    series.graphicalProperties.line.solidFill = colour
    series.graphicalProperties.line.width = 28575  # 2.25 points
    series.graphicalProperties.line.dashStyle = dash
    series.marker.symbol = "circle"
    series.marker.size = 6
    series.marker.graphicalProperties.solidFill = colour
    series.marker.graphicalProperties.line.solidFill = colour
    series.smooth = False


def radar_chart(
    title: str, categories: Reference, current: Reference, target: Reference
) -> RadarChart:
    """Build a radar of the five phases: the current level against the target level."""
    chart = RadarChart(radarStyle="marker")
    chart.title = title
    chart.style = 2
    for values, name, colour, dash in (
        (current, "Current level", CURRENT_COLOUR, "solid"),
        (target, "Target level", TARGET_COLOUR, "dash"),
    ):
        series = Series(values, title=name)
        _colour(series, colour, dash)
        chart.series.append(series)
    chart.set_categories(categories)
    _show_axes(chart)
    _level_axis(chart.y_axis)
    chart.legend.position = "b"
    return chart


def completeness_chart(categories: Reference, values: Reference) -> BarChart:
    """Build bars of the share of actions answered in each area, from 0 % to 100 %."""
    chart = BarChart()
    chart.type = "col"
    chart.title = "Actions answered, by area"
    chart.style = 2
    series = Series(values, title="Answered")
    series.graphicalProperties.solidFill = BAR_COLOUR
    series.graphicalProperties.line.solidFill = BAR_COLOUR
    chart.series.append(series)
    chart.set_categories(categories)
    _show_axes(chart)
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.majorUnit = 0.25
    chart.y_axis.number_format = "0%"
    chart.legend = None
    chart.gapWidth = 60
    return chart


def history_chart(
    dates: Reference, columns: list[tuple[Reference, str, str]]
) -> LineChart:
    """Build lines of the overall score and the intel levels' levels over time.

    `columns` are (values with the header cell first, colour, dash style)
    tuples; the header cell names the series.
    """
    chart = LineChart()
    chart.title = "Overall score and intel-level levels over time"
    chart.style = 2
    for values, colour, dash in columns:
        series = Series(values, title_from_data=True)
        _colour(series, colour, dash)
        chart.series.append(series)
    chart.x_axis = DateAxis(crossAx=100)
    chart.x_axis.number_format = "yyyy-mm-dd"
    chart.x_axis.majorTimeUnit = "days"
    chart.x_axis.title = "Scored at"
    chart.y_axis.crossAx = 500
    chart.set_categories(dates)
    _show_axes(chart)
    _level_axis(chart.y_axis)
    chart.y_axis.title = "Level or score"
    chart.legend.position = "b"
    return chart
