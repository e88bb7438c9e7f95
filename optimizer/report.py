"""`magnets report`: a self-contained HTML page (inline SVG, no script, no network) for a
plan, a sweep result, a frontier result or a job's plans, and the same charts as PNGs.

Inputs, read tolerantly (a missing optional field takes the default in brackets):
- a plan (MODEL.md §4): `status`, `objective`, `terms`, and the tables `consumption`,
  `inventory`, `shortages`, `licences`, `origin_share` [each table: empty];
- a sweep result: `{"name", "members": [{"name" or "member", "status", "objective",
  "terms": {term: amount}, "shortage_kg": {sector: kg} or a total, "levels"}],
  "stats" or "statistics": {...}}` [name: "member N", status: "unknown", objective and
  terms: none, shortage_kg: 0]. A member whose `levels` are all null is the unshocked
  base: marked on the histogram but, as in the sweep's statistics, not counted in it;
- a frontier result: `{"origin": "CN", "points": [{"cap", "status", "objective", "share",
  "shortage_kg"}], "evaluated": [...]}`, `cap` and `share` (the origin's largest share
  of a period) as fractions; `points` is the frontier, `evaluated` every cap tried
  [evaluated: the points; cap, objective and share: none; shortage_kg: 0];
- a job's plans, as `GET /v1/jobs/{id}/plans` answers: `{"items": [{"scenario", "plan"}]}`.
A field of the wrong type is rejected with its JSON pointer, never a stack trace.

matplotlib draws the charts (`report_charts`); it is imported only when a report is
drawn, so that `magnets solve` does not pay for it.
"""

from __future__ import annotations

import argparse
import heapq
import html
import json
import math
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Problem, ScenarioError, pointer
from .loading import load_scenario, parse_scenario
from .scenario import Scenario

if TYPE_CHECKING:
    from .report_charts import Chart

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2
TERMS = ("purchase", "fixed", "production", "subsidy", "build", "holding", "shortage")
PLAN_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # (text fields, numbers)
    "consumption": (("product", "origin", "sector", "period"), ("kg",)),
    "inventory": (("product", "origin", "period"), ("kg",)),
    "shortages": (("product", "sector", "period"), ("kg",)),
    "licences": (("licence",), ("used", "quantity")),
    "origin_share": (("period", "origin"), ("share",)),
}


class ReportInputError(ValueError):
    """A report input was rejected; `problems` lists every field that is wrong."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class PlanContext:
    """What a plan alone does not say, taken from its scenario when one is given."""

    periods: tuple[str, ...]
    origins: tuple[str, ...]
    origin_caps: Mapping[str, float]  # policy.max_origin_share
    safety_stock: Mapping[str, float]  # min_inventory per product, kg
    currency: str


@dataclass(frozen=True)
class Member:
    """One scenario of a sweep."""

    name: str
    status: str
    objective: float | None
    terms: Mapping[str, float]
    shortage_kg: float
    base: bool  # the unshocked base scenario: a reference, not a draw


@dataclass(frozen=True)
class FrontierPoint:
    """One cap on an origin's share and the best plan under it."""

    cap: float | None
    status: str
    objective: float | None
    share: float | None
    shortage_kg: float


@dataclass(frozen=True)
class Sweep:
    name: str
    members: tuple[Member, ...]
    stats: Mapping[str, Any]

    @property
    def drawn(self) -> list[Member]:
        """The members the statistics speak of: solved, the base left out."""
        return [m for m in self.members if m.objective is not None and not m.base]


@dataclass(frozen=True)
class Frontier:
    origin: str
    points: tuple[FrontierPoint, ...]  # the frontier itself
    evaluated: tuple[FrontierPoint, ...]  # every cap tried (the points when not given)


@dataclass(frozen=True)
class Report:
    """A page and the charts drawn on it (the PNGs are made from the same charts)."""

    html: str
    charts: tuple[Chart, ...]


# ---------------------------------------------------------------- reading the inputs


def _fail(where: str, value: Any, rule: str) -> ReportInputError:
    shown = value if isinstance(value, str | int | float | bool) or value is None else None
    return ReportInputError([Problem(where, shown, rule)])


def _finite(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(where, value, "must be a finite number")
    return float(value)


def _optional(value: Any, where: str) -> float | None:
    """A number that is null where there is nothing to report (no solution)."""
    return None if value is None else _finite(value, where)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, value, "must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, value, "must be a list")
    return value


def _amounts(value: Any, where: str) -> dict[str, float]:
    """A mapping of names to finite numbers, e.g. cost terms or kg by sector."""
    return {str(k): _finite(v, where + pointer(k)) for k, v in _mapping(value, where).items()}


def _total_kg(value: Any, where: str) -> float:
    """`shortage_kg` as either a total or kg by sector."""
    if value is None:
        return 0.0
    if isinstance(value, Mapping):
        return sum(_amounts(value, where).values())
    return _finite(value, where)


def read_plan(doc: Any, where: str = "") -> dict[str, Any]:
    """The plan with its tables checked and missing tables made empty."""
    plan = dict(_mapping(doc, where or "/"))
    if not isinstance(plan.get("status"), str):
        raise _fail(f"{where}/status", plan.get("status"), "a plan needs a status string")
    plan["objective"] = _optional(plan.get("objective"), f"{where}/objective")
    plan["terms"] = _amounts(plan.get("terms") or {}, f"{where}/terms")
    for table, (texts, numbers) in PLAN_TABLES.items():
        rows = _list(plan.get(table) or [], f"{where}/{table}")
        plan[table] = [_row(r, f"{where}/{table}/{i}", texts, numbers) for i, r in enumerate(rows)]
    return plan


def _row(row: Any, where: str, texts: Sequence[str], numbers: Sequence[str]) -> dict[str, Any]:
    row = _mapping(row, where)
    out: dict[str, Any] = {}
    for name in texts:
        if name not in row or isinstance(row[name], list | dict) or row[name] is None:
            raise _fail(f"{where}/{name}", row.get(name), "must be an id or label")
        out[name] = str(row[name])
    for name in numbers:
        out[name] = _finite(row.get(name), f"{where}/{name}")
    return out


def read_sweep(doc: Any) -> Sweep:
    body = _mapping(doc, "/")
    members = [_member(m, i) for i, m in enumerate(_list(body.get("members"), "/members"))]
    stats = body.get("stats", body.get("statistics")) or {}
    return Sweep(str(body.get("name") or ""), tuple(members), _mapping(stats, "/stats"))


def _member(doc: Any, i: int) -> Member:
    """A member; its name under `name` or `member`; all-null `levels` mark the base."""
    where = f"/members/{i}"
    body = _mapping(doc, where)
    levels = body.get("levels")
    return Member(
        name=str(body.get("name") or body.get("member") or f"member {i + 1}"),
        status=str(body.get("status") or "unknown"),
        objective=_optional(body.get("objective"), f"{where}/objective"),
        terms=_amounts(body.get("terms") or {}, f"{where}/terms"),
        shortage_kg=_total_kg(body.get("shortage_kg"), f"{where}/shortage_kg"),
        base=isinstance(levels, Mapping)
        and bool(levels)
        and all(v is None for v in levels.values()),
    )


def read_frontier(doc: Any) -> Frontier:
    body = _mapping(doc, "/")
    points = _points(body.get("points"), "/points")
    tried = _points(body["evaluated"], "/evaluated") if "evaluated" in body else points
    return Frontier(str(body.get("origin") or ""), points, tried)


def _points(value: Any, where: str) -> tuple[FrontierPoint, ...]:
    points = []
    for i, point in enumerate(_list(value, where)):
        at, p = f"{where}/{i}", _mapping(point, f"{where}/{i}")
        points.append(
            FrontierPoint(
                cap=_optional(p.get("cap"), f"{at}/cap"),
                status=str(p.get("status") or "unknown"),
                objective=_optional(p.get("objective"), f"{at}/objective"),
                share=_optional(p.get("share"), f"{at}/share"),
                shortage_kg=_total_kg(p.get("shortage_kg"), f"{at}/shortage_kg"),
            )
        )
    return tuple(points)


def read_job_items(doc: Any) -> list[tuple[str, dict[str, Any]]]:
    """A job's `{"items": [{"scenario", "plan"}]}`, or a list of (name, plan) pairs."""
    items = _list(doc.get("items") if isinstance(doc, Mapping) else doc, "/items")
    out = []
    for i, item in enumerate(items):
        pair = (item.get("scenario"), item.get("plan")) if isinstance(item, Mapping) else item
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise _fail(f"/items/{i}", None, "must be {scenario, plan} or a (name, plan) pair")
        out.append((str(pair[0] or f"scenario {i + 1}"), read_plan(pair[1], f"/items/{i}/plan")))
    return out


def plan_context(plan: Mapping[str, Any], scenario_doc: Any = None) -> PlanContext:
    """Periods, origins, caps and safety stocks: from the scenario when given, else the plan."""
    periods, origins = _periods_seen(plan), _origins_seen(plan)
    if scenario_doc is None:
        return PlanContext(periods, origins, {}, {}, str(plan.get("currency") or ""))
    scenario = scenario_doc if isinstance(scenario_doc, Scenario) else parse_scenario(scenario_doc)
    if plan.get("scenario") not in (None, scenario.name):
        raise _fail("/scenario", plan["scenario"], f"the plan is not of scenario {scenario.name!r}")
    return PlanContext(
        periods=_merged(scenario.periods, periods),
        origins=_merged([c.id for c in scenario.countries], origins),
        origin_caps={o: cap for o, cap in scenario.policy.max_origin_share.items() if cap < 1},
        safety_stock={p.id: p.min_inventory for p in scenario.products if p.min_inventory > 0},
        currency=scenario.currency,
    )


def _origins_seen(plan: Mapping[str, Any]) -> tuple[str, ...]:
    tables = ("origin_share", "consumption", "inventory")
    return _merged((), (row["origin"] for t in tables for row in plan[t]))


def _periods_seen(plan: Mapping[str, Any]) -> tuple[str, ...]:
    """Periods in time order as far as the plan shows it. In every table the rows of one
    product, origin, sector... run forward in time, so consecutive periods there are in
    order; where nothing orders two periods, first appearance decides."""
    first: dict[str, int] = {}
    before: dict[str, set[str]] = defaultdict(set)
    for table in ("origin_share", "consumption", "inventory", "shortages"):
        last: dict[tuple[Any, ...], str] = {}
        for row in plan[table]:
            period = row["period"]
            first.setdefault(period, len(first))
            group = tuple(v for k, v in sorted(row.items()) if k not in ("period", "kg", "share"))
            if last.get(group, period) != period:
                before[period].add(last[group])
            last[group] = period
    return _in_order(first, before)


def _in_order(first: Mapping[str, int], before: Mapping[str, set[str]]) -> tuple[str, ...]:
    """Kahn's topological order, ties by first appearance; periods caught in a cycle (rows
    out of time order) follow in order of first appearance."""
    after: dict[str, list[str]] = defaultdict(list)
    waiting = {p: len(before.get(p, ())) for p in first}
    for period, earlier in before.items():
        for e in earlier:
            after[e].append(period)
    ready = [(first[p], p) for p, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    ordered: list[str] = []
    while ready:
        ordered.append(heapq.heappop(ready)[1])
        for later in after[ordered[-1]]:
            waiting[later] -= 1
            if waiting[later] == 0:
                heapq.heappush(ready, (first[later], later))
    return _merged(ordered, sorted(first, key=first.__getitem__))


def _merged(first: Iterable[str], more: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *more]))


def percentiles(values: Sequence[float], qs: Sequence[float] = (5, 50, 95)) -> dict[float, float]:
    """Percentiles by linear interpolation between order statistics (numpy's default)."""
    ordered = sorted(values)
    out = {}
    for q in qs:
        rank = q / 100 * (len(ordered) - 1)
        low = math.floor(rank)
        high = min(low + 1, len(ordered) - 1)
        out[q] = ordered[low] + (rank - low) * (ordered[high] - ordered[low])
    return out


# ---------------------------------------------------------------- the page

TERM_LABELS = {
    "purchase": "Landed purchases",
    "fixed": "Supplier contracts",
    "production": "Domestic production",
    "subsidy": "Production incentive (earned)",
    "build": "Plant construction",
    "holding": "Stock holding",
    "shortage": "Unmet demand penalty",
}
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


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _td(text: Any) -> str:
    return f"<td>{_esc(text)}</td>"


def _num(value: float | None, digits: int = 2, suffix: str = "") -> str:
    """A number cell; `data-value` keeps the exact value for anyone reading the page."""
    if value is None:
        return '<td class="num">–</td>'
    shown = f"{value:,.{digits}f}".replace("-", "−") + suffix
    return f'<td class="num" data-value="{value!r}">{shown}</td>'


def _table(table_id: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    heads = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "\n".join(f"<tr>{''.join(cells)}</tr>" for cells in rows)
    return f'<table id="{_esc(table_id)}">\n<tr>{heads}</tr>\n{body}\n</table>'


def _facts(pairs: Iterable[tuple[str, Any]], facts_id: str) -> str:
    items = "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in pairs if v is not None)
    return f'<dl class="facts" id="{_esc(facts_id)}">{items}</dl>'


def _figure(chart: Chart | None, note: str) -> str:
    if chart is None:
        return f'<p class="note">{_esc(note)}</p>'
    from .report_charts import svg_markup

    caption = f"<strong>{_esc(chart.title)}.</strong> {_esc(chart.caption)}"
    return (
        f'<figure class="chart" id="{_esc(chart.id)}">\n{svg_markup(chart)}\n'
        f"<figcaption>{caption}</figcaption>\n</figure>"
    )


def _section(section_id: str, title: str, level: int, *parts: str) -> str:
    head = f"<h{level}>{_esc(title)}</h{level}>"
    return f'<section id="{_esc(section_id)}">\n{head}\n' + "\n".join(parts) + "\n</section>"


def _page(title: str, parts: Iterable[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


def signed(term: str, amount: float) -> float:
    """A term as it enters the objective: the earned subsidy counts against the cost."""
    return 0.0 - amount if term == "subsidy" else amount


PLAN_CHARTS = (  # role, heading, what to say when there is nothing to draw
    ("flows", "Where each sector's magnets come from", "Nothing was consumed."),
    ("origin-share", "Origin shares", "No deliveries or production."),
    ("costs", "Cost", ""),
    ("inventory", "Stock", "No stock is held at the end of any period."),
    ("licences", "Licences", "The scenario has no licences."),
)


def _plan_parts(
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
        ("Objective", None if objective is None else f"{objective:,.2f} {ctx.currency}".strip()),
        ("Currency", ctx.currency or None),
        ("MIP gap", plan.get("mip_gap")),
        ("Message", plan.get("message")),
    ]
    parts = [_facts(facts, f"{prefix}facts")]
    if objective is None:
        return [*parts, '<p class="note">No plan: nothing to draw.</p>', *_diagnosis(plan, prefix)]
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
        f'<tr data-term="{_esc(t)}"><th>{_esc(TERM_LABELS.get(t, t))}</th>'
        f"{_num(signed(t, terms[t]))}</tr>"
        for t in [*TERMS, *sorted(set(terms) - set(TERMS))]
        if t in terms
    ]
    total = '<tr class="total" data-term="objective"><th>Total (objective)</th>'
    head = f'<tr><th>Term</th><th class="num">{_esc(currency or "amount")}</th></tr>'
    body = "\n".join([head, *rows, f"{total}{_num(plan['objective'])}</tr>"])
    return f'<table id="{_esc(table_id)}">\n{body}\n</table>'


def _shortage_table(plan: Mapping[str, Any], table_id: str) -> str:
    rows = plan["shortages"]
    if not rows:
        return '<p class="note">No shortages: every sector\'s demand is met.</p>'
    body = [[_td(r["sector"]), _td(r["product"]), _td(r["period"]), _num(r["kg"], 1)] for r in rows]
    body.append(['<th colspan="3">Total</th>', _num(sum(r["kg"] for r in rows), 1)])
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
    return [_section(f"{prefix}sec-conflict", "Constraints that cannot hold together", 2, table)]


def _sweep_parts(sweep: Sweep, charts: Mapping[str, Chart]) -> list[str]:
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


def _frontier_parts(frontier: Frontier, charts: Mapping[str, Chart]) -> list[str]:
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


def _job_parts(
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
        inner = _plan_parts(plan, ctx, own, prefix, level=3)
        parts.append(_section(f"{prefix}plan", f"Scenario {name}", 2, *inner))
    return parts


# ---------------------------------------------------------------- building reports


def _report(title: str, parts: Iterable[str], charts: Mapping[str, Chart]) -> Report:
    page = _page(title, [f"<h1>{_esc(title)}</h1>", *parts])
    return Report(page, tuple(charts.values()))


def build_plan_report(plan: Any, scenario_doc: Any = None) -> Report:
    """A plan's page; its scenario (a document or a `Scenario`) adds caps and safety stocks."""
    from .report_charts import plan_charts

    plan = read_plan(plan)
    ctx = plan_context(plan, scenario_doc)
    charts = plan_charts(plan, ctx) if plan["objective"] is not None else {}
    title = f"Sourcing plan: {plan.get('scenario') or 'unnamed scenario'}"
    return _report(title, _plan_parts(plan, ctx, charts), charts)


def build_sweep_report(result: Any) -> Report:
    from .report_charts import sweep_charts

    sweep = read_sweep(result)
    charts = sweep_charts(sweep)
    return _report(f"Sweep of {len(sweep.members)} members", _sweep_parts(sweep, charts), charts)


def build_frontier_report(result: Any) -> Report:
    from .report_charts import frontier_charts

    frontier = read_frontier(result)
    charts = frontier_charts(frontier)
    title = f"Cost of capping the share of {frontier.origin or 'one origin'}"
    return _report(title, _frontier_parts(frontier, charts), charts)


def build_job_report(items: Any) -> Report:
    """One page for a job: its scenarios compared, then each plan in turn."""
    from .report_charts import comparison_chart, plan_charts

    read = [(name, plan, plan_context(plan)) for name, plan in read_job_items(items)]
    compare = comparison_chart([(name, plan) for name, plan, _ in read])
    charts = {compare.id: compare} if compare else {}
    for i, (_, plan, ctx) in enumerate(read, start=1):
        if plan["objective"] is not None:
            charts.update({c.id: c for c in plan_charts(plan, ctx, prefix=f"s{i}-").values()})
    return _report(f"Job of {len(read)} scenarios", _job_parts(read, charts), charts)


def build_report(doc: Any, scenario_doc: Any = None) -> Report:
    """Any of the four inputs, told apart by their fields."""
    kind = input_kind(doc)
    if scenario_doc is not None and kind != "plan":
        raise _fail("/", None, f"a scenario goes with a plan, not with a {kind}")
    if kind == "plan":
        return build_plan_report(doc, scenario_doc)
    build = {"sweep": build_sweep_report, "frontier": build_frontier_report}.get(kind)
    return build(doc) if build else build_job_report(doc)


def input_kind(doc: Any) -> str:
    """plan, sweep, frontier or job, by the fields the document carries."""
    if isinstance(doc, Mapping):
        for key, kind in (("members", "sweep"), ("points", "frontier"), ("items", "job")):
            if key in doc:
                return kind
        if "status" in doc:
            return "plan"
    rule = "not a plan (status), a sweep result (members), a frontier (points) or job plans (items)"
    raise _fail("/", None, rule)


def render_plan_report(plan: Any, scenario_doc: Any = None) -> str:
    return build_plan_report(plan, scenario_doc).html


def render_sweep_report(result: Any) -> str:
    return build_sweep_report(result).html


def render_frontier_report(result: Any) -> str:
    return build_frontier_report(result).html


def render_job_report(items: Any) -> str:
    """For the service: (scenario name, plan) pairs, or a job's `{"items": [...]}`."""
    return build_job_report(items).html


def write_pngs(charts: Iterable[Chart], directory: str | Path) -> list[Path]:
    """Each chart as `<chart id>.png` in `directory` (made when missing)."""
    from .report_charts import png_bytes

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for chart in charts:
        written.append(folder / f"{chart.id}.png")
        written[-1].write_bytes(png_bytes(chart))
    return written


# ---------------------------------------------------------------- command line


def add_commands(subparsers: Any) -> None:
    r = subparsers.add_parser(
        "report",
        help="draw a plan, sweep, frontier or job as a self-contained HTML page",
        description="Write an HTML page (inline SVG charts; viewing it needs no network) for a "
        "plan, a sweep result, a frontier result or a job's plans, told apart by their fields. "
        "--png-dir also writes every chart as a PNG.",
    )
    r.add_argument("input", metavar="INPUT.json", help="plan, sweep result, frontier or job plans")
    r.add_argument(
        "--scenario",
        metavar="SCENARIO",
        help="the plan's scenario (.json/.yaml): adds origin-share caps, safety stocks",
    )
    r.add_argument("--out", metavar="REPORT.html", required=True, help="write the page here")
    r.add_argument("--png-dir", metavar="DIR", help="also write each chart as DIR/<chart id>.png")
    r.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    """Exit 0 when written, 2 for a rejected input or scenario, 1 for an unwritable path."""
    try:
        scenario = load_scenario(args.scenario) if args.scenario else None
        report = build_report(_read_json(args.input), scenario)
        Path(args.out).write_text(report.html, encoding="utf-8")
        if args.png_dir:
            write_pngs(report.charts, args.png_dir)
    except ScenarioError as exc:
        return _complain("invalid scenario", exc.problems)
    except ReportInputError as exc:
        return _complain(f"invalid report input {args.input}", exc.problems)
    except OSError as exc:
        print(f"magnets report: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail("", path, f"cannot read the file: {exc}") from None
    except ValueError as exc:
        raise _fail("", None, f"not valid JSON: {exc}") from None


def _complain(what: str, problems: Iterable[Problem]) -> int:
    for problem in problems:
        print(f"{what}: {problem}", file=sys.stderr)
    return EXIT_INVALID
