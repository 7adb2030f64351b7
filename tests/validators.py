"""Run the offline validators (openxml-audit, LibreOffice) on a workbook."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def audit_errors(path: Path) -> list[str]:
    """Return openxml-audit's error descriptions for a package (part: description)."""
    command = [
        sys.executable,
        "-m",
        "openxml_audit",
        str(path),
        "-o",
        "json",
        "-m",
        "0",
    ]
    if shutil.which("openxml-audit"):
        command = ["openxml-audit", str(path), "-o", "json", "-m", "0"]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    report = json.loads(completed.stdout)[0]
    return [
        f"{e.get('part_uri')} {e.get('path')}: {e.get('description')}"
        for e in report["errors"]
        if e.get("severity") == "error"
    ]


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    return found


def convert(path: Path, target: str, folder: Path) -> Path:
    """Convert with headless LibreOffice; return the converted file."""
    profile = folder / "lo-profile"
    completed = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            target,
            "--outdir",
            str(folder),
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    converted = folder / (path.stem + "." + target.split(":")[0])
    assert completed.returncode == 0, completed.stderr
    assert converted.exists(), completed.stdout + completed.stderr
    return converted
