"""Check the bundled control catalogue against the original CTI-MM workbook.

The catalogue restates every control of the per-level sheets (`Level 1` to
`Level 5`) in the project's own words. These tests read the original workbook at
run time and check that IDs, levels, phases, kinds and links agree with it, and
that no catalogue text repeats a run of words from the original material.
"""

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

CATALOGUE_PATH = (
    Path(__file__).resolve().parents[1] / "ctimm_xl" / "catalogue" / "controls.csv"
)
SEED_DIR = Path(__file__).resolve().parents[2] / "shared" / "seed"
ORIGINAL_WORKBOOK_PATH = SEED_DIR / "CMM_maturity_model.xlsx"
ORIGINAL_DESCRIPTION_PATH = SEED_DIR / "000_656d499b99e2af67.txt"

CATALOGUE_COLUMNS = [
    "id",
    "maturity_level",
    "intel_level",
    "phase",
    "kind",
    "links",
    "description",
    "process",
    "people",
    "technology",
]
RESOURCE_COLUMNS = ["process", "people", "technology"]
RESTATED_COLUMNS = ["description", *RESOURCE_COLUMNS]

LEVEL_SHEETS = ["Level 1", "Level 2", "Level 3", "Level 4", "Level 5"]
ROLL_UP_SHEET = "All Levels"

EXPECTED_CONTROL_COUNT = 217
EXPECTED_KIND_COUNTS = {"indicator": 19, "action": 198}

INTEL_LEVELS = {"A": "Strategic", "B": "Operational", "C": "Tactical"}
PHASE_LABELS = {
    "dir. & ir": 1,
    "collection & process": 2,
    "analysis & production": 3,
    "dissemination": 4,
    "feedback": 5,
}

# The original writes IDs as `1.B.3a`, `3.A.1.c.` or `2.B.2.b.` as well as
# `1.A.1.a`, so every dot is optional when parsing.
ORIGINAL_ID_PATTERN = re.compile(r"([1-5])\.?([ABC])\.?([1-5])\.?([a-z])\.?")
CATALOGUE_ID_PATTERN = re.compile(r"[1-5]\.[ABC]\.[1-5]\.[a-z]")

# A catalogue text fails the copy check when it shares this many consecutive
# words with the original material, because a run of five identical words
# already counts as copied text.
COPIED_RUN_WORDS = 5

# Leading characters that make spreadsheet programs treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# A resource cell with one of these values states that no resource is needed.
NO_RESOURCE_VALUES = {"", "n/a"}


@dataclass(frozen=True)
class OriginalControl:
    """One control row of a per-level sheet in the original workbook."""

    control_id: str
    sheet: str
    row: int
    level_label: str
    phase_label: str
    intel_label: str
    kind: str
    resources: dict


def read_catalogue() -> list[dict]:
    # "utf-8-sig" keeps a stray byte order mark out of the first column name, so
    # test_catalogue_file_encoding reports it instead of every test erroring.
    with CATALOGUE_PATH.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


CATALOGUE_ROWS = read_catalogue()
CATALOGUE_BY_ID = {row["id"]: row for row in CATALOGUE_ROWS}
CATALOGUE_IDS = [row["id"] for row in CATALOGUE_ROWS]
LEVEL_ONE_ACTION_IDS = [
    row["id"]
    for row in CATALOGUE_ROWS
    if row["maturity_level"] == "1" and row["kind"] == "action"
]
RESTATED_TEXT_CASES = [
    pytest.param(row["id"], column, id=f"{row['id']}-{column}")
    for row in CATALOGUE_ROWS
    for column in RESTATED_COLUMNS
    if row[column]
]


def normalize_original_id(raw: str) -> str:
    """Convert an ID as written in the original to the `L.I.P.x` form."""
    compact = re.sub(r"\s", "", raw)
    match = ORIGINAL_ID_PATTERN.fullmatch(compact)
    if match is None:
        raise ValueError(
            f"invalid control ID {raw!r} in the original workbook, expected a form like 1.A.1.a"
        )
    return ".".join(match.groups())


def cell_text(value) -> str:
    if value is None:
        return ""
    return str(value).strip()


def is_header_row(values: tuple) -> bool:
    return cell_text(values[0]) == "Maturity Level"


def table_kind(header_values: tuple) -> str:
    return "indicator" if "Indicators" in cell_text(header_values[3]) else "action"


def control_id_of(description_cell) -> str | None:
    """Return the normalized ID before ` / ` in a description cell, or None for other rows."""
    if not isinstance(description_cell, str) or " / " not in description_cell:
        return None
    return normalize_original_id(description_cell.split(" / ", 1)[0])


def iter_sheet_controls(sheet):
    """Yield (row number, kind, row values) for each control row of one sheet."""
    kind = None
    for row_number, values in enumerate(
        sheet.iter_rows(max_col=11, values_only=True), start=1
    ):
        if not values:
            continue
        if is_header_row(values):
            kind = table_kind(values)
            continue
        if control_id_of(values[3]) is not None:
            yield row_number, kind, values


def tokenize(text: str) -> list[str]:
    """Split text into lower-case words, treating any punctuation as a separator.

    Splitting `ad-hoc` into `ad` and `hoc` makes the copy check stricter,
    because it also matches the spaced spelling of the same words.
    """
    return re.findall(r"[^\W_]+", text.casefold())


@pytest.fixture(scope="module")
def original_workbook():
    if not ORIGINAL_WORKBOOK_PATH.is_file():
        pytest.skip(
            f"original CTI-MM workbook not found at {ORIGINAL_WORKBOOK_PATH}, so the catalogue cannot be compared with it"
        )
    workbook = openpyxl.load_workbook(
        ORIGINAL_WORKBOOK_PATH, read_only=True, data_only=True
    )
    yield workbook
    workbook.close()


@pytest.fixture(scope="module")
def original_controls(original_workbook) -> list[OriginalControl]:
    controls = []
    for sheet_name in LEVEL_SHEETS:
        for row_number, kind, values in iter_sheet_controls(
            original_workbook[sheet_name]
        ):
            controls.append(
                OriginalControl(
                    control_id=control_id_of(values[3]),
                    sheet=sheet_name,
                    row=row_number,
                    level_label=cell_text(values[0]),
                    phase_label=cell_text(values[1]),
                    intel_label=cell_text(values[2]),
                    kind=kind,
                    resources=dict(
                        zip(
                            RESOURCE_COLUMNS,
                            (cell_text(value) for value in values[7:10]),
                            strict=False,
                        )
                    ),
                )
            )
    return controls


@pytest.fixture(scope="module")
def original_controls_by_id(original_controls) -> dict[str, OriginalControl]:
    return {control.control_id: control for control in original_controls}


@pytest.fixture(scope="module")
def original_links(original_workbook) -> dict[str, list[list[str]]]:
    """Map each ID on the roll-up sheet to the normalized links of each of its rows."""
    links_by_id = {}
    for _row_number, _kind, values in iter_sheet_controls(
        original_workbook[ROLL_UP_SHEET]
    ):
        targets = [
            normalize_original_id(token) for token in cell_text(values[4]).split()
        ]
        links_by_id.setdefault(control_id_of(values[3]), []).append(targets)
    return links_by_id


@pytest.fixture(scope="module")
def original_word_index(original_workbook):
    """Index every word of the original material by (text number, position).

    Each workbook cell is a text of its own, and the model description file is
    one text, so runs that span a line break in that file are still found.
    """
    if not ORIGINAL_DESCRIPTION_PATH.is_file():
        pytest.skip(
            f"original model description not found at {ORIGINAL_DESCRIPTION_PATH}, so the copy check cannot run"
        )
    texts = [tokenize(ORIGINAL_DESCRIPTION_PATH.read_text(encoding="utf-8"))]
    for sheet in original_workbook.worksheets:
        for values in sheet.iter_rows(values_only=True):
            texts.extend(tokenize(value) for value in values if isinstance(value, str))
    positions = {}
    for text_number, words in enumerate(texts):
        for position, word in enumerate(words):
            positions.setdefault(word, []).append((text_number, position))
    return texts, positions


def longest_shared_run(words: list[str], original_word_index) -> list[str]:
    """Return the longest run of consecutive words that also occurs in the original material."""
    texts, positions = original_word_index
    longest = []
    for start, word in enumerate(words):
        for text_number, position in positions.get(word, ()):
            original_words = texts[text_number]
            length = 1
            while (
                start + length < len(words)
                and position + length < len(original_words)
                and words[start + length] == original_words[position + length]
            ):
                length += 1
            if length > len(longest):
                longest = words[start : start + length]
    return longest


def test_catalogue_file_encoding():
    data = CATALOGUE_PATH.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf"), (
        "controls.csv must not start with a UTF-8 byte order mark"
    )
    assert b"\r" not in data, "controls.csv must use \\n line ends only"
    data.decode("utf-8")


def test_catalogue_header():
    with CATALOGUE_PATH.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == CATALOGUE_COLUMNS


def test_catalogue_row_count():
    assert len(CATALOGUE_ROWS) == EXPECTED_CONTROL_COUNT


@pytest.mark.parametrize(
    "kind, expected_count",
    EXPECTED_KIND_COUNTS.items(),
    ids=EXPECTED_KIND_COUNTS.keys(),
)
def test_catalogue_kind_count(kind, expected_count):
    actual_count = sum(1 for row in CATALOGUE_ROWS if row["kind"] == kind)
    assert actual_count == expected_count


def test_catalogue_ids_unique():
    duplicates = sorted(
        {
            control_id
            for control_id in CATALOGUE_IDS
            if CATALOGUE_IDS.count(control_id) > 1
        }
    )
    assert duplicates == []


def test_catalogue_ids_well_formed():
    malformed = [
        control_id
        for control_id in CATALOGUE_IDS
        if not CATALOGUE_ID_PATTERN.fullmatch(control_id)
    ]
    assert malformed == []


def test_original_control_counts(original_controls):
    kinds = [control.kind for control in original_controls]
    assert len(original_controls) == EXPECTED_CONTROL_COUNT
    assert kinds.count("indicator") == EXPECTED_KIND_COUNTS["indicator"]
    assert kinds.count("action") == EXPECTED_KIND_COUNTS["action"]


def test_catalogue_order_matches_original(original_controls):
    assert CATALOGUE_IDS == [control.control_id for control in original_controls]


@pytest.mark.parametrize("control_id", CATALOGUE_IDS)
def test_control_matches_original(control_id, original_controls_by_id):
    row = CATALOGUE_BY_ID[control_id]
    assert control_id in original_controls_by_id, (
        f"{control_id} is not on the per-level sheets"
    )
    original = original_controls_by_id[control_id]
    id_level, id_intel, id_phase, _letter = control_id.split(".")

    assert row["maturity_level"] == id_level
    assert f"Level {row['maturity_level']}" == original.level_label, (
        f"column A of {original.sheet} row {original.row}"
    )
    assert f"Level {row['maturity_level']}" == original.sheet
    assert row["intel_level"] == INTEL_LEVELS[id_intel]
    assert row["intel_level"] == original.intel_label, (
        f"column C of {original.sheet} row {original.row}"
    )
    assert row["phase"] == id_phase
    assert int(row["phase"]) == PHASE_LABELS[original.phase_label.casefold()], (
        f"column B of {original.sheet} row {original.row}"
    )
    assert row["kind"] == original.kind


@pytest.mark.parametrize("control_id", CATALOGUE_IDS)
def test_control_links_match_original(control_id, original_links):
    original_rows = original_links.get(control_id, [[]])
    assert CATALOGUE_BY_ID[control_id]["links"].split() == original_rows[0]


def test_original_duplicates_share_links(original_links):
    conflicting = {
        control_id: rows
        for control_id, rows in original_links.items()
        if any(row != rows[0] for row in rows)
    }
    assert conflicting == {}


def test_link_targets_in_catalogue():
    dangling = [
        f"{row['id']} -> {target}"
        for row in CATALOGUE_ROWS
        for target in row["links"].split()
        if target not in CATALOGUE_BY_ID
    ]
    assert dangling == []


@pytest.mark.parametrize("control_id", CATALOGUE_IDS)
def test_control_resources_match_original(control_id, original_controls_by_id):
    """Resources are restated for level-1 actions only, wherever the original names one."""
    row = CATALOGUE_BY_ID[control_id]
    original = original_controls_by_id[control_id]
    restated = row["maturity_level"] == "1" and row["kind"] == "action"
    for column in RESOURCE_COLUMNS:
        expected = (
            restated and original.resources[column].casefold() not in NO_RESOURCE_VALUES
        )
        assert bool(row[column]) == expected, (
            f"{column} of {control_id}, original value {original.resources[column]!r}"
        )


def test_level_one_actions_have_resources():
    missing = [
        control_id
        for control_id in LEVEL_ONE_ACTION_IDS
        if not CATALOGUE_BY_ID[control_id]["process"]
    ]
    assert LEVEL_ONE_ACTION_IDS, "the catalogue contains no level-1 actions"
    assert missing == []


@pytest.mark.parametrize("control_id", CATALOGUE_IDS)
def test_control_description_present(control_id):
    description = CATALOGUE_BY_ID[control_id]["description"]
    assert description.strip()
    assert description == description.strip()
    assert "\n" not in description


@pytest.mark.parametrize(
    "control_id", [row["id"] for row in CATALOGUE_ROWS if row["kind"] == "indicator"]
)
def test_indicator_states_deficiency(control_id):
    """Indicators are true when a deficiency is present, so they read as one."""
    assert CATALOGUE_BY_ID[control_id]["description"].startswith(
        ("There is no ", "There are no ")
    )


@pytest.mark.parametrize("control_id, column", RESTATED_TEXT_CASES)
def test_text_not_copied_from_original(control_id, column, original_word_index):
    words = tokenize(CATALOGUE_BY_ID[control_id][column])
    shared = longest_shared_run(words, original_word_index)
    assert len(shared) < COPIED_RUN_WORDS, (
        f"{column} of {control_id} repeats {' '.join(shared)!r} from the original"
    )


@pytest.mark.parametrize("control_id", CATALOGUE_IDS)
def test_control_fields_not_formulas(control_id):
    row = CATALOGUE_BY_ID[control_id]
    for column in CATALOGUE_COLUMNS:
        assert not row[column].startswith(FORMULA_PREFIXES), (
            f"{column} of {control_id} starts with {row[column][:1]!r}"
        )
