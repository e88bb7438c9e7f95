"""Hot starts give the plans cold solves give, and fall back when the model's shape changes."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from optimizer.model.build import build_model
from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from optimizer.whatif import hot_start
from optimizer.whatif.hot_start import COLD, HOT, REBUILT, HotStartSolver, ModelArrays, plans_agree
from optimizer.whatif.shocks import apply_shocks, parse_shocks
from tests.paths import INSTANCES
from tests.random_scenarios import random_scenario
from tests.tiny import demand, scenario, supplier


def number_shocks(r: random.Random, doc: dict) -> list[dict]:
    """Shocks that change numbers only: capacities, tariffs, freight, prices, demand > 0."""
    origins = [c["id"] for c in doc["countries"]]
    return [
        {"kind": "capacity", "origin": r.choice(origins), "factor": r.choice([0.0, 0.5, 1.3])},
        {"kind": "tariff", "country": r.choice(origins), "value": r.choice([0.0, 0.1, 0.4])},
        {"kind": "freight", "country": r.choice(origins), "factor": r.uniform(0.5, 2.0)},
        {"kind": "price", "origin": r.choice(origins), "factor": r.uniform(0.7, 1.4)},
        {"kind": "demand", "factor": r.uniform(0.6, 1.5)},
    ]


def shocked(doc: dict, raw: list[dict]):
    return parse_scenario(apply_shocks(doc, parse_shocks(raw)))


def test_hot_starts_equal_cold_solves_on_random_lp_sweeps():
    solver, hot, compared = HotStartSolver(), 0, 0
    for seed in range(4):
        doc = random_scenario(seed, milp=False)
        r = random.Random(seed)
        for _ in range(6):
            raw = r.sample(number_shocks(r, doc), r.randint(1, 3))
            sc = shocked(doc, raw)
            got = solver.solve(sc)
            cold = solve(sc)
            assert plans_agree(got.plan, cold), (
                seed,
                raw,
                got.plan["objective"],
                cold["objective"],
            )
            hot += got.start == HOT
            compared += 1
    assert compared >= 20
    assert hot >= compared - 4  # only the first member of each scenario starts cold


@pytest.mark.parametrize("name", ["india-2025-domestic-plant", "india-2025-baseline"])
def test_hot_starts_equal_cold_solves_on_a_shipped_sweep(name):
    doc = json.loads((INSTANCES / f"{name}.json").read_text())
    solver = HotStartSolver()
    starts = []
    for cn in (1.0, 0.6, 0.0, 1.4):
        for tariff in (0.075, 0.3):
            sc = shocked(
                doc,
                [
                    {
                        "kind": "capacity",
                        "origin": "CN",
                        "factor": cn,
                        "periods": ["2025-Q4", "2026-Q1"],
                    },
                    {"kind": "tariff", "country": "CN", "value": tariff},
                    {"kind": "demand", "sector": "auto_ev", "factor": 1 + tariff},
                ],
            )
            got = solver.solve(sc)
            starts.append(got.start)
            assert plans_agree(got.plan, solve(sc)), (name, cn, tariff)
    assert starts == [COLD] + [HOT] * 7


def test_a_change_of_shape_falls_back_to_a_whole_model():
    doc = json.loads((INSTANCES / "india-2025-domestic-plant.json").read_text())
    solver = HotStartSolver()
    steps = [
        ([], COLD),
        ([{"kind": "revoke_licence", "licence": "cn-pooled-2025"}], HOT),  # quantity 0: numbers
        ([{"kind": "revoke_licence", "licence": "cn-pooled-2025", "remove": True}], REBUILT),
        ([{"kind": "demand", "sector": "wind", "factor": 0}], REBUILT),  # demand rows go
        ([{"kind": "demand", "sector": "wind", "factor": 0.5}], REBUILT),  # and come back
        ([{"kind": "demand", "sector": "wind", "factor": 0.7}], HOT),
    ]
    for raw, start in steps:
        sc = shocked(doc, raw)
        got = solver.solve(sc)
        assert got.start == start, raw
        assert plans_agree(got.plan, solve(sc)), raw


def test_a_coefficient_to_and_from_zero_stays_hot():
    # cn1's capacity row reads buy − 100·active <= 0: a capacity of 0 makes the
    # coefficient 0 (dropped from the matrix); a later capacity puts it back.
    doc = scenario(
        periods=2,
        suppliers=[
            supplier("cn1", "CN", 10.0, capacity=100.0, fixed_cost=50.0),
            supplier("jp1", "JP", 20.0, capacity=100.0),
        ],
        demand=demand(120, 80),
    )
    solver = HotStartSolver()
    expected = {1.0: 50 + 100 * 10 + 20 * 20 + 80 * 10, 0.0: 100 * 20 + 20 * 1000 + 80 * 20}
    starts = []
    for factor in (1.0, 0.0, 1.0):
        sc = shocked(doc, [{"kind": "capacity", "supplier": "cn1", "factor": factor}])
        got = solver.solve(sc)
        starts.append(got.start)
        assert got.plan["objective"] == pytest.approx(expected[factor], rel=1e-9)
    assert starts == [COLD, HOT, HOT]


def test_hot_start_keeps_the_basis():
    sc = parse_scenario(random_scenario(11, milp=False))
    solver = HotStartSolver()
    solver.solve(sc)
    again = solver.solve(sc)
    assert again.start == HOT
    assert solver._h is not None and solver._h.getInfo().simplex_iteration_count == 0


def test_verification_catches_a_wrong_hot_start_and_keeps_the_cold_plan(monkeypatch):
    doc = scenario(suppliers=[supplier("cn1", "CN", 10.0)], demand=demand(100))
    solver = HotStartSolver()
    solver.solve(shocked(doc, []))
    original = hot_start.apply_differences

    def forgets_bounds(h, old, new):  # a broken hand-over: new right-hand sides never arrive
        kept = {"row_lower": old.row_lower, "row_upper": old.row_upper}
        return original(h, old, ModelArrays(**{**new.__dict__, **kept}))

    monkeypatch.setattr(hot_start, "apply_differences", forgets_bounds)
    halved = shocked(doc, [{"kind": "demand", "factor": 0.5}])
    unchecked = solver.solve(halved)
    assert unchecked.start == HOT and unchecked.plan["objective"] == pytest.approx(1000)  # wrong
    checked = solver.solve(shocked(doc, [{"kind": "demand", "factor": 0.3}]), verify=True)
    assert checked.verified is False
    assert checked.plan["objective"] == pytest.approx(300)  # the cold plan
    assert "disagreed" in checked.plan["message"]
    monkeypatch.setattr(hot_start, "apply_differences", original)
    after = solver.solve(halved, verify=True)
    assert after.start == COLD and after.verified is None
    assert after.plan["objective"] == pytest.approx(500)


def test_verified_members_in_a_sweep_agree():
    from optimizer.whatif.sweep import run_sweep

    spec = {
        "base": random_scenario(5, milp=False),
        "verify_sample": 1.0,
        "axes": [{"name": "d", "shock": {"kind": "demand"}, "levels": [0.5, 1.0, 1.5]}],
    }
    rows = run_sweep(spec).rows
    assert [r["verified"] for r in rows] == [None, True, True, True]  # the base started cold


@pytest.mark.parametrize("seed", range(6))
def test_matrix_entries_are_unique_so_changes_address_one_entry(seed):
    model, _ = build_model(parse_scenario(random_scenario(seed, milp=seed % 2 == 1)))
    a = ModelArrays.of(model)
    keys = a.entry_row * max(model.num_cols, 1) + a.entry_col
    assert len(np.unique(keys)) == len(keys)


def test_models_of_different_shape_are_told_apart():
    a = ModelArrays.of(build_model(parse_scenario(random_scenario(1)))[0])
    b = ModelArrays.of(build_model(parse_scenario(random_scenario(2)))[0])
    assert a.same_shape(a) and not a.same_shape(b)


def test_hot_starts_equal_cold_solves_on_random_milp_sweeps():
    # MILP members reuse the object and are offered the previous plan as an incumbent;
    # both solves stop within the 1e-6 MIP gap, hence the tolerance of twice that.
    solver, compared = HotStartSolver(), 0
    for seed in range(4):
        doc = random_scenario(seed, milp=True)
        r = random.Random(100 + seed)
        for _ in range(4):
            sc = shocked(doc, r.sample(number_shocks(r, doc), 2))
            got = solver.solve(sc)
            assert plans_agree(got.plan, solve(sc), rel=2e-6), seed
            compared += 1
    assert compared == 16


def test_changed_coefficients_reach_highs():
    # Under a budget the landed costs are coefficients of the budget row: a tariff
    # changes the matrix. With CN at 20 a kg a budget of 1500 buys 75 kg; 25 kg are short.
    doc = scenario(
        suppliers=[supplier("cn1", "CN", 10.0), supplier("jp1", "JP", 20.0)],
        demand=demand(100),
        policy={"budget": 1500.0},
    )
    before, after = (
        shocked(doc, []),
        shocked(doc, [{"kind": "tariff", "country": "CN", "value": 1.0}]),
    )
    a, b = (ModelArrays.of(build_model(sc)[0]) for sc in (before, after))
    assert a.same_shape(b) and np.count_nonzero(a.entry_val != b.entry_val) == 1
    solver = HotStartSolver()
    assert solver.solve(before).plan["objective"] == pytest.approx(1000)
    got = solver.solve(after)
    assert got.start == HOT
    assert got.plan["objective"] == pytest.approx(75 * 20 + 25 * 1000)
