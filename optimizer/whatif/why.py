""" "Why this supplier?": what the plan would cost without a supplier, an origin or a plant.

Excluding a source sets its capacity to 0 in every period, which forbids it exactly
(MODEL.md §3.3) while keeping the model's shape, so the second solve starts from the
first one's basis. Excluding an origin excludes every supplier of that origin and every
plant in that country; stock of that origin already held at the start stays usable.
"""

from __future__ import annotations

from typing import Any

from optimizer.errors import Problem
from optimizer.options import SolveOptions
from optimizer.scenario.parsing import parse_scenario
from optimizer.whatif.hot_start import HotStartSolver
from optimizer.whatif.shocks import CapacityShock, SpecError, apply_shocks


def why(
    document: dict[str, Any],
    supplier: str | None = None,
    origin: str | None = None,
    plant: str | None = None,
    options: SolveOptions | None = None,
) -> dict[str, Any]:
    """The base plan against the plan without the one source named; see the module text."""
    base = parse_scenario(document).model_dump(mode="json", exclude_none=True)
    excluded = exclusion(base, supplier, origin, plant)
    shock = CapacityShock(
        kind="capacity",
        supplier=excluded["suppliers"] or None,
        plant=excluded["plants"] or None,
        origin=None,
        factor=0.0,
    )
    solver = HotStartSolver(options)
    before = solver.solve(parse_scenario(base)).plan
    after = solver.solve(parse_scenario(_without(base, shock))).plan
    return {
        "excluded": excluded,
        "base": outcome(before),
        "without": outcome(after),
        "cost_delta": _delta(before["objective"], after["objective"]),
        "shortage_delta_kg": _delta(outcome(before)["shortage_kg"], outcome(after)["shortage_kg"]),
        "base_supply_kg": supplied_kg(before, excluded["suppliers"], excluded["plants"]),
    }


def exclusion(
    doc: dict[str, Any], supplier: str | None, origin: str | None, plant: str | None
) -> dict[str, Any]:
    """What is excluded: {"kind", "id", "suppliers", "plants"}; SpecError for a bad request."""
    given = [(k, v) for k, v in (("supplier", supplier), ("origin", origin), ("plant", plant)) if v]
    if len(given) != 1:
        raise SpecError([Problem("", None, "name exactly one supplier, origin or plant")])
    kind, id_ = given[0]
    lists = {"supplier": "suppliers", "origin": "countries", "plant": "plants"}
    if id_ not in {x["id"] for x in doc.get(lists[kind], [])}:
        raise SpecError(
            [Problem(f"/{kind}", id_, f"unknown {kind}: not in the scenario's {lists[kind]}")]
        )
    suppliers = [
        s["id"]
        for s in doc.get("suppliers", [])
        if (kind == "supplier" and s["id"] == id_)
        or (kind == "origin" and (s.get("origin") or s["country"]) == id_)
    ]
    plants = [
        k["id"]
        for k in doc.get("plants", [])
        if (kind == "plant" and k["id"] == id_) or (kind == "origin" and k["country"] == id_)
    ]
    return {"kind": kind, "id": id_, "suppliers": suppliers, "plants": plants}


def _without(base: dict[str, Any], shock: CapacityShock) -> dict[str, Any]:
    if not (shock.supplier or shock.plant):  # an origin with no source: nothing changes
        return base
    doc = apply_shocks(base, [shock])
    doc["name"] = f"{base['name']} | without"[:200]
    return doc


def outcome(plan: dict[str, Any]) -> dict[str, Any]:
    has = plan["objective"] is not None
    return {
        "status": plan["status"],
        "objective": plan["objective"],
        "shortage_kg": sum(r["kg"] for r in plan["shortages"]) if has else None,
    }


def supplied_kg(plan: dict[str, Any], suppliers: list[str], plants: list[str]) -> float | None:
    """kg the excluded sources delivered or produced in the base plan."""
    if plan["objective"] is None:
        return None
    bought = sum(r["kg"] for r in plan["deliveries"] if r["supplier"] in suppliers)
    return bought + sum(r["kg"] for r in plan["production"] if r["plant"] in plants)


def _delta(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before
