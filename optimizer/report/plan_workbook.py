"""Plans and scenario comparisons as Excel workbooks, for analysts who work in spreadsheets.

`write_plan_workbook` writes a `summary` sheet (scenario, status, objective, the seven
cost terms, MIP gap, timings and every other single value of the plan, nested names
dotted: `terms.purchase`, `timings.solve_s`) and one sheet per plan table of MODEL.md §4,
with its columns even when the table is empty. Any other table a plan carries (such as
`marginal_values` or `diagnosis.conflict`) gets a sheet of its own.
`write_comparison_workbook` writes one row per scenario, nested fields as dotted columns.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.model.plan import TERMS
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
}
TIMINGS = ("build_s", "solve_s", "total_s")
FIRST = ("scenario", "status", "objective", "terms", "mip_gap", "timings")
SHEET_NAME_MAX = 31  # Excel's limit


def write_plan_workbook(plan: dict[str, Any], path: str | Path) -> None:
    """The plan's summary and every table, one sheet each."""
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
        for name, rows in tables.items():
            _frame(rows, TABLE_COLUMNS.get(name, ())).to_excel(
                writer, sheet_name=name[:SHEET_NAME_MAX], index=False
            )


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
        _frame(flat, ()).to_excel(writer, sheet_name=sheet[:SHEET_NAME_MAX], index=False)


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
