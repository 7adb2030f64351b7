"""A `ctimm score` run that is killed, or that races another run on the same file.

The writer puts the new workbook in a `.~ctimm-*` file beside the output and
moves it into place with os.replace, so an interrupted run must leave the
input as it was and nothing half-written at the output path.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import corpus
import openpyxl
import pytest

GENERATED = ("Dashboard", "Checks", "Roadmap")


def start(*args: object) -> subprocess.Popen:
    return subprocess.Popen(
        corpus.ctimm_command("score", *args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=corpus.cli_env(),
    )


def wait_for_temporary(folder: Path, process: subprocess.Popen) -> Path:
    """Poll until the run has created its temporary output file, and return it."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = corpus.temporary_files(folder)
        if found:
            return found[0]
        assert process.poll() is None, "ctimm finished before it began writing"
        time.sleep(0.002)
    process.kill()
    raise AssertionError("ctimm wrote no temporary file within 60 s")


def assert_loads(path: Path) -> None:
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames
    book.close()


def score_result(path: Path) -> dict:
    """The --json result without the path of the workbook it came from."""
    run = corpus.run_ctimm("score", path, "--json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    del result["workbook"]
    return result


def generated_sheet_count(path: Path) -> dict[str, int]:
    names = openpyxl.load_workbook(path, read_only=True).sheetnames
    return {name: names.count(name) for name in GENERATED}


@pytest.fixture
def big(tmp_path: Path) -> Path:
    return corpus.big_workbook(tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"]
)
def test_signal_while_writing_output(signum: int, big: Path):
    before = corpus.sha256(big)
    output = big.parent / "scored.xlsx"
    process = start(big, "-o", output)
    wait_for_temporary(big.parent, process)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)

    assert corpus.sha256(big) == before
    assert_loads(big)
    assert not output.exists()
    assert "Traceback" not in stdout + stderr
    if signum == signal.SIGTERM:
        assert process.returncode == 130
        assert stderr.strip().splitlines() == [
            "Error: interrupted; the workbook was not changed."
        ]
        assert corpus.temporary_files(big.parent) == []
    else:
        assert process.returncode == -signal.SIGKILL
        # A killed process cannot clean up, so its hidden temporary file stays;
        # it never takes the output's name, and the next run still works.
        leftovers = corpus.temporary_files(big.parent)
        assert all(path.name.startswith(".~ctimm-") for path in leftovers)
        rerun = corpus.run_ctimm("score", big, "-o", output, "-q")
        assert rerun.returncode == 0, rerun.stderr
        assert_loads(output)


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"]
)
def test_signal_while_updating_in_place(signum: int, big: Path):
    before = corpus.sha256(big)
    process = start(big)
    wait_for_temporary(big.parent, process)
    process.send_signal(signum)
    process.communicate(timeout=60)

    assert process.returncode != 0
    assert corpus.sha256(big) == before
    assert_loads(big)
    backup = big.with_name("BIG.bak.xlsx")
    assert not backup.exists() or corpus.sha256(backup) == before
    if signum == signal.SIGTERM:
        assert corpus.temporary_files(big.parent) == []


def _seconds_until_writing(workbook: Path) -> tuple[float, float]:
    """Time a normal run: (seconds to start up, seconds until the write begins)."""
    started = time.monotonic()
    version = subprocess.run(
        corpus.ctimm_command("--version"),
        capture_output=True,
        env=corpus.cli_env(),
        timeout=120,
    )
    assert version.returncode == 0, version.stderr
    startup = time.monotonic() - started

    folder = workbook.parent / "timing"
    folder.mkdir()
    started = time.monotonic()
    process = start(workbook, "-o", folder / "scored.xlsx")
    wait_for_temporary(folder, process)
    writing = time.monotonic() - started
    process.communicate(timeout=120)
    shutil.rmtree(folder)
    return startup, writing


@pytest.mark.slow
def test_signal_while_reading(big: Path):
    startup, writing = _seconds_until_writing(big)
    assert writing > startup + 0.2, "the workbook is read too fast to interrupt"
    before = corpus.sha256(big)
    output = big.parent / "scored.xlsx"
    # The signal handler is installed at start-up and the write begins later,
    # so a signal sent in between lands while the workbook is being read.
    # Timing varies on a busy machine, so a run that began writing before the
    # signal is discarded and tried again.
    for _attempt in range(3):
        process = start(big, "-o", output)
        time.sleep(startup + 0.4 * (writing - startup))
        assert process.poll() is None, "ctimm finished before the signal"
        if corpus.temporary_files(big.parent) == []:
            break
        process.kill()
        process.communicate(timeout=60)
        for leftover in corpus.temporary_files(big.parent):
            leftover.unlink()
    else:
        pytest.fail("every run began writing before the signal was sent")
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)

    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert corpus.sha256(big) == before
    assert not output.exists()
    assert corpus.temporary_files(big.parent) == []


def _race(path: Path, runs: int) -> list[tuple[int, str]]:
    processes = [start(path) for _ in range(runs)]
    finished = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=180)
        assert "Traceback" not in stdout + stderr
        finished.append((process.returncode, stderr))
    return finished


def _assert_race_outcome(path: Path, finished: list[tuple[int, str]]) -> int:
    """Check the file after concurrent runs; return how many runs succeeded."""
    for code, stderr in finished:
        if code != 0:
            lines = stderr.strip().splitlines()
            assert len(lines) == 1, stderr
            assert lines[0].startswith("Error: "), stderr
    succeeded = sum(code == 0 for code, _ in finished)
    assert succeeded >= 1
    assert corpus.temporary_files(path.parent) == []
    assert generated_sheet_count(path) == {name: 1 for name in GENERATED}
    with zipfile.ZipFile(path) as archive:
        workbook_xml = archive.read("xl/workbook.xml").decode()
    for name in GENERATED:
        assert workbook_xml.count(f'name="ctimm_xl.{name}"') == 1
    return succeeded


def _sequential_result(source: Path, folder: Path, runs: int) -> dict:
    """Score a copy of `source` in place `runs` times, one after another."""
    folder.mkdir()
    copy = folder / source.name
    shutil.copy2(source, copy)
    for _ in range(runs):
        run = corpus.run_ctimm("score", copy, "-q")
        assert run.returncode == 0, run.stderr
    return score_result(copy)


def _check_race(workbook: Path, runs: int, scratch: Path) -> None:
    original = scratch / "original"
    original.mkdir(parents=True)
    shutil.copy2(workbook, original / workbook.name)
    finished = _race(workbook, runs)
    succeeded = _assert_race_outcome(workbook, finished)
    result = score_result(workbook)
    source = original / workbook.name
    # The same runs one after another give the same scores ...
    assert result == _sequential_result(source, scratch / "sequential", succeeded)
    # ... and so does a single run, because a re-run changes no score.
    assert result == _sequential_result(source, scratch / "single", 1)


@pytest.mark.slow
def test_two_runs_on_big_file_at_once(big: Path, tmp_path: Path):
    _check_race(big, 2, tmp_path / "scratch")


def test_four_runs_on_small_file_at_once(tmp_path: Path):
    rows = corpus.answered_rows(8)
    rows[3].answer = "No"
    workbook = corpus.control_workbook(tmp_path / "answers.xlsx", rows)
    _check_race(workbook, 4, tmp_path / "scratch")
