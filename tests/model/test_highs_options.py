"""Our HiGHS settings change how fast a MILP is solved, never its optimum: every shipped
instance and random MILPs solve to the same objective as HiGHS with its defaults."""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import pytest

from optimizer.model import highs_backend as backend
from optimizer.model.build import build_model
from optimizer.options import SolveOptions
from optimizer.scenario.parsing import parse_scenario
from tests.paths import INSTANCES
from tests.random_scenarios import random_scenario

INSTANCES = sorted(
    p for p in INSTANCES.glob("*.json")
    if not p.name.endswith(".meta.json")
)  # fmt: skip


def _objectives(document: dict) -> tuple[tuple[str, float], tuple[str, float]]:
    model, _ = build_model(parse_scenario(document))
    ours = backend.new_highs(SolveOptions(mip_gap=0.0))
    plain = highspy.Highs()
    plain.setOptionValue("output_flag", False)
    plain.setOptionValue("mip_rel_gap", 0.0)
    results = []
    for h in (ours, plain):
        backend.pass_model(h, model)
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        results.append((status, h.getInfo().objective_function_value))
    return results[0], results[1]


def test_feasibility_jump_is_off() -> None:
    h = backend.new_highs(SolveOptions())
    status, value = h.getOptionValue("mip_heuristic_run_feasibility_jump")
    assert status == highspy.HighsStatus.kOk and value is False


@pytest.mark.parametrize("path", INSTANCES, ids=lambda p: p.stem)
def test_shipped_instances_reach_the_default_optimum(path: Path) -> None:
    (status, objective), (plain_status, plain_objective) = _objectives(json.loads(path.read_text()))
    assert status == plain_status
    if status == "Optimal":
        assert objective == pytest.approx(plain_objective, rel=1e-9)


@pytest.mark.parametrize("seed", range(30))
def test_random_milps_reach_the_default_optimum(seed: int) -> None:
    (status, objective), (plain_status, plain_objective) = _objectives(
        random_scenario(seed, milp=True)
    )
    assert status == plain_status
    if status == "Optimal":
        assert objective == pytest.approx(plain_objective, rel=1e-9, abs=1e-6)
