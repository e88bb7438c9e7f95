"""Hedged plans worked out by hand, and the definitions of what a hedged plan reports
(MODEL.md §6): wait-and-see is the outcomes solved alone, EVPI and the value of hedging
are never negative, one outcome is `solve`."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from optimizer.options import SolveOptions
from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from optimizer.whatif.hedge_document import parse_hedge
from optimizer.whatif.hedge_values import cvar, hedged_plan, risk_value
from tests.tiny import demand, scenario, supplier
from tests.whatif.test_hedge_exact import random_hedge

HALT = {"kind": "capacity", "origin": "CN", "factor": 0, "periods": ["t1"]}


def two_periods() -> dict[str, Any]:
    """cn at 10/kg, jp at 20/kg, 50 kg a period, holding 1/kg a period."""
    return scenario(
        periods=2,
        products=[{"id": "p", "holding_cost": 1.0}],
        suppliers=[supplier("cn", "CN", 10.0, capacity=100.0), supplier("jp", "JP", 20.0)],
        demand=demand(50, 50),
    )


def hedge(halt: float, reveal: str = "t1", **risk: float) -> dict[str, Any]:
    return {
        "name": "prebuy",
        "base": two_periods(),
        "reveal": reveal,
        "outcomes": [
            {"name": "hold", "probability": 1 - halt, "shocks": []},
            {"name": "cn-halt", "probability": halt, "shocks": [HALT]},
        ],
        "risk": risk,
    }


def test_prebuying_is_worth_what_the_halt_would_cost() -> None:
    # Pre-buying 100 kg in t0: 1,000 + 50 holding in both outcomes. Not: 1,000 or 1,500.
    plan = hedged_plan(parse_hedge(hedge(0.5)))
    assert plan["status"] == "optimal"
    assert plan["objective"] == pytest.approx(1050.0)
    assert plan["expected_cost"] == pytest.approx(1050.0)
    assert plan["wait_and_see"] == pytest.approx(1025.0)  # alone: 1,000 and 1,050
    assert plan["evpi"] == pytest.approx(25.0)
    assert plan["value_of_hedging"] == pytest.approx(200.0)  # base's 50 kg leaves 1,250
    assert plan["premium"] == pytest.approx(50.0)  # the holding, if nothing goes wrong
    assert plan["here_and_now"]["deliveries"] == [
        {"supplier": "cn", "product": "p", "period": "t0", "kg": 100.0,
         "landed_cost": 10.0, "cost": 1000.0},
    ]  # fmt: skip
    assert [o["objective"] for o in plan["outcomes"]] == pytest.approx([1050.0, 1050.0])


def test_an_unlikely_halt_is_not_worth_hedging() -> None:
    # 0.95 × 1,000 + 0.05 × 1,500 = 1,025 < 1,050: the plan waits
    plan = hedged_plan(parse_hedge(hedge(0.05)))
    assert plan["objective"] == pytest.approx(1025.0)
    assert plan["value_of_hedging"] == pytest.approx(0.0)
    assert plan["premium"] == pytest.approx(0.0)
    assert plan["evpi"] == pytest.approx(1025.0 - (0.95 * 1000 + 0.05 * 1050))


def test_weight_one_at_a_high_alpha_pays_the_worst_outcomes_cost() -> None:
    # reveal t0: nothing shared; alone hold costs 1,000 and cn-halt 1,050 (it pre-buys);
    # the worst 4 % lies within cn-halt's 5 %, so CVaR is its cost
    plan = hedged_plan(parse_hedge(hedge(0.05, reveal="t0", alpha=0.96, weight=1.0)))
    assert plan["objective"] == pytest.approx(1050.0)
    assert plan["cvar"] == pytest.approx(1050.0)
    assert plan["expected_cost"] == pytest.approx(0.95 * 1000 + 0.05 * 1050)
    assert plan["evpi"] == pytest.approx(0.0)


def test_weight_one_hedges_what_the_expectation_would_not() -> None:
    # tail 10 %: cn-halt's 5 % and 5 % of hold; pre-buying makes both 1,050
    plan = hedged_plan(parse_hedge(hedge(0.05, alpha=0.9, weight=1.0)))
    assert plan["objective"] == pytest.approx(1050.0)
    assert [o["objective"] for o in plan["outcomes"]] == pytest.approx([1050.0, 1050.0])
    assert plan["value_of_hedging"] == pytest.approx(1250.0 - 1050.0)


def test_value_of_hedging_names_the_outcome_the_base_plan_cannot_meet() -> None:
    doc = hedge(0.5)
    doc["base"]["products"][0]["min_inventory"] = 0.0
    doc["outcomes"][1]["shocks"] = [{"kind": "capacity", "origin": "CN", "factor": 0.4}]
    # cn-halt caps cn at 40 kg in t0 too: base's 50 kg from cn in t0 is impossible there
    plan = hedged_plan(parse_hedge(doc))
    assert plan["status"] == "optimal"
    assert plan["value_of_hedging"] is None
    assert plan["value_of_hedging_infeasible_outcome"] == "cn-halt"


@pytest.mark.parametrize(("seed", "milp", "reveal_at"), [(1, False, 1), (2, True, 2), (3, True, 0)])
def test_one_outcome_is_solve(seed: int, milp: bool, reveal_at: int) -> None:
    doc = random_hedge(seed, milp, 1, reveal_at, 0.0)
    doc["outcomes"] = [{"name": "only", "probability": 1.0, "shocks": []}]
    plan = hedged_plan(parse_hedge(doc))
    alone = solve(parse_scenario(doc["base"]), SolveOptions())
    assert plan["status"] == alone["status"]
    assert plan["objective"] == pytest.approx(alone["objective"], rel=1e-6, abs=1e-6)
    assert plan["evpi"] == pytest.approx(0.0, abs=1e-6)
    assert plan["value_of_hedging"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    ("seed", "milp", "outcomes", "reveal_at", "weight"),
    [(21, False, 4, 1, 0.0), (22, False, 6, 2, 0.5), (23, True, 3, 1, 0.0), (24, True, 5, 2, 1.0)],
)
def test_reported_values_keep_their_definitions(
    seed: int, milp: bool, outcomes: int, reveal_at: int, weight: float
) -> None:
    doc = random_hedge(seed, milp, outcomes, reveal_at, weight)
    h = parse_hedge(doc)
    plan = hedged_plan(h)
    if plan["objective"] is None:
        pytest.skip("an infeasible draw")
    costs = [o["objective"] for o in plan["outcomes"]]
    p = h.probabilities
    tol = 1e-6 * max(1.0, abs(plan["objective"]))
    assert plan["objective"] == pytest.approx(risk_value(costs, p, h.alpha, h.weight), abs=tol)
    assert plan["cvar"] == pytest.approx(cvar(costs, p, h.alpha), abs=tol)
    assert plan["cvar"] >= max(plan["expected_cost"], 0) - tol or plan["expected_cost"] < 0
    alone = [solve(o.scenario, SolveOptions())["objective"] for o in h.outcomes]
    assert plan["wait_and_see"] == pytest.approx(risk_value(alone, p, h.alpha, h.weight), abs=tol)
    assert plan["evpi"] >= -tol
    assert plan["evpi"] == pytest.approx(plan["objective"] - plan["wait_and_see"], abs=tol)
    if plan["value_of_hedging"] is not None:
        assert plan["value_of_hedging"] >= -tol
    if plan["premium"] is not None:
        assert plan["premium"] >= -tol
    for row, o in zip(plan["outcomes"], h.outcomes, strict=True):
        assert row["name"] == o.name
        assert row["objective"] == pytest.approx(sum(
            v if k != "subsidy" else -v for k, v in row["terms"].items()
        ), abs=tol)  # fmt: skip


def test_cvar_of_a_discrete_distribution() -> None:
    assert cvar([1, 2, 3, 4], [0.25] * 4, 0.5) == pytest.approx(3.5)
    assert cvar([1, 2, 3, 4], [0.25] * 4, 0.0) == pytest.approx(2.5)
    assert cvar([10, 0], [0.1, 0.9], 0.8) == pytest.approx((0.1 * 10) / 0.2)
    assert cvar([5, 7], [0.5, 0.5], 0.99) == pytest.approx(7.0)


def test_outcome_plans_add_every_outcomes_tables() -> None:
    plan = hedged_plan(parse_hedge(hedge(0.5)), outcome_plans=True)
    for row in plan["outcomes"]:
        assert {"deliveries", "inventory", "shortages", "contracts"} <= set(row["plan"])
    assert "plan" not in hedged_plan(parse_hedge(copy.deepcopy(hedge(0.5))))["outcomes"][0]
