"""Benchmark `ctimm score` against an openpyxl load-and-save floor.

Usage: python benchmarks/run.py [--quick] [--json FILE] [--keep DIR] [--profile N]

The floor is a fresh `python -c` process that imports openpyxl, loads the
workbook with `openpyxl.load_workbook` and saves it. Every end-to-end figure
is the median wall time of fresh processes, run alternately with the floor
so that drift in the machine's speed hits both alike. Peak RSS is the
`ru_maxrss` that `os.wait4` returns for that one child, and CPU time its
`ru_utime + ru_stime`.

Three things are measured:

1. The bundled workbook `workbook/CTI-MM.xlsm` (target: at most 1.5 × floor).
2. The largest catalogue the ID scheme allows, 5 maturity levels × 15 areas ×
   26 letters = 1,950 controls, with links and a mix of answers (targets: at
   most 2.5 × its floor and 300 MB peak RSS).
3. Growth: synthetic workbooks of 250, 500, 1,000 and 1,950 controls, scored
   end to end and in process with each phase of the score job timed, and a
   least-squares line of time against controls + links.

The result is a Markdown report on stdout, and with --json the same figures as
JSON. The exit status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import platform
import pstats
import random
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Measure the checkout this script belongs to, even where another copy of
# ctimm_xl is installed. This process finds it first on sys.path, and child
# processes find it through PYTHONPATH.
sys.path.insert(0, str(REPO))
CHILD_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    ),
}

import openpyxl  # noqa: E402

from ctimm_xl import __version__ as ctimm_version  # noqa: E402
from ctimm_xl import app  # noqa: E402
from ctimm_xl.build import render_workbook  # noqa: E402
from ctimm_xl.catalogue import Entry  # noqa: E402
from ctimm_xl.core.result import evaluate  # noqa: E402
from ctimm_xl.ids import parse_id  # noqa: E402
from ctimm_xl.model import INTEL_LEVELS, MAX_LEVEL, PHASES, ControlId, Kind  # noqa: E402
from ctimm_xl.reading.assessment import read_assessment  # noqa: E402
from ctimm_xl.xlsx.package import open_package  # noqa: E402

BUNDLED = REPO / "workbook" / "CTI-MM.xlsm"

LETTERS = "abcdefghijklmnopqrstuvwxyz"
CELLS = MAX_LEVEL * len(INTEL_LEVELS) * len(PHASES)  # 75 (level, area) pairs
MAX_CONTROLS = CELLS * len(LETTERS)  # 1,950

SIZES = [250, 500, 1000, MAX_CONTROLS]

TARGET_BUNDLED_RATIO = 1.5
TARGET_MAX_RATIO = 2.5
TARGET_MAX_RSS_MB = 300.0

FLOOR_CODE = (
    "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1]).save(sys.argv[2])"
)

# Runs a command and writes its wall time (s), peak RSS (KiB) and CPU time
# (user + system, s) to argv[1]. CPU time barely changes when other work
# competes for the cores, so it cross-checks wall times on a busy machine.
# The measured process is a child of this small launcher, not of the
# benchmark, because Linux keeps the peak RSS of the image that called exec:
# a child forked from the benchmark would report at least the benchmark's own
# RSS. The launcher's own RSS (about 14 MB on CPython 3.11) is the lowest
# figure this can report.
LAUNCHER = """
import os, subprocess, sys, time
figures, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
child = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - started
with open(figures, "w") as handle:
    handle.write(f"{seconds} {usage.ru_maxrss} {usage.ru_utime + usage.ru_stime}")
sys.exit(os.waitstatus_to_exitcode(status))
"""

# Weights of the answers (Yes, Partial, N/A, No, blank). Each area gets a
# maturity from 0 to 4. Its levels up to that one are done (Yes or N/A), the
# next level is under way, and higher levels are mostly open, with a few Yes
# answers that skip a prerequisite, as in a typical assessment.
DONE_WEIGHTS = (93, 0, 7, 0, 0)
NEXT_WEIGHTS = (45, 20, 5, 15, 15)
LATER_WEIGHTS = (8, 10, 5, 40, 37)
# Indicators name a deficiency, so Yes means the deficiency is present.
INDICATOR_WEIGHTS = {True: (5, 0, 5, 85, 5), False: (40, 0, 5, 45, 10)}
ANSWER_VALUES = ("Yes", "Partial", "N/A", "No", None)

# Phases of the score job timed in process, by their name in `ctimm_xl.app`.
# Time not spent in these (reading the workbook part and earlier report
# sheets, merging the report into the package) is reported as "merge, other".
PHASE_FUNCTIONS = {
    "open": "open_package",
    "read": "read_assessment",
    "evaluate": "evaluate",
    "render": "render_report",
    "write": "write_package",
}

# Measures of the in-process tables: the phases, their remainder, the whole
# job, and `evaluate` run on its own with --target 5.
CORE_TARGET_5 = "evaluate, target 5"
IN_PROCESS = [*PHASE_FUNCTIONS, "merge, other", "total", CORE_TARGET_5]


@dataclass
class ChildRun:
    seconds: float
    max_rss_mb: float
    cpu_seconds: float


@dataclass
class Comparison:
    """Medians of `ctimm score` and of the floor on one workbook."""

    workbook: str
    repetitions: int
    ctimm_seconds: float
    floor_seconds: float
    ctimm_max_rss_mb: float
    floor_max_rss_mb: float
    ctimm_cpu_seconds: float
    floor_cpu_seconds: float
    ctimm_runs: list[float] = field(default_factory=list)
    floor_runs: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.ctimm_seconds / self.floor_seconds

    @property
    def cpu_ratio(self) -> float:
        return self.ctimm_cpu_seconds / self.floor_cpu_seconds


@dataclass
class SizePoint:
    """One workbook size of the growth series."""

    controls: int
    links: int
    file_bytes: int
    comparison: Comparison
    phases_ms: dict[str, float]

    @property
    def units(self) -> int:
        return self.controls + self.links


@dataclass
class Fit:
    """A least-squares line of time against controls + links."""

    measure: str
    slope_ms_per_1000: float
    intercept_ms: float
    r_squared: float
    # The b in time ≈ a · units^b, from the smallest and largest size. It is
    # about 1 for linear growth, 2 for quadratic, and below 1 when a fixed
    # cost dominates.
    exponent: float


# --- synthetic workbooks ----------------------------------------------------


def spread_controls(total: int) -> dict[tuple[int, str, int], int]:
    """Spread `total` controls over the 75 (level, intel, phase) cells evenly."""
    if not 1 <= total <= MAX_CONTROLS:
        raise ValueError(f"invalid control count {total}: expected 1 to {MAX_CONTROLS}")
    cells = [
        (level, intel, phase)
        for level in range(1, MAX_LEVEL + 1)
        for intel in INTEL_LEVELS
        for phase in PHASES
    ]
    base, extra = divmod(total, len(cells))
    # The remainder goes to every k-th cell, so no level or area gets all of it.
    step = len(cells) / extra if extra else 0
    bonus = {int(k * step) for k in range(extra)}
    return {cell: base + (n in bonus) for n, cell in enumerate(cells)}


def synthetic_entries(total: int) -> list[Entry]:
    """Return `total` made-up controls with links, in the catalogue's shape.

    Level 1 is half indicators and half actions, like the real catalogue. A
    control below level 5 links to one or two controls of the next level in
    its area, and every fifth one also to a control of the next level in the
    neighbouring phase. Links only point upwards, so they never form a cycle.
    """
    counts = spread_controls(total)
    phases = list(PHASES)
    entries = []
    serial = 0
    for (level, intel, phase), count in counts.items():
        indicators = (count + 1) // 2 if level == 1 else 0
        for index in range(count):
            control_id = ControlId(level, intel, phase, LETTERS[index])
            links: list[ControlId] = []
            if level < MAX_LEVEL:
                above = counts[(level + 1, intel, phase)]
                if above:
                    links.append(_id(level + 1, intel, phase, index % above))
                    second = (index + 1) % above
                    if index % 2 == 0 and second != index % above:
                        links.append(_id(level + 1, intel, phase, second))
                neighbour = phases[phase % len(phases)]
                across = counts[(level + 1, intel, neighbour)]
                if serial % 5 == 0 and across:
                    links.append(_id(level + 1, intel, neighbour, index % across))
            has_notes = serial % 3 == 0
            entries.append(
                Entry(
                    id=control_id,
                    kind=Kind.INDICATOR if index < indicators else Kind.ACTION,
                    description=f"Synthetic control {control_id}, a placeholder "
                    "about as long as a real control description.",
                    links=tuple(links),
                    process=f"Synthetic process note {control_id}" if has_notes else "",
                    people=f"Synthetic staffing note {control_id}" if has_notes else "",
                    technology=f"Synthetic tooling note {control_id}"
                    if has_notes
                    else "",
                )
            )
            serial += 1
    return entries


def _id(level: int, intel: str, phase: int, index: int) -> ControlId:
    return ControlId(level, intel, phase, LETTERS[index])


def write_answered_workbook(entries: list[Entry], path: Path, seed: int) -> None:
    """Render a blank workbook, then fill in its True? cells with openpyxl."""
    kinds = {entry.id: entry.kind for entry in entries}
    areas = [f"{intel}{phase}" for intel in INTEL_LEVELS for phase in PHASES]
    maturities = {area: (n + n // 5) % MAX_LEVEL for n, area in enumerate(areas)}
    rng = random.Random(seed)
    workbook = openpyxl.load_workbook(io.BytesIO(render_workbook(entries, macro=False)))
    filled = 0
    for sheet in workbook.worksheets:
        for description, _links, answer in sheet.iter_rows(min_col=4, max_col=6):
            text = description.value
            if not isinstance(text, str) or " / " not in text:
                continue
            control_id = parse_id(text.split(" / ", 1)[0])
            if control_id not in kinds:
                continue
            maturity = maturities[control_id.area]
            if kinds[control_id] is Kind.INDICATOR:
                weights = INDICATOR_WEIGHTS[maturity >= 1]
            elif control_id.level <= maturity:
                weights = DONE_WEIGHTS
            elif control_id.level == maturity + 1:
                weights = NEXT_WEIGHTS
            else:
                weights = LATER_WEIGHTS
            answer.value = rng.choices(ANSWER_VALUES, weights)[0]
            filled += 1
    if filled != len(entries):
        raise RuntimeError(
            f"{path}: found {filled} control rows to answer, expected {len(entries)}"
        )
    workbook.save(path)


# --- child processes --------------------------------------------------------


def find_ctimm_command() -> list[str]:
    """Return the `ctimm` console script of this Python, or `python -m ctimm_xl`.

    The script is taken from the interpreter's own scripts folder rather than
    PATH, because a version manager's shim (pyenv's is a bash script) adds
    time that is not ctimm's. On the machine of docs/benchmarks.md it added
    about 0.1 s to every run.
    """
    script = Path(sysconfig.get_path("scripts")) / "ctimm"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "ctimm_xl"]


def check_child_package() -> None:
    """Raise unless child processes import ctimm_xl from this checkout."""
    found = subprocess.run(
        [sys.executable, "-c", "import ctimm_xl; print(ctimm_xl.__file__)"],
        env=CHILD_ENV,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    expected = REPO / "ctimm_xl" / "__init__.py"
    if Path(found).resolve() != expected:
        raise RuntimeError(
            f"child processes import ctimm_xl from {found}, expected {expected}. "
            "Run benchmarks/run.py from the ctimm-xl checkout it belongs to."
        )


def run_child(argv: list[str]) -> ChildRun:
    """Run one process through LAUNCHER and return its wall time, RSS and CPU time."""
    with tempfile.TemporaryDirectory() as folder:
        figures = Path(folder) / "figures"
        errors = Path(folder) / "stderr"
        with errors.open("wb") as stderr:
            launched = subprocess.run(
                [sys.executable, "-c", LAUNCHER, str(figures), *argv],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=CHILD_ENV,
                check=False,
            )
        if launched.returncode != 0:
            message = errors.read_text("utf-8", "replace").strip()
            raise RuntimeError(
                f"{' '.join(argv)} failed with exit code {launched.returncode}: "
                f"{message}"
            )
        seconds, max_rss_kib, cpu_seconds = figures.read_text().split()
    return ChildRun(float(seconds), int(max_rss_kib) / 1024, float(cpu_seconds))


def compare(workbook: Path, repetitions: int, workdir: Path) -> Comparison:
    """Time `ctimm score` and the floor on `workbook`, alternating the two."""
    scored = workdir / f"scored{workbook.suffix}"
    floor_out = workdir / f"floor{workbook.suffix}"
    ctimm = [*find_ctimm_command(), "score", str(workbook), "-o", str(scored)]
    floor = [sys.executable, "-c", FLOOR_CODE, str(workbook), str(floor_out)]
    ctimm_runs: list[ChildRun] = []
    floor_runs: list[ChildRun] = []
    for _ in range(repetitions):
        # Every run writes a new file, so none takes the replace-existing path.
        for output in (scored, floor_out):
            output.unlink(missing_ok=True)
        ctimm_runs.append(run_child(ctimm))
        floor_runs.append(run_child(floor))
    return Comparison(
        workbook=workbook.name,
        repetitions=repetitions,
        ctimm_seconds=statistics.median(r.seconds for r in ctimm_runs),
        floor_seconds=statistics.median(r.seconds for r in floor_runs),
        ctimm_max_rss_mb=max(r.max_rss_mb for r in ctimm_runs),
        floor_max_rss_mb=max(r.max_rss_mb for r in floor_runs),
        ctimm_cpu_seconds=statistics.median(r.cpu_seconds for r in ctimm_runs),
        floor_cpu_seconds=statistics.median(r.cpu_seconds for r in floor_runs),
        ctimm_runs=[round(r.seconds, 4) for r in ctimm_runs],
        floor_runs=[round(r.seconds, 4) for r in floor_runs],
    )


def measure_size(
    workbook: Path, repetitions: int, phase_repetitions: int, workdir: Path
) -> SizePoint:
    comparison = compare(workbook, repetitions, workdir)
    phases, controls, links = measure_phases(workbook, phase_repetitions, workdir)
    return SizePoint(controls, links, workbook.stat().st_size, comparison, phases)


def point_to_json(point: SizePoint) -> dict:
    return {
        "controls": point.controls,
        "links": point.links,
        "units": point.units,
        "file_bytes": point.file_bytes,
        **asdict(point.comparison),
        "ratio": point.comparison.ratio,
        "cpu_ratio": point.comparison.cpu_ratio,
        "phases_ms": point.phases_ms,
    }


# --- in-process phases ------------------------------------------------------


@contextlib.contextmanager
def timed_phases(totals: dict[str, float]) -> Iterator[None]:
    """Wrap the score job's steps in `ctimm_xl.app` so each adds its seconds."""
    originals: dict[str, Callable] = {}
    for phase, name in PHASE_FUNCTIONS.items():
        if not hasattr(app, name):
            raise RuntimeError(
                f"ctimm_xl.app has no {name}. Update PHASE_FUNCTIONS in "
                "benchmarks/run.py to the score job's current steps"
            )
        originals[name] = getattr(app, name)
        setattr(app, name, _timer(originals[name], phase, totals))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(app, name, function)


def _timer(function: Callable, phase: str, totals: dict[str, float]) -> Callable:
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[phase] += time.perf_counter() - started

    return timed


def measure_phases(
    workbook: Path, repetitions: int, workdir: Path
) -> tuple[dict[str, float], int, int]:
    """Run the score job in process and return median ms per phase, controls, links."""
    output = workdir / f"phases{workbook.suffix}"
    samples: dict[str, list[float]] = {}
    controls = links = 0
    for _ in range(repetitions):
        output.unlink(missing_ok=True)
        totals = dict.fromkeys(PHASE_FUNCTIONS, 0.0)
        started = time.perf_counter()
        with timed_phases(totals):
            outcome = app.score_workbook(workbook, output)
        totals["total"] = time.perf_counter() - started
        totals["merge, other"] = totals["total"] - sum(
            totals[phase] for phase in PHASE_FUNCTIONS
        )
        for phase, seconds in totals.items():
            samples.setdefault(phase, []).append(seconds * 1000)
        controls = len(outcome.result.controls)
        links = sum(len(c.links) for c in outcome.result.controls)
    # Time the core on its own with every area planned up to level 5, which
    # gives the largest roadmap.
    assessment = read_assessment(open_package(workbook))
    for _ in range(repetitions):
        started = time.perf_counter()
        evaluate(
            str(workbook),
            assessment.controls,
            source_sheets=assessment.source_sheets,
            ignored_sheets=assessment.ignored_sheets,
            problems=assessment.problems,
            target=MAX_LEVEL,
        )
        seconds = time.perf_counter() - started
        samples.setdefault(CORE_TARGET_5, []).append(seconds * 1000)
    medians = {phase: statistics.median(values) for phase, values in samples.items()}
    return medians, controls, links


def profile_score(workbook: Path, workdir: Path, top: int) -> str:
    """Return cProfile's top functions by own time for one in-process score."""
    output = workdir / f"profiled{workbook.suffix}"
    output.unlink(missing_ok=True)
    profiler = cProfile.Profile()
    profiler.runcall(app.score_workbook, workbook, output)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return text.getvalue()


# --- fitting ----------------------------------------------------------------


def fit_line(measure: str, units: list[int], milliseconds: list[float]) -> Fit:
    slope, intercept = statistics.linear_regression(units, milliseconds)
    r = statistics.correlation(units, milliseconds)
    exponent = math.nan
    if milliseconds[0] > 0 and milliseconds[-1] > 0:
        exponent = math.log(milliseconds[-1] / milliseconds[0]) / math.log(
            units[-1] / units[0]
        )
    return Fit(measure, slope * 1000, intercept, r * r, exponent)


def fit_lines(points: list[SizePoint]) -> list[Fit]:
    units = [p.units for p in points]
    fits = [
        fit_line(
            "ctimm score (process)",
            units,
            [p.comparison.ctimm_seconds * 1000 for p in points],
        ),
        fit_line(
            "floor (process)",
            units,
            [p.comparison.floor_seconds * 1000 for p in points],
        ),
    ]
    for phase in IN_PROCESS:
        fits.append(
            fit_line(
                f"in process: {phase}", units, [p.phases_ms[phase] for p in points]
            )
        )
    return fits


# --- machine ----------------------------------------------------------------


def describe_machine(load_at_start: str) -> dict[str, str]:
    """Return the CPU, cores, memory, OS, Python and package versions."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    versions = {"ctimm-xl": ctimm_version}
    for package in ("openpyxl", "lxml"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"

    return {
        "cpu": _proc_field("/proc/cpuinfo", "model name") or "unknown",
        "cores": f"{os.cpu_count()} logical, {usable or '?'} usable",
        "memory": _memory_total(),
        "os": _os_name(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "ctimm_xl measured": str(Path(app.__file__).resolve().parent),
        **versions,
        "commit": _commit(),
        "load average at the start (1, 5, 15 min)": load_at_start,
        "load average at the end": load_average(),
    }


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages, which show other work."""
    if not hasattr(os, "getloadavg"):
        return "unknown"
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _proc_field(path: str, name: str) -> str | None:
    """Return the value of the first `name: value` line of a /proc file."""
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            key, colon, value = line.partition(":")
            if colon and key.strip() == name:
                return value.strip()
    return None


def _memory_total() -> str:
    total = _proc_field("/proc/meminfo", "MemTotal")  # for example "24683664 kB"
    if total is None:
        return "unknown"
    return f"{int(total.split()[0]) / 1024**2:.1f} GiB"


def _commit() -> str:
    """Return the repository's HEAD commit, marked when files are modified."""
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} with local changes" if status.strip() else head


def _os_name() -> str:
    kernel = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))} ({kernel})"
    return kernel


# --- report -----------------------------------------------------------------


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def format_verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def build_report(
    info: dict[str, str],
    bundled: SizePoint,
    points: list[SizePoint],
    fits: list[Fit],
    quick: bool,
) -> tuple[str, list[dict]]:
    largest = points[-1]
    targets = [
        {
            "target": "bundled workbook: ctimm score ÷ floor",
            "limit": f"≤ {TARGET_BUNDLED_RATIO}×",
            "measured": f"{bundled.comparison.ratio:.2f}× "
            f"(CPU time {bundled.comparison.cpu_ratio:.2f}×)",
            "met": bundled.comparison.ratio <= TARGET_BUNDLED_RATIO,
        },
        {
            "target": f"{largest.controls:,} controls: ctimm score ÷ floor",
            "limit": f"≤ {TARGET_MAX_RATIO}×",
            "measured": f"{largest.comparison.ratio:.2f}× "
            f"(CPU time {largest.comparison.cpu_ratio:.2f}×)",
            "met": largest.comparison.ratio <= TARGET_MAX_RATIO,
        },
        {
            "target": f"{largest.controls:,} controls: ctimm score peak RSS",
            "limit": f"≤ {TARGET_MAX_RSS_MB:.0f} MB",
            "measured": f"{largest.comparison.ctimm_max_rss_mb:.0f} MB",
            "met": largest.comparison.ctimm_max_rss_mb <= TARGET_MAX_RSS_MB,
        },
    ]
    if largest.controls != MAX_CONTROLS:
        for target in targets[1:]:
            target["met"] = False
            target["measured"] += f" (largest size run: {largest.controls})"

    sections = [
        f"# ctimm-xl benchmark ({'quick' if quick else 'full'} run, "
        f"{datetime.now().isoformat(timespec='seconds')})",
        markdown_table(["", ""], [[key, value] for key, value in info.items()]),
        "## Targets",
        markdown_table(
            ["target", "limit", "measured", "result"],
            [
                [t["target"], t["limit"], t["measured"], format_verdict(t["met"])]
                for t in targets
            ],
        ),
        "## End to end (median of fresh processes)",
        markdown_table(
            [
                "workbook",
                "controls",
                "links",
                "runs",
                "ctimm score (s)",
                "floor (s)",
                "ratio",
                "CPU time ratio",
                "ctimm peak RSS (MB)",
                "floor peak RSS (MB)",
            ],
            [
                _comparison_row(p.comparison, f"{p.controls:,}", f"{p.links:,}")
                for p in [bundled, *points]
            ],
        ),
        "## In process, per phase of the score job (median ms)",
        markdown_table(
            [
                "controls",
                "links",
                *PHASE_FUNCTIONS,
                "merge, other",
                "total",
                "µs per unit",
            ],
            [
                [
                    f"{p.controls:,}",
                    f"{p.links:,}",
                    *(f"{p.phases_ms[phase]:.1f}" for phase in PHASE_FUNCTIONS),
                    f"{p.phases_ms['merge, other']:.1f}",
                    f"{p.phases_ms['total']:.1f}",
                    f"{p.phases_ms['total'] * 1000 / p.units:.0f}",
                ]
                for p in [bundled, *points]
            ],
        ),
        "## In process, cost per unit (µs per control or link)",
        markdown_table(
            ["measure", *(f"{p.controls:,}" for p in points)],
            [
                [phase, *(f"{p.phases_ms[phase] * 1000 / p.units:.1f}" for p in points)]
                for phase in IN_PROCESS
            ],
        ),
        "## Linear fit of time against controls + links",
        markdown_table(
            [
                "measure",
                "slope (ms per 1,000 units)",
                "intercept (ms)",
                "R²",
                f"exponent, {points[0].controls:,} → {points[-1].controls:,}",
            ],
            [
                [
                    f.measure,
                    f"{f.slope_ms_per_1000:.1f}",
                    f"{f.intercept_ms:.1f}",
                    f"{f.r_squared:.4f}",
                    f"{f.exponent:.2f}",
                ]
                for f in fits
            ],
        ),
    ]
    return "\n\n".join(sections) + "\n", targets


def _comparison_row(c: Comparison, controls: str, links: str) -> list[str]:
    return [
        c.workbook,
        controls,
        links,
        str(c.repetitions),
        f"{c.ctimm_seconds:.3f}",
        f"{c.floor_seconds:.3f}",
        f"{c.ratio:.2f}×",
        f"{c.ctimm_cpu_seconds:.3f} ÷ {c.floor_cpu_seconds:.3f} = {c.cpu_ratio:.2f}×",
        f"{c.ctimm_max_rss_mb:.0f}",
        f"{c.floor_max_rss_mb:.0f}",
    ]


# --- main -------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark ctimm score against an openpyxl load-and-save floor."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="run 3 sizes with 3 runs each and the bundled workbook 3 times, "
        "instead of 4 sizes with 9 runs each and 15 bundled runs",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the figures as JSON"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep the generated and scored workbooks in DIR (default: a "
        "temporary folder, removed afterwards)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="print cProfile's top N functions for one in-process score of the "
        "largest workbook to stderr (default: 0, no profile)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick:
        bundled_runs, sizes, size_runs, phase_runs = 3, [250, 1000, MAX_CONTROLS], 3, 2
    else:
        bundled_runs, sizes, size_runs, phase_runs = 15, SIZES, 9, 7

    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            workdir = args.keep
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))

        check_child_package()
        load_at_start = load_average()
        started = time.perf_counter()
        print(f"bundled workbook, {bundled_runs} runs each", file=sys.stderr)
        bundled = measure_size(BUNDLED, bundled_runs, phase_runs, workdir)

        points = []
        for size in sizes:
            entries = synthetic_entries(size)
            path = workdir / f"synthetic-{size}.xlsx"
            write_answered_workbook(entries, path, seed=size)
            expected = (size, sum(len(e.links) for e in entries))
            print(f"{size} controls, {size_runs} runs each", file=sys.stderr)
            point = measure_size(path, size_runs, phase_runs, workdir)
            if (point.controls, point.links) != expected:
                raise RuntimeError(
                    f"{path}: ctimm read {point.controls} controls and "
                    f"{point.links} links, but the workbook has {expected[0]} "
                    f"and {expected[1]}"
                )
            points.append(point)

        if args.profile:
            largest = workdir / f"synthetic-{sizes[-1]}.xlsx"
            print(profile_score(largest, workdir, args.profile), file=sys.stderr)
        elapsed = time.perf_counter() - started

    info = describe_machine(load_at_start)
    fits = fit_lines(points)
    text, targets = build_report(info, bundled, points, fits, args.quick)
    print(text)
    print(f"Benchmark wall time: {elapsed:.0f} s.")
    if args.json is not None:
        document = {
            "quick": args.quick,
            "wall_seconds": round(elapsed, 1),
            "machine": info,
            "targets": targets,
            "bundled": point_to_json(bundled),
            "sizes": [point_to_json(p) for p in points],
            "fits": [asdict(f) for f in fits],
        }
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return 0 if all(t["met"] for t in targets) else 1


if __name__ == "__main__":
    raise SystemExit(main())
