"""Flag answer cells on the control sheets with one conditional format.

The flag is a conditional-formatting rule whose formula is a fixed marker
expression, so the user's own values and formats stay as they are, and a rerun
finds and replaces (or removes) exactly the rule it added before.
"""

from __future__ import annotations

from lxml import etree

from .package import NS_MAIN

_M = f"{{{NS_MAIN}}}"
MARKER_FORMULA = '"ctimm-xl flag"<>""'
_MC_ALTERNATE = (
    "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
)

# Elements that follow <conditionalFormatting> in a worksheet (CT_Worksheet).
_AFTER = [
    "dataValidations",
    "hyperlinks",
    "printOptions",
    "pageMargins",
    "pageSetup",
    "headerFooter",
    "rowBreaks",
    "colBreaks",
    "customProperties",
    "cellWatches",
    "ignoredErrors",
    "smartTags",
    "drawing",
    "legacyDrawing",
    "legacyDrawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
]


def has_flag(data: bytes) -> bool:
    """Return whether a worksheet part may contain this tool's flag rule.

    The test is on the marker's text alone: in the XML the formula's quotes
    and `<>` may be escaped in several ways.
    """
    return b"ctimm-xl flag" in data


def set_flags(root: etree._Element, cells: list[str], dxf_id: int) -> None:
    """Replace this tool's flag rule on a worksheet with one covering `cells`."""
    for block in root.findall(_M + "conditionalFormatting"):
        formulas = [f.text for f in block.iter(_M + "formula")]
        if MARKER_FORMULA in formulas:
            root.remove(block)
    if not cells:
        return

    priorities = [
        int(rule.get("priority", "0"))
        for rule in root.iter(_M + "cfRule")
        if rule.get("priority", "").isdigit()
    ]
    block = etree.Element(_M + "conditionalFormatting")
    block.set("sqref", " ".join(cells))
    rule = etree.SubElement(block, _M + "cfRule")
    rule.set("type", "expression")
    rule.set("dxfId", str(dxf_id))
    rule.set("priority", str(max(priorities, default=0) + 1))
    formula = etree.SubElement(rule, _M + "formula")
    formula.text = MARKER_FORMULA
    _insert(root, block)


def _insert(root: etree._Element, block: etree._Element) -> None:
    existing = root.findall(_M + "conditionalFormatting")
    if existing:
        existing[-1].addnext(block)
        return
    # Form controls and OLE objects sit inside mc:AlternateContent, which only
    # appears among the elements that follow conditional formatting.
    after = {_M + name for name in _AFTER} | {_MC_ALTERNATE}
    for child in root:
        if child.tag in after:
            child.addprevious(block)
            return
    root.append(block)


def flag_dxf() -> etree._Element:
    """Dark red bold text on a light red fill, with a border, for flagged cells."""
    dxf = etree.Element(_M + "dxf", nsmap={None: NS_MAIN})
    font = etree.SubElement(dxf, _M + "font")
    etree.SubElement(font, _M + "b")
    etree.SubElement(font, _M + "color").set("rgb", "FF9C0006")
    fill = etree.SubElement(dxf, _M + "fill")
    pattern = etree.SubElement(fill, _M + "patternFill")
    etree.SubElement(pattern, _M + "bgColor").set("rgb", "FFFFC7CE")
    border = etree.SubElement(dxf, _M + "border")
    for side in ("left", "right", "top", "bottom"):
        edge = etree.SubElement(border, _M + side)
        edge.set("style", "medium")
        etree.SubElement(edge, _M + "color").set("rgb", "FF9C0006")
    return dxf
