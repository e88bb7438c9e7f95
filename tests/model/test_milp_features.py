"""The binary features of MODEL.md §3.3 and §3.6 on tiny hand-computed cases.

Fixed costs, minimum orders and candidate plants each change a decision at a
break-even point worked out in the docstring; a time-limited solve of a larger MILP
must come back as a plan whatever HiGHS manages in the time.
"""

from __future__ import annotations

import random

import pytest

from tests.tiny import (
    approx,
    assert_no_solution,
    assert_optimal,
    assert_terms,
    demand,
    keyed,
    kg,
    plant,
    scenario,
    solve_doc,
    supplier,
)

# -- fixed cost ---------------------------------------------------------------------------


def _fixed_cost_choice(quantity: float) -> dict:
    """cn: 10/kg plus a fixed 500; jp: 20/kg. Break-even 10 x + 500 = 20 x at x = 50 kg."""
    suppliers = [supplier("cn", "CN", 10.0, fixed_cost=500.0), supplier("jp", "JP", 20.0)]
    return solve_doc(scenario(suppliers=suppliers, demand=demand(quantity)))


def test_fixed_cost_loses_below_break_even():
    """40 kg: cn 400 + 500 = 900 against jp 800. jp delivers; no contract is paid."""
    plan = _fixed_cost_choice(40.0)
    assert_optimal(plan, 800.0, milp=True)
    assert_terms(plan, purchase=800.0)
    assert keyed(plan["deliveries"], "supplier") == {("jp",): approx(40.0)}
    assert plan["contracts"] == []


def test_fixed_cost_wins_above_break_even():
    """60 kg: cn 600 + 500 = 1100 against jp 1200. cn delivers all 60 kg."""
    plan = _fixed_cost_choice(60.0)
    assert_optimal(plan, 1100.0, milp=True)
    assert_terms(plan, purchase=600.0, fixed=500.0)
    assert keyed(plan["deliveries"], "supplier") == {("cn",): approx(60.0)}
    assert plan["contracts"] == [{"supplier": "cn", "fixed_cost": 500.0}]


def test_contracts_list_exactly_the_suppliers_whose_fixed_cost_is_paid():
    """Demand 60. cn: 10/kg, fixed 500, 50 kg; vn: 11/kg, fixed 900; jp: 25/kg, no fixed cost.

    jp alone 1500; vn alone 660 + 900 = 1560; cn 50 + jp 10 = 500 + 500 + 250 = 1250;
    cn 50 + vn 10 = 500 + 500 + 110 + 900 = 2010. Best 1250: cn's contract is paid,
    vn's is not, and jp (no fixed cost) delivers without a contract.
    """
    doc = scenario(
        suppliers=[
            supplier("cn", "CN", 10.0, capacity=50.0, fixed_cost=500.0),
            supplier("vn", "VN", 11.0, fixed_cost=900.0),
            supplier("jp", "JP", 25.0),
        ],
        demand=demand(60),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 1250.0, milp=True)
    assert_terms(plan, purchase=750.0, fixed=500.0)
    assert keyed(plan["deliveries"], "supplier") == {("cn",): approx(50.0), ("jp",): approx(10.0)}
    assert plan["contracts"] == [{"supplier": "cn", "fixed_cost": 500.0}]


# -- minimum order ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("holding", "objective", "supplier_id", "bought"),
    [
        # cn: 50 × 10 + 20 held × 1 = 520 < jp 30 × 18 = 540.
        (1.0, 520.0, "cn", 50.0),
        # cn: 50 × 10 + 20 held × 3 = 560 > jp 540.
        (3.0, 540.0, "jp", 30.0),
    ],
)
def test_min_order_buy_more_and_hold_or_buy_elsewhere(holding, objective, supplier_id, bought):
    """Demand 30; cn sells at 10 but only in orders of 50 kg or more; jp sells at 18."""
    doc = scenario(
        products=[{"id": "p", "holding_cost": holding}],
        suppliers=[supplier("cn", "CN", 10.0, min_order=50.0), supplier("jp", "JP", 18.0)],
        demand=demand(30),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, objective, milp=True)
    assert keyed(plan["deliveries"], "supplier") == {(supplier_id,): approx(bought)}


def test_min_order_applies_to_each_period():
    """Demand 30 in t0 and t1; cn 10/kg, min order 50 a period; jp 18/kg; holding 1.

    cn 60 kg in t0, 30 held: 600 + 30 = 630. Against: cn 50 in t0 and jp 10 in t1,
    500 + 20 + 180 = 700; cn 50 in each period, 1000 + 20 + 40 = 1060; jp only 1080.
    (Without the minimum, cn 30 + 30 would cost 600.) cn delivers nothing in t1.
    """
    doc = scenario(
        2,
        products=[{"id": "p", "holding_cost": 1.0}],
        suppliers=[supplier("cn", "CN", 10.0, min_order=50.0), supplier("jp", "JP", 18.0)],
        demand=demand(30, 30),
    )
    plan = solve_doc(doc)
    assert_optimal(plan, 630.0, milp=True)
    assert_terms(plan, purchase=600.0, holding=30.0)
    assert keyed(plan["deliveries"], "supplier", "period") == {("cn", "t0"): approx(60.0)}


# -- candidate plants ---------------------------------------------------------------------


def _candidate(build_cost: float) -> dict:
    """4 periods, demand 40, 40, 10, 100; cn 10/kg; holding 100 rules out stockpiling.

    Candidate plant k: 5/kg, 50 kg a period, build lead 1, earliest build t1. Built in
    t1 it makes from t2 on and saves 10 × 5 in t2 and 50 × 5 in t3: 300. Built in t2
    it saves only the 250 of t3.
    """
    k = plant(
        "k", "IN", 5.0, 50.0, existing=False, build_cost=build_cost, build_lead=1, earliest_build=1
    )
    doc = scenario(
        4,
        products=[{"id": "p", "holding_cost": 100.0}],
        suppliers=[supplier("cn", "CN", 10.0)],
        plants=[k],
        demand=demand(40, 40, 10, 100),
    )
    return solve_doc(doc)


def test_candidate_plant_built_once_no_earlier_than_allowed_and_after_its_lead():
    """Build cost 200 < 300 saved: built in t1, makes 10 kg in t2 and 50 kg in t3.

    400 (t0) + 400 (t1) + 10 × 5 (t2) + 50 × 5 + 50 × 10 (t3) + 200 = 1800
    (unbuilt 1900, built in t2 1850). Were it built in t0, or could it make in its
    build period, it would also save 40 × 5 in t1 (1600); were it built in t1 and
    again in t2, it could make 100 kg in t3 (400 + 400 + 50 + 500 + 400 = 1750).
    """
    plan = _candidate(200.0)
    assert_optimal(plan, 1800.0, milp=True)
    assert_terms(plan, purchase=1300.0, production=300.0, build=200.0)
    assert plan["plants_built"] == [{"plant": "k", "period": "t1"}]
    assert keyed(plan["production"], "plant", "period") == {
        ("k", "t2"): approx(10.0),
        ("k", "t3"): approx(50.0),
    }
    assert keyed(plan["deliveries"], "period") == {
        ("t0",): approx(40.0),
        ("t1",): approx(40.0),
        ("t3",): approx(50.0),
    }


def test_candidate_plant_not_worth_building_is_not_built():
    """Build cost 350 > 300 saved (twice: 2 × 350 > 550): cn delivers all 190 kg, 1900."""
    plan = _candidate(350.0)
    assert_optimal(plan, 1900.0, milp=True)
    assert plan["plants_built"] == []
    assert plan["production"] == []


def _subsidised_candidate(build_cost: float) -> dict:
    """Demand 80; cn 10/kg; candidate plant 12/kg, 100 kg, incentive 4/kg capped at 200.

    Built, making x kg costs build + 12 x − min(4 x, 200) + 10 (80 − x): falling by 2
    per kg up to x = 50 (where the cap is reached), rising by 2 beyond. Best x = 50,
    costing build + 600 − 200 + 300 = build + 700 against 800 unbuilt: built iff the
    build cost is below 100.
    """
    k = plant(
        "k", "IN", 12.0, 100.0, existing=False, build_cost=build_cost, incentive=4.0,
        incentive_cap=200.0,
    )  # fmt: skip
    doc = scenario(suppliers=[supplier("cn", "CN", 10.0)], plants=[k], demand=demand(80))
    return solve_doc(doc)


def test_incentive_makes_a_candidate_plant_worth_building():
    """Build cost 60: 60 + 600 − 200 + 300 = 760 < 800. Built in t0, makes 50 kg."""
    plan = _subsidised_candidate(60.0)
    assert_optimal(plan, 760.0, milp=True)
    assert_terms(plan, purchase=300.0, production=600.0, subsidy=200.0, build=60.0)
    assert plan["plants_built"] == [{"plant": "k", "period": "t0"}]
    assert keyed(plan["production"], "plant") == {("k",): approx(50.0)}


def test_incentive_of_an_unbuilt_plant_is_not_earned():
    """Build cost 150: 150 + 700 = 850 > 800. Not built, no subsidy: cn 80 × 10 = 800."""
    plan = _subsidised_candidate(150.0)
    assert_optimal(plan, 800.0, milp=True)
    assert_terms(plan, purchase=800.0)
    assert plan["plants_built"] == []


# -- time limit ---------------------------------------------------------------------------


def _hard_milp(seed: int = 7, suppliers: int = 60, periods: int = 12) -> dict:
    """Many suppliers with fixed costs and minimum orders: more than HiGHS proves in ms."""
    r = random.Random(seed)
    countries = ["CN", "JP", "IN", "VN"]
    rows = [
        supplier(
            f"s{i}", r.choice(countries), round(r.uniform(10, 30), 2),
            capacity=round(r.uniform(100, 400)), fixed_cost=round(r.uniform(500, 5000)),
            min_order=round(r.uniform(20, 100)), lead_time=r.choice([0, 0, 1]),
        )
        for i in range(suppliers)
    ]  # fmt: skip
    quantities = [round(r.uniform(1000, 2000)) for _ in range(periods)]
    return scenario(
        periods,
        products=[{"id": "p", "holding_cost": 0.5}],
        suppliers=rows,
        demand=demand(*quantities),
        policy={"max_origin_share": {"CN": 0.5}},
    )


@pytest.mark.parametrize("time_limit", [0.001, 0.05, 0.2])
def test_time_limited_milp_returns_a_plan(time_limit):
    """Whether HiGHS has an incumbent by then varies from run to run; both outcomes are plans.

    With an incumbent the tables describe it: terms recomputed from the tables (cost of
    deliveries, contracts, 0.5 per kg held, 1000 per kg short) match, and every kg of
    demand is either consumed or short.
    """
    doc = _hard_milp()
    plan = solve_doc(doc, time_limit=time_limit)
    assert plan["status"] in ("time_limit", "optimal")
    if plan["objective"] is None:
        assert_no_solution(plan, "time_limit")
        return
    close = {"rel": 1e-6, "abs": 1e-3}
    t = plan["terms"]
    assert isinstance(plan["mip_gap"], float)
    assert sum(t[k] for k in t if k != "subsidy") - t["subsidy"] == approx(plan["objective"])
    assert t["purchase"] == pytest.approx(sum(d["cost"] for d in plan["deliveries"]), **close)
    assert t["fixed"] == pytest.approx(sum(c["fixed_cost"] for c in plan["contracts"]), **close)
    assert t["holding"] == pytest.approx(0.5 * kg(plan["inventory"]), **close)
    assert t["shortage"] == pytest.approx(1000.0 * kg(plan["shortages"]), **close)
    asked = sum(d["quantity"] for d in doc["demand"])
    served = kg(plan["consumption"]) + kg(plan["shortages"])
    assert served == pytest.approx(asked, **close)
    paid = {c["supplier"] for c in plan["contracts"]}
    assert {d["supplier"] for d in plan["deliveries"]} <= paid
