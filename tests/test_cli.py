"""The ctimm command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import fill, run_cli

from ctimm_xl import __version__


def test_version():
    code, out, _ = run_cli("--version")
    assert code == 0
    assert out.strip() == f"ctimm-xl {__version__}"


def test_help_lists_score():
    code, out, _ = run_cli("--help")
    assert code == 0
    assert "score" in out
    code, out, _ = run_cli("score", "--help")
    assert code == 0
    assert "--target" in out
    assert "--source" in out


def test_no_command_prints_help():
    code, _, err = run_cli()
    assert code == 2
    assert "usage:" in err


def test_json_stdout_holds_only_json(bundled):
    completed = subprocess.run(
        [sys.executable, "-m", "ctimm_xl", "score", str(bundled), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    data = json.loads(completed.stdout)
    assert data["controls"] == 217


def test_summary_names_sheets_and_output(bundled, tmp_path):
    out = tmp_path / "out.xlsm"
    code, stdout, _ = run_cli("score", bundled, "-o", out)
    assert code == 0
    assert "sheets used: Level 1, Level 2, Level 3, Level 4, Level 5" in stdout
    assert "sheets ignored: none" in stdout
    assert f"Wrote {out}" in stdout


def test_strict_exit_code(bundled, tmp_path):
    filled = fill(bundled, {"2.A.1.a": "Yes"}, tmp_path / "f.xlsx")
    code, _, _ = run_cli("score", filled, "--json", "--strict")
    assert code == 3
    code, _, _ = run_cli("score", filled, "--json")
    assert code == 0


def test_invalid_target(bundled):
    code, _, err = run_cli("score", bundled, "--target", "7", "--json")
    assert code == 2
    assert err.startswith("Error: --target must be a level from 1 to 5")


def test_missing_file(tmp_path):
    missing = tmp_path / "nope.xlsx"
    code, _, err = run_cli("score", missing)
    assert code == 1
    assert err == f"Error: {missing}: file not found. Check the path and try again.\n"


def test_source_override_without_roll_up(bundled):
    code, _, err = run_cli("score", bundled, "--source", "roll-up", "--json")
    assert code == 1
    assert "roll-up" in err
    assert "Run again without --source" in err


def test_in_place_needs_workbook_extension(bundled, tmp_path):
    renamed = tmp_path / "book.xls"
    renamed.write_bytes(bundled.read_bytes())
    code, _, err = run_cli("score", renamed)
    assert code == 2
    assert "updated in place" in err
    assert "output" not in err
