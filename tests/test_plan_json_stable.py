"""Plan JSON stays byte for byte what it was when the plan became a typed value.

`tests/data/plans/` holds what `magnets solve --out` wrote for every shipped instance and
every shared conformance scenario, plain and with `--explain`, before the plan had a type
of its own; only the timings, which differ from run to run, are zeroed on both sides.
Re-recorded once since, when MODEL.md §7 added the terms `qualification` and
`cap_excess` (0 in every recorded plan) and the tables `qualified` and `cap_excess`
(empty): nothing else in any recorded plan changed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT, conformance

PLANS = ROOT / "tests" / "data" / "plans"
MAGNETS = shutil.which("magnets", path=str(Path(sys.executable).parent)) or "magnets"
TIMINGS = re.compile(r'"timings":\{[^}]*\}')


def _scenario(stem: str) -> Path:
    shipped = ROOT / "instances" / f"{stem}.json"
    return shipped if shipped.exists() else conformance() / "scenarios" / f"{stem}.json"


def _cases() -> list[tuple[str, str]]:
    return sorted(tuple(p.name.split(".")[:2]) for p in PLANS.glob("*.json"))  # type: ignore[misc]


def test_every_shipped_and_conformance_scenario_has_a_recorded_plan() -> None:
    stems = {stem for stem, _ in _cases()}
    shipped = {p.stem for p in (ROOT / "instances").glob("*.json") if ".meta" not in p.name}
    shared = {p.stem for p in (conformance() / "scenarios").glob("*.json")}
    assert shared
    assert stems == shipped | shared


@pytest.mark.parametrize(("stem", "kind"), _cases())
def test_plan_json_is_byte_identical(stem: str, kind: str, tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    flags = ["--explain"] if kind == "explain" else []
    run = subprocess.run(
        [MAGNETS, "solve", str(_scenario(stem)), "--out", str(out), *flags],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    zeroed = '"timings":{"build_s":0,"solve_s":0,"total_s":0}'
    got = TIMINGS.sub(zeroed, out.read_text(encoding="utf-8"))
    assert got == (PLANS / f"{stem}.{kind}.json").read_text(encoding="utf-8")
