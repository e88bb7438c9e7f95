"""A hedged plan (MODEL.md §6) as an Excel workbook, for analysts who work in spreadsheets.

`write_hedge_workbook` writes three sheets:
- `summary`: the plan's name, status, reveal and risk, the values that price it
  (expected cost, CVaR, objective, wait-and-see, EVPI, value of hedging, premium), the
  out-of-sample evaluation when there is one, then every other single value, nested
  names dotted (`risk.alpha`, `evaluation.ci95.low`, `timings.total_s`);
- `order_now`: the here-and-now decisions, the same whatever the outcome: deliveries and
  production of the periods before `reveal`, contracts signed and plants built;
- `outcomes`: each outcome's probability, cost under the plan, shortage and cost terms.

Formatted as the plan workbook is (sheet_format.py); cells keep exact values and text
that a spreadsheet would run as a formula is made inert.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from optimizer.report.inputs import HedgedPlan, read_hedge
from optimizer.report.sheet_format import KG, MONEY, PRICE, SHARE, column_format, format_table
from optimizer.spreadsheet_text import inert

FIRST = (
    "name", "status", "message", "currency", "reveal", "outcomes", "risk", "objective",
    "expected_cost", "cvar", "wait_and_see", "evpi", "value_of_hedging",
    "value_of_hedging_infeasible_outcome", "premium", "evaluation",
)  # fmt: skip
LEFT_OUT = ("here_and_now",)  # a sheet of its own, as are the outcomes (counted here)
AMOUNTS = {
    "objective", "expected_cost", "cvar", "wait_and_see", "evpi", "value_of_hedging", "premium",
    "in_sample_objective", "standard_error", "low", "high",  # ci95's ends
}  # fmt: skip
ORDER_COLUMNS = ("action", "with", "origin", "product", "period", "kg", "landed_cost", "cost")
ORDER_FORMATS = (None, None, None, None, None, KG, PRICE, MONEY)


def write_hedge_workbook(
    plan: Mapping[str, Any], path: str | Path, origins: Mapping[str, str] | None = None
) -> None:
    """The hedged plan's summary, its orders of now and its outcomes, one sheet each;
    `origins` (supplier id to origin), when given, labels the orders."""
    hedge = read_hedge(plan)
    book = Workbook()
    summary = book.active
    assert summary is not None  # a new workbook has its one sheet
    summary.title = "summary"
    _write(summary, ("item", "value"), _summary_rows(plan), None)
    for row in summary.iter_rows(min_row=2):
        row[1].number_format = _item_format(str(row[0].value)) or "General"
    format_table(summary, (None, None))
    orders = _order_rows(hedge, origins or {})
    _write(book.create_sheet("order_now"), ORDER_COLUMNS, orders, ORDER_FORMATS)
    header, rows = _outcome_rows(plan, hedge)
    formats = (None, SHARE, MONEY, KG, *(MONEY for _ in header[4:]))
    _write(book.create_sheet("outcomes"), header, rows, formats)
    book.save(path)


def _write(
    ws: Any, header: Sequence[str], rows: list[list[Any]], formats: Sequence[str | None] | None
) -> None:
    ws.append(list(header))
    for row in rows:
        ws.append([inert(v) for v in row])
    if formats is not None:
        format_table(ws, formats)


def _summary_rows(plan: Mapping[str, Any]) -> list[list[Any]]:
    """Every single value of the plan, the ones a planner reads first at the top."""
    counted = {**plan, "outcomes": len(plan.get("outcomes") or [])}
    ordered = {k: counted[k] for k in (*FIRST, *counted) if k in counted and k not in LEFT_OUT}
    rows: list[list[Any]] = []
    _flatten(ordered, "", rows)
    return rows


def _flatten(value: Mapping[str, Any], prefix: str, rows: list[list[Any]]) -> None:
    for key, v in value.items():
        name = f"{prefix}{key}"
        if isinstance(v, Mapping):
            _flatten(v, f"{name}.", rows)
        elif key == "ci95" and isinstance(v, list) and len(v) == 2:  # the interval's ends
            rows += [[f"{name}.low", v[0]], [f"{name}.high", v[1]]]
        elif isinstance(v, list):
            rows.append([name, json.dumps(v, default=str)])
        else:
            rows.append([name, v])


def _item_format(item: str) -> str | None:
    last = item.rsplit(".", 1)[-1]
    if last in AMOUNTS:
        return MONEY
    if item == "risk.alpha":
        return SHARE
    return column_format(item)


def _order_rows(hedge: HedgedPlan, origins: Mapping[str, str]) -> list[list[Any]]:
    """One row a decision made before `reveal`: buy, make, sign a contract, build."""
    hn = hedge.here_and_now
    rows = [
        ["buy", r["supplier"], origins.get(r["supplier"]), r["product"], r["period"], r["kg"],
         r["landed_cost"], r["cost"]]
        for r in hn["deliveries"]
    ]  # fmt: skip
    rows += [
        ["make", r["plant"], None, r["product"], r["period"], r["kg"], None, None]
        for r in hn["production"]
    ]
    rows += [
        ["sign contract", r["supplier"], origins.get(r["supplier"]), None, None, None, None,
         r["fixed_cost"]]
        for r in hn["contracts"]
    ]  # fmt: skip
    rows += [
        ["build", r["plant"], None, None, r["period"], None, None, None] for r in hn["plants_built"]
    ]
    return rows


def _outcome_rows(
    plan: Mapping[str, Any], hedge: HedgedPlan
) -> tuple[tuple[str, ...], list[list[Any]]]:
    """Outcome, probability, cost, shortage kg, then each cost term (in the order they
    first appear)."""
    spent = [_terms(o) for o in plan.get("outcomes") or []]
    terms: list[str] = []
    for amounts in spent:
        terms += [t for t in amounts if t not in terms]
    header = ("outcome", "probability", "cost", "shortage_kg", *terms)
    rows = [
        [o.name, o.probability, o.objective, o.shortage_kg, *(amounts.get(t) for t in terms)]
        for o, amounts in zip(hedge.outcomes, spent, strict=True)
    ]
    return header, rows


def _terms(outcome: Any) -> Mapping[str, Any]:
    terms = outcome.get("terms") if isinstance(outcome, Mapping) else None
    return {str(k): v for k, v in terms.items()} if isinstance(terms, Mapping) else {}
