"""Builds the model of MODEL.md §3 from a scenario, family by family, as arrays.

Each constraint family has one name, used alike for its builder `add_<name>`, its row
block, the Pyomo reference model's component and the words of `optimizer/insight`
(docs/model-notes.md, "One name per constraint family").
"""

from __future__ import annotations

from optimizer.model import constraints_flow as flow
from optimizer.model import constraints_policy as policy
from optimizer.model import constraints_rules as rules
from optimizer.model import variables as var
from optimizer.model.indexing import ScenarioIndex
from optimizer.model.lp import LinearModel
from optimizer.scenario.schema import Scenario


def build_model(scenario: Scenario) -> tuple[LinearModel, ScenarioIndex]:
    ix = ScenarioIndex(scenario)
    m = LinearModel()
    v = {
        "buy": var.add_buy(m, ix),
        "make": var.add_make(m, ix),
        "use": var.add_use(m, ix),
        "inv": var.add_inventory(m, ix),
        "short": var.add_shortage(m, ix),
    }
    v["lic"] = var.add_licence_use(m, ix, v["buy"])
    v["active"] = var.add_active(m, ix)
    v["order"] = var.add_order(m, ix)
    v["build"] = var.add_build(m, ix)
    v["subsidy"] = var.add_subsidy(m, ix)
    v["supply_total"] = var.add_supply_total(m, ix)
    v["q"] = var.add_bracket_buy(m, ix, v["buy"])  # MODEL.md §7: none without the rules
    v["y"] = var.add_bracket_choice(m, ix, v["q"])
    v["u"] = var.add_selected(m, ix)
    v["qual"] = var.add_qualification(m, ix)
    v["excess"] = var.add_excess(m, ix)

    flow.add_stock_balance(m, ix, v)
    flow.add_demand(m, ix, v)
    flow.add_supplier_capacity(m, ix, v)
    flow.add_min_order(m, ix, v)
    flow.add_plant_capacity(m, ix, v)
    flow.add_build_once(m, ix, v)
    policy.add_licence_required(m, ix, v)
    policy.add_licence(m, ix, v)
    policy.add_origin_share(m, ix, v)
    policy.add_supply_total(m, ix, v)
    policy.add_supplier_share(m, ix, v)
    policy.add_safety_stock(m, ix, v)
    policy.add_budget(m, ix, v)
    policy.add_subsidy_limit(m, ix, v)
    rules.add_discount_split(m, ix, v)
    rules.add_discount_choice(m, ix, v)
    rules.add_discount_floor(m, ix, v)
    rules.add_discount_ceiling(m, ix, v)
    rules.add_supplier_selection(m, ix, v)
    rules.add_max_suppliers(m, ix, v)
    rules.add_qualified_supply(m, ix, v)
    rules.add_qualify_once(m, ix, v)
    rules.add_min_service(m, ix, v)
    return m, ix
