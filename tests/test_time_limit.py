"""The time limit bounds build and solve together: what building took is taken off the
time HiGHS gets."""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest

import optimizer.solve as solving
from optimizer.options import SolveOptions
from optimizer.scenario.parsing import parse_scenario
from tests.paths import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from generator import generate  # noqa: E402


def test_a_slow_build_leaves_the_solve_only_what_remains(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = parse_scenario(generate(suppliers=300, periods=12, seed=3))
    build = solving.build_model

    def slow_build(*args: Any) -> Any:
        time.sleep(0.6)
        return build(*args)

    monkeypatch.setattr(solving, "build_model", slow_build)
    plan = solving.solve(scenario, SolveOptions(time_limit=0.5))
    assert plan["status"] == "time_limit"
    assert plan["timings"]["solve_s"] < 0.25
    unhurried = solving.solve(scenario, SolveOptions(time_limit=30))
    assert unhurried["status"] == "optimal"
