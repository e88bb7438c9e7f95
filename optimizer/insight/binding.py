"""The limits a plan holds at their bound: an origin's share at its cap in a period (or
at or above its target, for a cap with a penalty), a period's budget spent to its
limit, a licence used up.

One computation for everything that names them: the order list of the table summary,
report and workbook (optimizer/report/orders.py) and `magnets why`
(optimizer/whatif/why.py), which says when a binding cap amplifies a loss.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optimizer.scenario.schema import Scenario

TOLERANCE = 1e-6  # relative: a limit within this of its bound is binding


@dataclass(frozen=True)
class Binding:
    """A limit at its bound: `used` of `limit` (a share, currency or kg)."""

    constraint: str  # origin_share | origin_share_target | budget | licence
    id: str | None
    period: str | None
    used: float
    limit: float


def binding(plan: Mapping[str, Any], scenario: Scenario | None) -> tuple[Binding, ...]:
    """Origin shares at their cap, budgets spent to their limit, licences used up."""
    found: list[Binding] = []
    if scenario is not None:
        found += _shares_at_cap(plan, scenario)
        found += _budgets_spent(plan, scenario)
    found += [
        Binding("licence", r["licence"], None, r["used"], r["quantity"])
        for r in plan.get("licences") or ()
        if r["quantity"] > 0 and _at(r["used"], r["quantity"])
    ]
    return tuple(found)


def _at(used: float, limit: float) -> bool:
    return used >= limit - TOLERANCE * max(1.0, abs(limit))


def _shares_at_cap(plan: Mapping[str, Any], scenario: Scenario) -> Iterable[Binding]:
    shares: dict[str, dict[str, float]] = defaultdict(dict)
    for r in plan.get("origin_share") or ():
        shares[r["period"]][r["origin"]] = r["share"]
    soft = scenario.policy.origin_share_penalty
    for origin, cap in scenario.policy.max_origin_share.items():
        if cap >= 1:
            continue  # a cap of 100 % limits nothing
        # A cap with a penalty (MODEL.md §7) is a target the plan may pass, paying for it:
        # named apart, since it does not tie other supply to the origin as a hard cap does.
        kind = "origin_share_target" if origin in soft else "origin_share"
        for period in scenario.periods:
            if period in shares and _at(shares[period].get(origin, 0.0), cap):
                yield Binding(kind, origin, period, shares[period].get(origin, 0.0), cap)


def _budgets_spent(plan: Mapping[str, Any], scenario: Scenario) -> Iterable[Binding]:
    budget = scenario.policy.budget
    if budget is None:
        return
    limits = _per_period(budget, len(scenario.periods))
    spent = budget_spend(plan, scenario)
    for period, limit in zip(scenario.periods, limits, strict=True):
        if _at(spent.get(period, 0.0), limit):
            yield Binding("budget", None, period, spent.get(period, 0.0), limit)


def budget_spend(plan: Mapping[str, Any], scenario: Scenario) -> dict[str, float]:
    """What MODEL.md §3.5's budget counts, per period: landed purchases and production."""
    spent: dict[str, float] = defaultdict(float)
    for r in plan.get("deliveries") or ():
        spent[r["period"]] += r["cost"]
    for r in plan.get("production") or ():
        spent[r["period"]] += _plant_price(scenario, r["plant"], r["product"]) * r["kg"]
    return dict(spent)


def _per_period(value: float | Sequence[float], n: int) -> list[float]:
    return [float(v) for v in value] if isinstance(value, Sequence) else [float(value)] * n


def _plant_price(scenario: Scenario, plant: str, product: str) -> float:
    for k in scenario.plants:
        if k.id == plant:
            return next((o.price for o in k.offers if o.product == product), 0.0)
    return 0.0
