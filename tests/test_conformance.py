"""The shared conformance scenarios through the real `magnets` command and the shared script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import conformance

MAGNETS = shutil.which("magnets", path=str(Path(sys.executable).parent)) or shutil.which("magnets")


# The default set (MODEL.md §1-5 through `magnets solve`), §6's hedges through
# `magnets hedge`, and §7's sourcing rules, one hand-derived case per rule.
@pytest.mark.parametrize("which", [[], ["hedges"], ["rules"]], ids=["scenarios", "hedges", "rules"])
def test_a_shared_conformance_set_passes(which: list[str]) -> None:
    assert MAGNETS, "the magnets command is not installed"
    run = subprocess.run(
        ["bash", str(conformance() / "check.sh"), *which],
        env={**os.environ, "MAGNETS": MAGNETS},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout
