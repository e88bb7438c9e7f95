"""The sourcing rules of MODEL.md §7 on tiny scenarios worked out by hand, every plan of
random scenarios with the rules passing the independent checker, and a scenario without
the rules building the model it always built."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from optimizer.model.build import build_model
from optimizer.scenario.parsing import parse_scenario
from tests.plan_checker import check_plan
from tests.random_scenarios import random_scenario
from tests.tiny import approx, demand, keyed, plant, scenario, solve_doc, supplier


def _sound(doc: dict[str, Any], objective: float) -> dict[str, Any]:
    plan = solve_doc(doc)
    assert plan["status"] == "optimal", plan.get("message")
    assert plan["objective"] == approx(objective)
    assert check_plan(doc, plan) == []
    return plan


# -- quantity discounts -------------------------------------------------------------------
def _discounted(holding: float, tariff: float = 0.0, freight: float = 0.0) -> dict[str, Any]:
    """100 kg a period for two periods from jp at 20/kg, or 15/kg on a delivery of 150 kg."""
    jp = supplier("jp", "JP", 20.0, 500.0)
    jp["offers"][0]["discounts"] = [{"min_kg": 150.0, "price": 15.0}]
    doc = scenario(2, suppliers=[jp], demand=demand(100.0, 100.0))
    doc["products"] = [{"id": "p", "holding_cost": holding}]
    doc["countries"][1].update(tariff=tariff, freight=freight)
    return doc


def test_buying_up_to_a_threshold_and_storing_the_surplus_when_holding_is_cheap() -> None:
    # 200 kg in t0 at 15 (3,000) and 100 kg held one period (100) beat 2 × 100 at 20.
    plan = _sound(_discounted(holding=1.0), 3000.0 + 100.0)
    assert plan["deliveries"] == [
        {"supplier": "jp", "product": "p", "period": "t0", "kg": approx(200.0),
         "landed_cost": 15.0, "cost": approx(3000.0)}
    ]  # fmt: skip
    assert keyed(plan["inventory"], "period") == {("t0",): approx(100.0)}


def test_no_stock_bought_ahead_when_holding_costs_more_than_the_discount_saves() -> None:
    # At 16/kg held: 200 kg at 15 + 100 held = 4,600; 150 kg at 15 + 50 held + 50 kg at 20
    # in t1 = 2,250 + 800 + 1,000 = 4,050; both above 2 × 100 kg at the list price.
    plan = _sound(_discounted(holding=16.0), 4000.0)
    assert {d["landed_cost"] for d in plan["deliveries"]} == {20.0}
    assert plan["inventory"] == []


def test_a_brackets_landed_cost_carries_tariff_and_freight() -> None:
    # c[s,p,t,1] = 15 × 1.1 + 1 = 17.5 on 200 kg, against (20 × 1.1 + 1) × 200 = 4,600.
    plan = _sound(_discounted(holding=1.0, tariff=0.1, freight=1.0), 200 * 17.5 + 100.0)
    assert [d["landed_cost"] for d in plan["deliveries"]] == [approx(17.5)]


def test_the_budget_counts_a_discounted_delivery_at_its_brackets_price() -> None:
    # 200 kg at 15 is 3,000 and fits a budget of 3,000 in t0; at 20 it would not.
    doc = _discounted(holding=1.0)
    doc["policy"] = {"budget": [3000.0, 3000.0]}
    _sound(doc, 3100.0)


def test_the_cheapest_bracket_reached_prices_every_kg() -> None:
    # Brackets from 150 kg at 15 and from 250 kg at 11.9. Holding 1/kg: 250 kg in t0
    # (2,975) holds 150 kg, then 50 kg to the end (200): 3,175 > 200 kg at 15 + 100 held
    # (3,100). Holding 0.1/kg: 2,975 + 15 + 5 = 2,995 < 3,000 + 10.
    doc = _discounted(holding=1.0)
    doc["suppliers"][0]["offers"][0]["discounts"].append({"min_kg": 250.0, "price": 11.9})
    plan = _sound(doc, 3100.0)
    assert [d["landed_cost"] for d in plan["deliveries"]] == [15.0]
    doc["products"][0]["holding_cost"] = 0.1
    plan = _sound(doc, 250 * 11.9 + 150 * 0.1 + 50 * 0.1)
    assert [d["landed_cost"] for d in plan["deliveries"]] == [11.9]


# -- most suppliers per product ---------------------------------------------------------------
def _two_sources(most: int | None) -> dict[str, Any]:
    doc = scenario(
        suppliers=[supplier("a", "JP", 10.0, 60.0), supplier("b", "VN", 12.0, 100.0)],
        demand=demand(100.0),
    )
    if most is not None:
        doc["policy"] = {"max_suppliers": {"p": most}}
    return doc


def test_without_a_cap_the_two_cheapest_sources_share_the_demand() -> None:
    _sound(_two_sources(None), 60 * 10.0 + 40 * 12.0)
    _sound(_two_sources(2), 60 * 10.0 + 40 * 12.0)


def test_a_cap_of_one_supplier_forces_the_dearer_single_source() -> None:
    # a alone leaves 40 kg short at 1,000; b alone delivers all 100 kg at 12.
    plan = _sound(_two_sources(1), 100 * 12.0)
    assert keyed(plan["deliveries"], "supplier") == {("b",): approx(100.0)}


def test_plants_do_not_count_against_the_cap_on_suppliers() -> None:
    doc = _two_sources(1)
    doc["plants"] = [plant("k", "IN", 11.0, 30.0)]
    # a (60 at 10) and the plant (30 at 11), 10 kg from nowhere: b alone is cheaper.
    # b: 100 × 12 = 1,200; a + plant: 600 + 330 + 10 × 1,000; plant + b: 330 + 70 × 12.
    plan = _sound(doc, 330.0 + 70 * 12.0)
    assert keyed(plan["production"], "plant") == {("k",): approx(30.0)}


def test_a_cap_of_zero_suppliers_leaves_only_shortage() -> None:
    _sound(_two_sources(0), 100 * 1000.0)


# -- supplier qualification ---------------------------------------------------------------------
def _qualifying(cost: float, lead: int, lead_time: int = 0) -> dict[str, Any]:
    """vn sells at 10 once qualified, jp at 20; 100 kg in each of three periods."""
    vn = supplier("vn", "VN", 10.0, 100.0, lead_time=lead_time)
    vn["qualification"] = {"cost": cost, "lead": lead}
    return scenario(
        3, suppliers=[vn, supplier("jp", "JP", 20.0, 100.0)], demand=demand(100.0, 100.0, 100.0)
    )


def test_qualification_starts_early_enough_to_deliver_by_its_lead() -> None:
    # Started in t0 with a lead of 2, vn delivers in t2 only: 2 × 2,000 + 1,000 + 50.
    plan = _sound(_qualifying(cost=50.0, lead=2), 4000.0 + 1000.0 + 50.0)
    assert plan["qualified"] == [{"supplier": "vn", "period": "t0"}]
    assert plan["terms"]["qualification"] == 50.0
    assert keyed(plan["deliveries"], "supplier", "period")[("vn", "t2")] == approx(100.0)


def test_qualification_is_not_started_when_it_does_not_pay() -> None:
    # One period of vn saves 1,000, less than the 1,500 qualification costs.
    plan = _sound(_qualifying(cost=1500.0, lead=2), 6000.0)
    assert plan["qualified"] == [] and plan["terms"]["qualification"] == 0.0


def test_a_lead_time_still_applies_after_qualification() -> None:
    # Qualified in t0 (lead 0) vn could deliver at once, but its lead time is 2.
    plan = _sound(_qualifying(cost=50.0, lead=0, lead_time=2), 4000.0 + 1000.0 + 50.0)
    assert [q["supplier"] for q in plan["qualified"]] == ["vn"]


def test_a_qualification_longer_than_the_horizon_shuts_the_supplier_out() -> None:
    plan = _sound(_qualifying(cost=0.0, lead=3), 6000.0)
    assert all(d["supplier"] == "jp" for d in plan["deliveries"])


# -- service levels ------------------------------------------------------------------------------
def test_a_service_level_forces_supply_that_the_penalty_alone_would_not() -> None:
    # Short costs 1/kg, buying 10/kg; 80 % service over the horizon: 80 kg bought.
    doc = scenario(suppliers=[supplier("a", "JP", 10.0, 100.0)], demand=demand(100.0))
    doc["sectors"] = [{"id": "auto", "shortage_penalty": 1.0, "min_service": 0.8}]
    plan = _sound(doc, 800.0 + 20.0)
    assert keyed(plan["shortages"], "sector") == {("auto",): approx(20.0)}


def test_a_service_level_spans_the_horizon_not_each_period() -> None:
    # 50 % of 200 kg: a sells only in t1 (lead time 1), so t0 goes all short, t1 all met.
    doc = scenario(
        2, suppliers=[supplier("a", "JP", 10.0, 100.0, lead_time=1)], demand=demand(100.0, 100.0)
    )
    doc["sectors"] = [{"id": "auto", "shortage_penalty": 1.0, "min_service": 0.5}]
    _sound(doc, 100 * 1.0 + 100 * 10.0)
    doc["sectors"][0]["min_service"] = 0.6  # 120 kg cannot be met: only 100 kg can come
    assert solve_doc(doc)["status"] == "infeasible"


# -- soft origin caps -----------------------------------------------------------------------------
def _capped(penalty: float) -> dict[str, Any]:
    doc = scenario(
        suppliers=[supplier("cn", "CN", 10.0, 100.0), supplier("jp", "JP", 20.0, 100.0)],
        demand=demand(100.0),
    )
    doc["policy"] = {"max_origin_share": {"CN": 0.5}, "origin_share_penalty": {"CN": penalty}}
    return doc


def test_a_soft_cap_is_exceeded_when_the_penalty_is_less_than_the_saving() -> None:
    plan = _sound(_capped(5.0), 1000.0 + 50 * 5.0)
    assert plan["cap_excess"] == [{"origin": "CN", "period": "t0", "kg": approx(50.0)}]
    assert plan["terms"]["cap_excess"] == approx(250.0)


def test_a_soft_cap_holds_when_the_penalty_is_dearer() -> None:
    plan = _sound(_capped(25.0), 500.0 + 1000.0)
    assert plan["cap_excess"] == [] and plan["terms"]["cap_excess"] == 0.0


def test_an_origin_without_a_penalty_keeps_a_hard_cap() -> None:
    # JP (10/kg) is held to 30 % outright; of the other 70 kg, CN (20/kg) may pass its 50 %
    # at 5/kg: 70 kg from CN, 20 over, is 1,400 + 100 against 50 from CN and 20 from VN
    # (30/kg), 1,000 + 600. With JP's 300: 1,800.
    doc = scenario(
        suppliers=[
            supplier("cn", "CN", 20.0, 100.0),
            supplier("jp", "JP", 10.0, 100.0),
            supplier("vn", "VN", 30.0, 100.0),
        ],
        demand=demand(100.0),
    )
    doc["policy"] = {
        "max_origin_share": {"CN": 0.5, "JP": 0.3}, "origin_share_penalty": {"CN": 5.0},
    }  # fmt: skip
    plan = _sound(doc, 1800.0)
    assert plan["cap_excess"] == [{"origin": "CN", "period": "t0", "kg": approx(20.0)}]
    assert keyed(plan["deliveries"], "supplier")[("jp",)] == approx(30.0)


# -- every rule together, on random scenarios -------------------------------------------------
@pytest.mark.parametrize("seed", range(2000, 2030))
def test_random_plans_with_the_rules_keep_every_rule(seed: int) -> None:
    for milp in (False, True):
        doc = random_scenario(seed, milp=milp, rules=True)
        plan = solve_doc(doc)
        assert plan["status"] in ("optimal", "infeasible"), plan.get("message")
        assert check_plan(doc, plan) == []
        assert plan["terms"] is None or len(plan["terms"]) == 9


def test_the_checker_catches_a_delivery_priced_at_the_wrong_bracket() -> None:
    doc = _discounted(holding=1.0)
    plan = solve_doc(doc)
    broken = copy.deepcopy(plan)
    broken["deliveries"][0]["landed_cost"] = 20.0
    assert any(p.startswith("[cost]") for p in check_plan(doc, broken))


def test_the_checker_catches_too_many_suppliers_and_an_unqualified_one() -> None:
    doc = _two_sources(1)
    plan = solve_doc(doc)
    broken = copy.deepcopy(plan)
    broken["deliveries"].append({**broken["deliveries"][0], "supplier": "a", "kg": 0.0})
    broken["deliveries"][-1]["kg"] = 1.0
    assert any(p.startswith("[max suppliers]") for p in check_plan(doc, broken))
    doc = _qualifying(cost=50.0, lead=2)
    plan = solve_doc(doc)
    late = copy.deepcopy(plan)
    late["qualified"] = [{"supplier": "vn", "period": "t1"}]
    assert any(p.startswith("[qualification]") for p in check_plan(doc, late))


# -- a scenario without the rules ---------------------------------------------------------------
def _arrays(doc: dict[str, Any]) -> list[np.ndarray]:
    m, _ = build_model(parse_scenario(doc))
    return [*m.column_arrays(), *m.row_bounds(), *m.matrix()]


@pytest.mark.parametrize("seed", range(10))
def test_rules_left_empty_build_the_model_built_without_them(seed: int) -> None:
    doc = random_scenario(seed, milp=seed % 2 == 1)
    empty = copy.deepcopy(doc)
    for s in empty["suppliers"]:
        s["qualification"] = None
        for offer in s["offers"]:
            offer["discounts"] = []
    for e in empty["sectors"]:
        e["min_service"] = None
    empty["policy"].update(max_suppliers={}, origin_share_penalty={})
    before, after = _arrays(doc), _arrays(empty)
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    m, _ = build_model(parse_scenario(doc))
    assert all(m.variables[v].size == 0 for v in ("q", "y", "u", "qual", "excess"))
