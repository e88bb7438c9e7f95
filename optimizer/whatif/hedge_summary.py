"""A hedged plan in a few lines a planner can read (`magnets hedge --format table`): what
to order now, what each outcome then costs, and what the hedge costs and saves."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

SHOWN = 12  # outcomes listed one by one; a larger sample is summed up in a line


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def _kg(value: float) -> str:
    return f"{value:,.0f} kg" if value >= 1 else f"{value:.3g} kg"


def hedge_summary(plan: dict[str, Any]) -> str:
    cur = plan.get("currency", "")
    risk = plan.get("risk", {})
    lines = [
        f"hedged plan {plan.get('name', '')}: {plan['status']}, reveal {plan.get('reveal')}, "
        f"{len(plan.get('outcomes', []))} outcomes"
    ]
    if plan.get("objective") is None:
        if plan.get("message"):
            lines.append(f"no plan: {plan['message']}")
        return "\n".join(lines)
    lines.append(
        f"objective {_money(plan['objective'])} {cur} (expected {_money(plan['expected_cost'])}, "
        f"CVaR at {risk.get('alpha')} {_money(plan['cvar'])}, weight {risk.get('weight')})"
    )
    lines.append(f"order now: {_order_now(plan['here_and_now'])}")
    outcomes = plan["outcomes"]
    if plan.get("sample") and len(outcomes) > SHOWN:
        costs = sorted(o["objective"] for o in outcomes)
        lines.append(
            f"{len(outcomes)} sampled outcomes (seed {plan['sample']['seed']}): cost from "
            f"{_money(costs[0])} to {_money(costs[-1])}, median {_money(costs[len(costs) // 2])}"
        )
        outcomes = []
    for o in outcomes:
        terms = sorted(((v, k) for k, v in o["terms"].items() if abs(v) >= 0.005), reverse=True)
        parts = ", ".join(f"{k} {_money(v)}" for v, k in terms[:3])
        short = f", short {_kg(o['shortage_kg'])}" if o["shortage_kg"] > 1e-6 else ""
        lines.append(
            f"if {o['name']} (p={o['probability']:.3g}): cost {_money(o['objective'])}"
            f"{' (' + parts + ')' if parts else ''}{short}"
        )
    lines.append(_hedge_cost(plan, cur))
    if plan.get("evaluation"):
        lines.append(_evaluation(plan["evaluation"], cur))
    return "\n".join(lines)


def _evaluation(ev: dict[str, Any], cur: str) -> str:
    head = f"out of sample ({ev['outcomes']} fresh outcomes, seed {ev['seed']}): "
    if ev["objective"] is None:
        names = ", ".join(ev.get("infeasible_outcomes", []))
        return head + f"{ev.get('message', 'no estimate')} ({names})"
    ci = ev.get("ci95")
    interval = f", 95 % CI {_money(ci[0])} to {_money(ci[1])}" if ci else ""
    return (
        head + f"objective {_money(ev['objective'])} {cur}{interval}; in sample "
        f"{_money(ev['in_sample_objective'])}"
    )


def _order_now(hn: dict[str, Any]) -> str:
    bought: dict[tuple[str, str, str], float] = defaultdict(float)
    for row in hn["deliveries"]:
        bought[row["supplier"], row["product"], row["period"]] += row["kg"]
    made: dict[tuple[str, str, str], float] = defaultdict(float)
    for row in hn["production"]:
        made[row["plant"], row["product"], row["period"]] += row["kg"]
    parts = [f"{s} {_kg(kg)} {p} in {t}" for (s, p, t), kg in bought.items()]
    parts += [f"make {_kg(kg)} {p} at {k} in {t}" for (k, p, t), kg in made.items()]
    parts += [f"contract {r['supplier']}" for r in hn["contracts"]]
    parts += [f"build {r['plant']} in {r['period']}" for r in hn["plants_built"]]
    return "; ".join(parts) if parts else "nothing before the outcome is known"


def _hedge_cost(plan: dict[str, Any], cur: str) -> str:
    premium, voh = plan.get("premium"), plan.get("value_of_hedging")
    text = f"cost of the hedge: {_money(premium)} {cur} more than base's own plan if base happens"
    if voh is not None:
        text += f"; planning for base alone would cost {_money(voh)} more (value of hedging)"
    elif plan.get("value_of_hedging_infeasible_outcome"):
        text += (
            f"; base's own plan cannot be completed in "
            f"{plan['value_of_hedging_infeasible_outcome']}"
        )
    if plan.get("evpi") is not None:
        text += f"; knowing the outcome in advance is worth {_money(plan['evpi'])} (EVPI)"
    return text
