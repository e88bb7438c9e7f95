"""The web workspace in a real browser: Debian's Chromium driven by Playwright (no
browser is downloaded: `executable_path` names the installed one), over a real
`magnets serve` and database. Signs in, uploads the baseline as a workbook, solves it
and reads the plan; a broken workbook names its cell; another tenant gets 404; a
scenario named like a script is shown as text; pages work with JavaScript off and on a
narrow screen. A screenshot of every page goes to MAGNETS_SCREENSHOTS (default: the
test's temporary folder). Skipped without Chromium or Playwright; `MAGNETS_CHROMIUM`
names a Chromium that is not /usr/bin/chromium."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optimizer.scenario.workbook import write_scenario_workbook
from tests.paths import INSTANCES
from tests.service.conftest import Service, running_service

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
