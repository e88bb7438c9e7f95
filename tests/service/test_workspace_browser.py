"""The web workspace in a real browser: Debian's Chromium driven by Playwright (no
browser is downloaded: `executable_path` names the installed one), over a real
`magnets serve` and database. Signs in, uploads the baseline as a workbook, solves it
and reads the plan; a broken workbook names its cell; another tenant gets 404; a
scenario named like a script is shown as text; pages work with JavaScript off and on a
narrow screen. Levers, jobs and the comparison: a China-halt variant of the baseline, a
job of three whose bar reaches 3/3, the variant compared with the baseline, a job
cancelled from its page, a sweep and a frontier started from their forms. A screenshot of every page goes to MAGNETS_SCREENSHOTS (default: the
test's temporary folder). Skipped without Chromium or Playwright; `MAGNETS_CHROMIUM`
names a Chromium that is not /usr/bin/chromium."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optimizer.scenario.workbook import write_scenario_workbook
from tests.paths import INSTANCES
from tests.service.conftest import Service, running_service
from tests.service.scenarios import slow_lp
from tests.service.test_workspace import stored

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = os.environ.get("MAGNETS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("no Chromium installed", allow_module_level=True)

BASELINE = INSTANCES / "india-2025-baseline.json"
WIDE, NARROW = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def workspace(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    if backend != "sqlite" and not os.environ.get("MAGNETS_WORKSPACE_BROWSER_ALL"):
        pytest.skip("the browser runs once, on SQLite; the HTTP tests cover both databases")
    yield from running_service(backend, tmp_path_factory, workers=1, max_time_limit=30)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MAGNETS_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_in(browser: Any, service: Service, tenant: str, **context: Any) -> Any:
    page = browser.new_context(viewport=WIDE, **context).new_page()
    page.goto(f"{service.url}/scenarios")
    assert "/sign-in" in page.url  # signed out: sent to the sign-in page
    page.get_by_label("API key").fill(service.keys[tenant])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{service.url}/scenarios")
    return page


def test_sign_in_upload_solve_and_read_the_plan(
    workspace: Service, chromium: Any, shots: Path, tmp_path: Path
) -> None:
    errors: list[str] = []
    page = sign_in(chromium, workspace, "alpha")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.screenshot(path=shots / "library-empty.png", full_page=True)

    workbook = tmp_path / "baseline.xlsx"
    write_scenario_workbook(json.loads(BASELINE.read_text()), workbook)
    page.get_by_label("Scenario file").set_input_files(workbook)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("h1:has-text('india-2025-baseline')")
    scenario_url = page.url
    assert "Uploaded baseline.xlsx" in page.inner_text(".notice")
    page.screenshot(path=shots / "scenario.png", full_page=True)

    page.get_by_label("Time limit").fill("20")
    page.get_by_role("button", name="Solve this scenario").click()
    page.wait_for_selector("#plan-total", timeout=60_000)
    assert page.inner_text("#plan-total") == "90,444,565 USD"
    assert page.inner_text("#plan-status") == "optimal"
    for table in ("term-table", "delivery-table", "shortage-table", "licence-table", "share-table"):
        assert page.locator(f"#{table}").count() == 1
    charts = page.locator("figure.chart img")
    assert charts.count() == 5
    page.wait_for_function(
        "[...document.querySelectorAll('figure.chart img')].every(i => i.naturalWidth > 0)"
    )
    page.screenshot(path=shots / "plan.png", full_page=True)
    page.screenshot(path=shots / "plan-top.png")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the plan (JSON)").click()
    assert json.loads(Path(download.value.path()).read_text())["status"] == "optimal"

    page.goto(f"{workspace.url}/scenarios")
    assert "90,444,565 USD" in page.inner_text("#scenario-table")
    page.screenshot(path=shots / "library.png", full_page=True)
    assert errors == []  # no script error, nothing refused by the page policy

    page.set_viewport_size(NARROW)
    for url, name in ((scenario_url, "scenario-narrow"), (f"{workspace.url}/scenarios", "library-narrow")):  # fmt: skip
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW["width"] + 1, name  # nothing wider than the phone
        page.screenshot(path=shots / f"{name}.png", full_page=True)

    other = sign_in(chromium, workspace, "beta")
    answer = other.goto(scenario_url)
    assert answer is not None and answer.status == 404
    theirs = other.inner_text("main")
    assert "There is no such scenario" in theirs
    missing = other.goto(scenario_url[:-36] + "0" * 36)
    assert missing is not None and missing.status == 404
    assert other.inner_text("main") == theirs
    other.screenshot(path=shots / "not-found.png")


def test_a_broken_workbook_names_its_cell(
    workspace: Service, chromium: Any, shots: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    workbook = tmp_path / "broken.xlsx"
    write_scenario_workbook(json.loads(BASELINE.read_text()), workbook)
    book = load_workbook(workbook)
    book["suppliers"]["D2"] = "lots"  # capacity
    book.save(workbook)
    page = sign_in(chromium, workspace, "alpha")
    before = page.locator("#scenario-table tbody tr").count()
    page.get_by_label("Scenario file").set_input_files(workbook)
    page.get_by_role("button", name="Upload").click()
    page.wait_for_selector("#problem-table")
    problems = page.inner_text("#problem-table")
    assert "sheet 'suppliers', cell D2" in problems
    assert "lots" in problems
    assert "broken.xlsx was not stored" in page.inner_text(".problems h2")
    assert page.locator("#scenario-table tbody tr").count() == before
    page.screenshot(path=shots / "upload-problems.png", full_page=True)


def test_a_script_in_a_name_is_text_and_pages_work_without_javascript(
    workspace: Service, chromium: Any, shots: Path, tmp_path: Path
) -> None:
    document = json.loads(BASELINE.read_text())
    document["name"] = "<script>alert(1)</script>"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document))
    page = sign_in(chromium, workspace, "alpha", java_script_enabled=False)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.get_by_label("Scenario file").set_input_files(path)
    page.get_by_role("button", name="Upload").click()  # a plain form post, no script
    page.wait_for_selector("h1")
    assert page.inner_text("h1") == "<script>alert(1)</script>"
    assert page.locator("main script").count() == 0
    page.goto(f"{workspace.url}/scenarios")
    assert "<script>alert(1)</script>" in page.inner_text("#scenario-table")
    assert dialogs == []
    page.screenshot(path=shots / "script-name.png", full_page=True)


def test_a_post_without_the_form_token_is_refused_in_the_browser(
    workspace: Service, chromium: Any
) -> None:
    page = sign_in(chromium, workspace, "alpha")
    page.evaluate(
        "document.querySelector('form[action=\"/scenarios\"] [name=csrf_token]').remove()"
    )
    page.get_by_label("Scenario file").set_input_files(
        files=[{"name": "a.json", "mimeType": "application/json", "buffer": b"{}"}]
    )
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Upload").click()
    response = navigation.value
    assert response is not None and response.status == 403
    assert "Refused" in page.inner_text("h1")


# --- levers, jobs and the comparison ------------------------------------------------


def drawn(page: Any, selector: str) -> None:
    """Wait until the chart image has loaded (polled from here: the page policy forbids
    the string evaluation wait_for_function polls with)."""
    deadline = time.monotonic() + 20
    while not page.locator(selector).first.evaluate("i => i.complete && i.naturalWidth > 0"):
        assert time.monotonic() < deadline, selector
        time.sleep(0.1)


def watch_console(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_a_china_halt_variant_a_job_of_three_and_the_comparison(
    workspace: Service, chromium: Any, shots: Path
) -> None:
    baseline = stored(workspace, json.loads(BASELINE.read_text()))
    stored(workspace, json.loads((INSTANCES / "india-2025-tariff-shock.json").read_text()))
    page = sign_in(chromium, workspace, "alpha")
    errors = watch_console(page)

    page.goto(f"{workspace.url}/scenarios/{baseline}")
    page.get_by_label("Name of the variant").fill("China halt")
    page.get_by_label("Origin", exact=True).select_option("CN")
    page.get_by_label("Capacity left, %").fill("0")
    page.get_by_label("2025-Q3").check()
    page.get_by_label("2025-Q4").check()
    page.screenshot(path=shots / "levers.png", full_page=True)
    page.get_by_role("button", name="Save as a new variant").click()
    page.wait_for_selector("h1:has-text('China halt')")
    assert "Saved the variant “China halt”" in page.inner_text(".notice")
    assert page.inner_text("#lineage-title") == "Variant of india-2025-baseline"
    assert "Capacity of suppliers from CN at 0 % in 2025-Q3, 2025-Q4" in page.inner_text(
        "#lineage-changes"
    )
    page.screenshot(path=shots / "variant.png", full_page=True)

    page.goto(f"{workspace.url}/scenarios")
    for name in ("india-2025-baseline", "China halt", "india-2025-tariff-shock"):
        page.get_by_label(f"Pick {name}", exact=True).first.check()
    page.get_by_label("Time limit per scenario").fill("20")
    page.get_by_role("button", name="Solve them as one job").click()
    page.wait_for_selector("#job-bar")
    assert page.locator("#job-bar").get_attribute("max") == "3"
    page.wait_for_selector("#job-count:text-is('3/3')", timeout=90_000)
    page.wait_for_selector("h1:has-text('Job (completed)')")  # reloaded once it finished
    assert page.inner_text("#job-count") == "3/3"
    page.screenshot(path=shots / "job.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the summary (CSV)").click()
    assert Path(download.value.path()).read_text().startswith("scenario,status,objective")

    page.get_by_label("Compare india-2025-baseline").check()
    page.get_by_label("Compare China halt").check()
    page.get_by_role("button", name="Compare the ticked plans").click()
    page.wait_for_selector("h1:has-text('Compare 2 plans')")
    totals = page.inner_text("#compare-totals")
    assert "90,444,565" in totals and "China halt" in totals
    assert page.locator("#compare-terms tbody tr").count() >= 3
    assert "2025-Q3" in page.inner_text("#compare-shares")
    first_delivery = page.locator("#compare-deliveries tbody tr").first.inner_text()
    assert first_delivery.startswith("cn_")  # the largest difference: a Chinese supplier
    drawn(page, "figure.chart img")
    page.screenshot(path=shots / "compare.png", full_page=True)
    compare_url = page.url

    page.set_viewport_size(NARROW)
    for url, name in ((compare_url, "compare-narrow"), (f"{workspace.url}/scenarios/{baseline}", "levers-narrow")):  # fmt: skip
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"] + 1, name
        page.screenshot(path=shots / f"{name}.png", full_page=True)
    assert errors == []  # no script error, nothing refused by the page policy


def test_cancel_a_job_and_run_a_sweep_and_a_frontier(
    workspace: Service, chromium: Any, shots: Path
) -> None:
    slow = stored(workspace, slow_lp(suppliers=300))
    baseline = stored(workspace, json.loads(BASELINE.read_text()))
    page = sign_in(chromium, workspace, "alpha")
    errors = watch_console(page)
    page.on("dialog", lambda d: d.accept())

    page.goto(f"{workspace.url}/scenarios?q=slow")
    page.get_by_label("Pick slow lp", exact=False).first.check()
    page.get_by_role("button", name="Solve them as one job").click()
    page.wait_for_selector("text=Cancel the job")
    page.screenshot(path=shots / "job-running.png", full_page=True)
    page.get_by_role("button", name="Cancel the job").click()
    page.wait_for_selector("h1:has-text('Job (cancelled)')", timeout=60_000)
    assert "Cancelled" in page.inner_text(".notice") or "cancelled" in page.inner_text("h1")
    assert slow

    page.goto(f"{workspace.url}/scenarios/{baseline}/sweep")
    page.get_by_role("button", name="Start the sweep").click()  # the example grid, 3 × 2 + base
    page.wait_for_selector("h1:has-text('Sweep (completed)')", timeout=90_000)
    assert page.locator("#statistics-table").count() == 1
    drawn(page, "#chart-cost-distribution img")
    page.screenshot(path=shots / "sweep.png", full_page=True)

    page.goto(f"{workspace.url}/scenarios/{baseline}/sweep")
    page.get_by_label("Caps (1 to 101)").fill("4")
    page.get_by_role("button", name="Start the frontier").click()
    page.wait_for_selector("h1:has-text('Frontier (completed)')", timeout=90_000)
    assert page.locator("#frontier-table tbody tr").count() == 4
    drawn(page, "#chart-frontier img")
    page.screenshot(path=shots / "frontier.png", full_page=True)
    assert errors == []


def test_the_first_page_loads_without_a_console_error_its_icon_included(
    workspace: Service, chromium: Any
) -> None:
    """A browser asks for the page's icon on the first page it loads: the workspace names
    its own (/static/favicon.svg), so no request of the page fails."""
    page = chromium.new_context(viewport=WIDE).new_page()
    errors = watch_console(page)
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{workspace.url}/sign-in")
    page.wait_for_load_state("networkidle")
    icon = page.request.get(f"{workspace.url}/static/favicon.svg")
    assert icon.status == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert errors == [] and failed == []
