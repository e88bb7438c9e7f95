"""Seeded random scenarios for property, metamorphic and cross-formulation tests.

Small enough that HiGHS solves each in milliseconds, yet every field of MODEL.md §1
shows up: origins differing from shipping countries, end-use bans, lead times,
licences with partial cover, candidate plants, incentives, shares and budgets.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import strategies as st

TAGS = ["defence", "us_reexport"]


def random_scenario(
    seed: int, milp: bool = False, periods: int | None = None, rules: bool = False
) -> dict[str, Any]:
    """A valid scenario document; `milp` adds fixed costs, minimum orders and candidate plants,
    `rules` the sourcing rules of MODEL.md §7 on top (drawn from a generator of their own,
    so that the rest of a seed's scenario is the same with or without them)."""
    r = random.Random(seed)
    T = periods or r.randint(1, 4)
    per = [f"t{i}" for i in range(T)]
    products = [_product(r, i, T) for i in range(r.randint(1, 3))]
    sectors = [
        {
            "id": f"e{i}",
            "tags": r.sample(TAGS, r.randint(0, 1)),
            "shortage_penalty": round(r.uniform(50, 400), 2),
        }
        for i in range(r.randint(1, 3))
    ]
    countries = [_country(r, i) for i in range(r.randint(2, 4))]
    cids = [c["id"] for c in countries]
    pids = [p["id"] for p in products]
    for p in products:
        if r.random() < 0.4:
            p["initial_inventory"] = {r.choice(cids): round(r.uniform(0, 60), 1)}
    suppliers = [_supplier(r, i, T, cids, pids, milp) for i in range(r.randint(1, 5))]
    plants = [_plant(r, i, T, cids, pids, milp) for i in range(r.randint(0, 2))]
    licences = _licences(r, suppliers, pids, per)
    demand = [
        {"product": p, "sector": e["id"], "period": t, "quantity": round(r.uniform(0, 120), 1)}
        for p in pids for e in sectors for t in per if r.random() < 0.7
    ]  # fmt: skip
    policy: dict[str, Any] = {}
    if r.random() < 0.4:
        policy["max_origin_share"] = {r.choice(cids): round(r.uniform(0.3, 1.0), 3)}
    if r.random() < 0.3:
        policy["max_supplier_share"] = round(r.uniform(0.4, 1.0), 3)
    if r.random() < 0.3:
        policy["budget"] = (
            round(r.uniform(2000, 30000), 0)
            if r.random() < 0.5
            else [round(r.uniform(2000, 30000), 0) for _ in per]
        )
    document = {
        "name": f"random seed={seed}{' milp' if milp else ''}",
        "periods": per, "products": products, "sectors": sectors, "countries": countries,
        "suppliers": suppliers, "licences": licences, "plants": plants, "demand": demand,
        "policy": policy,
    }  # fmt: skip
    if rules:
        add_rules(random.Random(f"rules {seed}"), document)
        document["name"] += " rules"
    return document


def add_rules(r: random.Random, document: dict[str, Any]) -> None:
    """Quantity discounts, caps on the number of suppliers, qualifications, service levels
    and soft origin caps (MODEL.md §7), each where a draw says so."""
    for s in document["suppliers"]:
        for offer in s["offers"]:
            if r.random() < 0.5:
                offer["discounts"] = _discounts(r, offer["price"])
        if r.random() < 0.35:
            s["qualification"] = {"cost": round(r.uniform(0, 1500), 0), "lead": r.randint(0, 2)}
    for e in document["sectors"]:
        if r.random() < 0.35:
            e["min_service"] = round(r.uniform(0.1, 0.6), 2)
    policy = document["policy"]
    pids = [p["id"] for p in document["products"]]
    if r.random() < 0.5:
        policy["max_suppliers"] = {
            p: r.randint(0, 2) for p in r.sample(pids, r.randint(1, len(pids)))
        }
    caps = policy.get("max_origin_share", {})
    if caps and r.random() < 0.7:
        policy["origin_share_penalty"] = {o: round(r.uniform(0, 40), 2) for o in caps}
    elif r.random() < 0.4:  # a soft cap where the scenario had none
        origin = r.choice([c["id"] for c in document["countries"]])
        policy["max_origin_share"] = {origin: round(r.uniform(0.2, 0.8), 3)}
        policy["origin_share_penalty"] = {origin: round(r.uniform(0, 40), 2)}


def _discounts(r: random.Random, price: float) -> list[dict[str, Any]]:
    out, kg = [], 0.0
    for _ in range(r.randint(1, 2)):
        kg += round(r.uniform(10, 90), 0)
        price = round(price * r.uniform(0.75, 0.97), 2)
        out.append({"min_kg": kg, "price": price})
    return out


def _product(r: random.Random, i: int, T: int) -> dict[str, Any]:
    p: dict[str, Any] = {"id": f"p{i}", "holding_cost": round(r.uniform(0, 2), 2)}
    if r.random() < 0.25:
        p["min_inventory"] = round(r.uniform(0, 30), 1)
    return p


def _country(r: random.Random, i: int) -> dict[str, Any]:
    return {
        "id": f"C{i}",
        "tariff": round(r.choice([0, 0.05, 0.075, 0.2]), 3),
        "freight": round(r.uniform(0, 3), 2),
        "restricted_end_uses": r.sample(TAGS, r.randint(0, 2)) if i == 0 else [],
    }


def _per_period(r: random.Random, T: int, lo: float, hi: float) -> float | list[float]:
    if r.random() < 0.5:
        return round(r.uniform(lo, hi), 1)
    return [round(r.uniform(lo, hi), 1) for _ in range(T)]


def _offers(r: random.Random, pids: list[str], lo: float, hi: float) -> list[dict[str, Any]]:
    chosen = r.sample(pids, r.randint(1, len(pids)))
    return [{"product": p, "price": round(r.uniform(lo, hi), 2)} for p in chosen]


def _supplier(
    r: random.Random, i: int, T: int, cids: list[str], pids: list[str], milp: bool
) -> dict[str, Any]:
    country = r.choice(cids)
    s: dict[str, Any] = {
        "id": f"s{i}", "country": country, "capacity": _per_period(r, T, 20, 200),
        "lead_time": r.choice([0, 0, 0, 1, 2]), "offers": _offers(r, pids, 10, 80),
    }  # fmt: skip
    if r.random() < 0.3:
        s["origin"] = r.choice(cids)
    if r.random() < 0.3:
        s["price_index"] = _per_period(r, T, 0.8, 1.3)
    if country == cids[0] and r.random() < 0.7:
        s["licence_required"] = True
    if milp and r.random() < 0.4:
        s["fixed_cost"] = round(r.uniform(100, 3000), 0)
    if milp and r.random() < 0.4:
        s["min_order"] = round(r.uniform(5, 40), 0)
    return s


def _plant(
    r: random.Random, i: int, T: int, cids: list[str], pids: list[str], milp: bool
) -> dict[str, Any]:
    k: dict[str, Any] = {
        "id": f"k{i}", "country": r.choice(cids), "capacity": _per_period(r, T, 10, 150),
        "offers": _offers(r, pids, 20, 90),
    }  # fmt: skip
    if milp and r.random() < 0.6:
        k.update(
            existing=False,
            build_cost=round(r.uniform(500, 8000), 0),
            build_lead=r.randint(0, 1),
            earliest_build=r.randint(0, T - 1),
        )
    if r.random() < 0.4:
        k["incentive"] = round(r.uniform(1, 15), 2)
        if r.random() < 0.5:
            k["incentive_cap"] = round(r.uniform(50, 1500), 0)
    return k


def _licences(
    r: random.Random, suppliers: list[dict], pids: list[str], per: list[str]
) -> list[dict[str, Any]]:
    out = []
    for i in range(r.randint(0, 2)):
        lic: dict[str, Any] = {
            "id": f"L{i}",
            "suppliers": [s["id"] for s in r.sample(suppliers, r.randint(1, len(suppliers)))],
            "quantity": round(r.uniform(0, 300), 0),
        }
        if r.random() < 0.3:
            lic["periods"] = r.sample(per, r.randint(0, len(per)))
        if r.random() < 0.3:
            lic["products"] = r.sample(pids, r.randint(0, len(pids)))
        out.append(lic)
    return out


def scenarios(milp: bool | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Hypothesis strategy: LP, MILP or (None) either, from a drawn seed."""
    flag = st.booleans() if milp is None else st.just(milp)
    return st.builds(lambda seed, m: random_scenario(seed, m), st.integers(0, 2**32 - 1), flag)
