"""One name per constraint family (docs/model-notes.md), checked on a scenario that uses
every family: the row block that build_model makes, its builder `add_<name>`, the Pyomo
reference model's Constraint `<name>` (made by its own `add_<name>`), the words table of
optimizer/insight, and the `constraint` word the API reports all carry the same name.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

import pyomo.environ as pyo
import pytest

from optimizer.insight import explain
from optimizer.insight.constraint_words import IDENTITIES, LIMITS, block_limits, row_text
from optimizer.insight.explain import explain_plan
from optimizer.model import constraints_flow, constraints_policy, constraints_rules, pyomo_model
from optimizer.model.build import build_model
from optimizer.model.constraints_flow import GATES
from optimizer.model.export import model_names
from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import LinearModel
from optimizer.model.pyomo_model import build_pyomo_model
from optimizer.scenario.parsing import parse_scenario
from tests.reported_values import FAMILIES as API_WORDS
from tests.tiny import demand, plant, scenario, solve_doc, supplier

# Row blocks the Pyomo reference has no Constraint for: it writes Σ_{s,t} buy[s,p,t] inline
# where the array build keeps a supply_total column and its defining rows.
ARRAY_ONLY = {"supply_total"}
PYOMO_NOT_FAMILIES = {"add_sets", "add_data", "add_variables", "add_objective"}


def every_family() -> dict[str, Any]:
    """cn: fixed cost, licence required (L1); jp: minimum order and a quantity discount;
    vn: awaiting qualification. k1 exists and earns an incentive, k2 is a candidate.
    Safety stock, origin and supplier shares under 1 (CN's a soft cap), a budget, a cap
    on p's suppliers and a service level (MODEL.md §7)."""
    doc = scenario(
        2,
        products=[{"id": "p", "min_inventory": 5.0, "initial_inventory": {"VN": 10.0}}],
        suppliers=[
            supplier("cn", "CN", 10.0, 40.0, fixed_cost=100.0, licence_required=True),
            supplier("jp", "JP", 12.0, 40.0, min_order=10.0),
            supplier("vn", "VN", 15.0, 40.0),
        ],
        licences=[{"id": "L1", "suppliers": ["cn"], "quantity": 60.0}],
        plants=[
            plant("k1", "IN", 9.0, 20.0, incentive=1.0),
            plant("k2", "IN", 8.0, 30.0, existing=False, build_cost=500.0),
        ],
        demand=demand(50.0, 50.0),
    )
    doc["suppliers"][1]["offers"][0]["discounts"] = [{"min_kg": 30.0, "price": 11.0}]
    doc["suppliers"][2]["qualification"] = {"cost": 50.0, "lead": 1}
    doc["sectors"][0]["min_service"] = 0.9
    doc["policy"] = {
        "max_origin_share": {"CN": 0.6}, "max_supplier_share": 0.9, "budget": 1e5,
        "max_suppliers": {"p": 2}, "origin_share_penalty": {"CN": 5.0},
    }  # fmt: skip
    return doc


@pytest.fixture(scope="module")
def built() -> tuple[LinearModel, ScenarioIndex]:
    return build_model(parse_scenario(every_family()))


@pytest.fixture(scope="module")
def blocks(built: tuple[LinearModel, ScenarioIndex]) -> set[str]:
    return set(built[0].constraints)


def _builders(*modules: ModuleType) -> set[str]:
    return {
        name
        for module in modules
        for name, f in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("add_") and f.__module__ == module.__name__
    }


def test_the_scenario_uses_every_family(built: tuple[LinearModel, ScenarioIndex]) -> None:
    empty = [b.name for b in built[0].constraints.values() if b.size == 0]
    assert empty == []


def test_every_row_block_has_its_one_builder(blocks: set[str]) -> None:
    modules = (constraints_flow, constraints_policy, constraints_rules)
    assert _builders(*modules) == {f"add_{b}" for b in blocks}
    flow, policy, rules = (_builders(module) for module in modules)
    assert flow.isdisjoint(policy) and rules.isdisjoint(flow | policy)


def test_every_row_block_is_a_pyomo_constraint_of_the_same_name(blocks: set[str]) -> None:
    model = build_pyomo_model(parse_scenario(every_family()))
    components = {c.local_name: c for c in model.component_objects(pyo.Constraint)}
    assert set(components) == blocks - ARRAY_ONLY
    assert [name for name, c in components.items() if len(c) == 0] == []
    assert _builders(pyomo_model) - PYOMO_NOT_FAMILIES == {f"add_{c}" for c in components}
    assert list(model.capacity_gates) == list(GATES)


def test_every_row_block_is_in_the_words_table_or_an_identity(
    built: tuple[LinearModel, ScenarioIndex], blocks: set[str]
) -> None:
    assert set(LIMITS).isdisjoint(IDENTITIES)
    assert set(LIMITS) | set(IDENTITIES) == blocks
    m, ix = built
    for block in m.constraints.values():
        if block.name in IDENTITIES:
            continue
        assert {limit.constraint for limit in block_limits(block, ix)} == {block.name}
        assert row_text(block, block.size - 1, ix)  # every family has its sentence


def test_row_names_begin_with_their_family(built: tuple[LinearModel, ScenarioIndex]) -> None:
    m, ix = built
    _, rows = model_names(m, ix)
    families = [b.name for b in m.constraints.values() for _ in range(b.size)]
    assert [r.split("(")[0] for r in rows] == families


def test_api_words_are_row_block_names(blocks: set[str]) -> None:
    assert explain.FAMILIES == API_WORDS
    assert set(API_WORDS) <= blocks
    doc = every_family()
    found = explain_plan(parse_scenario(doc), solve_doc(doc))["marginal_values"]
    assert found and {r["constraint"] for r in found} <= blocks
