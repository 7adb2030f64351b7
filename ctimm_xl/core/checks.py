"""Violations of the model's rules: skipped prerequisites and link conflicts.

`X links to Y` means Y builds on X.
"""

from __future__ import annotations

from ..model import Answer, Control, ControlId, Finding, Kind, area_label


def find_violations(controls: list[Control]) -> list[Finding]:
    """Return every violation, grouped by kind, in the controls' order."""
    by_id = {c.id: c for c in controls}
    return [
        *_skipped_prerequisites(controls),
        *_unmet_links(controls, by_id),
        *_contradictions(controls, by_id),
        *_unknown_links(controls, by_id),
    ]


def _skipped_prerequisites(controls: list[Control]) -> list[Finding]:
    # The open actions of each area, grouped once, so each Yes action looks
    # only at its own area's open ones below it (linear, not quadratic).
    open_by_area: dict[str, list[Control]] = {}
    for control in controls:
        if control.kind is Kind.ACTION and control.answer not in (
            Answer.YES,
            Answer.NA,
        ):
            open_by_area.setdefault(control.area, []).append(control)
    for group in open_by_area.values():
        group.sort(key=lambda c: (c.level, c.id))

    found = []
    for control in controls:
        if control.kind is not Kind.ACTION or control.answer is not Answer.YES:
            continue
        if control.level <= 1:
            continue
        missing = [
            c for c in open_by_area.get(control.area, ()) if c.level < control.level
        ]
        if not missing:
            continue
        names = ", ".join(str(c.id) for c in missing)
        found.append(
            Finding(
                "skipped-prerequisite",
                str(control.id),
                str(control.answer_cell),
                f"{control.id} is marked Yes at level {control.level} of "
                f"{area_label(control.id.intel, control.id.phase)}, but the lower "
                f"actions {names} are not Yes. Check the claim or complete those first.",
                tuple(str(c.id) for c in missing),
            )
        )
    return found


def _unmet_links(
    controls: list[Control], by_id: dict[ControlId, Control]
) -> list[Finding]:
    found = []
    for source in controls:
        if source.kind is not Kind.ACTION or source.answer in (Answer.YES, Answer.NA):
            continue
        for target_id in source.links:
            target = by_id.get(target_id)
            if target is None or target.answer is not Answer.YES:
                continue
            found.append(
                Finding(
                    "link-unmet",
                    str(target.id),
                    str(target.answer_cell),
                    f"{target.id} is marked Yes, but it builds on {source.id}, which "
                    f"is {_answer_word(source)}. Check the claim or complete {source.id}.",
                    (str(source.id),),
                )
            )
    return found


def _contradictions(
    controls: list[Control], by_id: dict[ControlId, Control]
) -> list[Finding]:
    found = []
    for indicator in controls:
        if indicator.kind is not Kind.INDICATOR or indicator.answer is not Answer.YES:
            continue
        for target_id in indicator.links:
            target = by_id.get(target_id)
            if target is None or target.answer is not Answer.YES:
                continue
            found.append(
                Finding(
                    "contradiction",
                    str(indicator.id),
                    str(indicator.answer_cell),
                    f"Indicator {indicator.id} says the deficiency is present, yet "
                    f"{target.id}, which resolves it, is marked Yes. One of the two "
                    "answers is wrong.",
                    (str(target.id),),
                )
            )
    return found


def _unknown_links(
    controls: list[Control], by_id: dict[ControlId, Control]
) -> list[Finding]:
    found = []
    for source in controls:
        for target_id in source.links:
            if target_id in by_id:
                continue
            cell = source.links_cell or source.answer_cell
            found.append(
                Finding(
                    "unknown-link",
                    str(source.id),
                    str(cell),
                    f"{source.id} links to {target_id}, which is not a control of "
                    "this assessment. Correct the ID in Links to or remove it.",
                    (str(target_id),),
                )
            )
    return found


def _answer_word(control: Control) -> str:
    if control.answer is Answer.UNANSWERED:
        return "unanswered"
    return f"answered {control.answer.value}"
