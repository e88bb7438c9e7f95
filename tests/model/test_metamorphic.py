"""Metamorphic properties: how the optimum must move when a scenario changes a known way.

None of these needs the optimum of any scenario to be known: each compares the
optimizer with itself on a scenario and a transformed copy. Objectives are compared
to a relative 1e-6 (MODEL.md, top) widened by the MIP gaps both plans report, since a
MILP's reported objective may lie that far above its optimum.
"""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from tests.plan_checker import check_plan
from tests.random_scenarios import random_scenario

METAMORPHIC = settings(max_examples=80, deadline=None, derandomize=True, database=None)
SEEDS = st.integers(0, 2**32 - 1)
REL = 1e-6
MONEY = {"price", "fixed_cost", "build_cost", "holding_cost", "shortage_penalty", "freight"}
MONEY |= {"incentive", "incentive_cap", "budget"}


def solve_document(document: dict[str, Any]) -> dict[str, Any]:
    return solve(parse_scenario(document))


def slack(a: dict[str, Any], b: dict[str, Any]) -> float:
    """How far two optimal objectives may differ through solver tolerance and MIP gaps."""
    gaps = (a.get("mip_gap") or 0.0) + (b.get("mip_gap") or 0.0)
    return (REL + gaps) * max(1.0, abs(a["objective"]), abs(b["objective"]))


def per_period(value: float | list[float], factor: float) -> float | list[float]:
    return [v * factor for v in value] if isinstance(value, list) else value * factor


# -- (a) less capacity never lowers the cost --------------------------------------------------
def shrink_capacity(document: dict[str, Any], factor: float) -> dict[str, Any]:
    out = copy.deepcopy(document)
    for owner in out["suppliers"] + out["plants"]:
        owner["capacity"] = per_period(owner["capacity"], factor)
    return out


@METAMORPHIC
@given(SEEDS, st.booleans(), st.floats(0.05, 0.95))
def test_less_capacity_never_lowers_cost(seed: int, milp: bool, factor: float) -> None:
    document = random_scenario(seed, milp)
    before = solve_document(document)
    after = solve_document(shrink_capacity(document, factor))
    if before["status"] == "infeasible":  # every capacity is an upper bound: no way back
        assert after["status"] == "infeasible"
    elif after["status"] == "optimal":
        assert before["status"] == "optimal"
        assert after["objective"] >= before["objective"] - slack(before, after)
    else:
        assert after["status"] == "infeasible"


# -- (b) money in another unit scales the objective ------------------------------------------
def scale_money(node: Any, k: float) -> Any:
    """Every amount of money times k, wherever it sits; rates and indices unchanged."""
    if isinstance(node, list):
        return [scale_money(item, k) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: per_period(value, k) if key in MONEY and value is not None else scale_money(value, k)
        for key, value in node.items()
    }


@METAMORPHIC
@given(SEEDS, st.booleans(), st.sampled_from([0.01, 0.25, 3.0, 7.5, 1000.0]))
def test_scaling_money_scales_objective(seed: int, milp: bool, k: float) -> None:
    document = random_scenario(seed, milp)
    before = solve_document(document)
    after = solve_document(scale_money(document, k))
    assert after["status"] == before["status"]
    if before["status"] == "optimal":
        scaled = dict(before, objective=k * before["objective"])
        assert abs(after["objective"] - scaled["objective"]) <= slack(scaled, after)


def test_scale_money_touches_only_money() -> None:
    document = random_scenario(7, milp=True)
    scaled = scale_money(document, 2.0)
    assert [c["tariff"] for c in scaled["countries"]] == [
        c["tariff"] for c in document["countries"]
    ]
    assert [s.get("price_index") for s in scaled["suppliers"]] == [
        s.get("price_index") for s in document["suppliers"]
    ]
    assert [s["capacity"] for s in scaled["suppliers"]] == [
        s["capacity"] for s in document["suppliers"]
    ]
    prices = [o["price"] for s in document["suppliers"] for o in s["offers"]]
    assert [o["price"] for s in scaled["suppliers"] for o in s["offers"]] == [2 * p for p in prices]


# -- (c) names and list order carry no meaning -------------------------------------------------
def relabel(document: dict[str, Any], r: random.Random) -> dict[str, Any]:
    """Every id, period label and tag renamed by a bijection; every list but periods shuffled."""
    kinds = ("products", "sectors", "countries", "suppliers", "licences", "plants")
    ids = {kind: [item["id"] for item in document.get(kind, [])] for kind in kinds}
    ids["periods"] = list(document["periods"])
    ids["tags"] = sorted(
        {t for e in document["sectors"] for t in e.get("tags", [])}
        | {t for c in document["countries"] for t in c.get("restricted_end_uses", [])}
    )
    new = {
        kind: dict(
            zip(old, [f"{kind[:3]}-{n}" for n in r.sample(range(10**6), len(old))], strict=True)
        )
        for kind, old in ids.items()
    }
    return _rename(document, new, r)


def _shuffled(items: list[Any], r: random.Random) -> list[Any]:
    out = list(items)
    r.shuffle(out)
    return out


def _rename(
    doc: dict[str, Any], new: dict[str, dict[str, str]], r: random.Random
) -> dict[str, Any]:
    P, E, C, T = new["products"], new["sectors"], new["countries"], new["periods"]

    def each(kind: str, rename: Any) -> list[dict[str, Any]]:
        return _shuffled([rename(dict(item, id=new[kind][item["id"]])) for item in doc[kind]], r)

    def names(values: list[str], kind: str) -> list[str]:
        return _shuffled([new[kind][v] for v in values], r)

    def owner(item: dict[str, Any]) -> dict[str, Any]:
        item["offers"] = _shuffled(
            [dict(o, product=P[o["product"]]) for o in item.get("offers", [])], r
        )
        item.update({f: C[item[f]] for f in ("country", "origin") if f in item})
        return item

    def product(item: dict[str, Any]) -> dict[str, Any]:
        return dict(item, initial_inventory=_keys(item.get("initial_inventory", {}), C, r))

    out = copy.deepcopy(doc)
    out["periods"] = [T[t] for t in doc["periods"]]  # relabelled, never reordered: time
    out["products"] = each("products", product)
    out["sectors"] = each("sectors", lambda e: dict(e, tags=names(e.get("tags", []), "tags")))
    out["countries"] = each(
        "countries",
        lambda c: dict(c, restricted_end_uses=names(c.get("restricted_end_uses", []), "tags")),
    )
    out["suppliers"], out["plants"] = each("suppliers", owner), each("plants", owner)
    out["licences"] = each("licences", lambda lic: _rename_licence(lic, new, r))
    out["demand"] = _shuffled(
        [
            dict(d, product=P[d["product"]], sector=E[d["sector"]], period=T[d["period"]])
            for d in doc["demand"]
        ],
        r,
    )
    if "max_origin_share" in doc["policy"]:
        out["policy"]["max_origin_share"] = _keys(doc["policy"]["max_origin_share"], C, r)
    return out


def _keys(d: dict[str, float], names: dict[str, str], r: random.Random) -> dict[str, float]:
    """A mapping with its keys renamed, in shuffled order."""
    return {names[key]: d[key] for key in _shuffled(list(d), r)}


def _rename_licence(
    lic: dict[str, Any], new: dict[str, dict[str, str]], r: random.Random
) -> dict[str, Any]:
    out = dict(lic)
    out["suppliers"] = _shuffled([new["suppliers"][s] for s in lic["suppliers"]], r)
    for field, kind in (("periods", "periods"), ("products", "products")):
        if field in lic:
            out[field] = _shuffled([new[kind][v] for v in lic[field]], r)
    return out


@METAMORPHIC
@given(SEEDS, st.booleans(), st.integers(0, 2**32 - 1))
def test_renaming_and_reordering_change_nothing(seed: int, milp: bool, shuffle_seed: int) -> None:
    document = random_scenario(seed, milp)
    renamed = relabel(document, random.Random(shuffle_seed))
    before, after = solve_document(document), solve_document(renamed)
    assert after["status"] == before["status"]
    if before["status"] == "optimal":
        assert abs(after["objective"] - before["objective"]) <= slack(before, after)
        assert check_plan(renamed, after) == []


def test_relabel_renames_every_id() -> None:
    document = random_scenario(11, milp=True, periods=3)
    renamed = relabel(document, random.Random(0))
    kinds = ("products", "sectors", "countries", "suppliers", "licences", "plants")
    old = {item["id"] for kind in kinds for item in document[kind]} | set(document["periods"])
    old |= {tag for e in document["sectors"] for tag in e["tags"]}
    text = repr(renamed)
    assert old and not [i for i in old if repr(i) in text]
    assert len(renamed["periods"]) == len(document["periods"])


# -- (d) more demand never lowers the cost, but for stock it frees from holding --------------
# Extra demand can consume stock that would otherwise be held: with holding costs, it may
# lower the cost, by at most holding_cost × extra for every period from its own to the
# end (take the new plan, serve the extra kg from nothing, hold them instead). Half the
# examples drop holding costs, where the cost may not fall at all.
@METAMORPHIC
@given(SEEDS, st.booleans(), st.integers(0, 2**32 - 1), st.floats(0.5, 200.0), st.booleans())
def test_more_demand_never_lowers_cost(
    seed: int, milp: bool, pick: int, extra: float, holding: bool
) -> None:
    document = random_scenario(seed, milp)
    if not holding:
        for product in document["products"]:
            product["holding_cost"] = 0.0
    r = random.Random(pick)
    p, e = r.choice(document["products"]), r.choice(document["sectors"])
    t = r.randrange(len(document["periods"]))
    grown = add_demand(document, p["id"], e["id"], document["periods"][t], extra)
    before, after = solve_document(document), solve_document(grown)
    assert after["status"] == before["status"]  # extra demand can always go short
    if before["status"] == "optimal":
        freed = extra * p["holding_cost"] * (len(document["periods"]) - t)
        assert after["objective"] >= before["objective"] - freed - slack(before, after)
        # ...and going short is one way to meet it, so it costs at most that much more.
        short = extra * e["shortage_penalty"]
        assert after["objective"] <= before["objective"] + short + slack(before, after)


def add_demand(document: dict[str, Any], p: str, e: str, t: str, kg: float) -> dict[str, Any]:
    out = copy.deepcopy(document)
    rows = [d for d in out["demand"] if (d["product"], d["sector"], d["period"]) == (p, e, t)]
    if rows:
        rows[0]["quantity"] += kg
    else:
        out["demand"].append({"product": p, "sector": e, "period": t, "quantity": kg})
    return out


def test_more_demand_may_lower_cost_through_holding() -> None:
    # One period; nothing demands p1, so its 24.7 kg of initial stock (origin C1, allowed
    # for every sector) is held at 0.99 per kg. A first kg of p1 demand is served from that
    # stock rather than bought or left short, and saves its holding cost.
    document = random_scenario(2618644936, milp=True)
    p1 = document["products"][1]
    assert (p1["initial_inventory"], p1["holding_cost"]) == ({"C1": 24.7}, 0.99)
    assert document["periods"] == ["t0"] and all(d["product"] != "p1" for d in document["demand"])
    before = solve_document(document)
    after = solve_document(add_demand(document, "p1", "e1", "t0", 1.0))
    assert after["objective"] == pytest.approx(before["objective"] - 0.99, rel=1e-9)


# -- (e) more licence quantity never raises the cost -------------------------------------------
LICENCES = settings(METAMORPHIC, max_examples=120)


@LICENCES
@given(SEEDS, st.booleans(), st.floats(0.0, 1.0), st.floats(1.0, 300.0), st.booleans())
def test_more_licence_never_raises_cost(
    seed: int, milp: bool, tight: float, extra: float, new_licence: bool
) -> None:
    document = random_scenario(seed, milp)
    for lic in document["licences"]:  # tighter licences first, so that more often they bind
        lic["quantity"] = round(lic["quantity"] * tight, 1)
    loosened = copy.deepcopy(document)
    for lic in loosened["licences"]:
        lic["quantity"] += extra
    if new_licence:
        everyone = [s["id"] for s in loosened["suppliers"]]
        loosened["licences"].append(
            {"id": "extra-licence", "suppliers": everyone, "quantity": extra}
        )
    before, after = solve_document(document), solve_document(loosened)
    if before["status"] == "optimal":  # the old plan still keeps every rule
        assert after["status"] == "optimal"
        assert after["objective"] <= before["objective"] + slack(before, after)
