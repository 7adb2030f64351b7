"""Benchmark `ctimm portfolio` on a folder of generated workbooks.

Usage: python benchmarks/portfolio.py [--count N] [--repeat N] [--keep DIR] [--json FILE]

Each workbook is a copy of `workbook/CTI-MM.xlsm` whose empty True? cells are
filled by editing the sheet XML directly, which leaves the rest of the package
(macros included) as it was. Answers are random but seeded: every area gets a goal level,
actions up to it are Yes, and the rest are a mix of Yes, No, Partial, N/A and
blank, so the set contains every level and some violations. One file of junk
bytes is added, so the run also skips a bad workbook.

The figure is the median wall time of `--repeat` fresh `ctimm portfolio DIR
-o OUT.xlsx -q` processes, with the machine it ran on. The result is a
Markdown section on stdout, and with --json the same figures as JSON. Peak
RSS is the `ru_maxrss` that `os.wait4` returns for each child (Linux: KiB).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ctimm_xl.app import score_workbook  # noqa: E402
from ctimm_xl.model import column_letter  # noqa: E402
from ctimm_xl.xlsx.package import open_package  # noqa: E402
from ctimm_xl.xlsx.workbook import WorkbookParts  # noqa: E402

BUNDLED = REPO / "workbook" / "CTI-MM.xlsm"
CHILD_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    ),
}
SEED = 20240501


def answer_cells() -> list[tuple[str, str, str, int]]:
    """Return (sheet part, cell, control ID, level) for every action of the bundled workbook."""
    result = score_workbook(BUNDLED, write=False).result
    parts = {e.name: e.part for e in WorkbookParts(open_package(BUNDLED)).sheets}
    cells = []
    for control in result.controls:
        if not control.is_action:
            continue
        ref = control.answer_cell
        cells.append(
            (
                parts[ref.sheet],
                f"{column_letter(ref.column)}{ref.row}",
                str(control.id),
                control.level,
            )
        )
    return cells


def random_answers(cells, rng: random.Random) -> dict[str, dict[str, str]]:
    """Pick answers per sheet part: a goal level per area, noise above it."""
    goals: dict[str, int] = {}
    answers: dict[str, dict[str, str]] = {}
    for part, cell, control, level in cells:
        area = control.split(".")[1] + control.split(".")[2]
        goal = goals.setdefault(area, rng.randint(0, 5))
        if level <= goal:
            answer = "Yes"
        else:
            answer = rng.choices(
                ["Yes", "No", "Partial", "N/A", ""], weights=[2, 4, 2, 1, 6]
            )[0]
        if answer:
            answers.setdefault(part, {})[cell] = answer
    return answers


def fill_sheet(xml: bytes, answers: dict[str, str]) -> bytes:
    """Put inline-string answers into the sheet's empty cells, which must exist."""
    text = xml.decode("utf-8")
    for cell, answer in answers.items():
        pattern = re.compile(rf'<c r="{cell}"( s="\d+")?( t="n")?/>')
        text, count = pattern.subn(
            rf'<c r="{cell}"\1 t="inlineStr"><is><t>{answer}</t></is></c>', text
        )
        if count != 1:
            raise SystemExit(
                f"{BUNDLED}: expected one empty cell {cell} in a sheet, found {count}; "
                "the bundled layout changed, so update fill_sheet to match it."
            )
    return text.encode("utf-8")


def generate(folder: Path, count: int) -> None:
    """Write `count` filled workbooks and one broken file into `folder`."""
    cells = answer_cells()
    rng = random.Random(SEED)
    with zipfile.ZipFile(BUNDLED) as source:
        infos = source.infolist()
        contents = {info.filename: source.read(info) for info in infos}
    for index in range(count):
        answers = random_answers(cells, rng)
        target = folder / f"unit-{index:04d}.xlsm"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for info in infos:
                data = contents[info.filename]
                if info.filename in answers:
                    data = fill_sheet(data, answers[info.filename])
                archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    (folder / "broken.xlsx").write_bytes(b"not a workbook")


def time_portfolio(folder: Path, output: Path, repeat: int) -> list[tuple[float, int]]:
    """Return (wall seconds, peak RSS in KiB) of each run; RSS is `ru_maxrss` from wait4."""
    runs = []
    command = [sys.executable, "-m", "ctimm_xl", "portfolio", str(folder)]
    for _ in range(repeat):
        started = time.perf_counter()
        child = subprocess.Popen(
            [*command, "-o", str(output), "-q"],
            env=CHILD_ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        stderr = child.stderr.read() if child.stderr else b""
        _, status, usage = os.wait4(child.pid, 0)
        runs.append((time.perf_counter() - started, usage.ru_maxrss))
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"ctimm portfolio failed: {stderr.decode().strip()}")
    return runs


def machine() -> dict[str, str]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "system": platform.platform(),
        "python": platform.python_version(),
    }


def report(figures: dict) -> str:
    host = figures["machine"]
    times = ", ".join(f"{t:.1f}" for t in figures["times_s"])
    return "\n".join(
        [
            f"## `ctimm portfolio` on {figures['count']} workbooks",
            "",
            f"`python benchmarks/portfolio.py --count {figures['count']} "
            f"--repeat {figures['repeat']}` generates {figures['count']} filled "
            "copies of `workbook/CTI-MM.xlsm` (217 controls each) and one broken "
            f"file, then runs `ctimm portfolio DIR -o OUT.xlsx -q` "
            f"{figures['repeat']} times, each in a fresh process.",
            "",
            "| figure | value |",
            "|---|---|",
            f"| median wall time | {figures['median_s']:.1f} s |",
            f"| per workbook | {figures['per_workbook_ms']:.0f} ms |",
            f"| peak RSS | {figures['peak_rss_mib']:.0f} MiB |",
            f"| all runs | {times} s |",
            f"| machine | {host['cpu']}, {host['cores']} cores, {host['system']} |",
            f"| Python | {host['python']} |",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="workbooks to generate")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs")
    parser.add_argument(
        "--keep", type=Path, help="generate into this folder and keep it"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args()

    temporary = None
    if args.keep is None:
        temporary = tempfile.mkdtemp(prefix="ctimm-portfolio-")
        folder = Path(temporary)
    else:
        folder = args.keep
        folder.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        generate(folder, args.count)
        print(
            f"generated {args.count} workbooks in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        output = folder.parent / f"{folder.name}-portfolio.xlsx"
        runs = time_portfolio(folder, output, args.repeat)
        times = [seconds for seconds, _ in runs]
        median = statistics.median(times)
        figures = {
            "count": args.count,
            "repeat": args.repeat,
            "times_s": times,
            "median_s": median,
            "per_workbook_ms": median / args.count * 1000,
            "peak_rss_mib": max(rss for _, rss in runs) / 1024,
            "machine": machine(),
        }
        output.unlink(missing_ok=True)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)
    print(report(figures))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
