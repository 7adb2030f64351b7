"""Properties of scoring, checks and the roadmap over random assessments."""

from __future__ import annotations

import io
from datetime import datetime

import openpyxl
from helpers import answer_cells, make_control
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctimm_xl.app import score_workbook
from ctimm_xl.build import render_workbook
from ctimm_xl.catalogue import Entry
from ctimm_xl.core.result import evaluate
from ctimm_xl.core.roadmap import link_cycles
from ctimm_xl.model import Answer, Kind

ANSWERS = ["Yes", "No", "Partial", "N/A", ""]
INTELS = "ABC"


@st.composite
def assessments(draw, max_controls=40):
    """Random controls (unique IDs, some indicators) with random answers and links."""
    keys = draw(
        st.lists(
            st.tuples(
                st.integers(1, 5),
                st.sampled_from(INTELS),
                st.integers(1, 5),
                st.sampled_from("abcdef"),
            ),
            min_size=1,
            max_size=max_controls,
            unique=True,
        )
    )
    ids = [f"{level}.{intel}.{phase}.{letter}" for level, intel, phase, letter in keys]
    controls = []
    for index, text in enumerate(ids):
        kind = (
            "indicator"
            if text.startswith("1.") and draw(st.booleans()) and index % 3 == 0
            else "action"
        )
        links = draw(st.lists(st.sampled_from(ids), max_size=2, unique=True))
        controls.append(
            make_control(
                text,
                draw(st.sampled_from(ANSWERS)),
                kind=kind,
                links=links,
                row=index + 1,
            )
        )
    return controls


def run(controls, **kwargs):
    return evaluate(
        "mem", controls, source_sheets=["S"], ignored_sheets=[], problems=[], **kwargs
    )


def brute_force_level(controls, intel, phase):
    applicable = [
        c
        for c in controls
        if c.kind is Kind.ACTION
        and c.answer is not Answer.NA
        and c.id.intel == intel
        and c.id.phase == phase
    ]
    best = 0
    for level in range(0, 6):
        if all(c.answer is Answer.YES for c in applicable if c.level <= level):
            best = level
    return best


@given(assessments())
def test_levels_follow_staged_rule(controls):
    result = run(controls)
    for area in result.areas:
        assert 0 <= area.level <= 5
        assert area.level == brute_force_level(controls, area.intel, area.phase)
        assert area.level <= area.score <= 5
        assert area.score < area.level + 1 or area.level == 5


@given(assessments(), st.data())
def test_yes_never_lowers_anything(controls, data):
    noes = [c for c in controls if c.answer is Answer.NO]
    if not noes:
        return
    before = {a.area: (a.level, a.score) for a in run(controls).areas}
    chosen = data.draw(st.sampled_from(noes))
    chosen.answer = Answer.YES
    after = {a.area: (a.level, a.score) for a in run(controls).areas}
    for area, (level, score) in before.items():
        assert after[area][0] >= level
        assert after[area][1] >= score - 1e-12


@given(assessments(), st.one_of(st.none(), st.integers(1, 5)))
def test_roadmap_lists_exactly_unmet_actions(controls, target):
    result = run(controls, target=target)
    targets = {a.area: a.target for a in result.areas}
    expected = {
        str(c.id)
        for c in controls
        if c.kind is Kind.ACTION
        and c.answer not in (Answer.YES, Answer.NA)
        and c.level <= targets[c.area]
    }
    listed = [str(s.control.id) for s in result.roadmap]
    assert len(listed) == len(set(listed))
    assert set(listed) == expected
    assert [s.step for s in result.roadmap] == list(range(1, len(listed) + 1))


@given(assessments())
def test_roadmap_respects_links_outside_cycles(controls):
    result = run(controls, target=5)
    position = {str(s.control.id): s.step for s in result.roadmap}
    in_cycle = {}
    for number, group in enumerate(link_cycles(controls)):
        for member in group:
            in_cycle[str(member.id)] = number
    for source in controls:
        for target in source.links:
            a, b = str(source.id), str(target)
            if a not in position or b not in position or a == b:
                continue
            if a in in_cycle and in_cycle.get(b) == in_cycle[a]:
                continue
            assert position[a] < position[b], (a, b)


@given(assessments())
def test_each_cycle_reported_once(controls):
    result = run(controls)
    cycles = [p for p in result.problems if p.kind == "link-cycle"]
    assert len(cycles) == len(link_cycles(controls))


def workbook_from(controls) -> bytes:
    entries = [
        Entry(c.id, c.kind, f"synthetic {c.id}", tuple(c.links), "", "", "")
        for c in controls
    ]
    return render_workbook(entries, macro=False)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(controls=assessments(max_controls=25))
def test_dashboard_and_reread_agree_with_json(controls, tmp_path_factory):
    folder = tmp_path_factory.mktemp("prop")
    book = openpyxl.load_workbook(io.BytesIO(workbook_from(controls)))
    cells = answer_cells(book)
    for control in controls:
        sheet, ref = cells[str(control.id)]
        if control.answer is not Answer.UNANSWERED:
            book[sheet][ref] = control.answer.value
    source = folder / "in.xlsx"
    book.save(source)

    scored = folder / "out.xlsx"
    first = score_workbook(source, scored, now=datetime(2026, 1, 1)).result.to_json()
    again = score_workbook(scored, write=False).result.to_json()
    for key in (
        "areas",
        "rollups",
        "completeness",
        "violations",
        "roadmap",
        "controls",
    ):
        assert again[key] == first[key], key

    dashboard = openpyxl.load_workbook(scored, data_only=True)["Dashboard"]
    rows = list(dashboard.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "Area")
    table = {r[0]: r for r in rows[start + 1 : start + 16]}
    for area in first["areas"]:
        assert table[area["area"]][3] == area["level"]
        assert abs(table[area["area"]][4] - area["score"]) < 1e-9
