"""The table summary (`magnets solve --format table`): what a planner takes to a meeting.

First what the plan costs, cash spend apart from the notional shortage penalty; then the
order list of each period (optimizer/report/orders.py), shortages by sector with their
penalty, the compliance check and the limits that bind; with `--explain` the most
valuable limits in words, or for an infeasible plan the limits that cannot hold together;
last the cost terms, origin shares and licence use. Numbers are rounded for people (kg
without decimals, money without cents except prices per kg, shares in %); the plan JSON
keeps the exact values. Without the scenario, origins, penalties by sector, caps and
budgets cannot be known, and the summary says so.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from optimizer.report.amounts import aligned, kg, millions, money, percent
from optimizer.report.explained import diagnosis_heading, diagnosis_lines, top_limits
from optimizer.report.orders import Binding, OrderList, PeriodOrders, order_list, period_order
from optimizer.report.terms import TERM_LABELS, signed
from optimizer.scenario.schema import Scenario

NO_SCENARIO = "not checked: the scenario is not at hand"


def format_summary(plan: dict[str, Any], scenario: Scenario | None = None) -> str:
    cur = str(plan.get("currency") or (scenario.currency if scenario else ""))
    lines = [f"scenario  {plan.get('scenario', '')}", f"status    {plan['status']}"]
    if plan.get("message"):
        lines.append(f"message   {plan['message']}")
    orders = order_list(plan, scenario)
    if orders is None:
        found = _diagnosis(plan) or _explain_error(plan)
        if not found and plan["status"] == "infeasible":
            found = ["", "(--explain names the limits that cannot hold together)"]
        return "\n".join([*lines, *found])
    gap = plan.get("mip_gap")
    lines.append(
        f"total     {money(plan['objective'], cur)}"
        + (f"  (MIP gap {gap:.2g})" if gap is not None else "")
    )
    lines.append(
        f"          = spend {millions(orders.spend, cur)} + shortage penalty "
        f"{millions(orders.penalty, cur)} (notional: what unmet demand is priced at, not cash)"
    )
    sections = [
        _order_lines(orders, cur),
        _shortage_lines(orders, cur),
        _compliance_lines(orders),
        _binding_lines(orders),
        _marginal_lines(plan, cur),
        _explain_error(plan),
        _term_lines(plan, cur),
        _origin_lines(plan, scenario),
        _licence_lines(plan),
    ]
    for section in sections:
        if section:
            lines += ["", *section]
    return "\n".join(lines)


def _order_lines(orders: OrderList, cur: str) -> list[str]:
    unit = f" ({cur})" if cur else ""
    header = ["", "action", "with", "origin", "product", "kg", f"per kg{unit}", f"cost{unit}"]
    rows: list[list[str]] = []
    for p in orders.periods:
        if p.empty:
            continue
        rows.append([p.period, "", "", "", "", "", "", money(_period_cost(p), "")])
        for b in p.purchases:
            cost = money(b.cost, "")
            per = money(b.landed_cost, "", cents=True)
            rows.append(["", "buy", b.supplier, b.origin or "?", b.product, kg(b.kg), per, cost])
        for m in p.making:
            per = "" if m.unit_cost is None else money(m.unit_cost, "", cents=True)
            cost = "" if m.cost is None else money(m.cost, "")
            rows.append(["", "make", m.plant, m.origin or "?", m.product, kg(m.kg), per, cost])
        for c in p.contracts:
            rows.append(["", "sign", c.supplier, "", "contract", "", "", money(c.fixed_cost, "")])
        for s in p.plants:
            cost = "" if s.build_cost is None else money(s.build_cost, "")
            ready = f", producing from {s.ready}" if s.ready else ""
            rows.append(["", "build", s.plant, "", f"start plant{ready}", "", "", cost])
        for q in p.qualifications:
            cost = "" if q.cost is None else money(q.cost, "")
            ready = f", delivering from {q.ready}" if q.ready else ""
            rows.append(["", "qualify", q.supplier, "", f"start approval{ready}", "", "", cost])
    if not rows:
        return ["Orders: nothing to buy, make, sign, build or qualify"]
    right = [False] * 5 + [True] * 3
    head = "Orders by period (a period's line: what its orders cost, before any incentive)"
    return [head, *aligned([header, *rows], right)]


def _period_cost(p: PeriodOrders) -> float:
    """What the period's orders cost: purchases, production, contracts and plants."""
    return (
        sum(b.cost for b in p.purchases)
        + sum(m.cost or 0.0 for m in p.making)
        + sum(c.fixed_cost for c in p.contracts)
        + sum(s.build_cost or 0.0 for s in p.plants)
        + sum(q.cost or 0.0 for q in p.qualifications)
    )


def _shortage_lines(orders: OrderList, cur: str) -> list[str]:
    if not orders.shortages:
        return ["Shortages: none, every sector's demand is met"]
    order = "scenario's sector order" if orders.scenario_known else "sectors alphabetical"
    rows = [["sector", "kg", f"penalty ({cur})" if cur else "penalty"]]
    for s in orders.shortages:
        rows.append([s.sector, kg(s.kg), "?" if s.penalty is None else money(s.penalty, "")])
    total = sum(s.kg for s in orders.shortages)
    rows.append(["total", kg(total), money(orders.penalty, "")])
    return [f"Shortages by sector ({order})", *aligned(rows, [False, True, True])]


def _compliance_lines(orders: OrderList) -> list[str]:
    if orders.compliance is None:
        return [f"Compliance: {NO_SCENARIO}"]
    if not orders.compliance:
        return ["Compliance: the scenario restricts no origin's end uses"]
    total = orders.banned_kg or 0.0
    verdict = "every ban kept" if total == 0 else "BANS BROKEN"
    head = f"Compliance: {kg(total)} kg of restricted origin reaches a banned end use ({verdict})"
    rows = [
        [f"{f.origin} -> {f.sector}", f"(banned: {', '.join(f.tags)})", f"{kg(f.kg)} kg"]
        for f in orders.compliance
    ]
    return [head, *aligned(rows, [False, False, True])]


def _binding_lines(orders: OrderList) -> list[str]:
    lines = ["Binding limits"]
    grouped: dict[tuple[str, str | None], list[Binding]] = defaultdict(list)
    for b in orders.binding:
        grouped[b.constraint, b.id].append(b)
    rows = [_binding_row(found, len(orders.periods)) for found in grouped.values()]
    lines += (
        aligned(rows, [False, False])
        if rows
        else ["  none of the scenario's caps, budgets or licences is at its limit"]
    )
    if not orders.scenario_known:
        lines.append(f"  origin-share caps and budgets {NO_SCENARIO}")
    return lines


def _binding_row(found: list[Binding], n_periods: int) -> list[str]:
    first = found[0]
    periods = [b.period for b in found if b.period]
    when = "every period" if len(periods) == n_periods else ", ".join(periods)
    if first.constraint == "origin_share":
        return ["origin share", f"{first.id} at its {percent(first.limit, 0)} cap in {when}"]
    if first.constraint == "origin_share_target":
        target = percent(first.limit, 0)
        return ["share target", f"{first.id} at or above its {target} target in {when} (soft cap)"]
    if first.constraint == "budget":
        return ["budget", f"spent to its limit in {when}"]
    return ["licence", f"{first.id} used up: {kg(first.used)} of {kg(first.limit)} kg"]


def _marginal_lines(plan: dict[str, Any], cur: str) -> list[str]:
    found = top_limits(plan)
    if not found:
        return []
    return [
        "What one more unit of each limit is worth (the ten most valuable; negative saves)",
        *(f"  {v.sentence(cur)}" for v in found),
    ]


def _diagnosis(plan: dict[str, Any]) -> list[str]:
    found = diagnosis_lines(plan)
    if not found:
        return []
    return ["", diagnosis_heading(plan) + ":", *(f"  - {text}" for text in found)]


def _explain_error(plan: dict[str, Any]) -> list[str]:
    error = plan.get("explain_error")
    return [f"explain   {error}"] if error else []


def _term_lines(plan: dict[str, Any], cur: str) -> list[str]:
    rows = [[TERM_LABELS.get(t, t), money(signed(t, v), "")] for t, v in plan["terms"].items()]
    rows.append(["Total", money(plan["objective"], "")])
    return [f"Cost terms ({cur})" if cur else "Cost terms", *aligned(rows, [False, True])]


def _origin_lines(plan: dict[str, Any], scenario: Scenario | None) -> list[str]:
    shares: dict[str, dict[str, float]] = defaultdict(dict)
    totals: dict[str, float] = defaultdict(float)
    for row in plan["origin_share"]:
        shares[row["period"]][row["origin"]] = row["share"]
        totals[row["origin"]] += row["share"]
    if not shares:
        return ["Origin shares: no deliveries or production"]
    origins = sorted(totals, key=lambda o: (-totals[o], o))  # the largest first
    periods = [p for p in period_order(plan, scenario) if p in shares]
    rows = [["period", *origins]] + [
        [p, *(percent(shares[p].get(o, 0.0)) for o in origins)] for p in periods
    ]
    head = "Origin shares (% of each period's deliveries + production)"
    return [head, *aligned(rows, [False] + [True] * len(origins))]


def _licence_lines(plan: dict[str, Any]) -> list[str]:
    if not plan["licences"]:
        return ["Licences: none in the scenario"]
    rows = [["licence", "used kg", "of kg", "used"]]
    for row in plan["licences"]:
        pct = row["used"] / row["quantity"] if row["quantity"] else 0.0
        rows.append([row["licence"], kg(row["used"]), kg(row["quantity"]), percent(pct, 0)])
    return ["Licence use", *aligned(rows, [False, True, True, True])]
