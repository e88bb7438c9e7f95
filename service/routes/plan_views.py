"""A plan's numbers worded for its page: a scenario plan's tables (`plan_view`) and a
hedged plan's values, orders of now and outcomes (`hedge_view`). Pure functions of the
stored plan and its document; the routes are in `pages_plans.py`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from ..solving import TERM_LABELS, TERMS, plan_insight, signed_term


def plan_view(plan: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """The plan's tables as the page shows them: every number already worded."""
    periods = [str(p) for p in document.get("periods") or []]
    origin_of = _origins(document)
    currency = str(plan.get("currency") or document.get("currency") or "")
    terms = plan.get("terms") or {}
    return {
        "summary": {
            "status": plan.get("status"), "message": plan.get("message") or "",
            "objective": amount(plan.get("objective")), "currency": currency,
            "mip_gap": plan.get("mip_gap"),
        },
        "terms": [
            {"label": TERM_LABELS.get(t, t), "amount": amount(signed_term(t, terms[t]))}
            for t in [*TERMS, *sorted(set(terms) - set(TERMS))] if t in terms
        ],
        "periods": periods,
        **_flows(plan, periods, origin_of),
        "shortages": _by_period(
            plan.get("shortages") or [], periods, lambda r: (r.get("sector"), "", r.get("product"))
        ),
        "licences": [
            {"licence": r.get("licence"), "used": amount(r.get("used")),
             "quantity": amount(r.get("quantity")), "share": percent(_ratio(r))}
            for r in plan.get("licences") or []
        ],
        "origin_shares": _shares(plan.get("origin_share") or [], periods),
        **_consumption(plan.get("consumption") or [], document),
        **_commitments(plan, origin_of, amount),
        "qualified": [
            {"supplier": r.get("supplier"), "origin": origin_of.get(r.get("supplier")) or "",
             "period": r.get("period")}
            for r in plan.get("qualified") or []
        ],
        "insight": plan_insight(plan),
        "limits_note": _limits_note(plan),
    }  # fmt: skip


# --- a hedged plan (MODEL.md §6) as tables ---------------------------------------------


def hedge_view(plan: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """A hedge job's plan as its page shows it: the values that price it, each with what
    it means, the orders of now by supplier and period (labelled by the hedge's base), the
    outcomes and the out-of-sample evaluation; every number already worded."""
    base = document.get("base") if "outcomes" in document else document
    base = base if isinstance(base, dict) else {}
    hn = plan.get("here_and_now") or {}
    periods = [str(p) for p in base.get("periods") or []]
    reveal = str(plan.get("reveal") or "")
    periods = periods[: periods.index(reveal)] if reveal in periods else periods
    rows = [*(hn.get("deliveries") or []), *(hn.get("production") or [])]
    periods += sorted({str(r.get("period")) for r in rows} - set(periods))
    origin_of = _origins(base)
    money = _money(str(plan.get("currency") or base.get("currency") or ""))
    outcomes = plan.get("outcomes") or []
    return {
        "hedge": {
            "name": plan.get("name") or "", "status": plan.get("status"),
            "message": plan.get("message") or "", "reveal": reveal, "outcomes": len(outcomes),
            "objective": money(plan.get("objective")),
        },
        "values": _hedge_values(plan, money),
        "periods": periods,
        **_flows(hn, periods, origin_of),
        **_commitments(hn, origin_of, money),
        "outcomes": [
            {"name": o.get("name"), "probability": percent(o.get("probability")),
             "cost": money(o.get("objective")) or "no plan",
             "shortage": amount(o.get("shortage_kg"))}
            for o in outcomes
        ],
        "evaluation": _evaluation(plan.get("evaluation"), money),
    }  # fmt: skip


def _hedge_values(plan: dict[str, Any], money: Callable[[Any], str]) -> list[dict[str, str]]:
    """Each value that prices the plan: its label, amount and one line on what it means."""
    risk = plan.get("risk") or {}
    alpha, weight = float(risk.get("alpha", 0.9)), float(risk.get("weight", 0.0))
    worst = f"{100 * (1 - alpha):.3g} %"
    rows = [
        ("expected_cost", "Expected cost",
         "The plan's cost averaged over the outcomes, each weighed by its probability."),
        ("cvar", f"CVaR at {100 * alpha:.3g} %",
         f"The mean cost of the worst {worst} of the outcomes, by probability: what a bad "
         "outcome costs."),
        ("objective", f"Objective (weight {weight:g})",
         "What the plan was chosen to minimise: (1 − weight) × expected cost + weight × CVaR; "
         "weight 0 is the expected cost alone."),
        ("wait_and_see", "Wait and see",
         "The same measure if each outcome were known before ordering and planned on its "
         "own."),
        ("evpi", "Value of knowing the outcome (EVPI)",
         "What knowing the outcome in advance would be worth: the objective minus wait and see."),
        ("value_of_hedging", "Value of hedging",
         "How much more planning for the base scenario alone would cost: its orders of now "
         "completed in every outcome, minus this plan."),
        ("premium", "Premium (cost of the hedge)",
         "What the hedge costs if the base scenario is what happens: the base completed with "
         "these orders of now, minus the base's own plan."),
    ]  # fmt: skip
    shown = [
        {"key": key, "label": label, "amount": money(plan.get(key)), "meaning": meaning}
        for key, label, meaning in rows
    ]
    unmet = plan.get("value_of_hedging_infeasible_outcome")
    if plan.get("value_of_hedging") is None and unmet:
        shown[5] |= {
            "amount": f"no plan for the base alone meets {unmet}",
            "meaning": f"The orders of now of a plan for the base scenario alone cannot be "
            f"completed in the outcome {unmet}: hedging is what keeps it possible.",
        }
    return [v for v in shown if v["amount"]]


def _evaluation(ev: Any, money: Callable[[Any], str]) -> dict[str, Any] | None:
    """The out-of-sample evaluation, worded; None when the plan was not evaluated."""
    if not isinstance(ev, dict):
        return None
    ci = ev.get("ci95")
    interval = f"{money(ci[0])} to {money(ci[1])}" if isinstance(ci, list) and len(ci) == 2 else ""
    return {
        "outcomes": ev.get("outcomes"), "seed": ev.get("seed"),
        "objective": money(ev.get("objective")), "in_sample": money(ev.get("in_sample_objective")),
        "ci95": interval,
        "infeasible": ev.get("infeasible") or 0,
        "infeasible_outcomes": ", ".join(str(o) for o in ev.get("infeasible_outcomes") or []),
        "message": ev.get("message") or "",
    }  # fmt: skip


def _money(currency: str) -> Callable[[Any], str]:
    return lambda value: f"{amount(value)} {currency}".strip() if amount(value) else ""


def _limits_note(plan: dict[str, Any]) -> str:
    """What the page says where a plan shows no marginal values."""
    if plan.get("explain_error"):
        return f"The marginal values could not be computed: {plan['explain_error']}"
    if plan.get("diagnosis"):
        return "No plan meets every limit, so none has a marginal value: see why above."
    if "marginal_values" in plan:
        return "No limit binds: one more unit of any of them would not change the total."
    return (
        "This plan was solved without explain (a batch, a sweep, a frontier or a job made "
        "through the API): solve the scenario from its page for the marginal values."
    )


def _by_period(rows: list[dict[str, Any]], periods: list[str], key: Any) -> list[dict[str, Any]]:
    """kg per (row key) and period, with the row's total; rows in first-seen order."""
    table: dict[tuple[Any, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        table[key(r)][str(r.get("period"))] += float(r.get("kg") or 0.0)
    seen = list(periods) + sorted({p for cells in table.values() for p in cells} - set(periods))
    return [
        {"name": k[0], "origin": k[1], "product": k[2],
         "cells": [amount(cells.get(p)) if cells.get(p) else "" for p in seen],
         "total": amount(sum(cells.values()))}
        for k, cells in table.items()
    ]  # fmt: skip


def _consumption(rows: list[dict[str, Any]], document: dict[str, Any]) -> dict[str, Any]:
    """kg consumed per origin (rows) and sector (columns), summed over periods and
    products; a cell whose sector carries a tag that the origin's `restricted_end_uses`
    name is marked "barred" (its kg must be 0), and each such pair is listed in words."""
    table: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for r in rows:
        table[str(r.get("origin"))][str(r.get("sector"))] += float(r.get("kg") or 0.0)
    sectors = [str(s.get("id")) for s in document.get("sectors") or [] if isinstance(s, dict)]
    sectors += sorted({s for cells in table.values() for s in cells} - set(sectors))
    tags = {
        str(s.get("id")): set(s.get("tags") or [])
        for s in document.get("sectors") or [] if isinstance(s, dict)
    }  # fmt: skip
    restricted = {
        str(c.get("id")): set(c.get("restricted_end_uses") or [])
        for c in document.get("countries") or [] if isinstance(c, dict)
    }  # fmt: skip
    banned = {
        (origin, sector): sorted(tags.get(sector, set()) & restricted.get(origin, set()))
        for origin in table for sector in sectors
    }  # fmt: skip
    return {
        "consumption_sectors": sectors,
        "consumption": [
            {"origin": origin,
             "cells": [_barred(amount(cells.get(s)), banned[origin, s]) for s in sectors],
             "total": amount(sum(cells.values()))}
            for origin, cells in sorted(table.items())
        ],
        "barred": [
            f"{origin} material may not go to {sector} (tagged {', '.join(found)}): "
            f"{amount(table[origin].get(sector, 0.0))} kg"
            for (origin, sector), found in banned.items() if found
        ],
    }  # fmt: skip


def _barred(amount: str, banned: list[str]) -> str:
    return f"{amount or 0} barred" if banned else amount


def _shares(rows: list[dict[str, Any]], periods: list[str]) -> list[dict[str, Any]]:
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for r in rows:
        table[str(r.get("origin"))][str(r.get("period"))] = float(r.get("share") or 0.0)
    return [
        {"origin": origin, "cells": [percent(cells.get(p)) for p in periods]}
        for origin, cells in sorted(table.items())
    ]


def _origins(scenario: dict[str, Any]) -> dict[Any, Any]:
    """Each supplier's origin (its shipping country when none is given)."""
    return {
        s.get("id"): s.get("origin") or s.get("country") for s in scenario.get("suppliers") or []
    }


def _flows(
    plan: dict[str, Any], periods: list[str], origin_of: dict[Any, Any]
) -> dict[str, list[dict[str, Any]]]:
    """Deliveries by supplier, origin and product, and production by plant and product,
    each by period."""
    return {
        "deliveries": _by_period(
            plan.get("deliveries") or [], periods,
            lambda r: (r.get("supplier"), origin_of.get(r.get("supplier")) or "", r.get("product")),
        ),
        "production": _by_period(
            plan.get("production") or [], periods, lambda r: (r.get("plant"), "", r.get("product"))
        ),
    }  # fmt: skip


def _commitments(
    plan: dict[str, Any], origin_of: dict[Any, Any], money: Callable[[Any], str]
) -> dict[str, list[dict[str, Any]]]:
    """Contracts signed (their fixed cost worded by `money`) and plants built."""
    return {
        "contracts": [
            {"supplier": r.get("supplier"), "origin": origin_of.get(r.get("supplier")) or "",
             "fixed_cost": money(r.get("fixed_cost"))}
            for r in plan.get("contracts") or []
        ],
        "plants_built": [
            {"plant": r.get("plant"), "period": r.get("period")}
            for r in plan.get("plants_built") or []
        ],
    }  # fmt: skip


def _ratio(row: dict[str, Any]) -> float | None:
    quantity = row.get("quantity")
    return None if not quantity else float(row.get("used") or 0.0) / float(quantity)


def amount(value: Any) -> str:
    if not isinstance(value, int | float):
        return ""
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"
