"""Open an OOXML package (the zip behind .xlsx and .xlsm) safely.

Every part is checked against the limits in `ctimm_xl.limits` before it is
inflated, and XML is parsed with DTDs refused, because Office Open XML parts
never carry one (ECMA-376 Part 2 forbids DTD declarations in package parts).
"""

from __future__ import annotations

import io
import lzma
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .. import limits
from ..errors import WorkbookError

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"

REL_OFFICE_DOCUMENT = NS_REL + "/officeDocument"
REL_WORKSHEET = NS_REL + "/worksheet"
REL_STYLES = NS_REL + "/styles"
REL_SHARED_STRINGS = NS_REL + "/sharedStrings"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

# The prolog items allowed before the root element apart from a DTD: white
# space, the XML declaration, processing instructions and comments (XML 1.0,
# production 22).
_PROLOG = re.compile(rb"(?:[ \t\r\n]+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)

# Byte-order marks, and the first bytes of `<?` without one, of the encodings
# that libxml2 detects by itself.
_UTF_SIGNATURES = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00", "utf-16-le"),
    (b"\x00<", "utf-16-be"),
)


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str
    external: bool


@dataclass
class Package:
    """The parts of a package, read into memory once and checked on the way."""

    path: Path
    parts: dict[str, bytes]
    order: list[str] = field(default_factory=list)
    infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict)

    def xml(self, name: str) -> etree._Element:
        return parse_xml(self.parts[name], self.path, name)

    def rels(self, part: str) -> list[Relationship]:
        """Return the relationships of a part ('' for the package itself)."""
        rels_name = rels_part_name(part)
        if rels_name not in self.parts:
            return []
        root = self.xml(rels_name)
        base = posixpath.dirname(part)
        found = []
        for rel in root.iter(f"{{{NS_PKG_REL}}}Relationship"):
            external = rel.get("TargetMode") == "External"
            target = rel.get("Target", "")
            if not external:
                target = resolve_target(base, target)
            found.append(
                Relationship(rel.get("Id", ""), rel.get("Type", ""), target, external)
            )
        return found

    def main_part(self) -> str:
        for rel in self.rels(""):
            if rel.type == REL_OFFICE_DOCUMENT and rel.target in self.parts:
                return rel.target
        raise WorkbookError(
            f"{self.path}: the package has no workbook part; it is not an Excel "
            "workbook. Open it in Excel and save it as .xlsx or .xlsm."
        )


def first_free(pattern: str, taken) -> str:
    """Return `pattern` filled with the smallest number from 1 that is not in `taken`."""
    number = 1
    while pattern.format(number) in taken:
        number += 1
    return pattern.format(number)


def rels_part_name(part: str) -> str:
    directory, name = posixpath.split(part)
    return posixpath.join(directory, "_rels", name + ".rels")


def resolve_target(base: str, target: str) -> str:
    """Resolve a relationship target against the folder of its source part."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(base, target))


def parse_xml(data: bytes, path: Path, part: str) -> etree._Element:
    """Parse one package part, rejecting DTDs and entity declarations."""
    check_no_dtd(data, path, part)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise malformed_error(path, part, exc) from None
    if root.getroottree().docinfo.doctype:
        raise dtd_error(path, part)
    return root


def check_no_dtd(data: bytes, path: Path, part: str) -> None:
    """Raise a WorkbookError if the part declares a DTD, before any parser reads it.

    A DTD can only stand in the prolog, so the prolog is skipped however long
    its comments are, and a UTF-16 or UTF-32 part is decoded first.
    """
    text = _as_ascii_compatible(data)
    start = _PROLOG.match(text).end()
    if text.startswith(b"<!", start) and not text.startswith(b"<!--", start):
        raise dtd_error(path, part)


def _as_ascii_compatible(data: bytes) -> bytes:
    for signature, codec in _UTF_SIGNATURES:
        if data.startswith(signature):
            if codec == "utf-8-sig":
                return data[len(signature) :]
            # An undecodable byte becomes U+FFFD, which no DTD keyword contains;
            # the parser reports the part as damaged later.
            return data.decode(codec, errors="replace").encode("utf-8")
    return data


def malformed_error(path: Path, part: str, exc: etree.XMLSyntaxError) -> WorkbookError:
    # libxml2's message can span lines; the CLI prints one line per error.
    detail = " ".join(str(exc).split())
    return WorkbookError(
        f"{path}: part {part} is not well-formed XML ({detail}). The file is "
        "damaged; open it in Excel, let Excel repair it and save a copy."
    )


def dtd_error(path: Path, part: str) -> WorkbookError:
    return WorkbookError(
        f"{path}: part {part} declares a DTD or XML entities, which Excel never "
        "writes and which can be used to exhaust memory; the file was not read. "
        "Open it in Excel and save it again, or ask its sender for a clean copy."
    )


def open_package(path: Path) -> Package:
    """Read every part of the package at `path`, or raise a WorkbookError."""
    check_file(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, NotImplementedError, ValueError):
        # zipfile raises NotImplementedError for an unknown "version needed to
        # extract" and UnicodeDecodeError (a ValueError) for a bad UTF-8 name.
        raise WorkbookError(
            f"{path}: the file is damaged or truncated (its zip directory cannot "
            "be read). Restore it from a backup or ask its sender again."
        ) from None
    return _read_archive(archive, path)


def package_from_bytes(data: bytes, label: str) -> Package:
    """Read a package held in memory; `label` names it in error messages."""
    return _read_archive(zipfile.ZipFile(io.BytesIO(data)), Path(label))


def _read_archive(archive: zipfile.ZipFile, path: Path) -> Package:
    with archive:
        infos = archive.infolist()
        _check_sizes(path, infos)
        parts: dict[str, bytes] = {}
        order: list[str] = []
        by_name: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.is_dir() or info.filename in parts:
                continue
            # Flag bit 0 marks ZipCrypto; method 99 is WinZip's AES encryption.
            if info.flag_bits & 0x1 or info.compress_type == 99:
                raise WorkbookError(
                    f"{path}: part {info.filename} is encrypted inside the zip; "
                    "save the workbook without a password and try again."
                )
            parts[info.filename] = _inflate(archive, info, path)
            order.append(info.filename)
            by_name[info.filename] = info
    if "[Content_Types].xml" not in parts:
        raise WorkbookError(
            f"{path}: the zip contains no [Content_Types].xml, so it is not an "
            "Office workbook. Open it in Excel and save it as .xlsx."
        )
    return Package(path, parts, order, by_name)


def check_file(path: Path) -> None:
    """Raise a WorkbookError unless `path` is a readable file that may be a workbook."""
    if not path.exists():
        raise WorkbookError(f"{path}: file not found. Check the path and try again.")
    if path.is_dir():
        raise WorkbookError(
            f"{path}: is a folder, not a workbook file. Pass the path of an .xlsx "
            "or .xlsm file."
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise WorkbookError(
            f"{path}: cannot be read ({exc.strerror}). Check the file's "
            "permissions, or copy it to a local folder and try again."
        ) from None
    if not head:
        raise WorkbookError(
            f"{path}: the file is empty (0 bytes). Restore it from a backup."
        )
    if head.startswith(_OLE_MAGIC):
        if _is_encrypted_ooxml(path):
            raise WorkbookError(
                f"{path}: the workbook is password-protected (encrypted), so its "
                "cells cannot be read. Open it in Excel, remove the password "
                "(File > Info > Protect Workbook > Encrypt with Password) and save."
            )
        raise WorkbookError(
            f"{path}: this is a legacy .xls workbook (Excel 97-2003), which ctimm "
            "cannot read. Open it in Excel and save it as .xlsx or .xlsm."
        )
    if not head.startswith(_ZIP_MAGIC):
        raise WorkbookError(
            f"{path}: not an Excel workbook (no .xlsx/.xlsm zip signature). "
            "Save it from Excel as .xlsx or .xlsm."
        )
    if _ODS_MIMETYPE in head[:200]:
        raise WorkbookError(
            f"{path}: this is an OpenDocument spreadsheet (.ods). Save it as "
            "Excel 2007-365 (.xlsx) from LibreOffice or Excel and try again."
        )


def _is_encrypted_ooxml(path: Path) -> bool:
    # An encrypted .xlsx is an OLE file with an `EncryptedPackage` stream; its
    # directory entry holds the name in UTF-16.
    with path.open("rb") as handle:
        data = handle.read(limits.MAX_PART_BYTES)
    return "EncryptedPackage".encode("utf-16-le") in data


_UNSAFE_ADVICE = (
    "Ask the sender for a copy saved by Excel, or delete the unused content "
    "and save it again."
)


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > limits.MAX_PARTS:
        raise WorkbookError(
            f"{path}: the package has {len(infos):,} parts, more than the limit "
            f"of {limits.MAX_PARTS:,}; it was not read. {_UNSAFE_ADVICE}"
        )
    total = 0
    for info in infos:
        if info.file_size > limits.MAX_PART_BYTES:
            raise WorkbookError(
                f"{path}: part {info.filename} would inflate to "
                f"{info.file_size:,} bytes, more than the limit of "
                f"{limits.MAX_PART_BYTES:,}; it was not read. {_UNSAFE_ADVICE}"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.MAX_COMPRESSION_RATIO:
            raise WorkbookError(
                f"{path}: part {info.filename} is compressed {ratio:,.0f}:1, "
                f"more than the limit of {limits.MAX_COMPRESSION_RATIO:,}:1 "
                f"(a zip bomb); it was not read. {_UNSAFE_ADVICE}"
            )
        total += info.file_size
    if total > limits.MAX_PACKAGE_BYTES:
        raise WorkbookError(
            f"{path}: the package would inflate to {total:,} bytes, more than "
            f"the limit of {limits.MAX_PACKAGE_BYTES:,}; it was not read. "
            f"{_UNSAFE_ADVICE}"
        )


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> bytes:
    # zipfile stops at the declared size, and the read is bounded once more in
    # case a crafted header declares less than the part holds. zipfile passes a
    # damaged deflate or LZMA stream's own exception through (zlib.error,
    # lzma.LZMAError), and a local header whose name is not valid UTF-8 raises
    # UnicodeDecodeError, so those are caught along with zipfile's own.
    try:
        with archive.open(info) as handle:
            data = handle.read(limits.MAX_PART_BYTES + 1)
    except (
        zipfile.BadZipFile,
        EOFError,
        OSError,
        NotImplementedError,
        ValueError,
        zlib.error,
        lzma.LZMAError,
    ) as exc:
        raise WorkbookError(
            f"{path}: part {info.filename} cannot be inflated ({exc}); the file "
            "is damaged or truncated. Restore it from a backup."
        ) from None
    if len(data) > limits.MAX_PART_BYTES:
        raise WorkbookError(
            f"{path}: part {info.filename} inflates past the limit of "
            f"{limits.MAX_PART_BYTES:,} bytes; it was not read. {_UNSAFE_ADVICE}"
        )
    return data
