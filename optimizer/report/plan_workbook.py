"""Plans and scenario comparisons as Excel workbooks, for analysts who work in spreadsheets.

`write_plan_workbook` writes a `summary` sheet (scenario, status, objective, the seven
cost terms, MIP gap, timings and every other single value of the plan, nested names
dotted: `terms.purchase`, `timings.solve_s`) and one sheet per plan table of MODEL.md §4,
with its columns even when the table is empty. Any other table a plan carries (such as
`marginal_values` or `diagnosis.conflict`) gets a sheet of its own.
`write_comparison_workbook` writes one row per scenario, nested fields as dotted columns.

Both are formatted for people (optimizer/report/sheet_format.py): number formats for kg,
money and shares, the header row frozen, fitted column widths; cells keep exact values.
Beside the summary's items, from column D, the plan as a planner acts on it
(optimizer/report/orders.py): the orders of each period, spend and shortage penalty,
shortages by sector, compliance and binding limits, so that the first sheet opened leads
with them. The scenario, when given, adds origins, penalties, caps and budgets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.model.plan import TERMS
from optimizer.report.orders import OrderList, order_list
from optimizer.report.sheet_format import (
    KG,
    MONEY,
    PRICE,
    SHARE,
    column_format,
    fit_widths,
    format_table,
    write_block,
)
from optimizer.scenario.schema import Scenario
from optimizer.spreadsheet_text import inert

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "deliveries": ("supplier", "product", "period", "kg", "landed_cost", "cost"),
    "production": ("plant", "product", "period", "kg"),
    "consumption": ("product", "origin", "sector", "period", "kg"),
    "inventory": ("product", "origin", "period", "kg"),
    "shortages": ("product", "sector", "period", "kg"),
    "licences": ("licence", "used", "quantity"),
    "contracts": ("supplier", "fixed_cost"),
    "plants_built": ("plant", "period"),
    "origin_share": ("period", "origin", "share"),
    "qualified": ("supplier", "period"),
    "cap_excess": ("origin", "period", "kg"),
}
TIMINGS = ("build_s", "solve_s", "total_s")
FIRST = ("scenario", "status", "objective", "terms", "mip_gap", "timings")
SHEET_NAME_MAX = 31  # Excel's limit


ORDERS_COLUMN = 4  # D: the order list, beside the summary's item and value


def write_plan_workbook(
    plan: dict[str, Any], path: str | Path, scenario: Scenario | None = None
) -> None:
    """The plan's summary with its order list, and every table, one sheet each."""
    orders = order_list(plan, scenario)
    plan = {"terms": None, "timings": None, **plan}
    plan["terms"] = plan["terms"] or dict.fromkeys(TERMS)  # a plan without a solution
    plan["timings"] = plan["timings"] or dict.fromkeys(TIMINGS)
    ordered = {k: plan[k] for k in (*FIRST, *plan) if k in plan}
    summary: list[tuple[str, Any]] = []
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLE_COLUMNS}
    _collect(ordered, "", summary, tables)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        summary = [(item, inert(value)) for item, value in summary]
        frame = pd.DataFrame(summary, columns=["item", "value"], dtype=object)
        frame.to_excel(writer, sheet_name="summary", index=False)
        sheet = writer.sheets["summary"]
        for row, (item, _) in enumerate(summary, start=2):
            sheet.cell(row, 2).number_format = column_format(item) or "General"
        format_table(sheet, [None, None])
        if orders is not None:
            _write_orders(sheet, orders, str(plan.get("currency") or ""))
            fit_widths(sheet)
        for name, rows in tables.items():
            table = _frame(rows, TABLE_COLUMNS.get(name, ()))
            table.to_excel(writer, sheet_name=name[:SHEET_NAME_MAX], index=False)
            formats = [column_format(str(c)) for c in table.columns]
            format_table(writer.sheets[name[:SHEET_NAME_MAX]], formats)


def write_comparison_workbook(
    rows: list[dict[str, Any]], path: str | Path, sheet: str = "comparison"
) -> None:
    """One row per scenario; nested fields become dotted columns, lists JSON text."""
    flat = []
    for row in rows:
        single: list[tuple[str, Any]] = []
        _collect(row, "", single, None)
        flat.append(dict(single))
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        table = _frame(flat, ())
        table.to_excel(writer, sheet_name=sheet[:SHEET_NAME_MAX], index=False)
        formats = [column_format(str(c)) for c in table.columns]
        format_table(writer.sheets[sheet[:SHEET_NAME_MAX]], formats)


def _collect(
    value: dict[str, Any],
    prefix: str,
    single: list[tuple[str, Any]],
    tables: dict[str, list[dict[str, Any]]] | None,
) -> None:
    """Single values into `single` under dotted names; lists of records into `tables`.

    Without `tables` (a comparison row) a list is kept as JSON text in one cell.
    """
    for key, v in value.items():
        name = f"{prefix}{key}"
        if isinstance(v, dict):
            _collect(v, f"{name}.", single, tables)
        elif isinstance(v, list) and tables is not None and all(isinstance(r, dict) for r in v):
            tables[name] = v
        elif isinstance(v, list):
            single.append((name, json.dumps(v, default=str)))
        else:
            single.append((name, v))


def _frame(rows: list[dict[str, Any]], known: tuple[str, ...]) -> pd.DataFrame:
    """The rows with the known columns first (present even when there are no rows)."""
    columns = list(known)
    for row in rows:
        columns += [k for k in row if k not in columns]
    cells = [{k: _cell(v) for k, v in row.items()} for row in rows]
    return pd.DataFrame.from_records(cells, columns=columns)


def _cell(value: Any) -> Any:
    return inert(json.dumps(value, default=str) if isinstance(value, dict | list) else value)


def _write_orders(ws: Any, orders: OrderList, currency: str) -> None:
    """The order list and what follows it, as small tables from column D down."""
    col, unit = ORDERS_COLUMN, f" ({currency})" if currency else ""
    header = ["period", "action", "with", "origin", "product", "kg", f"per kg{unit}"]
    rows: list[list[Any]] = []
    for p in orders.periods:
        rows += [[p.period, "buy", b.supplier, b.origin, b.product, b.kg, b.landed_cost, b.cost]
                 for b in p.purchases]  # fmt: skip
        rows += [[p.period, "make", m.plant, m.origin, m.product, m.kg, m.unit_cost, m.cost]
                 for m in p.making]  # fmt: skip
        rows += [[p.period, "sign contract", c.supplier, None, None, None, None, c.fixed_cost]
                 for c in p.contracts]  # fmt: skip
        rows += [[p.period, "start building", s.plant, None,
                  f"producing from {s.ready}" if s.ready else None, None, None, s.build_cost]
                 for s in p.plants]  # fmt: skip
        rows += [[p.period, "start qualifying", q.supplier, None,
                  f"delivering from {q.ready}" if q.ready else None, None, None, q.cost]
                 for q in p.qualifications]  # fmt: skip
    formats = [None, None, None, None, None, KG, PRICE, MONEY]
    at = write_block(ws, 1, col, None, [*header, f"cost{unit}"], rows, formats)
    money = [("spend", orders.spend), ("shortage penalty (notional)", orders.penalty),
             ("total (objective)", orders.spend + orders.penalty)]  # fmt: skip
    at = write_block(ws, at, col, "Cost", ["", f"amount{unit}"], money, [None, MONEY])
    short = [[s.sector, s.kg, s.penalty] for s in orders.shortages]
    at = write_block(
        ws, at, col, "Shortages by sector", ["sector", "kg", f"penalty{unit}"], short,
        [None, KG, MONEY],
    )  # fmt: skip
    if orders.compliance is None:
        ws.cell(at, col, "Compliance: not checked, the scenario is not at hand")
        at += 2
    else:
        flows = [[f.origin, f.sector, ", ".join(f.tags), f.kg] for f in orders.compliance]
        head = ["restricted origin", "sector", "banned by tag", "kg reaching it"]
        at = write_block(ws, at, col, "Compliance", head, flows, [None, None, None, KG])
    binding = [[b.constraint, b.id, b.period, b.used, b.limit] for b in orders.binding]
    formats = [None, None, None, None, None]
    at = write_block(
        ws, at, col, "Binding limits", ["limit", "id", "period", "used", "of"], binding, formats
    )
    for row in ws.iter_rows(min_row=at - len(binding) - 2, max_row=at, min_col=col):
        kind, used, limit = row[0].value, row[3], row[4]
        fmt = {"origin_share": SHARE, "licence": KG, "budget": MONEY}.get(str(kind))
        if fmt:
            used.number_format = limit.number_format = fmt
