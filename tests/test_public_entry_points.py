"""What scripts written against earlier releases import keeps working: the entry points of
MODEL.md §5 and README.md, and, for one release, the module paths from before the rooms
(each with a DeprecationWarning that names the new home)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import optimizer
from tests.paths import INSTANCES


@pytest.mark.parametrize(("old", "new"), sorted(optimizer.MOVED.items()))
def test_an_old_module_path_imports_the_new_module_with_a_warning(old: str, new: str) -> None:
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=new.replace(".", r"\.")):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)


def test_old_names_of_the_schema_and_report_modules_still_resolve() -> None:
    from optimizer.report.render import render_plan_report
    from optimizer.scenario.schema import Scenario

    with pytest.warns(DeprecationWarning, match=r"optimizer\.scenario\.schema\.Scenario"):
        from optimizer.scenario import Scenario as old_scenario  # type: ignore[attr-defined]
    with pytest.warns(DeprecationWarning, match=r"optimizer\.report\.render\.render_plan_report"):
        from optimizer.report import render_plan_report as old_render  # type: ignore[attr-defined]
    assert (old_scenario, old_render) == (Scenario, render_plan_report)
    with pytest.raises(ImportError):
        from optimizer.scenario import no_such_name  # type: ignore[attr-defined]  # noqa: F401


def test_the_readme_example_solves_the_baseline() -> None:
    code = (
        "from optimizer.options import SolveOptions\n"
        "from optimizer.scenario.loading import load_scenario\n"
        "from optimizer.solve import solve\n"
        f"plan = solve(load_scenario({str(INSTANCES / 'india-2025-baseline.json')!r}), "
        "SolveOptions(time_limit=30))\n"
        "print(plan['status'], plan['objective'], sorted(plan['terms']))\n"
    )
    run = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    status, objective, *_ = run.stdout.split()
    meta = json.loads((INSTANCES / "india-2025-baseline.meta.json").read_text(encoding="utf-8"))
    assert status == meta["expected"]["status"]
    assert float(objective) == pytest.approx(meta["expected"]["objective"], rel=1e-6)


def test_the_magnets_command_is_the_cli_package() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "cli.main", "validate", str(INSTANCES / "india-2025-baseline.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "valid" in run.stdout
