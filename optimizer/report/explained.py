"""`--explain` in words, for the table summary and the HTML report.

The plan's `marginal_values` are the change of the optimal objective per unit increase of
a limit (API.md): currency per kg for licences, capacities, safety stocks and demand, per
unit of currency for a budget, per unit share for an origin-share cap. A person reads a
share cap per percentage point, so its value is divided by 100. The most valuable limits
are those whose value is largest in size; ties keep the plan's order.

The diagnosis of an infeasible plan already carries one sentence per conflicting limit
(optimizer/insight/constraint_words.py); here they are put under a heading that says what
they mean. The report does not import the insight room: it reads the plan's words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from optimizer.report.amounts import money

TOP = 10


@dataclass(frozen=True)
class LimitValue:
    """One marginal value in words: `limit` says what one more unit is, `value` what it is
    worth in the plan's currency per that unit (negative: it saves)."""

    constraint: str
    id: str | None
    period: str | None
    limit: str
    value: float  # per unit of `unit`
    unit: str  # kg | percentage point | currency code

    def what(self, currency: str) -> str:
        """The unit the value is for: 'kg of licence lic-dd'."""
        return self.limit.replace("unit of budget", f"{currency or 'unit'} of budget")

    def sentence(self, currency: str) -> str:
        return f"one more {self.what(currency)}: {self.worth(currency)}"

    def worth(self, currency: str) -> str:
        plus = "+" if self.value > 0 else ""  # a cost, shown as such beside the savings
        if self.unit == "kg":
            return plus + money(self.value, currency, cents=abs(self.value) < 10, per="/kg")
        if self.unit == "percentage point":
            return plus + money(self.value, currency) + " per point"
        shown = f"{abs(self.value):.2f}"
        sign = {True: "−", False: "+"}[self.value < 0] if float(shown) else ""
        return f"{sign}{shown} {currency} per {currency or 'unit'}".replace("  ", " ")


def top_limits(plan: Mapping[str, Any], n: int = TOP) -> list[LimitValue]:
    """The `n` marginal values largest in size, in words; [] when the plan has none."""
    rows = plan.get("marginal_values")
    if not isinstance(rows, Sequence):
        return []
    valued = [r for r in rows if isinstance(r, Mapping) and isinstance(r.get("value"), int | float)]
    words = [in_words(r) for r in valued if r["value"] != 0]
    ranked = sorted(range(len(words)), key=lambda i: -abs(words[i].value))  # stable
    return [words[i] for i in ranked[:n]]


def in_words(row: Mapping[str, Any]) -> LimitValue:
    """One marginal value row of the plan as a limit in words with its unit."""
    c, id_, period = str(row["constraint"]), row.get("id"), row.get("period")
    value = float(row["value"])
    when = f" in {period}" if period else ""
    if c == "origin_share":
        limit = f"percentage point on the cap of {id_}'s share of supply{when}"
        return LimitValue(c, id_, period, limit, value / 100, "percentage point")
    if c == "budget":
        return LimitValue(c, id_, period, f"unit of budget{when}", value, "budget")
    limit = {
        "licence": f"kg of licence {id_}",
        "supplier_capacity": f"kg of capacity at {id_}{when}",
        "plant_capacity": f"kg of capacity at plant {id_}{when}",
        "safety_stock": f"kg of safety stock of {id_} at the end of {period}",
        "demand": _demand(id_, when),
    }.get(c, f"unit of {c} {id_ or ''}{when}".replace("  ", " "))
    return LimitValue(c, id_, period, limit, value, "kg")


def _demand(id_: Any, when: str) -> str:
    product, _, sector = str(id_).partition("/")
    return f"kg of {sector}'s demand for {product}{when}" if sector else f"kg of demand{when}"


def diagnosis_lines(plan: Mapping[str, Any]) -> list[str]:
    """The conflict of an infeasible plan as sentences; [] when the plan has none."""
    found = plan.get("diagnosis")
    conflict = found.get("conflict") if isinstance(found, Mapping) else None
    if not isinstance(conflict, list) or not conflict:
        return []
    return [str(c.get("text") or c.get("constraint")) for c in conflict if isinstance(c, Mapping)]


def diagnosis_heading(plan: Mapping[str, Any]) -> str:
    found = plan.get("diagnosis")
    whole = isinstance(found, Mapping) and found.get("irreducible") is not False
    n = len(diagnosis_lines(plan))
    head = f"No plan meets every limit: these {n} cannot all hold together"
    return head + (" (drop any one and the rest can)" if whole else " (a set, not yet minimal)")
