"""The colors of maturity levels 0-5, shared by the summary and the portfolio.

The ramp runs from pale yellow (level 0, below level 1) through green and
blue to navy (level 5). Lightness alone orders the levels: relative luminance
falls with every level by at least 0.13 (a test checks this). So the order
survives greyscale printing, and reading it never depends on telling two hues
apart, which is what color-blind readers find hard. Every chart and sheet prints the level number in
its cell as well, in the text color below, which has a WCAG contrast ratio of
at least 4.5 : 1 on its fill (also tested).
"""

from __future__ import annotations

# Fill color per level, as RRGGBB.
LEVEL_FILLS: dict[int, str] = {
    0: "FFFFCC",
    1: "C7E9B4",
    2: "7FCDBB",
    3: "41B6C4",
    4: "2C7FB8",
    5: "253494",
}

BLACK = "000000"
WHITE = "FFFFFF"


def relative_luminance(rgb: str) -> float:
    """Return the WCAG 2 relative luminance (0 black … 1 white) of an RRGGBB color."""
    channels = [int(rgb[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """Return the WCAG 2 contrast ratio (1 to 21) of two RRGGBB colors."""
    lighter, darker = sorted(
        (relative_luminance(first), relative_luminance(second)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def text_color(fill: str) -> str:
    """Return black or white, whichever contrasts more with `fill`."""
    if contrast_ratio(fill, BLACK) >= contrast_ratio(fill, WHITE):
        return BLACK
    return WHITE


LEVEL_TEXT: dict[int, str] = {
    level: text_color(fill) for level, fill in LEVEL_FILLS.items()
}
