"""The roadmap: the open actions up to each area's target, in a workable order.

An action is placed once every listed action it builds on is placed
(`X links to Y` puts X before Y); among those ready, the smallest
(maturity level, phase, intel level, ID) comes first. Links that form a cycle
are reported once per cycle and left out of the ordering.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from ..model import Answer, Control, ControlId, Finding, Kind, RoadmapStep, area_label


def link_cycles(controls: list[Control]) -> list[list[Control]]:
    """Return the groups of actions whose links form a cycle (Tarjan's algorithm)."""
    actions = {c.id: c for c in controls if c.kind is Kind.ACTION}
    edges = {c.id: [t for t in c.links if t in actions] for c in actions.values()}
    index: dict[ControlId, int] = {}
    low: dict[ControlId, int] = {}
    stack: list[ControlId] = []
    on_stack: set[ControlId] = set()
    cycles: list[list[Control]] = []
    counter = 0

    # Iterative, so a long chain of links cannot exhaust Python's recursion limit.
    for root in actions:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1 or node in edges[node]:
                    cycles.append(
                        sorted((actions[m] for m in group), key=lambda c: c.id)
                    )
    cycles.sort(key=lambda group: group[0].id)
    return cycles


def cycle_problems(cycles: list[list[Control]]) -> list[Finding]:
    problems = []
    for group in cycles:
        names = " → ".join(str(c.id) for c in group)
        problems.append(
            Finding(
                "link-cycle",
                str(group[0].id),
                str(group[0].links_cell or group[0].answer_cell),
                f"The links between {names} form a cycle, so none of them can come "
                "first; they are ignored when ordering the roadmap. Remove one of "
                "the links.",
            )
        )
    return problems


def plan(
    controls: list[Control],
    targets: Mapping[str, int],
    cycles: list[list[Control]] | None = None,
) -> list[RoadmapStep]:
    """Order every open action at or below its area's target level."""
    listed = {
        c.id: c
        for c in controls
        if c.kind is Kind.ACTION
        and c.answer not in (Answer.YES, Answer.NA)
        and c.level <= targets.get(c.area, 0)
    }
    if cycles is None:
        cycles = link_cycles(controls)
    in_cycle = {c.id: n for n, group in enumerate(cycles) for c in group}

    before: dict[ControlId, set[ControlId]] = {key: set() for key in listed}
    after: dict[ControlId, list[ControlId]] = {key: [] for key in listed}
    for source in listed.values():
        for target_id in source.links:
            if target_id not in listed or target_id == source.id:
                continue
            group = in_cycle.get(source.id)
            if group is not None and in_cycle.get(target_id) == group:
                continue
            if source.id not in before[target_id]:
                before[target_id].add(source.id)
                after[source.id].append(target_id)

    ready = [_order_key(c) for key, c in listed.items() if not before[key]]
    heapq.heapify(ready)
    yes_above = _yes_actions_by_area(controls)
    steps: list[RoadmapStep] = []
    while ready:
        *_, key = heapq.heappop(ready)
        control = listed[key]
        steps.append(
            RoadmapStep(
                len(steps) + 1,
                control,
                control.level,
                _reason(control, yes_above, listed, before),
            )
        )
        for follower in after[key]:
            before[follower].discard(key)
            if not before[follower]:
                heapq.heappush(ready, _order_key(listed[follower]))
    return steps


def _order_key(control: Control) -> tuple[int, int, str, str, ControlId]:
    return (
        control.level,
        control.id.phase,
        control.id.intel,
        str(control.id),
        control.id,
    )


def _yes_actions_by_area(controls: list[Control]) -> dict[str, list[Control]]:
    found: dict[str, list[Control]] = {}
    for control in controls:
        if control.kind is Kind.ACTION and control.answer is Answer.YES:
            found.setdefault(control.area, []).append(control)
    return found


def _reason(
    control: Control,
    yes_above: dict[str, list[Control]],
    listed: dict[ControlId, Control],
    before: dict[ControlId, set[ControlId]],
) -> str:
    intel, phase = control.id.intel, control.id.phase
    parts = [f"needed for level {control.level} of {area_label(intel, phase)}"]
    above = sorted(
        (y for y in yes_above.get(control.area, []) if y.level > control.level),
        key=lambda c: c.id,
    )
    if above:
        names = ", ".join(str(y.id) for y in above[:3])
        more = f" and {len(above) - 3} more" if len(above) > 3 else ""
        verb = "which is" if len(above) == 1 else "which are"
        parts.append(f"also beneath {names}{more}, {verb} marked Yes")
    builders = sorted(t for t in control.links if t in listed)
    if builders:
        verb = "which builds" if len(builders) == 1 else "which build"
        parts.append(
            f"comes before {', '.join(str(t) for t in builders)}, {verb} on it"
        )
    return "; ".join(parts)
