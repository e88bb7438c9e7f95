"""The report's first sections, the plan as a planner acts on it (optimizer/report/orders.py):
the orders of each period, shortages by sector, compliance, binding limits; and with
`--explain` the ten most valuable limits in words (optimizer/report/explained.py).

Each number cell shows the value rounded for people and keeps the exact one in its
`data-value`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optimizer.report.amounts import kg, money, percent
from optimizer.report.explained import top_limits
from optimizer.report.markup import esc, num, section, table, td
from optimizer.report.orders import Binding, OrderList, PeriodOrders


def order_sections(orders: OrderList, currency: str, prefix: str, level: int) -> list[str]:
    return [
        section(
            f"{prefix}sec-orders", "Orders by period", level, _orders(orders, currency, prefix)
        ),
        section(
            f"{prefix}sec-sector-shortages",
            "Shortages by sector",
            level,
            _shortages(orders, currency, prefix),
        ),
        section(f"{prefix}sec-compliance", "Compliance", level, _compliance(orders, prefix)),
        section(f"{prefix}sec-binding", "Binding limits", level, _binding(orders, prefix)),
    ]


def _kg(value: float) -> str:
    return num(value, shown=kg(value))


def _money(value: float | None, currency: str, cents: bool = False) -> str:
    return num(value, shown=None if value is None else money(value, currency, cents))


def _orders(orders: OrderList, currency: str, prefix: str) -> str:
    header = ["Period", "Action", "With", "Origin", "Product", "kg", "Per kg", "Cost"]
    rows: list[list[str]] = []
    for p in orders.periods:
        rows += _period_rows(p, currency)
    if not rows:
        return '<p class="note">Nothing to buy, make, sign or build.</p>'
    note = (
        ""
        if orders.scenario_known
        else '<p class="note">Origins and production costs need '
        "the plan's scenario (--scenario).</p>"
    )
    return table(f"{prefix}order-table", header, rows) + note


def _period_rows(p: PeriodOrders, cur: str) -> list[list[str]]:
    rows = [
        [td(p.period), td("buy"), td(b.supplier), td(b.origin or "?"), td(b.product),
         _kg(b.kg), _money(b.landed_cost, cur, cents=True), _money(b.cost, cur)]
        for b in p.purchases
    ]  # fmt: skip
    rows += [
        [td(p.period), td("make"), td(m.plant), td(m.origin or "?"), td(m.product),
         _kg(m.kg), _money(m.unit_cost, cur, cents=True), _money(m.cost, cur)]
        for m in p.making
    ]  # fmt: skip
    rows += [
        [td(p.period), td("sign contract"), td(c.supplier), td(""), td(""), td(""), td(""),
         _money(c.fixed_cost, cur)]
        for c in p.contracts
    ]  # fmt: skip
    rows += [
        [td(p.period), td("start building"), td(s.plant), td(""),
         td(f"producing from {s.ready}" if s.ready else ""), td(""), td(""),
         _money(s.build_cost, cur)]
        for s in p.plants
    ]  # fmt: skip
    rows += [
        [td(p.period), td("start qualifying"), td(q.supplier), td(""),
         td(f"delivering from {q.ready}" if q.ready else ""), td(""), td(""),
         _money(q.cost, cur)]
        for q in p.qualifications
    ]  # fmt: skip
    return rows


def _shortages(orders: OrderList, currency: str, prefix: str) -> str:
    if not orders.shortages:
        return '<p class="note">No shortages: every sector\'s demand is met.</p>'
    rows = [[td(s.sector), _kg(s.kg), _money(s.penalty, currency)] for s in orders.shortages]
    total = sum(s.kg for s in orders.shortages)
    rows.append(["<th>Total</th>", _kg(total), _money(orders.penalty, currency)])
    note = (
        "Sectors in the scenario's order."
        if orders.scenario_known
        else "Sectors alphabetical; penalties by sector need the plan's scenario."
    )
    head = ["Sector", "Unmet kg", "Penalty (notional)"]
    return table(f"{prefix}sector-shortage-table", head, rows) + f'<p class="note">{note}</p>'


def _compliance(orders: OrderList, prefix: str) -> str:
    if orders.compliance is None:
        return '<p class="note">Not checked: the plan\'s scenario is not at hand.</p>'
    if not orders.compliance:
        return "<p>The scenario restricts no origin's end uses.</p>"
    total = orders.banned_kg or 0.0
    verdict = "every ban is kept" if total == 0 else "<strong>bans are broken</strong>"
    rows = [
        [td(f.origin), td(f.sector), td(", ".join(f.tags)), _kg(f.kg)] for f in orders.compliance
    ]
    head = ["Restricted origin", "Sector", "Banned by tag", "kg reaching it"]
    return (
        f'<p id="{esc(prefix)}compliance-line">{esc(kg(total))} kg of restricted origin reaches '
        f"a banned end use: {verdict}.</p>\n" + table(f"{prefix}compliance-table", head, rows)
    )


def _binding(orders: OrderList, prefix: str) -> str:
    rows = [[td(_limit_name(b)), td(b.period or "horizon"), _used(b)] for b in orders.binding]
    note = (
        ""
        if orders.scenario_known
        else '<p class="note">Origin-share caps and budgets need the plan\'s scenario.</p>'
    )
    if not rows:
        return '<p class="note">No cap, budget or licence is at its limit.</p>' + note
    return table(f"{prefix}binding-table", ["Limit", "Period", "At its limit"], rows) + note


def _limit_name(b: Binding) -> str:
    return {
        "origin_share": f"{b.id}'s share cap of {percent(b.limit, 0)}",
        "origin_share_target": f"{b.id}'s share target of {percent(b.limit, 0)} (soft cap)",
        "budget": "budget",
        "licence": f"licence {b.id}",
    }.get(b.constraint, b.constraint)


def _used(b: Binding) -> str:
    if b.constraint in ("origin_share", "origin_share_target"):
        return num(b.used, shown=percent(b.used))
    if b.constraint == "budget":
        return num(b.used, shown=f"{money(b.used)} of {money(b.limit)}")
    return num(b.used, shown=f"{kg(b.used)} of {kg(b.limit)} kg")


def explain_sections(plan: Mapping[str, Any], currency: str, prefix: str, level: int) -> list[str]:
    """The ten most valuable limits, when the plan carries marginal values."""
    parts = []
    found = top_limits(plan)
    if found:
        rows = [[td(v.what(currency)), num(v.value, shown=v.worth(currency))] for v in found]
        head = ["One more unit of", "Worth (negative saves)"]
        parts.append(
            section(
                f"{prefix}sec-limits",
                "The ten most valuable limits",
                level,
                table(f"{prefix}limit-table", head, rows),
            )
        )
    return parts
