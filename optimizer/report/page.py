"""The report's HTML: escaping, tables, figures and the sections of each kind of page."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from optimizer.model.plan_types import TERMS
from optimizer.report.explained import diagnosis_heading
from optimizer.report.inputs import (
    Frontier,
    HedgedPlan,
    PlanContext,
    Sweep,
    percentiles,
)
from optimizer.report.markup import esc
from optimizer.report.markup import facts as _facts
from optimizer.report.markup import num as _num
from optimizer.report.markup import section as _section
from optimizer.report.markup import table as _table
from optimizer.report.markup import td as _td
from optimizer.report.order_page import explain_sections, order_sections
from optimizer.report.orders import order_list
from optimizer.report.terms import TERM_LABELS, signed

if TYPE_CHECKING:
    from optimizer.report.drawing import Chart

# ---------------------------------------------------------------- the page

CSS = """
body{font-family:system-ui,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;max-width:1100px;
margin:1.5rem auto;padding:0 1rem;line-height:1.4}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.facts dt{color:#555}
dl.facts dd{margin:0;font-weight:600}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.2rem .7rem;border-bottom:1px solid #eee;
text-align:left}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.total td,tr.total th{border-top:2px solid #999;font-weight:600}
figure.chart{margin:1rem 0;padding:.5rem;border:1px solid #e3e3e3;border-radius:4px}
figure.chart svg{display:block;max-width:100%;height:auto}
figcaption{font-size:.9rem;color:#444;margin-top:.3rem}p.note{color:#555;font-style:italic}
"""


def _figure(chart: Chart | None, note: str) -> str:
    if chart is None:
        return f'<p class="note">{esc(note)}</p>'
    from optimizer.report.drawing import svg_markup  # matplotlib: only when a chart is drawn

    caption = f"<strong>{esc(chart.title)}.</strong> {esc(chart.caption)}"
    return (
        f'<figure class="chart" id="{esc(chart.id)}">\n{svg_markup(chart)}\n'
        f"<figcaption>{caption}</figcaption>\n</figure>"
    )


def page_html(title: str, parts: Iterable[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


PLAN_CHARTS = (  # role, heading, what to say when there is nothing to draw
    ("flows", "Where each sector's magnets come from", "Nothing was consumed."),
    ("origin-share", "Origin shares", "No deliveries or production."),
    ("costs", "Cost", ""),
    ("inventory", "Stock", "No stock is held at the end of any period."),
    ("licences", "Licences", "The scenario has no licences."),
)


def plan_parts(
    plan: Mapping[str, Any],
    ctx: PlanContext,
    charts: Mapping[str, Chart],
    prefix: str = "",
    level: int = 2,
) -> list[str]:
    """The plan's sections; `prefix` keeps ids unique when several plans share a page."""
    objective = plan["objective"]
    facts = [
        ("Scenario", plan.get("scenario")),
        ("Status", plan["status"]),
        ("Objective", None if objective is None else f"{objective:,.0f} {ctx.currency}".strip()),
        ("Currency", ctx.currency or None),
        ("MIP gap", plan.get("mip_gap")),
        ("Message", plan.get("message")),
    ]
    orders = order_list(plan, ctx.scenario)
    if orders is not None:
        facts[3:3] = [
            ("Spend", f"{orders.spend:,.0f} {ctx.currency}".strip()),
            ("Shortage penalty (notional)", f"{orders.penalty:,.0f} {ctx.currency}".strip()),
        ]
    parts = [_facts(facts, f"{prefix}facts")]
    if orders is None:
        return [*parts, '<p class="note">No plan: nothing to draw.</p>', *_diagnosis(plan, prefix)]
    parts += order_sections(orders, ctx.currency, prefix, level)
    parts += explain_sections(plan, ctx.currency, prefix, level)
    for role, heading, note in PLAN_CHARTS:
        table = _cost_table(plan, ctx.currency, f"{prefix}cost-table") if role == "costs" else ""
        figure = _figure(charts.get(role), note)
        parts.append(_section(f"{prefix}sec-{role}", heading, level, table, figure))
    shortages = _shortage_table(plan, f"{prefix}shortage-table")
    return [*parts, _section(f"{prefix}sec-shortages", "Shortages", level, shortages)]


def _cost_table(plan: Mapping[str, Any], currency: str, table_id: str) -> str:
    """The terms as they add up to the objective (the earned subsidy subtracted)."""
    terms = plan["terms"]
    rows = [
        f'<tr data-term="{esc(t)}"><th>{esc(TERM_LABELS.get(t, t))}</th>'
        f"{_num(signed(t, terms[t]), 0)}</tr>"
        for t in [*TERMS, *sorted(set(terms) - set(TERMS))]
        if t in terms
    ]
    total = '<tr class="total" data-term="objective"><th>Total (objective)</th>'
    head = f'<tr><th>Term</th><th class="num">{esc(currency or "amount")}</th></tr>'
    body = "\n".join([head, *rows, f"{total}{_num(plan['objective'], 0)}</tr>"])
    return f'<table id="{esc(table_id)}">\n{body}\n</table>'


def _shortage_table(plan: Mapping[str, Any], table_id: str) -> str:
    rows = plan["shortages"]
    if not rows:
        return '<p class="note">No shortages: every sector\'s demand is met.</p>'
    body = [[_td(r["sector"]), _td(r["product"]), _td(r["period"]), _num(r["kg"], 0)] for r in rows]
    body.append(['<th colspan="3">Total</th>', _num(sum(r["kg"] for r in rows), 0)])
    return _table(table_id, ["Sector", "Product", "Period", "Unmet kg"], body)


def _diagnosis(plan: Mapping[str, Any], prefix: str) -> list[str]:
    """The conflict that `--explain` reports for an infeasible scenario, when present."""
    found = plan.get("diagnosis")
    conflict = found.get("conflict") if isinstance(found, Mapping) else None
    if not isinstance(conflict, list) or not conflict:
        return []
    keys = ("constraint", "id", "period", "text")
    rows = [[_td(c.get(k) or "") for k in keys] for c in conflict if isinstance(c, Mapping)]
    table = _table(f"{prefix}conflict-table", ["Constraint", "Id", "Period", "Why"], rows)
    head = f'<p id="{esc(prefix)}conflict-heading">{esc(diagnosis_heading(plan))}:</p>'
    title = "Constraints that cannot hold together"
    return [_section(f"{prefix}sec-conflict", title, 2, head, table)]


def sweep_parts(sweep: Sweep, charts: Mapping[str, Chart]) -> list[str]:
    costs = [m.objective for m in sweep.drawn if m.objective is not None]
    statuses = sorted({m.status for m in sweep.members})
    counts = ", ".join(f"{sum(m.status == s for m in sweep.members)} {s}" for s in statuses)
    spread = [[_td(f"P{q:g}"), _num(v)] for q, v in (percentiles(costs) if costs else {}).items()]
    members = [
        [
            _td(m.name + (" (base)" if m.base else "")),
            _td(m.status),
            _num(m.objective),
            _num(m.shortage_kg, 1),
        ]
        for m in sweep.members
    ]
    member_table = _table("member-table", ["Member", "Status", "Total cost", "Unmet kg"], members)
    stats = [[_td(k), _number_or_text(v)] for k, v in _flat(sweep.stats)]
    return [
        _facts(
            [("Sweep", sweep.name or None), ("Members", len(sweep.members)), ("Statuses", counts)],
            "facts",
        ),
        _section(
            "sec-distribution",
            "Total cost across members",
            2,
            _table("percentile-table", ["Total cost", "Value"], spread) if spread else "",
            _figure(charts.get("cost-distribution"), "No member has a plan."),
        ),
        _section(
            "sec-stats",
            "Statistics reported with the sweep",
            2,
            _table("stats-table", ["Statistic", "Value"], stats) if stats else "",
        ),
        _section(
            "sec-members",
            "Members",
            2,
            f"<details><summary>{len(members)} members</summary>\n{member_table}\n</details>",
        ),
    ]


def _flat(value: Any, name: str = "") -> Iterable[tuple[str, Any]]:
    """Nested statistics as dotted names (`total_cost.p50`), whatever their depth."""
    if not isinstance(value, Mapping):
        yield name, value
        return
    for key, inner in value.items():
        yield from _flat(inner, f"{name}.{key}" if name else str(key))


def _number_or_text(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return _num(value, 0)
    if isinstance(value, float) and math.isfinite(value):
        return _num(value)
    return _td(value if isinstance(value, str) else json.dumps(value, default=str))


def frontier_parts(frontier: Frontier, charts: Mapping[str, Chart]) -> list[str]:
    def percent(share: float | None) -> str:
        return _num(None if share is None else 100 * share, 1, " %")

    on = set(frontier.points)
    rows = [
        [
            percent(p.cap),
            _td(p.status),
            percent(p.share),
            _num(p.objective),
            _num(p.shortage_kg, 1),
            _td("yes" if p in on else ""),
        ]
        for p in frontier.evaluated
    ]
    header = ["Cap", "Status", "Share reached", "Total cost", "Unmet kg", "On the frontier"]
    facts = [("Origin", frontier.origin or "(not named)"), ("Caps tried", len(frontier.evaluated))]
    return [
        _facts(facts, "facts"),
        _section(
            "sec-frontier",
            "Total cost against the origin's share",
            2,
            _figure(charts.get("frontier"), "No cap has a plan."),
            _figure(charts.get("frontier-shortage"), "No cap leaves demand unmet."),
        ),
        _section("sec-points", "Caps tried", 2, _table("frontier-table", header, rows)),
    ]


def job_parts(
    items: Sequence[tuple[str, dict[str, Any], PlanContext]], charts: Mapping[str, Chart]
) -> list[str]:
    header = ["Scenario", "Status", "Total cost", *(TERM_LABELS[t] for t in TERMS), "Unmet kg"]
    rows = [
        [
            _td(name),
            _td(plan["status"]),
            _num(plan["objective"]),
            *(_num(signed(t, plan["terms"][t]) if t in plan["terms"] else None) for t in TERMS),
            _num(sum(r["kg"] for r in plan["shortages"]), 1),
        ]
        for name, plan, _ in items
    ]
    parts = [
        _section(
            "sec-comparison",
            "Comparison",
            2,
            _table("comparison-table", header, rows),
            _figure(charts.get("compare-costs"), "No scenario has a plan."),
        )
    ]
    for i, (name, plan, ctx) in enumerate(items, start=1):
        prefix = f"s{i}-"
        own = {k.removeprefix(prefix): c for k, c in charts.items() if k.startswith(prefix)}
        inner = plan_parts(plan, ctx, own, prefix, level=3)
        parts.append(_section(f"{prefix}plan", f"Scenario {name}", 2, *inner))
    return parts


def hedge_parts(hedge: HedgedPlan, charts: Mapping[str, Chart]) -> list[str]:
    """A hedged plan: its risk measures, the cost across outcomes, what to order now, and
    (when evaluated) the objective on fresh outcomes."""
    cur = hedge.currency

    def money(value: float | None) -> str | None:
        return None if value is None else f"{value:,.0f} {cur}".strip()

    facts = [
        ("Hedged plan", hedge.name or None),
        ("Status", hedge.status),
        ("Reveal", hedge.reveal or None),
        ("Outcomes", len(hedge.outcomes)),
        ("Objective", money(hedge.objective)),
        ("Risk", f"CVaR at {hedge.alpha:g}, weight {hedge.weight:g}"),
        ("Message", hedge.message),
    ]
    parts = [_facts(facts, "facts")]
    if hedge.objective is None:
        return [*parts, '<p class="note">No hedged plan: nothing to draw.</p>']
    labels = {
        "expected_cost": "Expected cost",
        "cvar": f"CVaR at {hedge.alpha:g} (mean of the worst {1 - hedge.alpha:.0%})",
        "objective": "Objective",
        "wait_and_see": "Wait and see (each outcome known in advance)",
        "evpi": "Value of knowing the outcome (EVPI)",
        "value_of_hedging": "Value of hedging (against planning for base alone)",
        "premium": "Cost of the hedge if base happens",
    }
    values = {
        "expected_cost": hedge.expected_cost,
        "cvar": hedge.cvar,
        "objective": hedge.objective,
        **hedge.values,
    }
    risk_rows = [
        f'<tr data-value-of="{esc(k)}"><th>{esc(label)}</th>{_num(values[k], 0)}</tr>'
        for k, label in labels.items()
    ]
    risk_table = '<table id="hedge-values-table">\n' + "\n".join(risk_rows) + "\n</table>"
    parts.append(
        _section(
            "sec-hedge-costs",
            "Cost across outcomes",
            2,
            risk_table,
            _figure(charts.get("hedge-costs"), "No outcome has a cost."),
        )
    )
    parts.append(_section("sec-order-now", "Order now", 2, _order_now(hedge)))
    if hedge.evaluation is not None:
        parts.append(_section("sec-evaluation", "Out of sample", 2, _evaluation(hedge)))
    rows = [
        [_td(o.name), _num(o.probability, 4), _num(o.objective, 0), _num(o.shortage_kg, 0)]
        for o in hedge.outcomes
    ]
    table = _table("hedge-outcome-table", ["Outcome", "Probability", "Cost", "Unmet kg"], rows)
    if len(rows) > 12:
        table = f"<details><summary>{len(rows)} outcomes</summary>\n{table}\n</details>"
    parts.append(_section("sec-hedge-outcomes", "Outcomes", 2, table))
    return parts


def _order_now(hedge: HedgedPlan) -> str:
    """The shared decisions, made before `reveal`: the same whatever the outcome."""
    hn = hedge.here_and_now
    rows = [
        [_td("buy"), _td(r["supplier"]), _td(r["product"]), _td(r["period"]),
         _num(r["kg"], 0), _num(r["landed_cost"]), _num(r["cost"], 0)]
        for r in hn["deliveries"]
    ]  # fmt: skip
    rows += [
        [_td("make"), _td(r["plant"]), _td(r["product"]), _td(r["period"]), _num(r["kg"], 0),
         _num(None), _num(None)]
        for r in hn["production"]
    ]  # fmt: skip
    rows += [
        [_td("contract"), _td(r["supplier"]), _td(""), _td(""), _num(None), _num(None),
         _num(r["fixed_cost"], 0)]
        for r in hn["contracts"]
    ]  # fmt: skip
    rows += [
        [_td("build"), _td(r["plant"]), _td(""), _td(r["period"]), _num(None), _num(None),
         _num(None)]
        for r in hn["plants_built"]
    ]  # fmt: skip
    before = f" before {hedge.reveal}" if hedge.reveal else ""
    note = (
        f'<p class="note">Decided{esc(before)}, the same in every outcome; later periods '
        "adapt to the outcome.</p>"
    )
    if not rows:
        return note + '<p class="note">Nothing to order before the outcome is known.</p>'
    header = ["Decision", "Supplier or plant", "Product", "Period", "kg", "Per kg", "Cost"]
    return note + _table("order-now-table", header, rows)


def _evaluation(hedge: HedgedPlan) -> str:
    ev = hedge.evaluation or {}
    ci = ev.get("ci95")
    facts = [
        ("Fresh outcomes", ev.get("outcomes")),
        ("Seed", ev.get("seed")),
        ("Objective on them", _rounded(ev.get("objective"), hedge.currency)),
        (
            "95 % confidence interval",
            None
            if not ci
            else f"{_rounded(ci[0], hedge.currency)} to {_rounded(ci[1], hedge.currency)}",
        ),
        ("In-sample objective", _rounded(ev.get("in_sample_objective"), hedge.currency)),
        ("Not completable", ev.get("infeasible") or None),
        ("Message", ev.get("message")),
    ]
    return _facts(facts, "evaluation-facts")


def _rounded(value: Any, currency: str) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return f"{value:,.0f} {currency}".strip()
