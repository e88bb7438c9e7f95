"""The shared conformance scenarios through the real `magnets` command and the shared script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.paths import conformance

MAGNETS = shutil.which("magnets", path=str(Path(sys.executable).parent)) or shutil.which("magnets")


def test_shared_conformance_script_passes() -> None:
    assert MAGNETS, "the magnets command is not installed"
    run = subprocess.run(
        ["bash", str(conformance() / "check.sh")],
        env={**os.environ, "MAGNETS": MAGNETS},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout


def test_shared_hedges_set_passes() -> None:
    """MODEL.md §6 through `magnets hedge`: objective, wait-and-see, EVPI, value of hedging."""
    assert MAGNETS, "the magnets command is not installed"
    run = subprocess.run(
        ["bash", str(conformance() / "check.sh"), "hedges"],
        env={**os.environ, "MAGNETS": MAGNETS},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout


def test_shared_rules_set_passes() -> None:
    """MODEL.md §7 (sourcing rules) through `magnets solve`: one hand-derived case per rule."""
    assert MAGNETS, "the magnets command is not installed"
    run = subprocess.run(
        ["bash", str(conformance() / "check.sh"), "rules"],
        env={**os.environ, "MAGNETS": MAGNETS},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout
