"""The web workspace over plain HTTP (no browser): sign-in, the session cookie, form
tokens, tenancy, uploads and a solve, against a real `magnets serve` and database.
The same pages in Chromium: test_workspace_browser.py."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from markupsafe import escape

from tests.paths import INSTANCES
from tests.service.conftest import Service, running_service

BASELINE = INSTANCES / "india-2025-baseline.json"
INFEASIBLE = INSTANCES / "india-2025-infeasible.json"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SOLVE_TOKEN = re.compile(r'name="solve_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def workspace(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from running_service(backend, tmp_path_factory, workers=1, max_time_limit=30)


def browser(service: Service) -> httpx.Client:
    return httpx.Client(base_url=service.url, timeout=60, follow_redirects=False)


def token_of(page: httpx.Response) -> str:
    found = TOKEN.search(page.text)
    assert found, page.text
    return found[1]


@contextmanager
def signed_in(service: Service, tenant: str = "alpha") -> Iterator[tuple[httpx.Client, str]]:
    """A client signed in as the tenant, and its session's form token."""
    with browser(service) as client:
        yield client, _sign_in(client, service, tenant)


def _sign_in(client: httpx.Client, service: Service, tenant: str) -> str:
    form = client.get("/sign-in")
    answer = client.post(
        "/sign-in",
        data={"csrf_token": token_of(form), "api_key": service.keys[tenant], "next": "/scenarios"},
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/scenarios"
    return token_of(client.get("/scenarios"))


def upload(client: httpx.Client, token: str, name: str, content: bytes) -> httpx.Response:
    return client.post("/scenarios", data={"csrf_token": token}, files={"file": (name, content)})


def stored(service: Service, document: dict[str, Any], tenant: str = "alpha") -> str:
    with service.client(tenant) as api:
        answer = api.post("/v1/scenarios", json=document)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])


def scenario_count(service: Service, tenant: str = "alpha") -> int:
    with service.client(tenant) as api:
        return int(api.get("/v1/scenarios").json()["total"])


def test_signed_out_requests_go_to_sign_in(workspace: Service) -> None:
    with browser(workspace) as client:
        assert client.get("/").headers["location"] == "/scenarios"
        for path in ("/scenarios", "/scenarios/x", "/jobs/x/plans/0", "/scenarios/template.xlsx"):
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/sign-in?next=")
        answer = client.post("/scenarios/x/delete", data={"csrf_token": "whatever"})
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/sign-in")


def test_the_cookie_is_an_opaque_httponly_samesite_session(workspace: Service) -> None:
    with browser(workspace) as client:
        first = client.get("/sign-in")
        anonymous = client.cookies["magnets_session"]
        key = workspace.keys["alpha"]
        answer = client.post(
            "/sign-in", data={"csrf_token": token_of(first), "api_key": key, "next": "/scenarios"}
        )
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # plain http on loopback: see docs/workspace.md
        session = client.cookies["magnets_session"]
        assert session != anonymous  # a new id at sign-in: one planted before is worthless
        assert key not in cookie and key[4:20] not in session
        page = client.get("/scenarios")
        assert page.status_code == 200
        assert key not in page.text and "alpha" in page.text
        assert page.headers["cache-control"] == "no-store"


def test_a_wrong_key_is_refused_on_the_page(workspace: Service) -> None:
    with browser(workspace) as client:
        form = client.get("/sign-in")
        answer = client.post(
            "/sign-in", data={"csrf_token": token_of(form), "api_key": "mgk_wrong", "next": "/"}
        )
        assert answer.status_code == 401
        assert "not valid" in answer.text
        assert "mgk_wrong" not in answer.text
        assert client.get("/scenarios").status_code == 303


def test_sign_in_refuses_a_foreign_next_and_a_form_without_token(workspace: Service) -> None:
    with browser(workspace) as client:
        form = client.get("/sign-in")
        key = workspace.keys["alpha"]
        assert client.post("/sign-in", data={"api_key": key}).status_code == 403
        answer = client.post(
            "/sign-in",
            data={"csrf_token": token_of(form), "api_key": key, "next": "//evil.example/"},
        )
        assert answer.headers["location"] == "/scenarios"


def test_posts_without_the_form_token_are_refused(workspace: Service) -> None:
    scenario_id = stored(workspace, json.loads(BASELINE.read_text()))
    with signed_in(workspace) as (client, token):
        before = scenario_count(workspace)
        for data in ({}, {"csrf_token": "forged"}):
            answer = client.post(f"/scenarios/{scenario_id}/delete", data=data)
            assert answer.status_code == 403, answer.text
            assert "Refused" in answer.text
            answer = client.post("/scenarios", data=data, files={"file": ("a.json", b"{}")})
            assert answer.status_code == 403
            answer = client.post(f"/scenarios/{scenario_id}/duplicate", data=data)
            assert answer.status_code == 403
        assert client.post("/sign-out", data={}).status_code == 403
        # the right token, sent from another site's page
        answer = client.post(
            f"/scenarios/{scenario_id}/delete",
            data={"csrf_token": token},
            headers={"Origin": "https://evil.example"},
        )
        assert answer.status_code == 403
        assert scenario_count(workspace) == before
        # another session's token is no good either
        with signed_in(workspace) as (_, other_token):
            answer = client.post(
                f"/scenarios/{scenario_id}/delete", data={"csrf_token": other_token}
            )
            assert answer.status_code == 403
        assert scenario_count(workspace) == before
        answer = client.post(f"/scenarios/{scenario_id}/delete", data={"csrf_token": token})
        assert answer.status_code == 303
        assert scenario_count(workspace) == before - 1


def test_another_tenants_pages_answer_like_missing_ones(workspace: Service) -> None:
    scenario_id = stored(workspace, json.loads(BASELINE.read_text()), tenant="alpha")
    with (
        signed_in(workspace, "alpha") as (alpha, alpha_token),
        signed_in(workspace, "beta") as (beta, beta_token),
    ):
        plan = _solved(alpha, alpha_token, scenario_id, time_limit="20")
        job_id = plan.split("/")[2]
        assert alpha.get(f"/scenarios/{scenario_id}").status_code == 200
        for path in (
            f"/scenarios/{scenario_id}", f"/scenarios/{scenario_id}/scenario.json",
            f"/jobs/{job_id}", plan, f"{plan}/plan.json", f"{plan}/report.html", f"{plan}/progress",
        ):  # fmt: skip
            theirs = beta.get(path)
            missing = beta.get(path.replace(scenario_id, "0" * 36).replace(job_id, "0" * 36))
            assert theirs.status_code == missing.status_code == 404, path
            assert _main(theirs.text) == _main(missing.text)
        for action in ("delete", "duplicate", "solve"):
            data = {"csrf_token": beta_token, "solve_token": "x" * 24, "time_limit": "5"}
            answer = beta.post(f"/scenarios/{scenario_id}/{action}", data=data)
            assert answer.status_code == 404, action
        assert alpha.get(f"/scenarios/{scenario_id}").status_code == 200
        assert scenario_id not in beta.get("/scenarios").text


def _main(page: str) -> str:
    return page[page.index("<main>") :]


def _solved(client: httpx.Client, token: str, scenario_id: str, time_limit: str) -> str:
    page = client.get(f"/scenarios/{scenario_id}")
    found = SOLVE_TOKEN.search(page.text)
    assert found
    data = {"csrf_token": token, "solve_token": found[1], "time_limit": time_limit}
    answer = client.post(f"/scenarios/{scenario_id}/solve", data=data)
    assert answer.status_code == 303, answer.text
    plan = answer.headers["location"]
    again = client.post(f"/scenarios/{scenario_id}/solve", data=data)  # sent twice: one job
    assert again.headers["location"] == plan
    deadline = time.monotonic() + 60
    while not client.get(f"{plan}/progress").json()["done"]:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    return plan


def test_upload_solve_and_plan_page(workspace: Service) -> None:
    with signed_in(workspace) as (client, token):
        answer = upload(client, token, "baseline.json", BASELINE.read_bytes())
        assert answer.status_code == 303, answer.text
        scenario_page = answer.headers["location"]
        scenario_id = scenario_page.rsplit("/", 1)[1]
        plan = _solved(client, token, scenario_id, time_limit="20")
        page = client.get(plan)
        assert page.status_code == 200
        assert 'id="plan-total">90,444,565 USD' in page.text
        for table in ("term-table", "delivery-table", "shortage-table", "licence-table", "share-table"):  # fmt: skip
            assert f'id="{table}"' in page.text
        assert page.text.count('<figure class="chart"') == 5
        plan_json = client.get(f"{plan}/plan.json").json()
        assert plan_json["objective"] == pytest.approx(90444565.0)
        _check_new_sections(client, plan, page.text, plan_json)
        report = client.get(f"{plan}/report.html")
        assert report.headers["content-type"].startswith("text/html")
        assert "style-src 'unsafe-inline'" in report.headers["content-security-policy"]
        assert "<svg" in report.text
        listed = client.get("/scenarios?q=BASELINE")
        assert "90,444,565 USD" in listed.text
        assert "india-2025-baseline" not in client.get("/scenarios?q=nothing-like-it").text


def _check_new_sections(
    client: httpx.Client, plan: str, page: str, plan_json: dict[str, Any]
) -> None:
    """Consumption by origin and sector, contracts, plants, qualifications, the marginal
    values in words (the page solves with explain) and the plan workbook."""
    consumption = _table(page, "consumption-table")
    assert '<th scope="row">CN</th>' in consumption
    assert ">defence</th>" in consumption and "barred" in consumption
    assert 'id="barred"' in page and "CN material may not go to defence" in page
    for section in ("commitments-title", "limits-title"):
        assert f'id="{section}"' in page
    assert plan_json["marginal_values"]  # the page's solve job carries explain
    limits = _table(page, "limit-table")
    assert limits.count("<tr>") >= 2 and "one more kg of" in limits
    workbook = client.get(f"{plan}/plan.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="plan.xlsx"' in workbook.headers["content-disposition"]
    from io import BytesIO

    from openpyxl import load_workbook

    sheets = load_workbook(BytesIO(workbook.content), read_only=True).sheetnames
    assert {"summary", "consumption", "contracts", "qualified"} <= set(sheets)


def _table(page: str, table_id: str) -> str:
    start = page.index(f'id="{table_id}"')
    return page[start : page.index("</table>", start)]


def test_an_infeasible_plan_shows_its_diagnosis_in_words(workspace: Service) -> None:
    with signed_in(workspace) as (client, token):
        answer = upload(client, token, "infeasible.json", INFEASIBLE.read_bytes())
        assert answer.status_code == 303, answer.text
        scenario_id = answer.headers["location"].rsplit("/", 1)[1]
        plan = _solved(client, token, scenario_id, time_limit="20")
        page = client.get(plan).text
        assert 'id="plan-status">infeasible' in page
        assert 'id="diagnosis"' in page
        assert "cannot all hold together" in page
        for line in client.get(f"{plan}/plan.json").json()["diagnosis"]["conflict"]:
            assert str(escape(line["text"])) in page
        assert "see why above" in page
        assert client.get(f"{plan}/plan.xlsx").status_code == 200


def test_a_bad_upload_names_every_problem_and_stores_nothing(workspace: Service) -> None:
    document = json.loads(BASELINE.read_text())
    document["suppliers"][0]["capacity"] = -5
    document["periods"] = "Q1"
    with signed_in(workspace) as (client, token):
        before = scenario_count(workspace)
        answer = upload(client, token, "broken.json", json.dumps(document).encode())
        assert answer.status_code == 422
        assert 'id="problem-table"' in answer.text
        assert "suppliers › 0 › capacity" in answer.text
        assert "periods" in answer.text
        answer = upload(client, token, "broken.yaml", b"name: [unclosed")
        assert answer.status_code == 422 and "not valid YAML" in answer.text
        answer = upload(client, token, "broken.xlsx", b"PK\x03\x04 not really a workbook")
        assert answer.status_code == 422 and "cannot read workbook" in answer.text
        assert scenario_count(workspace) == before


def test_page_policy_and_static_files(workspace: Service) -> None:
    with signed_in(workspace) as (client, _):
        policy = client.get("/scenarios").headers["content-security-policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "form-action 'self'" in policy
        for page in ("/jobs/x", "/jobs/x/plans/0", "/scenarios/x"):  # every page, 404s too
            assert client.get(page).headers["content-security-policy"] == policy, page
        for asset in ("/static/workspace.css", "/static/workspace.js"):
            answer = client.get(asset)
            assert answer.status_code == 200
            assert answer.headers["content-security-policy"] == policy
        template = client.get("/scenarios/template.xlsx")
        assert template.status_code == 200 and template.content[:2] == b"PK"
        api = httpx.get(f"{workspace.url}/v1/scenarios")
        assert "style-src 'unsafe-inline'" in api.headers["content-security-policy"]


def test_sign_out_ends_the_session(workspace: Service) -> None:
    with signed_in(workspace) as (client, token):
        session = client.cookies["magnets_session"]
        answer = client.post("/sign-out", data={"csrf_token": token})
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
        client.cookies.set("magnets_session", session)  # the old id, kept by an attacker
        assert client.get("/scenarios").status_code == 303


def test_without_keys_the_workspace_opens_straight_away(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if backend != "sqlite":
        pytest.skip("one backend is enough for the --no-auth entry")
    directory = tmp_path_factory.mktemp("no-auth")
    from tests.service.conftest import service_env, start_service, stop_service

    env = service_env(f"sqlite:///{directory / 'magnets.db'}")
    process, url = start_service(env, directory / "server.log", "--no-auth")
    try:
        with httpx.Client(base_url=url, follow_redirects=True, timeout=30) as client:
            page = client.get("/")
            assert page.status_code == 200
            assert str(page.url).endswith("/scenarios")
            assert "Tenant: <strong>local</strong>" in page.text
            assert "Sign out" not in page.text
    finally:
        stop_service(process)


def test_template_is_in_the_package_data() -> None:
    """pyproject ships the templates and static files with the package."""
    text = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert '"web/templates/*.html"' in text and '"web/static/*"' in text
