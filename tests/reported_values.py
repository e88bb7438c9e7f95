"""The marginal values `explain_plan` reports, as {(constraint, id, period): value}.

Shared by the explain tests: the hand cases read single values, the finite-difference
checks compare them with re-solves. FAMILIES is the order the values are documented in.
"""

from __future__ import annotations

from typing import Any

from optimizer.insight.explain import explain_plan
from optimizer.scenario.parsing import parse_scenario
from tests.tiny import solve_doc

Key = tuple[str, str | None, str | None]
FAMILIES = ("licence", "supplier_capacity", "plant_capacity", "origin_share", "budget",
            "safety_stock", "demand", "min_service", "max_suppliers")  # fmt: skip


def values(doc: dict[str, Any], plan: dict[str, Any] | None = None) -> dict[Key, float]:
    plan = plan or solve_doc(doc)
    extra = explain_plan(parse_scenario(doc), plan)
    assert set(extra) == {"marginal_values"}
    out = {}
    for r in extra["marginal_values"]:
        assert set(r) == {"constraint", "id", "period", "value"}
        out[r["constraint"], r["id"], r["period"]] = r["value"]
    return out
