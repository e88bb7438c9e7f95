"""Marginal values (optimizer/explain.py) equal finite differences on random scenarios.

The random cases re-solve the scenario with the limit moved by ±δ *in the scenario
document* (so the coefficient forms of gated capacities and share caps are checked
too, not only the duals) and compare the reported value with the slopes:
- where the two one-sided slopes agree, the value must equal them;
- at a breakpoint (they disagree) the value of a right-hand-side limit must lie between
  them (a dual is a subgradient of the convex optimal-cost function).
Origin-share caps multiply the supply, so their cost function is curved, not piecewise
linear: there the value is compared with the central difference.
MILPs are checked with their binary decisions fixed at the plan's values, which is what
the values claim. The hand-computed cases are in test_explain.py.
Budget: about 10 s.
"""

from __future__ import annotations

import collections
import copy
from typing import Any

import pytest

from optimizer.insight.explain import binaries_from_plan, dual_solution
from optimizer.model.build import build_model
from optimizer.options import SolveOptions
from optimizer.scenario.parsing import parse_scenario
from tests.random_scenarios import random_scenario
from tests.reported_values import FAMILIES, Key, values
from tests.tiny import solve_doc


def _per_period(value: Any, n: int) -> list[float]:
    return list(value) if isinstance(value, list) else [value] * n


def limits(doc: dict[str, Any]) -> list[tuple[Key, float]]:
    """Every limit the model states, with its current value: those at 0 that the model
    leaves out (no safety stock, no demand row, a share cap of 1) are not limits."""
    per, pol = doc["periods"], doc.get("policy", {})
    n = len(per)
    out: list[tuple[Key, float]] = [
        (("licence", lic["id"], None), lic["quantity"]) for lic in doc["licences"]
    ]
    for family, owners in (("supplier_capacity", "suppliers"), ("plant_capacity", "plants")):
        for o in doc[owners]:
            caps = _per_period(o["capacity"], n)
            out += [((family, o["id"], per[t]), caps[t]) for t in range(n)]
    out += [(("origin_share", o, None), s) for o, s in pol.get("max_origin_share", {}).items()]
    if "budget" in pol:
        out += [
            (("budget", None, t), b)
            for t, b in zip(per, _per_period(pol["budget"], n), strict=True)
        ]
    out += [
        (("safety_stock", p["id"], None), p["min_inventory"])
        for p in doc["products"]
        if p.get("min_inventory", 0) > 0
    ]
    out += [
        (("demand", f"{d['product']}/{d['sector']}", d["period"]), d["quantity"])
        for d in doc["demand"]
        if d["quantity"] > 0
    ]
    out += [
        (("min_service", e["id"], None), e["min_service"])
        for e in doc["sectors"]
        if e.get("min_service", 0) > 0
    ]
    return [(k, v) for k, v in out if not (k[0] == "origin_share" and v > 0.99)]


def moved(doc: dict[str, Any], key: Key, delta: float) -> dict[str, Any]:
    """The scenario with one limit moved by delta (all periods where it has no period)."""
    d = copy.deepcopy(doc)
    family, id_, period = key
    n = len(d["periods"])
    t = d["periods"].index(period) if period is not None else None
    by_id = lambda rows: next(r for r in rows if r["id"] == id_)  # noqa: E731
    if family == "licence":
        by_id(d["licences"])["quantity"] += delta
    elif family in ("supplier_capacity", "plant_capacity"):
        owner = by_id(d["suppliers" if family == "supplier_capacity" else "plants"])
        owner["capacity"] = _per_period(owner["capacity"], n)
        owner["capacity"][t] += delta
    elif family == "budget":
        d["policy"]["budget"] = _per_period(d["policy"]["budget"], n)
        d["policy"]["budget"][t] += delta
    elif family == "safety_stock":
        by_id(d["products"])["min_inventory"] += delta
    elif family == "origin_share":
        d["policy"]["max_origin_share"][id_] += delta
    elif family == "min_service":
        by_id(d["sectors"])["min_service"] += delta
    else:
        p, e = str(id_).split("/")
        row = next(
            r for r in d["demand"] if (r["product"], r["sector"], r["period"]) == (p, e, period)
        )
        row["quantity"] += delta
    return d


def optimum(doc: dict[str, Any], base: dict[str, Any] | None) -> float | None:
    """The LP's optimum; for a MILP (base plan given) with the base plan's binaries fixed."""
    if base is None:
        plan = solve_doc(doc)
        return plan["objective"] if plan["status"] == "optimal" else None
    m, ix = build_model(parse_scenario(doc))
    sol = dual_solution(m, binaries_from_plan(m, ix, base), SolveOptions())
    return None if sol is None else float(m.column_arrays()[0] @ sol.x)


def reported(doc: dict[str, Any], plan: dict[str, Any]) -> dict[Key, float]:
    """Reported values; limits without a period also get the sum over their periods."""
    out: dict[Key, float] = collections.defaultdict(float)
    for (family, id_, period), v in values(doc, plan).items():
        out[family, id_, period] += v
        if family in ("safety_stock", "origin_share"):
            out[family, id_, None] += v
    return out


def tightened(doc: dict[str, Any], budget: bool) -> dict[str, Any] | None:
    """Random scenarios rarely bind licences, budgets and share caps; here every licence
    covers all periods and products, every supplier it lists needs one and sells at half
    price, then either (budget) the budget is
    cut to 70 % of each period's spend, or each licence to half its use and the largest
    origin share to 80 % of itself. None when the first step leaves no optimal plan."""
    d = copy.deepcopy(doc)
    for lic in d["licences"]:
        lic.pop("periods", None)
        lic.pop("products", None)
    listed = {s for lic in d["licences"] for s in lic["suppliers"]}
    for s in d["suppliers"]:
        if s["id"] in listed:
            s["licence_required"] = True
            s["offers"] = [{**o, "price": o["price"] / 2} for o in s["offers"]]
    plan = solve_doc(d)
    if plan["status"] != "optimal":
        return None
    used = {r["licence"]: r["used"] for r in plan["licences"]}
    for lic in d["licences"]:
        lic["quantity"] = (
            round(0.5 * used[lic["id"]], 1) if used[lic["id"]] > 1 else lic["quantity"]
        )
    spend = dict.fromkeys(d["periods"], 0.0)
    for r in plan["deliveries"]:
        spend[r["period"]] += r["cost"]
    d["policy"]["budget"] = [round(0.7 * s, 1) if s > 1 else 100.0 for s in spend.values()]
    if plan["origin_share"]:
        top = max(plan["origin_share"], key=lambda r: r["share"])
        d["policy"]["max_origin_share"] = {top["origin"]: round(max(0.05, 0.8 * top["share"]), 3)}
    return d


Tally = collections.Counter[tuple[str, str]]
SECTION_3 = FAMILIES[: FAMILIES.index("min_service")]  # the limits of MODEL.md §3


def check_scenario(doc: dict[str, Any], milp: bool, tally: Tally) -> None:
    plan = solve_doc(doc)
    if plan["status"] != "optimal":
        return
    base = plan if milp else None
    value, z0 = reported(doc, plan), optimum(doc, base)
    assert z0 is not None
    for key, limit in _sampled(limits(doc), value):
        share = key[0] == "origin_share"
        delta = 1e-4 if share else max(1e-3 * limit, 1e-2)
        up = optimum(moved(doc, key, delta), base)
        down = optimum(moved(doc, key, -delta), base) if limit >= delta else None
        if up is None or down is None:
            continue
        v, right, left = value.get(key, 0.0), (up - z0) / delta, (z0 - down) / delta
        outcome = _compare(v, right, left, (up - down) / (2 * delta), share)
        assert outcome != "wrong", (key, left, v, right)
        tally[key[0], outcome] += 1


def _compare(v: float, right: float, left: float, central: float, share: bool) -> str:
    """ "zero" or "non-zero" (an exact check passed), "breakpoint" (v between the two
    slopes), "curved" (a share cap whose slopes differ too much to check), or "wrong"."""
    scale = max(1.0, abs(right))
    exact = "non-zero" if abs(v) > 1e-9 else "zero"
    if share:  # smooth but curved: compare with the central difference
        if abs(right - left) > 1e-3 * scale:
            return "curved"
        return exact if v == pytest.approx(central, rel=1e-5, abs=1e-4) else "wrong"
    if abs(right - left) <= 1e-6 * scale:
        return exact if v == pytest.approx(right, rel=1e-6, abs=1e-6) else "wrong"
    return "breakpoint" if left - 1e-6 * scale <= v <= right + 1e-6 * scale else "wrong"


def _sampled(items: list[tuple[Key, float]], value: dict[Key, float]) -> list[tuple[Key, float]]:
    """Per family at most three limits with a non-zero value and two worth 0."""
    seen: collections.Counter[tuple[str, bool]] = collections.Counter()
    out = []
    for key, limit in items:
        kind = (key[0], value.get(key, 0.0) != 0)
        if seen[kind] < (3 if kind[1] else 2):
            seen[kind] += 1
            out.append((key, limit))
    return out


def test_values_equal_finite_differences() -> None:
    """12 random LPs and 12 MILPs, each also tightened: at least 100 exact checks per
    kind, every family checked at least 3 times, with non-zero values at least twice
    (LP) or once (MILP, whose random scenarios rarely bind licences and share caps)."""
    for milp, least_non_zero in ((False, 2), (True, 1)):
        tally: Tally = collections.Counter()
        for seed in range(12):
            doc = random_scenario(seed, milp=milp)
            check_scenario(doc, milp, tally)
            tight = tightened(doc, budget=seed % 2 == 1)
            if tight is not None:
                check_scenario(tight, milp, tally)
        exact = {f: tally[f, "non-zero"] + tally[f, "zero"] for f in SECTION_3}
        assert sum(exact.values()) >= 100, tally
        for family in SECTION_3:
            assert exact[family] >= 3, (milp, family, tally)
            assert tally[family, "non-zero"] >= least_non_zero, (milp, family, tally)


def with_service_levels(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The scenario with every sector's service level set halfway between what its
    optimal plan serves and 100 %, so that it binds; None without an optimal plan or
    without a shortage to close."""
    plan = solve_doc(doc)
    if plan["status"] != "optimal" or not plan["shortages"]:
        return None
    d = copy.deepcopy(doc)
    for e in d["sectors"]:
        wanted = sum(r["quantity"] for r in d["demand"] if r["sector"] == e["id"])
        short = sum(r["kg"] for r in plan["shortages"] if r["sector"] == e["id"])
        if wanted > 0 and short > 1e-6:
            e["min_service"] = round(1 - 0.5 * short / wanted, 4)
    return d


def test_service_levels_equal_finite_differences() -> None:
    """MODEL.md §7: the value of a service level (per unit, 1.0 = 100 %) is −dual × the
    sector's demand; checked on random LPs and MILPs whose sectors fall short, with the
    level set where it binds."""
    tally: Tally = collections.Counter()
    for seed in range(30):
        milp = seed % 2 == 1
        doc = with_service_levels(random_scenario(seed, milp=milp))
        if doc is not None:
            check_scenario(doc, milp, tally)
    assert tally["min_service", "non-zero"] >= 3, tally
