"""What the web workspace needs of the optimizer: uploaded scenario files, the workbook
template, a plan's (or a hedged plan's) charts, report, insight and workbook, variants of
a stored scenario, a typed sweep spec and a job's charts."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from optimizer.errors import Problem, ScenarioError
from optimizer.report.explained import diagnosis_heading, diagnosis_lines, top_limits
from optimizer.report.render import render_hedge_report, render_plan_report
from optimizer.report.terms import signed
from optimizer.scenario.parsing import decode, parse_scenario
from optimizer.whatif.shocks import SpecError, apply_shocks, parse_shocks

from .members import BASE_MEMBER, frontier_of
from .scenarios import SizeLimits, check

# --- the web workspace: uploaded files, the workbook template, a plan's charts --------------
WORKBOOK_SUFFIX = ".xlsx"
YAML_SUFFIXES = (".yaml", ".yml")


def read_upload(filename: str, data: bytes, limits: SizeLimits) -> tuple[str, dict[str, Any]]:
    """The name and document of an uploaded scenario file: an Excel workbook (by its
    suffix, or a zip's first bytes), YAML (by its suffix) or JSON. ScenarioError names
    every problem; a workbook's name its sheet and cell. Run in a solver process: a
    hostile workbook or YAML document meets that process's memory limit, not the server."""
    try:
        if Path(filename).suffix.lower() == WORKBOOK_SUFFIX or data[:2] == b"PK":
            document = _workbook_document(filename, data)
        else:
            try:
                text = data.decode("utf-8-sig")  # spreadsheet tools often prepend a BOM
            except UnicodeDecodeError:
                rule = "not UTF-8 text: upload JSON, YAML or an Excel workbook (.xlsx)"
                raise ScenarioError([Problem("", filename, rule)]) from None
            yaml_syntax = Path(filename).suffix.lower() in YAML_SUFFIXES
            document = decode(text, yaml_syntax=yaml_syntax)
        return check(document, limits), document
    except RecursionError:
        raise ScenarioError([Problem("", filename, "nested too deeply to read")]) from None


def _workbook_document(filename: str, data: bytes) -> dict[str, Any]:
    from optimizer.scenario.workbook_read import validated  # openpyxl: only for workbooks

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"upload{WORKBOOK_SUFFIX}"
        path.write_bytes(data)
        try:
            document: dict[str, Any] = validated(path)[0]  # as written, omissions kept
        except ScenarioError as exc:  # name the file as uploaded, not the temporary copy
            shown = [
                Problem(p.pointer, filename, p.rule) if p.value == str(path) else p
                for p in exc.problems
            ]
            raise ScenarioError(shown) from None
    return document


def template_workbook() -> bytes:
    """The scenario workbook template (`magnets workbook template`) as bytes."""
    from optimizer.scenario.workbook import write_template

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"template{WORKBOOK_SUFFIX}"
        write_template(path)
        return path.read_bytes()


def is_hedged_plan(plan: Any) -> bool:
    """Whether a stored plan is a hedged plan (MODEL.md §6, a hedge job's one item): told
    by its `here_and_now`, as `magnets report` tells it."""
    return isinstance(plan, dict) and "here_and_now" in plan


def plan_charts(plan: dict[str, Any], document: Any) -> list[dict[str, str]]:
    """The plan's charts as `magnets report` draws them, each as {"id", "title",
    "caption", "svg"}; none for a plan without a solution (a hedged plan's: the cost
    across its outcomes). Run in a solver process, so that the server never loads
    matplotlib."""
    from optimizer.report.charts import plan_charts as draw
    from optimizer.report.drawing import svg_markup
    from optimizer.report.hedge_charts import hedge_charts
    from optimizer.report.inputs import plan_context, read_hedge, read_plan

    if is_hedged_plan(plan):
        charts = hedge_charts(read_hedge(plan))
    elif (read := read_plan(plan))["objective"] is None:
        return []
    else:
        try:
            context = plan_context(read, document)
        except ValueError:  # a scenario that no longer reads, or not the plan's: the plan alone
            context = plan_context(read)
        charts = draw(read, context)
    return [
        {"id": c.id, "title": c.title, "caption": c.caption, "svg": svg_markup(c)}
        for c in charts.values()
    ]


def plan_report(plan: dict[str, Any], document: Any) -> str:
    """The plan's self-contained HTML report (`magnets report PLAN --scenario ...`; a
    hedged plan's needs no scenario)."""
    if is_hedged_plan(plan):
        return render_hedge_report(plan)
    try:
        return render_plan_report(plan, document)
    except ValueError:  # as in plan_charts
        return render_plan_report(plan)


def plan_insight(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan's explain in `magnets report`'s words (optimizer/report/explained.py):
    "limits", the ten marginal values largest in size, each {"limit", "worth"}; and for
    an infeasible plan "diagnosis", its heading and one sentence per conflicting limit.
    Both empty for a plan solved without explain. Light: no solver process needed."""
    currency = str(plan.get("currency") or "")
    lines = diagnosis_lines(plan)
    return {
        "limits": [
            {"limit": f"one more {v.what(currency)}", "worth": v.worth(currency)}
            for v in top_limits(plan)
        ],
        "diagnosis": {"heading": diagnosis_heading(plan), "lines": lines} if lines else None,
    }


def plan_workbook(plan: dict[str, Any], document: Any) -> bytes:
    """The plan as an Excel workbook (`magnets report`'s plan workbook: the summary with
    the order list, one sheet per table), labelled by its scenario when that still reads.
    A hedged plan's workbook holds its summary, its orders of now and its outcomes
    (optimizer/report/hedge_workbook.py), labelled by its base's supplier origins.
    Run in a solver process: the server never loads openpyxl."""
    from optimizer.report.plan_workbook import write_plan_workbook

    if is_hedged_plan(plan):
        return _hedge_workbook(plan, document)
    try:
        scenario = parse_scenario(document) if document else None
    except (ScenarioError, ValueError):  # as in plan_charts: the plan alone
        scenario = None
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"plan{WORKBOOK_SUFFIX}"
        write_plan_workbook(plan, path, scenario)
        return path.read_bytes()


def _hedge_workbook(plan: dict[str, Any], document: Any) -> bytes:
    from optimizer.report.hedge_workbook import write_hedge_workbook

    base = document.get("base") if isinstance(document, dict) else None
    suppliers = base.get("suppliers") if isinstance(base, dict) else None
    origins = {
        str(s["id"]): str(s.get("origin") or s.get("country") or "")
        for s in suppliers or [] if isinstance(s, dict) and "id" in s
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"plan{WORKBOOK_SUFFIX}"
        write_hedge_workbook(plan, path, origins)
        return path.read_bytes()


def signed_term(term: str, amount: float) -> float:
    """A cost term as it adds up to the objective (the earned subsidy subtracted)."""
    return signed(term, amount)


# --- the web workspace: variants of a stored scenario, a job's charts ----------------------


def variant_document(document: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """A variant of a stored scenario: `change["shocks"]` (the what-if kinds of
    optimizer.whatif, as in a sweep) applied to the parent's document in order, then
    `change["budget"]` when given (the policy's spend cap per period: no shock kind sets
    it; None removes it), under `change["name"]`. ScenarioError names each unknown id
    under /shocks/<i>; the caller checks the variant with `check` before storing it."""
    try:
        shocks = parse_shocks(change.get("shocks", []), ["shocks"])
        out = apply_shocks(document, shocks, ["shocks"])
    except SpecError as exc:
        raise ScenarioError(exc.problems) from None
    if "budget" in change:
        policy = dict(out.get("policy") or {})
        if change["budget"] is None:
            policy.pop("budget", None)
        else:
            policy["budget"] = change["budget"]
        out["policy"] = policy
    out["name"] = change["name"]
    return out


def read_spec_text(text: str) -> Any:
    """A sweep spec typed on a page, JSON or YAML (YAML reads JSON too); ScenarioError
    names a syntax error. Run in a solver process, as an uploaded YAML file is."""
    try:
        return decode(text, yaml_syntax=True)
    except RecursionError:
        raise ScenarioError([Problem("", None, "nested too deeply to read")]) from None


def job_charts(kind: str, plans: list[tuple[str, dict[str, Any]]]) -> list[dict[str, str]]:
    """Charts of several plans as `magnets report` draws them, each {"id", "title",
    "caption", "svg"}: for a sweep job the distribution of total cost (its `base` member
    marked, not counted), for a frontier job the frontier, for any other set of plans
    their cost terms side by side. Run in a solver process (matplotlib)."""
    from optimizer.report.charts import comparison_chart, frontier_charts, sweep_charts
    from optimizer.report.drawing import svg_markup
    from optimizer.report.inputs import read_frontier, read_job_items, read_sweep

    if kind == "sweep":
        members = [
            {"name": name, "status": plan.get("status"), "objective": plan.get("objective"),
             "terms": plan.get("terms") or {},
             "shortage_kg": sum(float(r.get("kg") or 0.0) for r in plan.get("shortages") or []),
             "levels": {"base": None} if name == BASE_MEMBER else {}}
            for name, plan in plans
        ]  # fmt: skip
        charts = list(sweep_charts(read_sweep({"name": "sweep", "members": members})).values())
    elif kind == "frontier":
        found = frontier_of(plans)
        charts = list(frontier_charts(read_frontier(found)).values()) if found else []
    else:
        chart = comparison_chart(read_job_items(plans))
        charts = [chart] if chart is not None else []
    return [
        {"id": c.id, "title": c.title, "caption": c.caption, "svg": svg_markup(c)} for c in charts
    ]
