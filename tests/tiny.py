"""Builders for tiny scenarios whose optimum is worked out by hand, and plan readers.

A tiny scenario has periods `t0, t1, …`, one product `p` (unless told otherwise), one
sector `auto` with no tags, and the countries CN, JP, IN and VN with no tariff, no
freight and no bans, so that a landed cost equals the offer price unless a test says so.
"""

from __future__ import annotations

from typing import Any

import pytest

from optimizer.model.plan import TABLES, TERMS
from optimizer.options import SolveOptions
from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve

COUNTRIES = ("CN", "JP", "IN", "VN")


def scenario(periods: int = 1, **lists: Any) -> dict[str, Any]:
    """A scenario document; keyword arguments replace or add top-level lists."""
    doc: dict[str, Any] = {
        "name": "tiny",
        "periods": [f"t{i}" for i in range(periods)],
        "products": [{"id": "p"}],
        "sectors": [{"id": "auto", "shortage_penalty": 1000.0}],
        "countries": [{"id": c} for c in COUNTRIES],
    }
    doc.update(lists)
    return doc


def supplier(
    id: str, country: str, price: float, capacity: Any = 1000.0, product: str = "p", **fields: Any
) -> dict[str, Any]:
    """A supplier offering one product; `fields` adds lead_time, fixed_cost, origin, …"""
    offer = {"product": product, "price": price}
    return {"id": id, "country": country, "capacity": capacity, "offers": [offer], **fields}


def plant(
    id: str, country: str, price: float, capacity: Any, product: str = "p", **fields: Any
) -> dict[str, Any]:
    offer = {"product": product, "price": price}
    return {"id": id, "country": country, "capacity": capacity, "offers": [offer], **fields}


def demand(*quantities: float, product: str = "p", sector: str = "auto") -> list[dict[str, Any]]:
    """One demand row per period, in order: demand(50, 40) asks 50 kg in t0 and 40 kg in t1."""
    return [
        {"product": product, "sector": sector, "period": f"t{t}", "quantity": q}
        for t, q in enumerate(quantities)
    ]


def solve_doc(doc: dict[str, Any], **options: Any) -> dict[str, Any]:
    return solve(parse_scenario(doc), SolveOptions(**options))


def kg(rows: list[dict[str, Any]], **match: Any) -> float:
    """Total kg of the table rows whose fields equal every `match` value."""
    return sum(r["kg"] for r in rows if all(r[k] == v for k, v in match.items()))


def keyed(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], float]:
    """A table as {(key values…): kg}, e.g. keyed(plan["deliveries"], "supplier", "period")."""
    out: dict[tuple[Any, ...], float] = {}
    for r in rows:
        k = tuple(r[key] for key in keys)
        out[k] = out.get(k, 0.0) + r["kg"]
    return out


def approx(value: float) -> Any:
    return pytest.approx(value, rel=1e-9, abs=1e-9)


def assert_optimal(plan: dict[str, Any], objective: float, milp: bool = False) -> None:
    """Status optimal, the hand-computed objective, terms that add up to it, the right gap."""
    assert plan["status"] == "optimal", plan.get("message")
    assert plan["objective"] == approx(objective)
    t = plan["terms"]
    assert set(t) == set(TERMS)
    total = (
        t["purchase"]
        + t["fixed"]
        + t["production"]
        - t["subsidy"]
        + t["build"]
        + t["holding"]
        + t["shortage"]
    )
    assert total == approx(plan["objective"])
    if milp:
        assert isinstance(plan["mip_gap"], float)
        assert 0.0 <= plan["mip_gap"] <= 1e-6
    else:
        assert plan["mip_gap"] is None


def assert_terms(plan: dict[str, Any], **expected: float) -> None:
    """The named terms equal the hand-computed values; terms not named are 0."""
    for term in TERMS:
        assert plan["terms"][term] == approx(expected.get(term, 0.0)), term


def assert_no_solution(plan: dict[str, Any], status: str) -> None:
    assert plan["status"] == status
    assert plan["objective"] is None
    for table in TABLES:
        assert plan[table] == [], table
