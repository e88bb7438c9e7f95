"""service.summary: rows and columns from plans, without a server."""

from __future__ import annotations

from service.queries import ItemView
from service.summary import summary_rows, to_csv


def _plan(objective: float, shares: list[tuple[str, str, float]], short: float = 0.0) -> dict:
    terms = dict.fromkeys(
        ["purchase", "fixed", "production", "subsidy", "build", "holding", "shortage"], 0.0
    )
    terms["purchase"] = objective
    return {
        "status": "optimal", "objective": objective, "terms": terms,
        "shortages": [{"kg": short}] if short else [],
        "origin_share": [{"period": p, "origin": o, "share": s} for p, o, s in shares],
    }  # fmt: skip


def test_shares_average_over_periods_with_supply_and_unknown_origins_are_zero() -> None:
    items = [
        ItemView(0, "a", "solved", _plan(10.0, [("P1", "CN", 1.0), ("P2", "CN", 0.5), ("P2", "JP", 0.5)]), None),
        ItemView(1, "b", "solved", _plan(20.0, [("P1", "AU", 1.0)], short=3.0), None),
    ]  # fmt: skip
    columns, rows = summary_rows(items)
    assert columns[-3:] == ["share_AU", "share_CN", "share_JP"]
    assert (rows[0]["share_CN"], rows[0]["share_JP"], rows[0]["share_AU"]) == (0.75, 0.25, 0.0)
    assert (rows[1]["shortage_kg"], rows[1]["share_AU"]) == (3.0, 1.0)


def test_items_without_a_plan_have_their_state_and_empty_cells() -> None:
    items = [
        ItemView(0, "solved", "solved", _plan(1.0, [("P1", "CN", 1.0)]), None),
        ItemView(1, "lost", "failed", None, "gave up"),
        ItemView(2, "infeasible", "solved", {"status": "infeasible", "objective": None, "terms": None}, None),
    ]  # fmt: skip
    columns, rows = summary_rows(items)
    assert [row["status"] for row in rows] == ["optimal", "failed", "infeasible"]
    assert rows[1]["objective"] is None and rows[1]["share_CN"] is None
    assert rows[2]["purchase"] is None and rows[2]["shortage_kg"] is None
    lines = to_csv(columns, rows).splitlines()
    assert lines[0].startswith("scenario,status,objective,purchase")
    assert lines[2] == "lost,failed" + "," * (len(columns) - 2)
