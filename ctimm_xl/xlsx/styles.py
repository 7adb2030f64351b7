"""Merge the cell formats of a scratch workbook into the user's styles part.

Fonts, fills, borders, number formats, cell formats (xf) and differential
formats (dxf) are appended to the user's lists, and an entry that is already
there, byte for byte, is reused. Reuse keeps repeated runs from growing the
styles part. Existing entries are never changed or reordered.
"""

from __future__ import annotations

import copy

from lxml import etree

from .package import NS_MAIN

_M = f"{{{NS_MAIN}}}"

# Child order of <styleSheet> in the schema (CT_Stylesheet).
_ORDER = [
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
]
_FIRST_CUSTOM_NUMFMT = 164

# Child order of <font> that Excel writes and validators expect. openpyxl
# writes some children in another order, so fonts are sorted on the way in.
_FONT_ORDER = [
    "b",
    "i",
    "strike",
    "condense",
    "extend",
    "outline",
    "shadow",
    "u",
    "vertAlign",
    "sz",
    "color",
    "name",
    "family",
    "charset",
    "scheme",
]


def _key(element: etree._Element) -> bytes:
    # Exclusive canonical form: the same entry compares equal whatever
    # namespaces the two styles parts declare on their roots.
    return etree.tostring(element, method="c14n", exclusive=True)


def _container(root: etree._Element, name: str) -> etree._Element:
    found = root.find(_M + name)
    if found is not None:
        return found
    created = etree.Element(_M + name)
    position = _ORDER.index(name)
    for later in _ORDER[position + 1 :]:
        sibling = root.find(_M + later)
        if sibling is not None:
            sibling.addprevious(created)
            return created
    root.append(created)
    return created


class StyleMerger:
    """Map style indexes of a scratch styles part onto the target styles part."""

    def __init__(self, target: etree._Element, scratch: etree._Element) -> None:
        self.target = target
        self.scratch = scratch
        self._xf_map: dict[int, int] = {}
        self._dxf_map: dict[int, int] = {}
        self._numfmt_map: dict[int, int] = {}
        self._index: dict[str, dict[bytes, int]] = {}
        self._grown: set[etree._Element] = set()
        self._scratch_formats = {
            int(f.get("numFmtId", "0")): f.get("formatCode", "")
            for f in scratch.iterfind(f"{_M}numFmts/{_M}numFmt")
        }

    def xf(self, index: int) -> int:
        """Return the target index of scratch cell format `index`."""
        if index in self._xf_map:
            return self._xf_map[index]
        scratch_xfs = self.scratch.findall(f"{_M}cellXfs/{_M}xf")
        if index >= len(scratch_xfs):
            index = 0
        xf = copy.deepcopy(scratch_xfs[index])
        xf.set("fontId", str(self._append("fonts", "font", int(xf.get("fontId", "0")))))
        xf.set("fillId", str(self._append("fills", "fill", int(xf.get("fillId", "0")))))
        xf.set(
            "borderId",
            str(self._append("borders", "border", int(xf.get("borderId", "0")))),
        )
        xf.set("numFmtId", str(self._numfmt(int(xf.get("numFmtId", "0")))))
        # The user's first cell style (Normal) is the parent; the scratch
        # workbook's named styles are not carried over.
        xf.set("xfId", "0")
        mapped = self._place(_container(self.target, "cellXfs"), xf)
        self._xf_map[index] = mapped
        return mapped

    def dxf(self, index: int) -> int:
        if index in self._dxf_map:
            return self._dxf_map[index]
        scratch_dxfs = self.scratch.findall(f"{_M}dxfs/{_M}dxf")
        mapped = self.add_dxf(copy.deepcopy(scratch_dxfs[index]))
        self._dxf_map[index] = mapped
        return mapped

    def add_dxf(self, dxf: etree._Element) -> int:
        """Append a differential format (or find an equal one) and return its index."""
        return self._place(_container(self.target, "dxfs"), dxf)

    @property
    def changed(self) -> bool:
        return bool(self._grown)

    def finish(self) -> None:
        """Update the `count` of every list that grew."""
        for container in self._grown:
            container.set("count", str(len(container)))

    def _append(self, list_name: str, tag: str, index: int) -> int:
        items = self.scratch.findall(f"{_M}{list_name}/{_M}{tag}")
        if not items:
            return 0
        item = copy.deepcopy(items[min(index, len(items) - 1)])
        if tag == "font":
            sort_font(item)
        return self._place(_container(self.target, list_name), item)

    def _place(self, container: etree._Element, item: etree._Element) -> int:
        index = self._index.get(container.tag)
        if index is None:
            index = {}
            for position, existing in enumerate(container):
                index.setdefault(_key(existing), position)
            self._index[container.tag] = index
        key = _key(item)
        if key in index:
            return index[key]
        container.append(item)
        self._grown.add(container)
        index[key] = len(container) - 1
        return index[key]

    def _numfmt(self, scratch_id: int) -> int:
        if scratch_id < _FIRST_CUSTOM_NUMFMT or scratch_id not in self._scratch_formats:
            return scratch_id
        if scratch_id in self._numfmt_map:
            return self._numfmt_map[scratch_id]
        code = self._scratch_formats[scratch_id]
        container = _container(self.target, "numFmts")
        used = [int(f.get("numFmtId", "0")) for f in container]
        for existing in container:
            if existing.get("formatCode") == code:
                self._numfmt_map[scratch_id] = int(existing.get("numFmtId", "0"))
                return self._numfmt_map[scratch_id]
        new_id = max([_FIRST_CUSTOM_NUMFMT - 1, *used]) + 1
        element = etree.SubElement(container, _M + "numFmt")
        element.set("numFmtId", str(new_id))
        element.set("formatCode", code)
        self._grown.add(container)
        self._numfmt_map[scratch_id] = new_id
        return new_id


def sort_font(font: etree._Element) -> None:
    def rank(child: etree._Element) -> int:
        name = etree.QName(child).localname
        return _FONT_ORDER.index(name) if name in _FONT_ORDER else len(_FONT_ORDER)

    children = sorted(font, key=rank)
    for child in children:
        font.append(child)


def sort_fonts_in_package(data: bytes) -> bytes:
    """Return a saved openpyxl workbook with its fonts' children in schema order.

    openpyxl writes some font children out of order, which validators that
    follow the Open XML SDK report as errors.
    """
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == "xl/styles.xml":
                root = etree.fromstring(part)
                for font in root.iter(_M + "font"):
                    sort_font(font)
                part = etree.tostring(
                    root, xml_declaration=True, encoding="UTF-8", standalone=True
                )
            archive.writestr(info, part)
    return out.getvalue()
