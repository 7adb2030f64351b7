"""Priorities from the user's Impact and Effort estimates (1 to 3 each).

The roadmap sheet, the JSON result and the summary share this order.
"""

from __future__ import annotations

import heapq
from dataclasses import replace

from ..model import RoadmapStep

# Impact and Effort are whole numbers from 1 (low) to MAX_ESTIMATE (high).
MAX_ESTIMATE = 3


def priority(impact: int | None, effort: int | None) -> int | None:
    """Return impact + (4 − effort), from 2 (low impact, high effort) to 6, or None."""
    if impact is None or effort is None:
        return None
    return impact + (MAX_ESTIMATE + 1 - effort)


NEUTRAL_PRIORITY = 4  # priority(2, 2), for a step without estimates


def order_by_priority(
    steps: list[RoadmapStep], estimates: dict[str, dict[str, int]]
) -> list[RoadmapStep]:
    """Reorder the steps of each roadmap level by priority, highest first.

    The planned order stays a valid one: a step still follows every step it
    builds on. A step without a priority counts as the middle one (impact 2,
    effort 2), and steps of equal priority keep their planned order. Steps
    are renumbered from 1.
    """
    priorities = {
        key: priority(values.get("Impact"), values.get("Effort"))
        for key, values in estimates.items()
    }
    if not any(value is not None for value in priorities.values()):
        return steps
    keys = [str(step.control.id) for step in steps]
    position = {key: index for index, key in enumerate(keys)}
    # The planned order honours every link it uses. A link that points
    # backwards in it was left out of the plan, because it is part of a cycle.
    before: dict[str, set[str]] = {key: set() for key in keys}
    after: dict[str, list[str]] = {key: [] for key in keys}
    for step in steps:
        source = str(step.control.id)
        for link in step.control.links:
            target = str(link)
            if target in position and position[source] < position[target]:
                if source not in before[target]:
                    before[target].add(source)
                    after[source].append(target)

    def sort_key(key: str) -> tuple[int, int, int, str]:
        step = steps[position[key]]
        value = priorities.get(key)
        return (step.unlocks_level, -(value or NEUTRAL_PRIORITY), position[key], key)

    ready = [sort_key(key) for key in keys if not before[key]]
    heapq.heapify(ready)
    ordered: list[RoadmapStep] = []
    while ready:
        key = heapq.heappop(ready)[-1]
        ordered.append(replace(steps[position[key]], step=len(ordered) + 1))
        for follower in after[key]:
            before[follower].discard(key)
            if not before[follower]:
                heapq.heappush(ready, sort_key(follower))
    return ordered
