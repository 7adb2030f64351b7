"""Build bad and hostile workbooks for the tests, and run the real CLI on them.

Each builder takes a folder, writes one input into it and returns its path.
Inputs are built from scratch (raw OOXML parts or openpyxl, standing in for a
user) or by editing the parts of the bundled workbook. The zip bombs are
streamed from chunks of zeros, so building them never keeps the
inflated size in memory.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import openpyxl
from openpyxl.utils import get_column_letter

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "workbook" / "CTI-MM.xlsm"

MiB = 1024 * 1024

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Columns of the control tables that the builders write, A to J.
HEADER = [
    "Maturity Level",
    "Intel Cycle Phase",
    "Intel Level",
    "Actions (control ID / description)",
    "Links to",
    "True?",
    "Remarks",
    "Process",
    "People",
    "Technology",
]
PHASE_LABELS = {
    1: "Dir. & IR",
    2: "Collection & process",
    3: "Analysis & production",
    4: "Dissemination",
    5: "Feedback",
}
INTEL_LABELS = {"A": "Strategic", "B": "Operational", "C": "Tactical"}

# Parts of the bundled workbook: the sheet `Level 2` and the shared strings.
LEVEL_2_PART = "xl/worksheets/sheet2.xml"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"

# Text that a file read through an external entity would leak into the output.
SECRET_MARKER = "CTIMM-SECRET-7f3a9c"


# --- package helpers -------------------------------------------------------


def rewrite_package(
    source: Path,
    target: Path,
    edits: dict[str, Callable[[bytes], bytes]] | None = None,
    add: dict[str, bytes] | None = None,
    drop: Iterable[str] = (),
) -> Path:
    """Copy the zip at `source` to `target`, editing, adding or dropping parts."""
    edits = edits or {}
    dropped = set(drop)
    with zipfile.ZipFile(source) as original:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
            for info in original.infolist():
                if info.filename in dropped:
                    continue
                data = original.read(info.filename)
                if info.filename in edits:
                    data = edits[info.filename](data)
                copy.writestr(info.filename, data)
            for name, data in (add or {}).items():
                copy.writestr(name, data)
    return target


def without_declaration(data: bytes) -> bytes:
    return re.sub(rb"^\s*<\?xml[^>]*\?>\s*", b"", data)


def patch_zip_entry(
    path: Path, name: str, patch: Callable[[bytearray, int, int], None]
) -> None:
    """Edit the raw headers of one zip entry in place.

    `patch` gets the file's bytes, the offset of the entry's central-directory
    record and the offset of its local header. Offsets used from the central
    record: version needed +6, flags +8, method +10, inflated size +24, name
    length +28, local header offset +42. From the local header: flags +6,
    method +8, inflated size +22, name +30.
    """
    data = bytearray(path.read_bytes())
    wanted = name.encode()
    position = 0
    found = False
    while True:
        position = data.find(b"PK\x01\x02", position)
        if position < 0:
            break
        (name_length,) = struct.unpack_from("<H", data, position + 28)
        if bytes(data[position + 46 : position + 46 + name_length]) == wanted:
            (local,) = struct.unpack_from("<I", data, position + 42)
            patch(data, position, local)
            found = True
        position += 4
    assert found, f"no zip entry {name} in {path}"
    path.write_bytes(bytes(data))


def inline_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def sheet_xml(rows: Iterable[str], tail: str = "") -> bytes:
    """A worksheet part around the given `<row>` elements."""
    head = f'<worksheet xmlns="{NS_MAIN}"><sheetData>'
    body = "".join(rows)
    return _XML_DECLARATION + f"{head}{body}</sheetData>{tail}</worksheet>".encode()


def header_row(number: int = 1, header: list[str] = HEADER) -> str:
    cells = "".join(
        inline_cell(f"{get_column_letter(column)}{number}", text)
        for column, text in enumerate(header, start=1)
    )
    return f'<row r="{number}">{cells}</row>'


def control_row(number: int, control_id: str, answer: str = "", text: str = "") -> str:
    level, intel, phase, _letter = control_id.split(".")
    values = [
        f"Level {level}",
        PHASE_LABELS[int(phase)],
        INTEL_LABELS[intel],
        f"{control_id} / {text or 'a control written for a test'}",
        "",
        answer,
    ]
    cells = "".join(
        inline_cell(f"{get_column_letter(column)}{number}", value)
        for column, value in enumerate(values, start=1)
        if value
    )
    return f'<row r="{number}">{cells}</row>'


def write_raw_workbook(path: Path, sheets: dict[str, bytes]) -> Path:
    """Write a minimal .xlsx package from worksheet parts given by sheet name."""
    sheet_entries = []
    relationships = []
    overrides = [
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    ]
    for number, name in enumerate(sheets, start=1):
        sheet_entries.append(
            f'<sheet name={quoteattr(name)} sheetId="{number}" r:id="rId{number}"/>'
        )
        relationships.append(
            f'<Relationship Id="rId{number}" Type="{NS_REL}/worksheet" '
            f'Target="worksheets/sheet{number}.xml"/>'
        )
        overrides.append(
            f'<Override PartName="/xl/worksheets/sheet{number}.xml" '
            'ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        )
    workbook = (
        f'<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheets>'
        + "".join(sheet_entries)
        + "</sheets></workbook>"
    )
    workbook_rels = (
        f'<Relationships xmlns="{NS_PKG_REL}">'
        + "".join(relationships)
        + "</Relationships>"
    )
    package_rels = (
        f'<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    content_types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(overrides)
        + "</Types>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml", _XML_DECLARATION + content_types.encode()
        )
        archive.writestr("_rels/.rels", _XML_DECLARATION + package_rels.encode())
        archive.writestr("xl/workbook.xml", _XML_DECLARATION + workbook.encode())
        archive.writestr(
            "xl/_rels/workbook.xml.rels", _XML_DECLARATION + workbook_rels.encode()
        )
        for number, data in enumerate(sheets.values(), start=1):
            archive.writestr(f"xl/worksheets/sheet{number}.xml", data)
    return path


# --- control workbooks written with openpyxl, as a user would -------------


@dataclass
class Row:
    """One control row: its ID and what the user typed in the other columns."""

    control_id: str
    answer: object = None
    text: str = "a control written for a test"
    links: str = ""
    remarks: str = ""
    process: str = ""
    people: str = ""
    technology: str = ""

    def values(self) -> list[object]:
        level, intel, phase, _letter = self.control_id.split(".")
        return [
            f"Level {level}",
            PHASE_LABELS[int(phase)],
            INTEL_LABELS[intel],
            f"{self.control_id} / {self.text}",
            self.links or None,
            self.answer,
            self.remarks or None,
            self.process or None,
            self.people or None,
            self.technology or None,
        ]


def put_text(sheet, ref: str, value: str) -> None:
    """Store `value` as text even when it starts with `=`, as a user typing `'=`."""
    cell = sheet[ref]
    cell.value = value
    cell.data_type = "s"


def control_workbook(
    path: Path,
    rows: list[Row],
    title: str = "Level 2",
    extra_sheets: Iterable[str] = (),
    header: list[str] = HEADER,
) -> Path:
    """Write a workbook with one control table on sheet `title`, header on row 1."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for column, text in enumerate(header, start=1):
        sheet.cell(row=1, column=column, value=text)
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row.values(), start=1):
            if value is None:
                continue
            ref = f"{get_column_letter(column)}{number}"
            if isinstance(value, str):
                put_text(sheet, ref, value)
            else:
                sheet[ref] = value
    for name in extra_sheets:
        workbook.create_sheet(name)["A1"] = "notes kept by the user"
    workbook.save(path)
    return path


def answered_rows(count: int = 4) -> list[Row]:
    """Level-2 actions of area A1, the first one answered Yes."""
    rows = [Row(f"2.A.1.{letter}") for letter in "abcdefgh"[:count]]
    rows[0].answer = "Yes"
    return rows


# --- files that are not workbooks -------------------------------------------


def empty_file(folder: Path) -> Path:
    path = folder / "empty.xlsx"
    path.write_bytes(b"")
    return path


def text_as_xlsx(folder: Path) -> Path:
    path = folder / "notes.xlsx"
    path.write_text("Maturity Level,True?\n1,Yes\n", encoding="utf-8")
    return path


def truncated_zip(folder: Path) -> Path:
    data = BUNDLED.read_bytes()
    path = folder / "truncated.xlsm"
    path.write_bytes(data[: len(data) // 2])
    return path


def legacy_xls(folder: Path) -> Path:
    """An OLE2 compound file header (what .xls starts with) and empty sectors."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHH", header, 24, 0x3E, 0x3, 0xFFFE)
    struct.pack_into("<H", header, 30, 9)
    path = folder / "legacy.xls"
    path.write_bytes(bytes(header) + bytes(4096))
    return path


def ods_spreadsheet(folder: Path) -> Path:
    """Convert a small control workbook to .ods with LibreOffice (needs soffice)."""
    source = control_workbook(folder / "tocalc.xlsx", answered_rows())
    profile = folder / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "ods",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    source.unlink()
    shutil.rmtree(profile, ignore_errors=True)
    return folder / "tocalc.ods"


def encrypted_workbook(folder: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = control_workbook(folder / "plain.xlsx", answered_rows())
    path = folder / "locked.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    plain.unlink()
    return path


def docx_like_package(folder: Path) -> Path:
    """A valid OPC package whose main part is a word-processing document."""
    path = folder / "letter.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/'
            'xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/>'
            "</Relationships>",
        )
    return path


def no_content_types(folder: Path) -> Path:
    return rewrite_package(
        BUNDLED, folder / "no-types.xlsm", drop=["[Content_Types].xml"]
    )


# --- hostile XML ------------------------------------------------------------


def _laughs_dtd(root: str) -> bytes:
    # Ten levels of ten references: the innermost entity expands 10**9 times.
    entities = ['<!ENTITY lol0 "lol">']
    for level in range(1, 10):
        previous = f"&lol{level - 1};" * 10
        entities.append(f'<!ENTITY lol{level} "{previous}">')
    return f"<!DOCTYPE {root} [{''.join(entities)}]>\n".encode()


def _with_prolog(data: bytes, prolog: bytes) -> bytes:
    return _XML_DECLARATION + prolog + without_declaration(data)


def _first_inline_text(data: bytes, text: str) -> bytes:
    # Turn the first shared-string cell of row 3 into an inline one holding `text`.
    return re.sub(
        rb'<c r="D3"([^>]*?) t="s"><v>\d+</v></c>',
        lambda m: (
            b'<c r="D3"'
            + m.group(1)
            + b' t="inlineStr"><is><t>'
            + text.encode()
            + b"</t></is></c>"
        ),
        data,
        count=1,
    )


def entity_bomb_in_sheet(folder: Path) -> Path:
    def edit(data: bytes) -> bytes:
        bomb = _with_prolog(data, _laughs_dtd("worksheet"))
        return _first_inline_text(bomb, "2.A.1.a / &lol9;")

    return rewrite_package(BUNDLED, folder / "laughs-sheet.xlsm", {LEVEL_2_PART: edit})


def entity_bomb_in_shared_strings(folder: Path) -> Path:
    def edit(data: bytes) -> bytes:
        bomb = _with_prolog(data, _laughs_dtd("sst"))
        return re.sub(rb"<t>", b"<t>&lol9;", bomb, count=1)

    return rewrite_package(
        BUNDLED, folder / "laughs-strings.xlsm", {SHARED_STRINGS_PART: edit}
    )


def external_entity(folder: Path) -> Path:
    """A sheet whose cell pulls in a local file through a SYSTEM entity."""
    secret = folder / "secret.txt"
    secret.write_text(SECRET_MARKER, encoding="utf-8")
    dtd = f'<!DOCTYPE worksheet [<!ENTITY leak SYSTEM "{secret.as_uri()}">]>\n'

    def edit(data: bytes) -> bytes:
        return _first_inline_text(_with_prolog(data, dtd.encode()), "2.A.1.a / &leak;")

    return rewrite_package(BUNDLED, folder / "external.xlsm", {LEVEL_2_PART: edit})


def dtd_after_long_comment(folder: Path) -> Path:
    """A DTD pushed past the first 64 KiB by a comment, which XML allows."""
    padding = b"<!--" + b" padding " * 8000 + b"-->\n"

    def edit(data: bytes) -> bytes:
        bomb = _with_prolog(data, padding + _laughs_dtd("worksheet"))
        return _first_inline_text(bomb, "2.A.1.a / &lol9;")

    return rewrite_package(BUNDLED, folder / "late-dtd.xlsm", {LEVEL_2_PART: edit})


def dtd_in_utf16_part(folder: Path) -> Path:
    """A UTF-16 sheet part with a DTD, invisible to a byte search for `<!DOCTYPE`."""

    def edit(data: bytes) -> bytes:
        body = _first_inline_text(without_declaration(data), "2.A.1.a / &lol9;")
        declaration = b'<?xml version="1.0" encoding="UTF-16"?>\n'
        text = (declaration + _laughs_dtd("worksheet") + body).decode("utf-8")
        return text.encode("utf-16")

    return rewrite_package(BUNDLED, folder / "utf16-dtd.xlsm", {LEVEL_2_PART: edit})


def deep_nesting(folder: Path) -> Path:
    def edit(data: bytes) -> bytes:
        depth = 5000
        return data.replace(
            b"<sheetData>", b"<sheetData>" + b"<x>" * depth + b"</x>" * depth, 1
        )

    return rewrite_package(BUNDLED, folder / "deep.xlsm", {LEVEL_2_PART: edit})


def malformed_sheet(folder: Path) -> Path:
    def edit(data: bytes) -> bytes:
        return data[: len(data) // 2]

    return rewrite_package(BUNDLED, folder / "cut-sheet.xlsm", {LEVEL_2_PART: edit})


def _edit_level_2(folder: Path, name: str, old: bytes, new: bytes) -> Path:
    def edit(data: bytes) -> bytes:
        assert old in data, f"{old!r} not in {LEVEL_2_PART}"
        return data.replace(old, new, 1)

    return rewrite_package(BUNDLED, folder / name, {LEVEL_2_PART: edit})


def shared_string_out_of_range(folder: Path) -> Path:
    return _edit_level_2(
        folder,
        "bad-index.xlsm",
        b'<c r="D3" s="5" t="s"><v>114</v>',
        b'<c r="D3" s="5" t="s"><v>999999</v>',
    )


def shared_string_negative(folder: Path) -> Path:
    return _edit_level_2(
        folder,
        "negative-index.xlsm",
        b'<c r="D3" s="5" t="s"><v>114</v>',
        b'<c r="D3" s="5" t="s"><v>-1</v>',
    )


def row_number_not_a_number(folder: Path) -> Path:
    return _edit_level_2(folder, "row-x.xlsm", b'<row r="3"', b'<row r="x3"')


def row_number_past_excel(folder: Path) -> Path:
    return _edit_level_2(folder, "row-big.xlsm", b'<row r="3"', b'<row r="2000000"')


def overlong_cell(folder: Path) -> Path:
    text = "2.A.1.a / " + "x" * 40_000
    sheet = sheet_xml([header_row(), f'<row r="2">{inline_cell("D2", text)}</row>'])
    return write_raw_workbook(folder / "long-cell.xlsx", {"Level 2": sheet})


def too_many_rows(folder: Path) -> Path:
    """A sheet of 200,001 empty rows, one more than the reader's row limit."""
    rows = (f'<row r="{number}"/>' for number in range(1, 200_003))
    return write_raw_workbook(folder / "many-rows.xlsx", {"Notes": sheet_xml(rows)})


# --- zip structure ----------------------------------------------------------


def zip_bomb_part(folder: Path, inflated: int = 200 * MiB) -> Path:
    """The bundled workbook plus one part of `inflated` zero bytes."""
    path = rewrite_package(BUNDLED, folder / "bomb.xlsm")
    chunk = bytes(MiB)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/media/zeros.bin", "w", force_zip64=True) as part:
            for _ in range(inflated // MiB):
                part.write(chunk)
    return path


def zip_bomb_total(folder: Path, parts: int = 6, part_size: int = 90 * MiB) -> Path:
    """Parts under the per-part limit and compression ratio, past 500 MiB together."""
    # Each MiB carries 2 KiB of random bytes, so the parts compress about
    # 300:1, under the ratio limit, while the zeros keep the file small.
    chunk = os.urandom(2048) + bytes(MiB - 2048)
    path = rewrite_package(BUNDLED, folder / "bomb-total.xlsm")
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        for number in range(1, parts + 1):
            name = f"xl/media/fill{number}.bin"
            with archive.open(name, "w", force_zip64=True) as part:
                for _ in range(part_size // MiB):
                    part.write(chunk)
    return path


def too_many_parts(folder: Path) -> Path:
    path = rewrite_package(BUNDLED, folder / "many-parts.xlsm")
    with zipfile.ZipFile(path, "a") as archive:
        for number in range(10_001):
            archive.writestr(f"xl/media/empty{number}.bin", b"")
    return path


def understated_part_size(folder: Path) -> Path:
    """A 50 MiB part whose headers claim 1,000 bytes."""
    path = rewrite_package(
        BUNDLED, folder / "liar.xlsm", add={"xl/media/big.bin": bytes(50 * MiB)}
    )

    def patch(data: bytearray, central: int, local: int) -> None:
        struct.pack_into("<I", data, central + 24, 1000)
        struct.pack_into("<I", data, local + 22, 1000)

    patch_zip_entry(path, "xl/media/big.bin", patch)
    return path


def damaged_deflate_stream(folder: Path) -> Path:
    path = rewrite_package(BUNDLED, folder / "bad-deflate.xlsm")
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(LEVEL_2_PART)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(100, 200):
        data[start + offset] ^= 0x55
    path.write_bytes(bytes(data))
    return path


def zip_encrypted_entry(folder: Path) -> Path:
    """Mark one entry as ZipCrypto-encrypted (general-purpose flag bit 0)."""
    path = rewrite_package(BUNDLED, folder / "zipcrypto.xlsm")

    def patch(data: bytearray, central: int, local: int) -> None:
        for offset in (central + 8, local + 6):
            (flags,) = struct.unpack_from("<H", data, offset)
            struct.pack_into("<H", data, offset, flags | 0x1)

    patch_zip_entry(path, LEVEL_2_PART, patch)
    return path


def unknown_compression(folder: Path) -> Path:
    """Give one entry compression method 99 (AES), which zipfile cannot read."""
    path = rewrite_package(BUNDLED, folder / "aes.xlsm")

    def patch(data: bytearray, central: int, local: int) -> None:
        struct.pack_into("<H", data, central + 10, 99)
        struct.pack_into("<H", data, local + 8, 99)

    patch_zip_entry(path, LEVEL_2_PART, patch)
    return path


def unsupported_zip_version(folder: Path) -> Path:
    """Claim that one entry needs zip version 9.9 to extract; zipfile reads up to 6.3."""
    path = rewrite_package(BUNDLED, folder / "zip-version.xlsm")

    def patch(data: bytearray, central: int, local: int) -> None:
        struct.pack_into("<H", data, central + 6, 99)

    patch_zip_entry(path, LEVEL_2_PART, patch)
    return path


def bad_utf8_entry_name(folder: Path) -> Path:
    """Flag one local header's name as UTF-8 and put an invalid byte in it."""
    path = rewrite_package(BUNDLED, folder / "bad-name.xlsm")

    def patch(data: bytearray, central: int, local: int) -> None:
        (flags,) = struct.unpack_from("<H", data, local + 6)
        struct.pack_into("<H", data, local + 6, flags | 0x800)
        data[local + 30] = 0xFF

    patch_zip_entry(path, LEVEL_2_PART, patch)
    return path


# --- readable workbooks with a bad layout -----------------------------------


def no_control_table(folder: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Budget"
    sheet.append(["Item", "Cost"])
    sheet.append(["Feeds", 1200])
    path = folder / "budget.xlsx"
    workbook.save(path)
    return path


def header_without_answer_column(folder: Path, title: str = "Level 2") -> Path:
    header = [name for name in HEADER if name != "True?"]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(header)
    sheet.append(["Level 2", "Dir. & IR", "Strategic", "2.A.1.a / text", None])
    path = folder / "no-answer-column.xlsx"
    workbook.save(path)
    return path


def user_sheet_named(folder: Path, name: str) -> Path:
    return control_workbook(
        folder / "own-sheet.xlsx", answered_rows(), extra_sheets=[name]
    )


# --- readable workbooks with bad cells (exit 0, problems reported) -----------


def merged_answers(folder: Path) -> Path:
    """One `Yes` typed into F2, merged across the answers of rows 2 to 4."""
    path = control_workbook(folder / "merged.xlsx", answered_rows())
    workbook = openpyxl.load_workbook(path)
    workbook.active.merge_cells("F2:F4")
    workbook.save(path)
    return path


def formula_answers(folder: Path) -> Path:
    """Answers as formulas: F2 with a cached `Yes`, F3 never calculated."""
    rows = answered_rows()
    rows[0].answer = None
    path = control_workbook(folder / "formulas.xlsx", rows)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    sheet["F2"] = '=IF(TRUE,"Yes","No")'
    sheet["F3"] = '=IF(TRUE,"Yes","No")'
    workbook.save(path)

    # openpyxl writes formulas without a cached value; give F2 the value that
    # Excel would have stored after calculating it.
    def cache_f2(data: bytes) -> bytes:
        pattern = rb'<c r="F2"([^>]*)><f>([^<]*)</f><v\s*/?>(?:</v>)?</c>'
        replaced, count = re.subn(
            pattern,
            lambda m: (
                b'<c r="F2"'
                + m.group(1)
                + b' t="str"><f>'
                + m.group(2)
                + b"</f><v>Yes</v></c>"
            ),
            data,
        )
        assert count == 1, data[:2000]
        return replaced

    cached = folder / "formulas-cached.xlsx"
    rewrite_package(path, cached, {"xl/worksheets/sheet1.xml": cache_f2})
    path.unlink()
    return cached


def error_answers(folder: Path) -> Path:
    """Error values as answers: `#N/A` in F3 and `#REF!` in F4 (cells of type e)."""
    path = control_workbook(folder / "errors.xlsx", answered_rows())
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    for ref, error in (("F3", "#N/A"), ("F4", "#REF!")):
        sheet[ref].value = error
        sheet[ref].data_type = "e"
    workbook.save(path)
    return path


def out_of_range_ids(folder: Path) -> Path:
    """`6.D.9.z` as a control ID on row 3 and as a link from row 2."""
    rows = answered_rows(2)
    rows[0].links = "6.D.9.z"
    workbook_path = control_workbook(folder / "ids.xlsx", rows)
    workbook = openpyxl.load_workbook(workbook_path)
    sheet = workbook.active
    sheet["A4"], sheet["B4"], sheet["C4"] = "Level 6", "Feedback", "Strategic"
    put_text(sheet, "D4", "6.D.9.z / a control outside the model")
    workbook.save(workbook_path)
    return workbook_path


def link_cycle(folder: Path) -> Path:
    rows = answered_rows(3)
    rows[1].links = "2.A.1.c"
    rows[2].links = "2.A.1.b"
    return control_workbook(folder / "cycle.xlsx", rows)


QUOTED_SHEET = 'It\'s "Q1"'


def quoted_sheet_name(folder: Path) -> Path:
    """A control sheet named with an apostrophe and quotes, bad answer in F7."""
    rows = answered_rows(6)
    rows[5].answer = "Maybe"
    return control_workbook(folder / "quoted.xlsx", rows, title=QUOTED_SHEET)


FORMULA_LIKE = {
    "text": "=1+2",
    "remarks": '=HYPERLINK("http://127.0.0.1/","x")',
    "process": "+SUM(1,2)",
    "people": "-2+3",
    "technology": "@SUM(1)",
}


def formula_like_text(folder: Path, name: str = "=1+2.xlsx") -> Path:
    """Level-1 controls whose text begins with `=`, `+`, `-` or `@`, on sheet `=Sheet`.

    They are unanswered level-1 actions, so they are the first roadmap steps.
    """
    rows = [
        Row(
            f"1.A.1.{letter}",
            text=f"{FORMULA_LIKE['text']} {letter}",
            remarks=FORMULA_LIKE["remarks"],
            process=FORMULA_LIKE["process"],
            people=FORMULA_LIKE["people"],
            technology=FORMULA_LIKE["technology"],
        )
        for letter in "abc"
    ]
    rows.append(Row("1.A.1.d", answer="=maybe"))
    path = control_workbook(folder / name, rows, title="=Sheet")
    workbook = openpyxl.load_workbook(path)
    put_text(workbook.active, "D7", "=CMD|' /C calc'!A0")
    workbook.save(path)
    return path


# --- large workbooks ----------------------------------------------------------


ALL_IDS = [
    f"{level}.{intel}.{phase}.{letter}"
    for level in range(1, 6)
    for intel in "ABC"
    for phase in range(1, 6)
    for letter in "abcdefghijklmnopqrstuvwxyz"
]


def many_control_rows(folder: Path, count: int = 100_000) -> Path:
    """One sheet of `count` control rows; IDs repeat after the 1,950 the scheme has."""
    rows = [header_row()]
    for index in range(count):
        control_id = ALL_IDS[index % len(ALL_IDS)]
        answer = ("Yes", "No", "")[index % 3]
        rows.append(control_row(index + 2, control_id, answer, f"row {index}"))
    return write_raw_workbook(folder / "rows.xlsx", {"Controls": sheet_xml(rows)})


def big_workbook(folder: Path, name: str = "BIG.xlsx", media: int = 48 * MiB) -> Path:
    """A control workbook with a large incompressible part, so writing takes seconds."""
    rows = [header_row()]
    for index, control_id in enumerate(ALL_IDS[:600]):
        answer = "Yes" if index % 4 == 0 else ""
        rows.append(control_row(index + 2, control_id, answer))
    path = write_raw_workbook(folder / name, {"Controls": sheet_xml(rows)})
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        with archive.open("xl/media/photo.bin", "w", force_zip64=True) as part:
            for _ in range(media // MiB):
                part.write(os.urandom(MiB))
    return path


# --- running the CLI ----------------------------------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_bytes: int


def cli_env() -> dict[str, str]:
    """The environment for a `ctimm` subprocess, importing this checkout's package."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(REPO), env.get("PYTHONPATH", "")) if part
    )
    return env


def ctimm_command(*args: object) -> list[str]:
    return [sys.executable, "-m", "ctimm_xl", *(str(arg) for arg in args)]


# Runs the command given after the report path, then writes its exit code and
# the peak RSS of that child (KiB on Linux) to the report file. A fresh
# launcher is used because a child's ru_maxrss also counts the memory it
# shared with its parent before exec, and the test process may be large.
_LAUNCHER = """
import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as report:
    report.write(f"{code} {usage.ru_maxrss}")
"""


def run_ctimm(*args: object, cwd: Path | None = None, timeout: float = 120) -> Run:
    """Run `python -m ctimm_xl ARGS` and measure its time and peak memory."""
    handle, report_name = tempfile.mkstemp(prefix="ctimm-rusage-")
    os.close(handle)
    report = Path(report_name)
    started = time.monotonic()
    try:
        with (
            open(os.devnull, "rb") as stdin,
            tempfile.TemporaryFile() as stdout,
            tempfile.TemporaryFile() as stderr,
        ):
            process = subprocess.Popen(
                [sys.executable, "-c", _LAUNCHER, report, *ctimm_command(*args)],
                stdin=stdin,
                stdout=stdout,
                stderr=stderr,
                cwd=cwd or REPO,
                env=cli_env(),
                start_new_session=True,
            )
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                raise AssertionError(
                    f"ctimm did not finish within {timeout} s"
                ) from None
            seconds = time.monotonic() - started
            stdout.seek(0)
            stderr.seek(0)
            out = stdout.read().decode("utf-8", errors="replace")
            err = stderr.read().decode("utf-8", errors="replace")
        code, max_rss_kib = (int(field) for field in report.read_text().split())
    finally:
        report.unlink(missing_ok=True)
    return Run(code, out, err, seconds, max_rss_kib * 1024)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(MiB), b""):
            digest.update(block)
    return digest.hexdigest()


def temporary_files(folder: Path) -> list[Path]:
    """The temporary files a ctimm run writes next to its output."""
    return sorted(folder.glob(".~ctimm-*"))
