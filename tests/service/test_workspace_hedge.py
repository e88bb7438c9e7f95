"""A hedge job's plan in the web workspace (MODEL.md §6), against a real `magnets serve`:
its page shows the values that price it in words, what to order now, the outcomes and
the cost chart; its downloads are the hedge report and the hedge workbook. A hedged plan
whose base plan cannot be completed in one outcome says so, and one without a solution
shows its status and message. In Chromium (when installed): the page on a phone's
screen, its chart drawn, without a script error or anything the page policy refuses."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.report.test_report import Node, parse
from tests.service.conftest import Service, running_service, wait_for_job
from tests.service.test_workspace import signed_in
from tests.tiny import demand, scenario, supplier
from tests.whatif.test_hedge_values import hedge

HALT = {"kind": "capacity", "origin": "CN", "factor": 0}


@pytest.fixture(scope="module")
def workspace(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from running_service(backend, tmp_path_factory, workers=1, max_time_limit=30)


def hedge_job(service: Service, document: dict[str, Any]) -> str:
    """The plan page's path of a hedge job submitted through the API, once it is done."""
    with service.client("alpha") as api:
        answer = api.post("/v1/jobs", json={"hedge": document, "options": {"time_limit": 10}})
        assert answer.status_code == 202, answer.text
        job = wait_for_job(api, answer.json()["id"], ("completed", "failed"))
    assert job["state"] == "completed", job
    return f"/jobs/{job['id']}/plans/0"


def only_cn(halted: list[str]) -> dict[str, Any]:
    """One supplier and every kg needed: a halt of cn in `halted` leaves demand unmet."""
    base = scenario(
        periods=2,
        products=[{"id": "p", "holding_cost": 1.0}],
        sectors=[{"id": "auto", "shortage_penalty": 1000.0, "min_service": 1.0}],
        suppliers=[supplier("cn", "CN", 10.0, capacity=100.0)],
        demand=demand(50, 50),
    )
    return {
        "name": "only-cn",
        "base": base,
        "reveal": "t1",
        "outcomes": [
            {"name": "hold", "probability": 0.5, "shocks": []},
            {"name": "cn-halt", "probability": 0.5, "shocks": [{**HALT, "periods": halted}]},
        ],
    }


def by_id(root: Node, id_: str) -> Node:
    (node,) = [n for n in root.walk() if n.attrs.get("id") == id_]
    return node


def cells(row: Node) -> list[str]:
    return [c.content().strip() for c in row.children if c.tag in ("th", "td")]


def body_rows(root: Node, table_id: str) -> list[list[str]]:
    (table,) = root.find("table", id=table_id)
    return [cells(r) for r in table.find("tr") if not r.find("th", scope="col")]


def test_a_hedge_jobs_plan_page_reads_as_a_hedged_plan(workspace: Service) -> None:
    plan = hedge_job(workspace, hedge(0.5))
    with signed_in(workspace) as (client, _):
        page = client.get(plan)
        assert page.status_code == 200, page.text
        root = parse(page.text)
        assert root.find("h1")[0].content() == "Hedged plan: prebuy"
        assert by_id(root, "hedge-status").content() == "optimal"
        assert 'id="plan-total"' not in page.text and "style=" not in page.text
        (table,) = root.find("table", id="hedge-value-table")
        values = {r.attrs["id"]: cells(r) for r in table.find("tr") if r.attrs.get("id")}
        amounts = {key: row[1] for key, row in values.items()}
        assert amounts == {
            "hedge-expected_cost": "1,050 USD", "hedge-cvar": "1,050 USD",
            "hedge-objective": "1,050 USD", "hedge-wait_and_see": "1,025 USD",
            "hedge-evpi": "25 USD", "hedge-value_of_hedging": "200 USD",
            "hedge-premium": "50 USD",
        }  # fmt: skip
        assert values["hedge-cvar"][0] == "CVaR at 90 %"
        assert values["hedge-objective"][0] == "Objective (weight 0)"
        assert all(len(row[2]) > 30 for row in values.values())  # each explained in words
        assert "Order now (before t1)" in page.text
        (table,) = root.find("table", id="order-now-table")
        assert cells(table.find("tr")[0]) == ["Supplier", "Origin", "Product", "t0", "Total kg"]
        assert body_rows(root, "order-now-table") == [["cn", "CN", "p", "100", "100"]]
        assert "No contract with a fixed cost." in page.text and "No plant built." in page.text
        assert body_rows(root, "hedge-outcome-table") == [
            ["hold", "50.0 %", "1,050 USD", "0"],
            ["cn-halt", "50.0 %", "1,050 USD", "0"],
        ]
        assert [f.attrs["id"] for f in root.find("figure")] == ["chart-hedge-costs"]
        assert "Cost across outcomes" in by_id(root, "chart-hedge-costs").content()
        links = [a.attrs["href"] for a in root.find("a") if "download" in a.attrs]
        assert links == [f"{plan}/plan.json", f"{plan}/report.html", f"{plan}/plan.xlsx"]
        assert not root.find("table", id="evaluation-facts")
        _check_downloads(client, plan)


def _check_downloads(client: httpx.Client, plan: str) -> None:
    report = client.get(f"{plan}/report.html")
    assert report.status_code == 200
    assert "<h1>Hedged plan: prebuy</h1>" in report.text
    assert 'id="hedge-values-table"' in report.text and 'id="order-now-table"' in report.text
    assert "unnamed scenario" not in report.text and "nothing to draw" not in report.text
    assert "<svg" in report.text
    workbook = client.get(f"{plan}/plan.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(BytesIO(workbook.content), read_only=True)
    assert book.sheetnames == ["summary", "order_now", "outcomes"]
    summary = {r[0]: r[1] for r in book["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["name"] == "prebuy" and summary["value_of_hedging"] == pytest.approx(200.0)
    assert summary["evpi"] == pytest.approx(25.0) and summary["premium"] == pytest.approx(50.0)
    orders = list(book["order_now"].iter_rows(min_row=2, values_only=True))
    assert orders == [("buy", "cn", "CN", "p", "t0", 100, 10, 1000)]
    outcomes = list(book["outcomes"].iter_rows(min_row=2, values_only=True))
    assert [(o[0], o[1], o[2], o[3]) for o in outcomes] == [
        ("hold", 0.5, 1050, 0),
        ("cn-halt", 0.5, 1050, 0),
    ]
    assert client.get(f"{plan}/plan.json").json()["here_and_now"]["deliveries"][0]["kg"] == 100


def test_an_outcome_the_unhedged_plan_cannot_meet_is_named(workspace: Service) -> None:
    plan = hedge_job(workspace, only_cn(["t1"]))
    with signed_in(workspace) as (client, _):
        root = parse(client.get(plan).text)
    row = cells(by_id(root, "hedge-value_of_hedging"))
    assert row[:2] == ["Value of hedging", "no plan for the base alone meets cn-halt"]
    assert "cannot be completed in the outcome cn-halt" in row[2]
    assert cells(by_id(root, "hedge-premium"))[1] == "50 USD"


def test_a_hedged_plan_without_a_solution_shows_its_status(workspace: Service) -> None:
    plan = hedge_job(workspace, only_cn(["t0", "t1"]))
    with signed_in(workspace) as (client, _):
        page = client.get(plan)
        assert page.status_code == 200
        root = parse(page.text)
        assert by_id(root, "hedge-status").content() == "infeasible"
        assert by_id(root, "hedge-message").content() == "Infeasible"
        assert "No hedged plan: infeasible" in by_id(root, "hedge-no-plan").content()
        assert not root.find("table") and not root.find("figure")
        assert "Hedged plan: only-cn" in client.get(f"{plan}/report.html").text
        workbook = client.get(f"{plan}/plan.xlsx")
        assert workbook.status_code == 200
        book = load_workbook(BytesIO(workbook.content), read_only=True)
        summary = {r[0]: r[1] for r in book["summary"].iter_rows(min_row=2, values_only=True)}
        assert summary["status"] == "infeasible" and summary["objective"] is None


def test_the_evaluation_is_worded() -> None:
    """The out-of-sample evaluation, with its interval, and one that found an outcome the
    orders cannot be completed in (no service needed: the view and its template)."""
    from service.routes.pages_common import templates
    from service.routes.plan_views import hedge_view

    plan: dict[str, Any] = {
        "status": "optimal", "name": "sampled", "currency": "EUR", "reveal": "t1",
        "risk": {"alpha": 0.95, "weight": 0.5}, "objective": 1200.0, "expected_cost": 1100.0,
        "cvar": 1300.0, "here_and_now": {"deliveries": [], "production": [],
        "contracts": [{"supplier": "cn", "fixed_cost": 75.0}],
        "plants_built": [{"plant": "k", "period": "t0"}]},
        "outcomes": [{"name": f"mc-{k}", "probability": 1 / 20, "objective": 1000.0 + k,
                      "shortage_kg": 2.5} for k in range(20)],
        "evaluation": {"outcomes": 200, "seed": 7, "objective": 1210.0,
                       "ci95": [1200.4, 1219.6], "in_sample_objective": 1200.0,
                       "infeasible": 0, "infeasible_outcomes": []},
    }  # fmt: skip
    base = scenario(periods=2, suppliers=[supplier("cn", "CN", 10.0)])
    view = hedge_view(plan, {"name": "sampled", "base": base, "outcomes": []})
    assert view["periods"] == ["t0"]
    assert view["contracts"] == [{"supplier": "cn", "origin": "CN", "fixed_cost": "75 EUR"}]
    assert [v["label"] for v in view["values"]][:3] == [
        "Expected cost", "CVaR at 95 %", "Objective (weight 0.5)",
    ]  # fmt: skip
    item = {"job_id": "j", "position": 0, "scenario": "sampled", "siblings": 1, "time_limit": ""}
    context: dict[str, Any] = {"item": item, "charts": [], "charts_note": "", "tenant_name": None}
    root = parse(templates.get_template("hedge_plan.html").render(**context, **view))
    facts = by_id(root, "evaluation-facts").content()
    assert "1,210 EUR" in facts and "1,200 EUR to 1,220 EUR" in facts
    assert root.find("details")  # 20 outcomes folded away
    assert body_rows(root, "order-now-plant-table") == [["k", "t0"]]
    assert "Nothing to buy before the outcome is known." in root.content()
    plan["evaluation"] |= {"objective": None, "ci95": None, "infeasible": 3,
                           "infeasible_outcomes": ["e-1", "e-4", "e-9"],
                           "message": "3 fresh outcomes cannot be completed"}  # fmt: skip
    root = parse(
        templates.get_template("hedge_plan.html").render(**context, **hedge_view(plan, {}))
    )
    facts = by_id(root, "evaluation-facts").content()
    assert "3 of them (e-1, e-4, e-9)" in facts and "cannot be completed" in facts
    assert "Objective on them" not in facts


def test_the_hedged_plan_page_in_a_browser(
    workspace: Service, backend: str, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("the browser runs once, on SQLite; the HTTP tests cover both databases")
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright not installed")
    chromium = os.environ.get("MAGNETS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no Chromium installed")
    plan = hedge_job(workspace, hedge(0.5))
    shots = Path(os.environ.get("MAGNETS_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            page.goto(f"{workspace.url}{plan}")  # signed out: the sign-in page, then back
            page.get_by_label("API key").fill(workspace.keys["alpha"])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{workspace.url}{plan}")
            errors: list[str] = []  # watched from here on, as test_workspace_browser.py does
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.reload()
            page.wait_for_selector("#hedge-value-table")
            assert page.inner_text("h1") == "Hedged plan: prebuy"
            assert page.inner_text("#hedge-evpi td.num") == "25 USD"
            page.wait_for_function(
                "[...document.querySelectorAll('figure.chart img')].every(i => i.naturalWidth > 0)"
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= 391
            page.screenshot(path=shots / "hedge-plan-narrow.png", full_page=True)
            assert errors == []  # no script error, nothing refused by the page policy
        finally:
            browser.close()


def test_a_hedged_plan_is_compared_as_its_expected_plan(workspace: Service) -> None:
    """Beside the base solved alone (1,000 USD, nothing short): the hedged plan's total
    is its expected cost and its shortage the outcomes' weighted by probability (cn can
    ship 60 kg a period; half of the time it halts in t1, and of the 60 kg bought ahead
    10 are held for t1: 40 kg short, 20 expected); no sector, delivery or share cells of
    its own, as those differ by outcome."""
    document = only_cn(["t1"])
    document["base"]["suppliers"][0]["capacity"] = 60.0
    document["base"]["sectors"][0]["min_service"] = 0.0
    hedged = hedge_job(workspace, document)
    job_id = hedged.split("/")[2]
    with workspace.client("alpha") as api:
        answer = api.post("/v1/jobs", json={"scenarios": [document["base"]]})
        job = wait_for_job(api, answer.json()["id"], ("completed", "failed"))
        plan = api.get(f"/v1/jobs/{job_id}/plans").json()["items"][0]["plan"]
    assert job["state"] == "completed", job
    short = sum(o["probability"] * o["shortage_kg"] for o in plan["outcomes"])
    assert short == pytest.approx(20.0)
    with signed_in(workspace) as (client, _):
        page = client.get("/compare", params=[("plan", f"{job['id']}:0"), ("plan", f"{job_id}:0")])
        assert page.status_code == 200, page.text
    root = parse(page.text)
    totals = body_rows(root, "compare-totals")
    assert totals[0][2].startswith("optimal") and "hedged, expected over 2 outcomes" in totals[0][2]
    assert totals[1] == ["Total cost", "1,000", f"{plan['expected_cost']:,.0f}"]
    assert totals[2][2] == f"{plan['expected_cost'] - 1000:+,.0f}"
    assert body_rows(root, "compare-shortages") == [["All sectors", "0", "20"]]
    assert "shown as its expected plan" in page.text
