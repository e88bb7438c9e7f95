"""Marginal values (optimizer/explain.py) on hand-computed cases, and how they reach a plan.

Each hand case works out by hand what one more unit of a limit saves or costs; two of
them re-solve the whole MILP. Then the binaries read back from a plan, `explain_plan`
and `explain_outcome` (values or a diagnosis), and `magnets solve --explain`.
The finite-difference checks on random scenarios are in test_explain_finite_differences.py.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from optimizer.insight.explain import (
    DualSolution,
    binaries_from_plan,
    dual_solution,
    explain_outcome,
    explain_plan,
    marginal_values,
)
from optimizer.model.build import build_model
from optimizer.model.plan import round_binaries, solution_plan
from optimizer.options import SolveOptions
from optimizer.scenario.loading import load_scenario
from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from tests.paths import INSTANCES, conformance
from tests.random_scenarios import random_scenario
from tests.reported_values import FAMILIES, values
from tests.tiny import approx, demand, plant, scenario, solve_doc, supplier

# -- hand-computed, one per family ------------------------------------------------------
C0 = scenario(  # the public conformance scenario c0, objective 3340
    periods=2,
    sectors=[
        {"id": "defence", "tags": ["defence"], "shortage_penalty": 1000},
        {"id": "auto", "tags": [], "shortage_penalty": 500},
    ],
    countries=[
        {"id": "CN", "tariff": 0.1, "freight": 1.0, "restricted_end_uses": ["defence"]},
        {"id": "JP", "tariff": 0.0, "freight": 2.0},
    ],
    suppliers=[
        supplier("cn1", "CN", 10.0, 100.0, licence_required=True),
        supplier("jp1", "JP", 20.0, 100.0),
    ],
    licences=[{"id": "L1", "suppliers": ["cn1"], "quantity": 150}],
    demand=demand(30, 30, sector="defence") + demand(80, 80),
)


def test_licence_binding_at_150_kg_is_worth_the_saving_over_japan():
    """c0: the 150 licensed kg from cn1 cost 10 · 1.1 + 1 = 12/kg landed, jp1 20 + 2 = 22;
    one more licensed kg saves 10. Every demand row's next kg comes from jp1 at 22."""
    assert solve_doc(C0)["objective"] == approx(3340.0)
    v = values(C0)
    assert v[("licence", "L1", None)] == approx(-10.0)
    assert v[("demand", "p/auto", "t0")] == approx(22.0)
    assert v[("demand", "p/defence", "t1")] == approx(22.0)
    assert not any(k[0] == "supplier_capacity" for k in v)  # neither capacity binds


def test_supplier_capacity_is_worth_the_price_gap_to_the_next_supplier():
    """cn 10/kg for 60 kg, jp 25/kg; demand 100: one more cn kg saves 15."""
    doc = scenario(
        suppliers=[supplier("cn", "CN", 10.0, 60.0), supplier("jp", "JP", 25.0)],
        demand=demand(100.0),
    )
    v = values(doc)
    assert v[("supplier_capacity", "cn", "t0")] == approx(-15.0)
    assert ("supplier_capacity", "jp", "t0") not in v  # slack: worth 0, not listed
    assert v[("demand", "p/auto", "t0")] == approx(25.0)


def test_plant_capacity_of_an_existing_plant():
    """Plant in IN makes at 30/kg, 40 kg; jp 45/kg; demand 100 in each of two periods,
    the plant has 0 kg in t1: one more plant kg saves 15 in either period."""
    doc = scenario(
        periods=2,
        suppliers=[supplier("jp", "JP", 45.0)],
        plants=[plant("k", "IN", 30.0, [40.0, 0.0])],
        demand=demand(100.0, 100.0),
    )
    v = values(doc)
    assert v[("plant_capacity", "k", "t0")] == approx(-15.0)
    assert v[("plant_capacity", "k", "t1")] == approx(-15.0)  # a limit of 0 still has a value


def test_origin_share_cap_is_worth_the_price_gap_times_the_supply():
    """cn 10/kg, jp 20/kg, demand 100, CN at most 60 %: cost = 100·(10σ + 20(1 − σ)),
    so d cost / dσ = −1000 per unit share (−10 per percentage point)."""
    doc = scenario(
        suppliers=[supplier("cn", "CN", 10.0), supplier("jp", "JP", 20.0)],
        demand=demand(100.0),
        policy={"max_origin_share": {"CN": 0.6}},
    )
    assert values(doc)[("origin_share", "CN", "t0")] == approx(-1000.0)


def test_budget_is_worth_the_shortage_it_avoids():
    """cn 10/kg, budget 500, demand 100 at a shortage penalty of 1000: one more unit of
    budget buys 0.1 kg, saving 0.1 · (1000 − 10) = 99."""
    doc = scenario(
        suppliers=[supplier("cn", "CN", 10.0)],
        demand=demand(100.0),
        policy={"budget": 500.0},
    )
    v = values(doc)
    assert v[("budget", None, "t0")] == approx(-99.0)
    assert v[("demand", "p/auto", "t0")] == approx(1000.0)  # the next kg goes short


def test_safety_stock_costs_the_price_and_the_holding_of_one_more_kg():
    """cn 10/kg, holding 1/kg per period, safety stock 30, one period: 11 per kg."""
    doc = scenario(
        products=[{"id": "p", "holding_cost": 1.0, "min_inventory": 30.0}],
        suppliers=[supplier("cn", "CN", 10.0)],
        demand=demand(100.0),
    )
    assert values(doc)[("safety_stock", "p", "t0")] == approx(11.0)


def test_capacity_gated_by_a_fixed_cost_matches_a_full_milp_resolve():
    """a: 10/kg, fixed 100, 50 kg; b: 15/kg; demand 80: a takes 50 (1050 in all). One more
    kg of a's capacity saves 5: the capacity multiplies active[a] = 1."""

    def doc(cap: float) -> dict[str, Any]:
        sup = [supplier("a", "CN", 10.0, cap, fixed_cost=100.0), supplier("b", "JP", 15.0)]
        return scenario(suppliers=sup, demand=demand(80.0))

    assert values(doc(50.0))[("supplier_capacity", "a", "t0")] == approx(-5.0)
    assert solve_doc(doc(51.0))["objective"] - solve_doc(doc(50.0))["objective"] == approx(-5.0)


def test_capacity_of_a_candidate_plant_matches_a_full_milp_resolve():
    """Candidate k: build 1000, 5/kg, 100 kg, no lead; jp 30/kg; demand 150: built, one
    more kg of capacity saves 25 (capacity × Σ build, with build = 1)."""

    def doc(cap: float) -> dict[str, Any]:
        k = plant("k", "IN", 5.0, cap, existing=False, build_cost=1000.0)
        return scenario(suppliers=[supplier("jp", "JP", 30.0)], plants=[k], demand=demand(150.0))

    assert values(doc(100.0))[("plant_capacity", "k", "t0")] == approx(-25.0)
    assert solve_doc(doc(101.0))["objective"] - solve_doc(doc(100.0))["objective"] == approx(-25)


def test_capacity_under_a_minimum_order_adds_both_rows_it_appears_in():
    """cn: 10/kg, 60 kg, min order 20 (capacity in both supplier_capacity rows of cn: the
    plain one and the ceiling gated by order); jp 18/kg; demand 100: one more cn kg saves 8."""
    sup = [supplier("cn", "CN", 10.0, 60.0, min_order=20.0), supplier("jp", "JP", 18.0)]
    doc = scenario(suppliers=sup, demand=demand(100.0))
    assert values(doc)[("supplier_capacity", "cn", "t0")] == approx(-8.0)


def test_a_dual_on_the_order_ceiling_row_counts_for_the_capacity():
    """Both supplier_capacity rows of cn say Σ buy <= 60 · (gate 1), so HiGHS may put the
    dual on either; whichever it picks, the capacity's value is their sum. Here each row
    in turn carries it all."""
    sup = [supplier("cn", "CN", 10.0, 60.0, min_order=20.0), supplier("jp", "JP", 18.0)]
    m, ix = build_model(parse_scenario(scenario(suppliers=sup, demand=demand(100.0))))
    sol = dual_solution(m, np.ones(1), SolveOptions())
    assert sol is not None
    block = m.constraints["supplier_capacity"]
    assert block.index["gate"].tolist() == [0, 0, 1]  # cn, jp, then cn's order ceiling
    for row in (0, 2):
        duals = np.zeros(m.num_rows)
        duals[block.start + row] = -8.0
        got = marginal_values(m, ix, DualSolution(sol.x, duals))
        assert got == [
            {"constraint": "supplier_capacity", "id": "cn", "period": "t0", "value": -8.0}
        ]


def test_capacity_of_a_supplier_without_a_contract_is_worth_nothing():
    """a's fixed cost 5000 makes it lose; with active[a] = 0 its capacity is worth 0."""
    sup = [supplier("a", "CN", 10.0, 50.0, fixed_cost=5000.0), supplier("b", "JP", 15.0)]
    v = values(scenario(suppliers=sup, demand=demand(80.0)))
    assert ("supplier_capacity", "a", "t0") not in v


# -- the plan's binaries and explain_plan ----------------------------------------------------
def solved(sc: Any) -> tuple[Any, Any, Any]:
    """The model of `sc` and HiGHS's outcome, as `solve` has them."""
    from optimizer.model import highs_backend as backend

    m, ix = build_model(sc)
    h = backend.new_highs(SolveOptions())
    backend.pass_model(h, m)
    return m, ix, backend.run(h, m.is_mip)


@pytest.mark.parametrize("seed", range(6))
def test_binaries_read_from_the_plan_are_the_solvers(seed: int) -> None:
    m, ix, out = solved(parse_scenario(random_scenario(seed, milp=True)))
    assert out.x is not None
    x = round_binaries(m, out.x)
    plan = solution_plan(m, ix, x, out.status)
    _, _, _, integer = m.column_arrays()
    assert np.array_equal(binaries_from_plan(m, ix, plan.to_document()), x[integer])


@pytest.mark.parametrize("milp", [False, True], ids=["lp", "milp"])
def test_values_from_solves_own_solution_equal_those_read_from_the_plan(milp: bool) -> None:
    for seed in range(4):
        sc = parse_scenario(random_scenario(seed, milp=milp))
        m, ix, out = solved(sc)
        got = explain_outcome(sc, m, ix, out, SolveOptions()).get("marginal_values", [])
        want = explain_plan(sc, solve(sc)).get("marginal_values", [])
        assert [r["constraint"] for r in got] == [r["constraint"] for r in want]
        for a, b in zip(got, want, strict=True):
            assert (a["id"], a["period"]) == (b["id"], b["period"])
            assert a["value"] == pytest.approx(b["value"], rel=1e-6, abs=1e-6)


def test_explain_adds_values_to_a_solved_plan_and_a_diagnosis_to_an_infeasible_one():
    baseline = load_scenario(INSTANCES / "india-2025-baseline.json")
    extra = explain_plan(baseline, solve(baseline))
    assert set(extra) == {"marginal_values"}
    families = [r["constraint"] for r in extra["marginal_values"]]
    assert families == sorted(families, key=FAMILIES.index)  # grouped in the documented order
    assert all(r["value"] != 0 for r in extra["marginal_values"])
    infeasible = load_scenario(INSTANCES / "india-2025-infeasible.json")
    extra = explain_plan(infeasible, solve(infeasible))
    assert set(extra) == {"diagnosis"}
    assert extra["diagnosis"]["conflict"]
    assert json.loads(json.dumps(extra)) == extra  # plain JSON values
    assert explain_outcome(infeasible, *solved(infeasible), SolveOptions()) == extra


def test_explain_adds_nothing_without_a_solution_or_a_conflict():
    sc = parse_scenario(scenario(suppliers=[supplier("cn", "CN", 10.0)], demand=demand(5.0)))
    plan = {"status": "error", "objective": None}
    assert explain_plan(sc, plan) == {}
    assert explain_plan(sc, {"status": "time_limit", "objective": None}) == {}


def test_an_explanation_that_fails_leaves_a_message_not_an_exception(monkeypatch):
    import optimizer.insight.explain as explain

    def broken(*args: Any) -> None:
        raise RuntimeError("no solver")

    infeasible = load_scenario(INSTANCES / "india-2025-infeasible.json")
    monkeypatch.setattr(explain, "diagnose", broken)
    assert explain_plan(infeasible, solve(infeasible)) == {
        "explain_error": "RuntimeError: no solver"
    }
    sc = parse_scenario(C0)
    monkeypatch.setattr(explain, "dual_solution", lambda *args: None)
    assert explain_plan(sc, solve(sc)) == {"explain_error": explain.NO_VALUES}


def test_solve_explain_from_the_command_line(tmp_path, capsys) -> None:
    """`magnets solve --explain`: c0's licence is worth 10/kg (the Japanese alternative is
    22 − 12 dearer); without the flag the plan carries no insight keys."""
    import json

    from cli.main import main

    source = conformance() / "scenarios" / "c0_tiny_licence_enduse.json"
    assert main(["solve", str(source), "--explain"]) == 0
    plan = json.loads(capsys.readouterr().out)
    licence = [v for v in plan["marginal_values"] if v["constraint"] == "licence"]
    assert licence == [{"constraint": "licence", "id": "L1", "period": None, "value": -10.0}]
    assert main(["solve", str(source)]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert "marginal_values" not in plain and "diagnosis" not in plain
