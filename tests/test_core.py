"""Scoring, checks and the roadmap on in-memory controls."""

from __future__ import annotations

import pytest
from helpers import make_control as c

from ctimm_xl.core.checks import find_violations
from ctimm_xl.core.result import evaluate
from ctimm_xl.core.roadmap import link_cycles, plan
from ctimm_xl.core.scoring import completeness, rollups, score_areas


def areas_by_code(controls, targets=None):
    return {a.area: a for a in score_areas(controls, targets)}


def run(controls, **kwargs):
    return evaluate(
        "mem", controls, source_sheets=["S"], ignored_sheets=[], problems=[], **kwargs
    )


def test_empty_area_is_level_one_at_least():
    # B2 has no level-1 action: level 1 is met by default, level 2 is not.
    controls = [c("2.B.2.a", "No")]
    area = areas_by_code(controls)["B2"]
    assert area.level == 1
    assert area.score == 1.0


def test_area_without_actions_is_level_five():
    area = areas_by_code([])["A1"]
    assert area.level == 5
    assert area.score == 5.0


def test_staged_level_stops_at_first_gap():
    controls = [
        c("1.A.1.a", "Yes"),
        c("2.A.1.a", "Yes"),
        c("3.A.1.a", "No"),
        c("4.A.1.a", "Yes"),
    ]
    assert areas_by_code(controls)["A1"].level == 2


def test_level_zero_when_level_one_is_open():
    controls = [c("1.C.3.a", ""), c("1.C.3.b", "Yes")]
    area = areas_by_code(controls)["C3"]
    assert area.level == 0
    assert area.score == 0.5


def test_score_counts_partial_half():
    controls = [
        c("1.A.2.a", "Yes"),
        c("2.A.2.a", "Yes"),
        c("2.A.2.b", "Partial"),
        c("2.A.2.c", "No"),
        c("2.A.2.d", ""),
    ]
    area = areas_by_code(controls)["A2"]
    assert area.level == 1
    assert area.score == pytest.approx(1 + 1.5 / 4)


def test_na_is_left_out_of_every_count():
    controls = [
        c("1.B.4.a", "Yes"),
        c("2.B.4.a", "N/A"),
        c("2.B.4.b", "Yes"),
        c("3.B.4.a", "No"),
    ]
    area = areas_by_code(controls)["B4"]
    assert area.level == 2
    assert area.score == 2.0


def test_all_na_level_is_met():
    controls = [c("1.B.5.a", "N/A"), c("2.B.5.a", "N/A")]
    assert areas_by_code(controls)["B5"].level == 5


def test_indicators_do_not_change_levels():
    controls = [c("1.A.1.a", "Yes", kind="indicator"), c("1.A.1.b", "No")]
    area = areas_by_code(controls)["A1"]
    assert area.level == 0
    assert area.indicators_present == 1


def test_rollups_minimum_level_mean_score():
    controls = [c("1.A.1.a", "No"), c("1.B.1.a", "Yes"), c("2.B.1.a", "Partial")]
    found = {(r.kind, r.name): r for r in rollups(score_areas(controls))}
    assert len(found) == 9
    direction = found[("phase", "Direction & requirements")]
    assert direction.level == 0
    # A1 = 0.0, B1 = 1.5, C1 = 5.0 (no actions)
    assert direction.score == pytest.approx((0.0 + 1.5 + 5.0) / 3)
    assert direction.phase == 1
    assert found[("overall", "Overall")].level == 0
    assert found[("intel_level", "Strategic")].phase is None


def test_completeness_counts_na_as_answered():
    controls = [
        c("1.A.1.a", "Yes"),
        c("1.A.1.b", "N/A"),
        c("1.A.1.c", ""),
        c("1.A.1.d", "No"),
        c("1.A.1.e", "", kind="indicator"),
    ]
    assert completeness(controls) == 0.75


def test_skipped_prerequisite():
    controls = [
        c("1.A.3.a", "No"),
        c("2.A.3.a", "N/A"),
        c("2.A.3.b", ""),
        c("3.A.3.a", "Yes"),
    ]
    violations = find_violations(controls)
    assert [v.kind for v in violations] == ["skipped-prerequisite"]
    assert violations[0].control == "3.A.3.a"
    assert violations[0].related == ("1.A.3.a", "2.A.3.b")
    assert violations[0].cell == "'S'!F1"


def test_level_one_yes_is_never_skipped():
    controls = [c("1.A.3.a", "No"), c("1.A.3.b", "Yes")]
    assert find_violations(controls) == []


def test_link_unmet():
    controls = [
        c("1.B.2.a", "No", links=["2.B.2.a"]),
        c("2.B.2.a", "Yes"),
        c("1.B.2.b", "N/A", links=["2.B.2.a"]),
    ]
    kinds = [(v.kind, v.control, v.related) for v in find_violations(controls)]
    assert ("link-unmet", "2.B.2.a", ("1.B.2.a",)) in kinds
    assert all(v[2] != ("1.B.2.b",) for v in kinds)


def test_contradiction():
    controls = [
        c("1.A.1.a", "Yes", kind="indicator", links=["3.A.1.b"]),
        c("3.A.1.b", "Yes"),
    ]
    kinds = {(v.kind, v.control, v.related) for v in find_violations(controls)}
    assert ("contradiction", "1.A.1.a", ("3.A.1.b",)) in kinds


def test_no_contradiction_when_indicator_absent():
    controls = [
        c("1.A.1.a", "No", kind="indicator", links=["3.A.1.b"]),
        c("3.A.1.b", "Yes"),
    ]
    assert "contradiction" not in {v.kind for v in find_violations(controls)}


def test_unknown_link():
    controls = [c("1.A.1.a", "No", links=["6.D.9.z", "4.A.1.a"])]
    unknown = [v for v in find_violations(controls) if v.kind == "unknown-link"]
    assert [v.related for v in unknown] == [("6.D.9.z",), ("4.A.1.a",)]
    assert unknown[0].cell == "'S'!E1"


def test_roadmap_lists_open_actions_up_to_target():
    controls = [
        c("1.A.1.a", "Yes"),
        c("2.A.1.a", "No"),
        c("2.A.1.b", "N/A"),
        c("3.A.1.a", ""),
        c("4.A.1.a", ""),
        c("1.A.1.b", "Yes", kind="indicator"),
    ]
    steps = plan(controls, {"A1": 3})
    assert [str(s.control.id) for s in steps] == ["2.A.1.a", "3.A.1.a"]
    assert [s.step for s in steps] == [1, 2]
    assert steps[0].unlocks_level == 2


def test_roadmap_order_by_level_phase_intel():
    controls = [
        c("2.C.1.a", ""),
        c("2.A.2.a", ""),
        c("1.B.3.a", ""),
        c("2.A.1.b", ""),
        c("2.A.1.a", ""),
    ]
    steps = plan(controls, {a: 5 for a in ("A1", "A2", "B3", "C1")})
    assert [str(s.control.id) for s in steps] == [
        "1.B.3.a",
        "2.A.1.a",
        "2.A.1.b",
        "2.C.1.a",
        "2.A.2.a",
    ]


def test_roadmap_respects_links():
    # 3.C.1.a links to 1.A.1.a, so 1.A.1.a builds on it and must wait for it.
    controls = [c("1.A.1.a", ""), c("3.C.1.a", "", links=["1.A.1.a"])]
    steps = plan(controls, {"A1": 5, "C1": 5})
    assert [str(s.control.id) for s in steps] == ["3.C.1.a", "1.A.1.a"]
    assert "comes before 1.A.1.a" in steps[0].reason


def test_link_cycle_reported_once_and_ignored():
    controls = [
        c("1.A.1.a", "", links=["2.A.1.a"]),
        c("2.A.1.a", "", links=["1.A.1.a"]),
        c("2.B.1.a", "", links=["2.B.1.a"]),
    ]
    cycles = link_cycles(controls)
    assert [[str(x.id) for x in group] for group in cycles] == [
        ["1.A.1.a", "2.A.1.a"],
        ["2.B.1.a"],
    ]
    result = run(controls, target=5)
    assert [p.kind for p in result.problems] == ["link-cycle", "link-cycle"]
    assert [str(s.control.id) for s in result.roadmap] == [
        "1.A.1.a",
        "2.A.1.a",
        "2.B.1.a",
    ]


def test_reason_names_yes_above():
    controls = [c("1.B.2.a", ""), c("4.B.2.d", "Yes")]
    steps = plan(controls, {"B2": 1})
    assert steps[0].reason == (
        "needed for level 1 of Operational · Collection & processing; "
        "also beneath 4.B.2.d, which is marked Yes"
    )


def test_targets_default_flag_and_stored():
    controls = [
        c("1.A.1.a", "Yes"),
        c("2.A.1.a", ""),
        c("3.A.1.a", ""),
        c("4.A.1.a", ""),
    ]
    default = run(controls)
    assert next(a for a in default.areas if a.area == "A1").target == 2
    assert [str(s.control.id) for s in default.roadmap] == ["2.A.1.a"]
    stored = run(controls, stored_targets={"A1": 4})
    assert len(stored.roadmap) == 3
    flag = run(controls, stored_targets={"A1": 4}, target=3)
    assert len(flag.roadmap) == 2
    assert flag.stored_targets == {"A1": 4}


def test_target_capped_at_five():
    controls = [c("5.A.1.a", "Yes")]
    result = run(controls)
    assert next(a for a in result.areas if a.area == "A1").target == 5


def test_json_shape():
    data = run([c("1.A.1.a", "Yes"), c("2.A.1.a", "")]).to_json()
    assert set(data) == {
        "workbook",
        "source_sheets",
        "ignored_sheets",
        "controls",
        "actions",
        "indicators",
        "completeness",
        "areas",
        "rollups",
        "violations",
        "problems",
        "roadmap",
    }
    assert len(data["areas"]) == 15
    assert len(data["rollups"]) == 9
    assert data["areas"][0] == {
        "area": "A1",
        "intel_level": "Strategic",
        "phase": 1,
        "phase_name": "Direction & requirements",
        "level": 1,
        "score": 1.0,
        "target": 2,
    }
    assert [r["kind"] for r in data["rollups"]].count("phase") == 5
    assert data["roadmap"][0]["control"] == "2.A.1.a"
