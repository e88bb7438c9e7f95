"""`magnets report`: a self-contained HTML page (inline SVG, no script, no network) for a
plan, a sweep result, a frontier result, a job's plans or a hedged plan, and the same
charts as PNGs.

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
- a job's plans, as `GET /v1/jobs/{id}/plans` answers: `{"items": [{"scenario", "plan"}]}`;
- a hedged plan (MODEL.md §6, `magnets hedge`), told by `here_and_now`: `status`,
  `objective`, `expected_cost`, `cvar`, `risk`, `here_and_now` (the plan's row shapes),
  `outcomes: [{"name", "probability", "objective", "shortage_kg"}]`, the values that price
  it and `evaluation` [each: none or empty].
A field of the wrong type is rejected with its JSON pointer, never a stack trace.

matplotlib draws the charts (`report_charts`); it is imported only when a report is
drawn, so that `magnets solve` does not pay for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optimizer.report.inputs import (
    Report,
    input_error,
    plan_context,
    read_frontier,
    read_hedge,
    read_job_items,
    read_plan,
    read_sweep,
)
from optimizer.report.page import (
    esc,
    frontier_parts,
    hedge_parts,
    job_parts,
    page_html,
    plan_parts,
    sweep_parts,
)

if TYPE_CHECKING:
    from optimizer.report.drawing import Chart


# ---------------------------------------------------------------- building reports


def _report(title: str, parts: Iterable[str], charts: Mapping[str, Chart]) -> Report:
    page = page_html(title, [f"<h1>{esc(title)}</h1>", *parts])
    return Report(page, tuple(charts.values()))


def build_plan_report(plan: Any, scenario_doc: Any = None) -> Report:
    """A plan's page; its scenario (a document or a `Scenario`) adds caps and safety stocks."""
    from optimizer.report.charts import plan_charts

    plan = read_plan(plan)
    ctx = plan_context(plan, scenario_doc)
    charts = plan_charts(plan, ctx) if plan["objective"] is not None else {}
    title = f"Sourcing plan: {plan.get('scenario') or 'unnamed scenario'}"
    return _report(title, plan_parts(plan, ctx, charts), charts)


def build_sweep_report(result: Any) -> Report:
    from optimizer.report.charts import sweep_charts

    sweep = read_sweep(result)
    charts = sweep_charts(sweep)
    return _report(f"Sweep of {len(sweep.members)} members", sweep_parts(sweep, charts), charts)


def build_frontier_report(result: Any) -> Report:
    from optimizer.report.charts import frontier_charts

    frontier = read_frontier(result)
    charts = frontier_charts(frontier)
    title = f"Cost of capping the share of {frontier.origin or 'one origin'}"
    return _report(title, frontier_parts(frontier, charts), charts)


def build_hedge_report(doc: Any) -> Report:
    from optimizer.report.hedge_charts import hedge_charts

    hedge = read_hedge(doc)
    charts = hedge_charts(hedge) if hedge.objective is not None else {}
    title = f"Hedged plan: {hedge.name or 'unnamed'}"
    return _report(title, hedge_parts(hedge, charts), charts)


def build_job_report(items: Any) -> Report:
    """One page for a job: its scenarios compared, then each plan in turn."""
    from optimizer.report.charts import comparison_chart, plan_charts

    read = [(name, plan, plan_context(plan)) for name, plan in read_job_items(items)]
    compare = comparison_chart([(name, plan) for name, plan, _ in read])
    charts = {compare.id: compare} if compare else {}
    for i, (_, plan, ctx) in enumerate(read, start=1):
        if plan["objective"] is not None:
            charts.update({c.id: c for c in plan_charts(plan, ctx, prefix=f"s{i}-").values()})
    return _report(f"Job of {len(read)} scenarios", job_parts(read, charts), charts)


def build_report(doc: Any, scenario_doc: Any = None) -> Report:
    """Any of the four inputs, told apart by their fields."""
    kind = input_kind(doc)
    if scenario_doc is not None and kind != "plan":
        raise input_error("/", None, f"a scenario goes with a plan, not with a {kind}")
    if kind == "plan":
        return build_plan_report(doc, scenario_doc)
    build = {
        "sweep": build_sweep_report,
        "frontier": build_frontier_report,
        "hedge": build_hedge_report,
    }.get(kind)
    return build(doc) if build else build_job_report(doc)


def input_kind(doc: Any) -> str:
    """plan, sweep, frontier, job or hedge, by the fields the document carries."""
    if isinstance(doc, Mapping):
        kinds = (("members", "sweep"), ("points", "frontier"), ("items", "job"))
        for key, kind in (*kinds, ("here_and_now", "hedge")):
            if key in doc:
                return kind
        if "status" in doc:
            return "plan"
    rule = (
        "not a plan (status), a sweep result (members), a frontier (points), job plans "
        "(items) or a hedged plan (here_and_now)"
    )
    raise input_error("/", None, rule)


def render_plan_report(plan: Any, scenario_doc: Any = None) -> str:
    return build_plan_report(plan, scenario_doc).html


def render_sweep_report(result: Any) -> str:
    return build_sweep_report(result).html


def render_frontier_report(result: Any) -> str:
    return build_frontier_report(result).html


def render_hedge_report(doc: Any) -> str:
    return build_hedge_report(doc).html


def render_job_report(items: Any) -> str:
    """For the service: (scenario name, plan) pairs, or a job's `{"items": [...]}`."""
    return build_job_report(items).html


def write_pngs(charts: Iterable[Chart], directory: str | Path) -> list[Path]:
    """Each chart as `<chart id>.png` in `directory` (made when missing)."""
    from optimizer.report.drawing import png_bytes

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for chart in charts:
        written.append(folder / f"{chart.id}.png")
        written[-1].write_bytes(png_bytes(chart))
    return written
