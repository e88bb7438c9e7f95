"""Diagnosis of infeasible scenarios (optimizer/diagnosis.py).

Every conflict is checked from scratch, without the filters that found it: the model
keeping only the conflict's members (with the stock balances, the supply totals and the
variables' bounds, which every plan obeys) has no solution, and dropping any one member
gives it one. The hand cases also fix which members the conflict holds and how they read.
Budget: about 5 s.
"""

from __future__ import annotations

import copy
from typing import Any

import highspy
import numpy as np
import pytest

from optimizer.insight import diagnosis
from optimizer.insight.constraint_words import IDENTITIES, block_limits
from optimizer.insight.diagnosis import diagnose
from optimizer.model import highs_backend as backend
from optimizer.model.build import build_model
from optimizer.model.indexing import ScenarioIndex
from optimizer.options import SolveOptions
from optimizer.scenario.loading import load_scenario
from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.schema import Scenario
from tests.paths import INSTANCES
from tests.random_scenarios import random_scenario
from tests.tiny import demand, plant, scenario, solve_doc, supplier

Key = tuple[str, str | None, str | None]


def holds_with(sc: Scenario, members: set[Key]) -> bool:
    """Whether a plan exists when, of all the scenario's limits, only `members` hold."""
    ix = ScenarioIndex(sc)
    no_lead = [s.model_copy(update={"lead_time": 0}) for s in sc.suppliers]
    m, _ = build_model(sc.model_copy(update={"suppliers": no_lead}))
    for block in m.constraints.values():
        if block.name in IDENTITIES:
            continue
        for i, lim in enumerate(block_limits(block, ix)):
            if (lim.constraint, lim.id, lim.period) not in members:
                block.lower[i], block.upper[i] = -np.inf, np.inf
    buy = m.variables["buy"]
    for c, (s, t) in enumerate(zip(buy.index["supplier"], buy.index["period"], strict=True)):
        if t < ix.lead_time[s] and ("lead_time", ix.supplier_ids[s], ix.periods[t]) in members:
            buy.upper[c] = 0.0
    for b in m.variables.values():
        b.cost[:] = 0.0
    if m.num_cols == 0:
        lower, upper = m.row_bounds()
        return bool(np.all(lower <= 0) and np.all(upper >= 0))
    h = backend.new_highs(SolveOptions())
    backend.pass_model(h, m)
    h.run()
    return bool(h.getModelStatus() == highspy.HighsModelStatus.kOptimal)


def assert_irreducible_conflict(sc: Scenario, result: dict[str, Any]) -> set[Key]:
    assert result["irreducible"] is True
    members = {(r["constraint"], r["id"], r["period"]) for r in result["conflict"]}
    assert len(members) == len(result["conflict"]) > 0
    assert not holds_with(sc, members)
    for member in members:
        assert holds_with(sc, members - {member}), member
    return members


def diagnosed(doc: dict[str, Any]) -> tuple[set[Key], dict[Key, str]]:
    sc = parse_scenario(doc)
    assert solve_doc(doc)["status"] == "infeasible"
    result = diagnose(sc)
    members = assert_irreducible_conflict(sc, result)
    return members, {(r["constraint"], r["id"], r["period"]): r["text"] for r in result["conflict"]}


def stocked(**fields: Any) -> list[dict[str, Any]]:
    return [{"id": "p", "min_inventory": 80.0, **fields}]


# -- the shipped infeasible scenario ------------------------------------------------------
def test_shipped_infeasible_scenario_names_the_smco_squeeze_of_2025_q3():
    """700 kg initial + IREL 750 + Japan 800 < 5,000 kg, with Chinese SmCo two quarters out."""
    sc = load_scenario(INSTANCES / "india-2025-infeasible.json")
    result = diagnose(sc)
    members = assert_irreducible_conflict(sc, result)
    assert members == {
        ("safety_stock", "smco", "2025-Q3"),
        ("plant_capacity", "irel_vizag", "2025-Q3"),
        ("supplier_capacity", "jp_smco", "2025-Q3"),
        ("lead_time", "cn_hangzhou_smco", "2025-Q3"),
    }
    text = {r["constraint"]: r["text"] for r in result["conflict"]}
    assert text["safety_stock"] == "safety stock of smco: 5,000 kg at the end of 2025-Q3"
    assert text["plant_capacity"] == "capacity of irel_vizag: 750 kg in 2025-Q3"
    assert text["supplier_capacity"] == "capacity of jp_smco: 800 kg in 2025-Q3"
    assert (
        text["lead_time"]
        == "cn_hangzhou_smco cannot deliver in 2025-Q3: its lead time is 2 periods"
    )


# -- hand-made LPs, one family each -------------------------------------------------------
def test_safety_stock_beyond_capacity():
    doc = scenario(products=stocked(), suppliers=[supplier("jp", "JP", 10.0, 50.0)])
    members, _ = diagnosed(doc)
    assert members == {("safety_stock", "p", "t0"), ("supplier_capacity", "jp", "t0")}


def test_budget_too_small_for_the_safety_stock():
    """80 kg at 10/kg is 800 against a budget of 500."""
    doc = scenario(
        products=stocked(), suppliers=[supplier("jp", "JP", 10.0)], policy={"budget": 500.0}
    )
    members, text = diagnosed(doc)
    assert members == {("safety_stock", "p", "t0"), ("budget", None, "t0")}
    assert text["budget", None, "t0"] == "budget: 500 USD in t0"


def test_supplier_share_with_a_single_supplier_allows_no_delivery():
    """jp may deliver at most half of all deliveries of p, which are jp's own: none."""
    doc = scenario(
        products=stocked(),
        suppliers=[supplier("jp", "JP", 10.0)],
        policy={"max_supplier_share": 0.5},
    )
    members, text = diagnosed(doc)
    assert members == {("safety_stock", "p", "t0"), ("supplier_share", "jp/p", None)}
    assert (
        text["supplier_share", "jp/p", None]
        == "jp: at most 50 % of all deliveries of p over the horizon"
    )


def test_licence_quantity_short_of_the_safety_stock():
    """Both halves of §3.4 are needed: deliveries count against a licence, which has 20 kg."""
    sup = [supplier("cn", "CN", 10.0, licence_required=True)]
    lic = [{"id": "L1", "suppliers": ["cn"], "quantity": 20.0}]
    members, text = diagnosed(scenario(products=stocked(), suppliers=sup, licences=lic))
    assert members == {
        ("safety_stock", "p", "t0"),
        ("licence", "L1", None),
        ("licence_required", "cn/p", "t0"),
    }
    assert text["licence", "L1", None] == "licence L1: 20 kg in all"
    assert text["licence_required", "cn/p", "t0"] == "cn delivers p in t0 only under licence L1"


def test_no_licence_covering_the_period():
    sup = [supplier("cn", "CN", 10.0, licence_required=True)]
    members, text = diagnosed(scenario(products=stocked(), suppliers=sup))
    assert members == {("safety_stock", "p", "t0"), ("licence_required", "cn/p", "t0")}
    assert text["licence_required", "cn/p", "t0"] == (
        "cn delivers p only under a licence, and no licence covers t0"
    )


def test_lead_time_and_origin_share():
    """t0: jp's lead time shuts it; cn alone may supply at most 40 % of all supply."""
    sup = [supplier("cn", "CN", 10.0), supplier("jp", "JP", 12.0, lead_time=1)]
    doc = scenario(
        periods=2, products=stocked(), suppliers=sup, policy={"max_origin_share": {"CN": 0.4}}
    )
    members, text = diagnosed(doc)
    assert members == {
        ("safety_stock", "p", "t0"),
        ("lead_time", "jp", "t0"),
        ("origin_share", "CN", "t0"),
    }
    assert text["origin_share", "CN", "t0"] == "origin CN: at most 40 % of all supply in t0"


def test_nothing_offers_the_product():
    """No column at all: the safety stock alone cannot hold."""
    members, _ = diagnosed(scenario(products=stocked()))
    assert members == {("safety_stock", "p", "t0")}


# -- MILPs --------------------------------------------------------------------------------
def test_minimum_order_over_budget_needs_the_milp_to_show():
    """30 kg of safety stock, but jp sells at least 100 kg at 10/kg = 1000 > 500 budget.
    The LP relaxation (order = 0.3) is feasible, so the elastic filter runs on the MILP.
    The capacity is a member too: it is what allows deliveries only with an order."""
    sup = [supplier("jp", "JP", 10.0, min_order=100.0)]
    doc = scenario(products=stocked(min_inventory=30.0), suppliers=sup, policy={"budget": 500.0})
    assert diagnosis.highs_iis(*_iis_args(doc)) is None  # the relaxation has a solution
    members, text = diagnosed(doc)
    assert members == {
        ("safety_stock", "p", "t0"),
        ("budget", None, "t0"),
        ("min_order", "jp", "t0"),
        ("supplier_capacity", "jp", "t0"),
    }
    assert (
        text["min_order", "jp", "t0"] == "minimum order of jp: 100 kg in t0 if it delivers at all"
    )
    assert text["supplier_capacity", "jp", "t0"] == (
        "capacity of jp: 1,000 kg in t0, only in a period with an order"
    )


def _iis_args(doc: dict[str, Any]) -> tuple[Any, ...]:
    m, _, members = diagnosis.diagnosis_model(parse_scenario(doc))
    return m, members, SolveOptions(), None


def test_candidate_plant_cannot_produce_in_time():
    k = plant("k", "IN", 5.0, 500.0, existing=False, build_cost=100.0, build_lead=1)
    members, text = diagnosed(scenario(periods=2, products=stocked(), plants=[k]))
    assert members == {("safety_stock", "p", "t0"), ("plant_capacity", "k", "t0")}
    assert text["plant_capacity", "k", "t0"] == (
        "capacity of k in t0: none, since a plant built from t0 on with a build lead of 1 "
        "cannot produce by then"
    )


# -- random scenarios made infeasible -------------------------------------------------------
def unreachable_safety_stock(seed: int, milp: bool) -> dict[str, Any]:
    doc = random_scenario(seed, milp=milp)
    doc["products"][0]["min_inventory"] = 900.0
    return doc


@pytest.mark.parametrize("milp", [False, True], ids=["lp", "milp"])
@pytest.mark.parametrize("seed", range(5))
def test_random_conflicts_are_irreducible(seed: int, milp: bool) -> None:
    doc = unreachable_safety_stock(seed, milp)
    sc = parse_scenario(doc)
    assert solve_doc(doc)["status"] == "infeasible"
    members = assert_irreducible_conflict(sc, diagnose(sc))
    assert ("safety_stock", "p0", None) not in members  # members carry their period
    assert any(c == "safety_stock" for c, _, _ in members)


@pytest.mark.parametrize("seed", range(4))
def test_elastic_filter_alone_also_gives_irreducible_conflicts(seed, monkeypatch):
    monkeypatch.setattr(diagnosis, "highs_iis", lambda *args: None)
    sc = parse_scenario(unreachable_safety_stock(seed, milp=seed % 2 == 1))
    assert_irreducible_conflict(sc, diagnose(sc))


def test_a_feasible_scenario_has_no_conflict():
    doc = scenario(suppliers=[supplier("jp", "JP", 10.0)], demand=demand(50.0))
    assert diagnose(parse_scenario(doc)) == {"conflict": [], "irreducible": True}


def test_a_time_limit_too_short_to_tell_says_so():
    doc = copy.deepcopy(unreachable_safety_stock(0, milp=False))
    result = diagnose(parse_scenario(doc), SolveOptions(time_limit=1e-9))
    assert result == {"conflict": [], "irreducible": False}


def test_both_ways_of_finding_a_first_conflict_work_on_the_shipped_scenario():
    """HiGHS's IIS is already irreducible here; the elastic filter's set cannot hold."""
    sc = load_scenario(INSTANCES / "india-2025-infeasible.json")
    m, _, members = diagnosis.diagnosis_model(sc)
    names = {(lim.constraint, lim.id, lim.period) for lim in members.limits}
    for find in (diagnosis.highs_iis, diagnosis.elastic_filter):
        found = find(m, members, SolveOptions(), None)
        assert found is not None
        chosen = {
            (members.limits[g].constraint, members.limits[g].id, members.limits[g].period)
            for g in found
        }
        assert chosen <= names and not holds_with(sc, chosen)
        if find is diagnosis.highs_iis:
            assert ("lead_time", "cn_hangzhou_smco", "2025-Q3") in chosen
            assert len(chosen) == 4


class ToyOracle:
    """Infeasible exactly when members 1 and 3 both hold; no answer once `unknown` is dropped."""

    def __init__(self, unknown: int | None = None):
        self.unknown = unknown

    def holds(self, enforced: np.ndarray) -> bool | None:
        if self.unknown is not None and not enforced[self.unknown]:
            return None
        return not (enforced[1] and enforced[3])


def test_deletion_filter_keeps_exactly_the_needed_members_and_those_it_could_not_test():
    oracle: Any = ToyOracle()
    assert diagnosis.deletion_filter(oracle, np.arange(5), 5) == ([1, 3], True)
    oracle = ToyOracle(unknown=2)
    assert diagnosis.deletion_filter(oracle, np.arange(5), 5) == ([1, 2, 3], False)
