"""The plan as a planner acts on it: the order list, spend and penalty, compliance and
binding limits (optimizer/report/orders.py), as the table summary, the report and the
plan workbook show them."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from optimizer.options import SolveOptions
from optimizer.report.amounts import kg, money, percent
from optimizer.report.orders import Binding, order_list
from optimizer.report.plan_workbook import write_comparison_workbook, write_plan_workbook
from optimizer.report.render import render_plan_report
from optimizer.report.summary import format_summary
from optimizer.scenario.loading import load_scenario
from optimizer.scenario.parsing import parse_scenario
from optimizer.scenario.schema import Scenario
from optimizer.solve import solve
from tests.paths import INSTANCES
from tests.report.test_report import parse
from tests.tiny import demand, scenario, supplier

SHIPPED = sorted(p.stem for p in INSTANCES.glob("*.json") if ".meta" not in p.name)


@pytest.fixture(scope="module")
def solved() -> dict[str, tuple[Scenario, dict[str, Any]]]:
    out = {}
    for stem in SHIPPED:
        found = load_scenario(INSTANCES / f"{stem}.json")
        out[stem] = (found, solve(found, SolveOptions(), explain=True))
    return out


def test_every_shipped_instance_is_here(solved: Any) -> None:
    scenarios = {p.stem for p in INSTANCES.glob("*.json") if ".meta" not in p.name}
    assert set(solved) == scenarios and "india-2025-baseline" in solved


# ------------------------------------------------------------------ the order list


def _grouped(plan: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    """The plan's tables by period, computed here without the module under test."""
    origin = {s.id: s.origin or s.country for s in scenario.suppliers}
    country = {k.id: k.country for k in scenario.plants}
    by: dict[str, Any] = defaultdict(
        lambda: {"buy": set(), "make": set(), "build": set(), "qualify": set()}
    )
    for r in plan["deliveries"]:
        by[r["period"]]["buy"].add(
            (r["supplier"], origin[r["supplier"]], r["product"], r["kg"], r["cost"])
        )
    for r in plan["production"]:
        by[r["period"]]["make"].add((r["plant"], country[r["plant"]], r["product"], r["kg"]))
    for r in plan["plants_built"]:
        by[r["period"]]["build"].add(r["plant"])
    for r in plan["qualified"]:
        by[r["period"]]["qualify"].add(r["supplier"])
    return by


@pytest.mark.parametrize("stem", SHIPPED)
def test_the_order_list_is_the_plan_grouped_by_period(solved: Any, stem: str) -> None:
    found, plan = solved[stem]
    orders = order_list(plan, found)
    if plan["objective"] is None:
        assert orders is None
        return
    assert orders is not None
    assert [p.period for p in orders.periods] == found.periods
    expected = _grouped(plan, found)
    for p in orders.periods:
        assert {(b.supplier, b.origin, b.product, b.kg, b.cost) for b in p.purchases} == expected[
            p.period
        ]["buy"]
        assert {(m.plant, m.origin, m.product, m.kg) for m in p.making} == expected[p.period][
            "make"
        ]
        assert {s.plant for s in p.plants} == expected[p.period]["build"]
        assert {q.supplier for q in p.qualifications} == expected[p.period]["qualify"]
        assert [b.supplier for b in p.purchases] == sorted(b.supplier for b in p.purchases)
    signed = [c.supplier for p in orders.periods for c in p.contracts]
    assert sorted(signed) == sorted(c["supplier"] for c in plan["contracts"])


def test_a_qualification_started_is_an_order_with_its_cost_and_first_delivery(
    solved: Any,
) -> None:
    found, plan = solved["india-2025-sourcing-rules"]
    assert plan["qualified"], "the instance qualifies a supplier"
    orders = order_list(plan, found)
    assert orders is not None
    started = {q.supplier: (p.period, q) for p in orders.periods for q in p.qualifications}
    for row in plan["qualified"]:
        period, q = started[row["supplier"]]
        supplier = next(s for s in found.suppliers if s.id == row["supplier"])
        assert supplier.qualification is not None
        assert period == row["period"] and q.cost == supplier.qualification.cost
        ready = found.periods.index(period) + supplier.qualification.lead
        assert q.ready == (found.periods[ready] if ready < len(found.periods) else None)
    assert "qualify" in format_summary(plan, found)


@pytest.mark.parametrize("stem", SHIPPED)
def test_spend_and_penalty_add_up_to_the_objective(solved: Any, stem: str) -> None:
    found, plan = solved[stem]
    orders = order_list(plan, found)
    if orders is None:
        return
    assert orders.penalty == plan["terms"]["shortage"]
    assert orders.spend + orders.penalty == pytest.approx(plan["objective"], rel=1e-12)


def test_the_baseline_spends_47_1_million_and_pays_43_4_million_of_penalty(solved: Any) -> None:
    found, plan = solved["india-2025-baseline"]
    text = format_summary(plan, found)
    assert "= spend $47.1 M + shortage penalty $43.4 M" in text


@pytest.mark.parametrize("stem", SHIPPED)
def test_no_restricted_origin_reaches_a_banned_use_in_a_shipped_plan(
    solved: Any, stem: str
) -> None:
    found, plan = solved[stem]
    orders = order_list(plan, found)
    if orders is None:
        return
    assert orders.compliance and orders.banned_kg == 0
    assert {(f.origin, f.sector) for f in orders.compliance} == {
        ("CN", "defence"),
        ("CN", "auto_us_export"),
    }
    assert "Compliance: 0 kg of restricted origin reaches a banned end use" in format_summary(
        plan, found
    )


def test_a_plan_that_breaks_a_ban_is_flagged(solved: Any) -> None:
    found, plan = solved["india-2025-baseline"]
    broken = {
        **plan,
        "consumption": [
            *plan["consumption"],
            {"product": "ndfeb_hc", "origin": "CN", "sector": "defence", "period": "2025-Q3",
             "kg": 1200.0},
        ],
    }  # fmt: skip
    orders = order_list(broken, found)
    assert orders is not None and orders.banned_kg == 1200.0
    text = format_summary(broken, found)
    assert (
        "Compliance: 1,200 kg of restricted origin reaches a banned end use (BANS BROKEN)" in text
    )
    page = parse(render_plan_report(broken, found))
    (line,) = page.find("p", id="compliance-line")
    assert line.content().startswith("1,200 kg") and "bans are broken" in line.content()


def test_without_the_scenario_the_summary_says_what_it_cannot_check(solved: Any) -> None:
    _, plan = solved["india-2025-baseline"]
    orders = order_list(plan)
    assert orders is not None and orders.compliance is None
    assert {b.constraint for b in orders.binding} == {"licence"}
    text = format_summary(plan)
    assert "Compliance: not checked: the scenario is not at hand" in text
    assert "origin-share caps and budgets not checked" in text
    assert "Shortages by sector (sectors alphabetical)" in text


# ------------------------------------------------------------------ binding limits

# Two periods. a (CN) at 10 and b (JP) at 20, 100 kg each a period; demand 100 kg a period.
# CN is capped at 60 %: 60 kg from a and 40 from b in each period. A budget of 1400 in t0
# (60·10 + 40·20 = 1400, spent to its limit) and 5000 in t1. a's licence of 150 kg would
# allow 30 kg more; b's licence of 80 kg is used up (40 + 40).
BOUND = scenario(
    periods=2,
    suppliers=[
        {**supplier("a", "CN", 10.0, capacity=100.0), "licence_required": True},
        {**supplier("b", "JP", 20.0, capacity=100.0), "licence_required": True},
    ],
    demand=demand(100.0, 100.0),
)
BOUND["licences"] = [
    {"id": "lic-a", "suppliers": ["a"], "quantity": 150.0},
    {"id": "lic-b-with-a-long-id-that-would-push-columns", "suppliers": ["b"], "quantity": 80.0},
]
BOUND["policy"] = {"max_origin_share": {"CN": 0.6}, "budget": [1400.0, 5000.0]}


def test_binding_flags_match_the_hand_computed_case() -> None:
    found = parse_scenario(BOUND)
    plan = solve(found)
    assert plan["status"] == "optimal"
    orders = order_list(plan, found)
    assert orders is not None
    got = {(b.constraint, b.id, b.period) for b in orders.binding}
    assert got == {
        ("origin_share", "CN", "t0"),
        ("origin_share", "CN", "t1"),
        ("budget", None, "t0"),
        ("licence", "lic-b-with-a-long-id-that-would-push-columns", None),
    }
    budget = next(b for b in orders.binding if b.constraint == "budget")
    assert budget == Binding("budget", None, "t0", pytest.approx(1400.0), 1400.0)
    text = format_summary(plan, found)
    assert "CN at its 60 % cap in every period" in text
    assert "spent to its limit in t0" in text


def test_long_licence_ids_keep_the_licence_table_aligned() -> None:
    found = parse_scenario(BOUND)
    text = format_summary(solve(found), found)
    rows = text[text.index("Licence use") :].splitlines()[1:]
    assert len({len(r) for r in rows}) == 1  # right-aligned columns end together


def test_no_negative_zero_and_sectors_in_the_scenario_s_order(solved: Any) -> None:
    found, plan = solved["india-2025-baseline"]
    text = format_summary(plan, found)
    assert "-  " not in text and "−0" not in text
    assert re.search(r"Production incentive \(earned\) +0\n", text)
    shortages = text[text.index("Shortages by sector") :].split("\n\n")[0].splitlines()[2:-1]
    listed = [line.split()[0] for line in shortages]
    assert (
        listed
        == [e.id for e in found.sectors if e.id in listed]
        == [
            "auto_ev",
            "electronics",
            "wind",
        ]
    )


def test_amounts_are_rounded_for_people() -> None:
    assert kg(91200.00000000001) == "91,200" and kg(0.2) == "<1"
    assert percent(0.8000000000000002) == "80.0 %" and percent(-1e-12) == "0.0 %"
    assert money(-0.004, "USD") == "$0" and money(-41.2, "USD", per="/kg") == "−$41/kg"
    assert money(1234.6, "XYZ") == "1,235 XYZ"


# ------------------------------------------------------------------ the report and the workbook


def test_the_report_leads_with_the_order_list(solved: Any) -> None:
    found, plan = solved["india-2025-baseline"]
    page = parse(render_plan_report(plan, found))
    sections = [s.attrs["id"] for s in page.find("section")]
    assert sections[:4] == ["sec-orders", "sec-sector-shortages", "sec-compliance", "sec-binding"]
    (orders,) = page.find("table", id="order-table")
    rows = orders.find("tr")[1:]
    assert len(rows) == len(plan["deliveries"]) + len(plan["production"])
    exact = [float(td.attrs["data-value"] or "nan") for td in rows[0].find("td", **{})[5:6]]
    assert exact == [plan["deliveries"][0]["kg"]]  # 91200.00000000001, shown as 91,200
    assert rows[0].find("td")[5].content() == "91,200"
    (binding,) = page.find("table", id="binding-table")
    assert "CN's share cap of 80 %" in binding.content()


def test_the_plan_workbook_leads_with_the_orders_and_is_formatted(
    solved: Any, tmp_path: Path
) -> None:
    found, plan = solved["india-2025-baseline"]
    path = tmp_path / "plan.xlsx"
    write_plan_workbook(plan, path, found)
    book = load_workbook(path)
    assert book.sheetnames[0] == "summary"
    summary = book["summary"]
    assert [c.value for c in summary[1]][:4] == ["item", "value", None, "period"]
    first = {c.column_letter: c for c in summary[2]}
    assert (first["D"].value, first["E"].value, first["F"].value) == (
        "2025-Q3",
        "buy",
        "cn_baotou_std",
    )
    assert first["I"].value == plan["deliveries"][0]["kg"] and first["I"].number_format == "#,##0"
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.column_dimensions["A"].width > len(str(sheet["A1"].value)), sheet.title
    deliveries = book["deliveries"]
    kg_cell, landed, cost = deliveries["D2"], deliveries["E2"], deliveries["F2"]
    assert kg_cell.value == 91200.00000000001 and kg_cell.number_format == "#,##0"
    assert landed.number_format == "#,##0.00" and cost.number_format == "#,##0"
    share = book["origin_share"]["C2"]
    assert share.value == pytest.approx(0.8) and share.number_format == "0.0%"
    items = {r[0].value: r[1] for r in summary.iter_rows(min_row=2) if r[0].value}
    assert items["objective"].number_format == "#,##0"
    assert items["terms.purchase"].number_format == "#,##0"
    texts = [c.value for row in summary.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Compliance" in texts and "Binding limits" in texts and "spend" in texts


def test_the_comparison_workbook_is_formatted(tmp_path: Path) -> None:
    rows = [
        {"scenario": "a", "objective": 10.5, "shortage_kg": 91200.00000000001, "share": 0.8},
        {"scenario": "=b", "objective": None, "shortage_kg": 0.0, "share": 0.0},
    ]
    path = tmp_path / "cmp.xlsx"
    write_comparison_workbook(rows, path)
    sheet = load_workbook(path)["comparison"]
    assert sheet.freeze_panes == "A2"
    formats = {c.value: sheet.cell(2, c.column).number_format for c in sheet[1]}
    assert formats == {
        "scenario": "General",
        "objective": "#,##0",
        "shortage_kg": "#,##0",
        "share": "0.0%",
    }
    assert sheet["A3"].value == "'=b"  # text that looks like a formula stays inert
