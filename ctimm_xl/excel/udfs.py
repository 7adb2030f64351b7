"""Worksheet functions for Excel on Windows (xlwings UDFs).

Add `ctimm_xl.excel.udfs` to `UDF MODULES` on the `xlwings.conf` sheet and
import them once (xlwings' ImportPythonUDFs). Examples, on a control sheet:

    =CTIMM_LEVEL(D3:D60, F3:F60, "Operational", 2)
    =CTIMM_SCORE(D3:D60, F3:F60, "B", "Collection")
    =CTIMM_CHECKS(D3:D60, F3:F60, E3:E60)         spills a table of violations
    =CTIMM_NEXT('Level 1'!D3:D40, 'Level 1'!F3:F40, 5)   spills the next 5 steps

The work is in `formulas`, memoized on the range values.
"""

from __future__ import annotations

import xlwings as xw

from . import formulas


@xw.func
@xw.arg("ids", ndim=1)
@xw.arg("answers", ndim=1)
@xw.arg("kinds", ndim=1)
def CTIMM_LEVEL(ids, answers, intel_level, phase, kinds=None):  # noqa: N802 - Excel name
    """Maturity level (0-5) of one area from ranges of control IDs and answers."""
    return formulas.level(ids, answers, intel_level, phase, kinds)


@xw.func
@xw.arg("ids", ndim=1)
@xw.arg("answers", ndim=1)
@xw.arg("kinds", ndim=1)
def CTIMM_SCORE(ids, answers, intel_level, phase, kinds=None):  # noqa: N802
    """Score of one area: its level plus the share done of the next level."""
    return formulas.score(ids, answers, intel_level, phase, kinds)


@xw.func
@xw.arg("ids", ndim=1)
@xw.arg("answers", ndim=1)
@xw.arg("links", ndim=1)
@xw.arg("kinds", ndim=1)
def CTIMM_CHECKS(ids, answers, links=None, kinds=None):  # noqa: N802
    """Violations as a table that spills: kind, control, related, message."""
    return formulas.checks(ids, answers, links, kinds)


@xw.func
@xw.arg("ids", ndim=1)
@xw.arg("answers", ndim=1)
@xw.arg("links", ndim=1)
@xw.arg("kinds", ndim=1)
def CTIMM_NEXT(ids, answers, n=5, links=None, kinds=None, target=None):  # noqa: N802
    """Return the next n roadmap steps as a table that spills: step, control, level, reason."""
    return formulas.next_steps(ids, answers, n, links, kinds, target)
