"""A hedged plan's workbook: its summary with the values that price it, the orders of now
and the outcomes, as a planner opens them; text that a spreadsheet would run made inert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from optimizer.report.hedge_workbook import write_hedge_workbook
from tests.report.test_report import tiny_hedge


def rows(path: Path, sheet: str) -> list[list[Any]]:
    book = load_workbook(path, read_only=True)
    return [list(r) for r in book[sheet].iter_rows(values_only=True)]


def test_the_summary_orders_and_outcomes(tmp_path: Path) -> None:
    evaluation = {"outcomes": 400, "seed": 8, "objective": 1131.0, "ci95": [1129.5, 1132.5],
                  "in_sample_objective": 1125.0, "infeasible": 0}  # fmt: skip
    plan = tiny_hedge(evaluation=evaluation)
    plan["outcomes"][0]["terms"] = {"purchase": 1000.0, "holding": 0.0}
    path = tmp_path / "hedge.xlsx"
    write_hedge_workbook(plan, path, {"cn": "CN"})
    assert load_workbook(path).sheetnames == ["summary", "order_now", "outcomes"]
    summary = dict(r[:2] for r in rows(path, "summary")[1:])
    assert [k for k in summary][:6] == ["name", "status", "currency", "reveal", "outcomes", "risk.alpha"]  # fmt: skip
    assert summary["outcomes"] == 3 and summary["cvar"] == 1500.0
    for key in ("wait_and_see", "evpi", "value_of_hedging", "premium"):
        assert summary[key] == plan[key], key
    assert summary["evaluation.ci95.low"] == 1129.5 and summary["evaluation.ci95.high"] == 1132.5
    assert rows(path, "order_now") == [
        ["action", "with", "origin", "product", "period", "kg", "landed_cost", "cost"],
        ["buy", "cn", "CN", "p", "t0", 100, 10, 1000],
        ["sign contract", "cn", "CN", None, None, None, None, 50],
        ["build", "k", None, None, "t0", None, None, None],
    ]
    outcomes = rows(path, "outcomes")
    assert outcomes[0] == ["outcome", "probability", "cost", "shortage_kg", "purchase", "holding"]
    assert outcomes[1] == ["hold", 0.7, 1000, 0, 1000, 0]
    assert outcomes[3] == ["halt", 0.1, 1750, 40, None, None]
    sheet = load_workbook(path)["summary"]
    formats = {r[0].value: r[1].number_format for r in sheet.iter_rows(min_row=2)}
    assert formats["cvar"] == formats["evaluation.ci95.low"] == "#,##0"
    assert formats["risk.alpha"] == "0.0%"


def test_a_plan_without_a_solution_and_a_formula_like_name(tmp_path: Path) -> None:
    plan = tiny_hedge(status="infeasible", objective=None, message="no way", name="=SUM(A1)")
    plan["here_and_now"] = {}
    plan["outcomes"] = []
    path = tmp_path / "hedge.xlsx"
    write_hedge_workbook(plan, path)
    summary = dict(r[:2] for r in rows(path, "summary")[1:])
    assert summary["name"] == "'=SUM(A1)" and summary["message"] == "no way"
    assert summary["objective"] is None and summary["outcomes"] == 0
    assert len(rows(path, "order_now")) == len(rows(path, "outcomes")) == 1  # the headers
