"""Append strings to the user's shared-strings part, reusing equal entries."""

from __future__ import annotations

from lxml import etree

from .package import NS_MAIN

_M = f"{{{NS_MAIN}}}"
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

EMPTY_SST = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'count="0" uniqueCount="0"/>'
)


class SharedStrings:
    """The target's shared-string table, with an index of its plain entries."""

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        self._index: dict[str, int] = {}
        self.added = 0
        for position, item in enumerate(root.iterfind(_M + "si")):
            # Only plain entries (a single <t>) are reused; rich text is left alone.
            children = list(item)
            if len(children) == 1 and children[0].tag == _M + "t":
                self._index.setdefault(children[0].text or "", position)
        self._count = len(root.findall(_M + "si"))

    def index(self, text: str) -> int:
        if text in self._index:
            return self._index[text]
        item = etree.SubElement(self.root, _M + "si")
        node = etree.SubElement(item, _M + "t")
        node.text = text
        if text != text.strip() or "\n" in text:
            node.set(_XML_SPACE, "preserve")
        self._index[text] = self._count
        self._count += 1
        self.added += 1
        return self._count - 1

    def finish(self, references: int) -> None:
        """Set the counts; `references` is the number of shared-string cells in all sheets."""
        self.root.set("uniqueCount", str(self._count))
        self.root.set("count", str(references))
