"""The workspace's levers, comparison and jobs over plain HTTP (no browser), against a
real `magnets serve` and database: a variant saved from the levers records its parent
and its changes; the comparison of plans; a batch job, its progress, CSV summary and
cancelling; a sweep and a frontier started from their forms; every new form refused
without its token; another tenant's variant, comparison and job answering 404.
The same pages in Chromium: test_workspace_browser.py."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.service.conftest import Service, running_service
from tests.service.scenarios import slow_lp
from tests.service.test_workspace import (
    BASELINE,
    _main,
    _solved,
    scenario_count,
    signed_in,
    stored,
)

SOURCING_RULES = BASELINE.parent / "india-2025-sourcing-rules.json"
BATCH_TOKEN = re.compile(r'name="batch_token" value="([^"]+)"')
CHINA_HALT = {"name": "China halt", "cap_origin": "CN", "cap_factor": "0",
              "cap_period": ["2025-Q3", "2025-Q4"]}  # fmt: skip


@pytest.fixture(scope="module")
def workspace(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from running_service(
        backend, tmp_path_factory, workers=1, max_time_limit=30, max_running_jobs_per_tenant=4
    )


def levers(client: httpx.Client, scenario_id: str) -> dict[str, Any]:
    """The lever form's fields as the page fills them (the scenario's current values)."""
    page = client.get(f"/scenarios/{scenario_id}").text
    form = page[page.index('action="/scenarios/' + scenario_id + '/variant"') :]
    form = form[: form.index("</form>")]
    fields = dict(
        re.findall(
            r'name="((?:demand|licence|tariff|share|discount|most|lead)_\d+)"[^>]*value="([^"]*)"',
            form,
        )
    )
    fields["budget"] = re.search(r'name="budget"[^>]*value="([^"]*)"', form)[1]  # type: ignore[index]
    return fields


def make_variant(
    client: httpx.Client, token: str, scenario_id: str, **changes: Any
) -> httpx.Response:
    data = {**levers(client, scenario_id), "csrf_token": token, **changes}
    return client.post(f"/scenarios/{scenario_id}/variant", data=data)


def batch_token(client: httpx.Client, path: str = "/scenarios") -> str:
    found = BATCH_TOKEN.search(client.get(path).text)
    assert found
    return found[1]


def start_batch(client: httpx.Client, token: str, ids: list[str], time_limit: str = "20") -> str:
    data = {"csrf_token": token, "batch_token": batch_token(client), "scenario": ids,
            "time_limit": time_limit}  # fmt: skip
    answer = client.post("/jobs", data=data)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def finished(client: httpx.Client, job: str, seconds: float = 90) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        progress: dict[str, Any] = client.get(f"{job}/progress").json()
        if progress["done"]:
            return progress
        assert time.monotonic() < deadline, progress
        time.sleep(0.2)


def test_a_variant_records_its_parent_and_its_changes(workspace: Service) -> None:
    baseline = stored(workspace, json.loads(BASELINE.read_text()))
    with signed_in(workspace) as (client, token):
        answer = make_variant(client, token, baseline, **CHINA_HALT, tariff_0="25")
        assert answer.status_code == 303, answer.text
        variant = answer.headers["location"].rsplit("/", 1)[1]
        page = client.get(f"/scenarios/{variant}").text
        assert "<h1>China halt</h1>" in page
        assert f'Variant of <a href="/scenarios/{baseline}">india-2025-baseline</a>' in page
        changes = page[page.index('id="lineage-changes"') :]
        assert "Capacity of suppliers from CN at 0 % in 2025-Q3, 2025-Q4" in changes
        assert "Tariff on shipments from CN: 25 %" in changes
        with workspace.client("alpha") as api:
            document = api.get(f"/v1/scenarios/{variant}").json()["scenario"]
            parent = api.get(f"/v1/scenarios/{baseline}").json()["scenario"]
        cn = {s["id"] for s in parent["suppliers"] if s["country"] == "CN"}
        for supplier in document["suppliers"]:
            if supplier["id"] in cn:  # halted in the first two quarters only
                assert supplier["capacity"][:2] == [0, 0] and supplier["capacity"][2] > 0
        assert next(c for c in document["countries"] if c["id"] == "CN")["tariff"] == 0.25
        assert parent == json.loads(BASELINE.read_text())  # the parent stays as it was

        # a variant of the variant: its line runs back to the baseline
        answer = make_variant(client, token, variant, name="Halt, tight budget", budget="2.5e7",
                              demand_0="110", share_0="")  # fmt: skip
        assert answer.status_code == 303, answer.text
        grandchild = answer.headers["location"]
        page = client.get(grandchild).text
        assert "Spend cap per period: 25,000,000 USD" in page
        assert "Demand of auto_ev at 110 % of the parent&#39;s" in page
        assert "Share of supply from CN: no cap" in page
        line = page[page.index("Line:") : page.index("</p>", page.index("Line:"))]
        assert line.index("india-2025-baseline") < line.index("China halt") < line.index("Halt, tight budget")  # fmt: skip
        assert "variant</span>" in client.get("/scenarios").text


def test_sourcing_rule_levers_change_discounts_supplier_caps_and_qualification(
    workspace: Service,
) -> None:
    rules = json.loads(SOURCING_RULES.read_text())
    scenario = stored(workspace, rules)
    baseline = stored(workspace, json.loads(BASELINE.read_text()))
    with signed_in(workspace) as (client, token):
        fields = levers(client, scenario)
        assert fields["discount_0"] == "100" and fields["most_0"] == "4"
        lead = next(k for k in fields if k.startswith("lead_") and fields[k] == "2")
        page = client.get(f"/scenarios/{scenario}").text
        assert f'for="{lead}">vn_newmag<' in page and 'for="discount_0">jp_ndfeb<' in page
        assert 'for="most_0">ndfeb_hc<' in page
        answer = make_variant(client, token, scenario, name="Rules", discount_0="90",
                              most_0="2", **{lead: "4"})  # fmt: skip
        assert answer.status_code == 303, answer.text
        variant = answer.headers["location"].rsplit("/", 1)[1]
        with workspace.client("alpha") as api:
            document = api.get(f"/v1/scenarios/{variant}").json()["scenario"]
        suppliers = {s["id"]: s for s in document["suppliers"]}
        offer = next(o for o in suppliers["jp_ndfeb"]["offers"] if o["product"] == "ndfeb_hc")
        assert offer["discounts"] == [{"min_kg": 20000, "price": pytest.approx(72.0)}]
        assert offer["price"] == 84.0  # the list price stays
        assert document["policy"]["max_suppliers"] == {"ndfeb_hc": 2}
        assert suppliers["vn_newmag"]["qualification"] == {"cost": 400000, "lead": 4}
        assert suppliers["kz_newmag"]["qualification"]["lead"] == 2  # unchanged: no shock
        assert document["name"] == (
            f"Rules ⟨of {scenario}: discount jp_ndfeb ×0.9; suppliers ndfeb_hc =2; "
            "qualify vn_newmag =4⟩"
        )
        changes = client.get(f"/scenarios/{variant}").text
        changes = changes[changes.index('id="lineage-changes"') :]
        assert "Discount prices of jp_ndfeb at 90 % of the parent&#39;s" in changes
        assert "Most suppliers of ndfeb_hc: 2" in changes
        assert "Qualification lead of vn_newmag: 4 periods" in changes

        answer = make_variant(client, token, scenario, name="Bad", discount_0="0",
                              most_0="1.5")  # fmt: skip
        assert answer.status_code == 422
        assert "levers › discount › jp_ndfeb" in answer.text
        assert "levers › most › ndfeb_hc" in answer.text

        page = client.get(f"/scenarios/{baseline}").text  # no rules: none of their levers
        for field in ("discount_0", "most_0", "lead_0"):
            assert f'name="{field}"' not in page


def test_levers_with_problems_store_nothing_and_keep_what_was_typed(workspace: Service) -> None:
    baseline = stored(workspace, json.loads(BASELINE.read_text()))
    with signed_in(workspace) as (client, token):
        before = scenario_count(workspace)
        answer = make_variant(client, token, baseline, name="Broken", demand_0="lots",
                              share_0="150", licence_0="-3")  # fmt: skip
        assert answer.status_code == 422
        for where in ("levers › demand › auto_ev", "levers › share › CN", "levers › licence › cn-pooled-2025"):  # fmt: skip
            assert where in answer.text
        assert 'value="lots"' in answer.text  # what was typed comes back, to fix
        answer = make_variant(client, token, baseline, name="Same")
        assert answer.status_code == 422 and "change at least one number" in answer.text
        assert scenario_count(workspace) == before


def test_compare_a_variant_with_its_parent(workspace: Service) -> None:
    baseline = stored(workspace, json.loads(BASELINE.read_text()))
    with signed_in(workspace) as (client, token):
        variant = make_variant(client, token, baseline, **CHINA_HALT).headers["location"]
        variant = variant.rsplit("/", 1)[1]
        first = _solved(client, token, baseline, "20").split("/")[2]
        second = _solved(client, token, variant, "20").split("/")[2]
        answer = client.post(
            "/compare", data={"csrf_token": token, "scenario": [baseline, variant]}
        )
        assert answer.status_code == 303
        assert answer.headers["location"] == f"/compare?plan={first}%3A0&plan={second}%3A0"
        page = client.get(answer.headers["location"])
        assert page.status_code == 200
        text = page.text
        totals = text[text.index('id="compare-totals"') : text.index("</table>", text.index('id="compare-totals"'))]  # fmt: skip
        assert "90,444,565" in totals and "China halt" in totals and "+" in totals
        shares = text[text.index('id="compare-shares"') :]
        assert "2025-Q3" in shares and "0.0 %" in shares  # no Chinese supply while halted
        deliveries = text[text.index('id="compare-deliveries"') :]
        assert "cn_baotou_std" in deliveries
        assert 'id="compare-terms"' in text and 'id="chart-compare-costs"' in text
        one = client.get(f"/compare?plan={first}:0")
        assert one.status_code == 422 and "two or more" in one.text


def test_a_batch_job_runs_to_the_end_with_its_summary(workspace: Service) -> None:
    document = json.loads(BASELINE.read_text())
    ids = [stored(workspace, dict(document, name=f"batch {i}")) for i in range(3)]
    with signed_in(workspace) as (client, token):
        job = start_batch(client, token, ids)
        page = client.get(job).text
        assert '<progress id="job-bar" max="3"' in page
        progress = finished(client, job)
        assert (progress["solved"], progress["total"], progress["state"]) == (3, 3, "completed")
        page = client.get(job).text
        assert 'id="job-count">3/3<' in page and "Cancel the job" not in page
        summary = client.get(f"{job}/summary.csv")
        assert summary.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(summary.text)))
        assert [r["scenario"] for r in rows] == ["batch 0", "batch 1", "batch 2"]
        assert all(float(r["objective"]) == pytest.approx(90444565.0) for r in rows)
        compare = client.get(f"/compare?job={job.rsplit('/', 1)[1]}")
        assert compare.status_code == 200 and compare.text.count("batch ") >= 3
        answer = client.post("/jobs", data={"csrf_token": token, "batch_token": batch_token(client)})  # fmt: skip
        assert answer.status_code == 422 and "Tick at least one scenario" in answer.text


def test_cancelling_a_job_from_its_page(workspace: Service) -> None:
    slow = stored(workspace, slow_lp(suppliers=300))
    with signed_in(workspace) as (client, token):
        job = start_batch(client, token, [slow, slow], time_limit="30")
        assert "Cancel the job" in client.get(job).text
        answer = client.post(f"{job}/cancel", data={"csrf_token": token})
        assert answer.status_code == 303 and answer.headers["location"] == job
        progress = finished(client, job, 60)
        assert progress["state"] == "cancelled"
        assert "Cancelled: the plans already solved are kept." in client.get(job).text


def test_a_sweep_and_a_frontier_from_their_forms(workspace: Service) -> None:
    baseline = stored(workspace, json.loads(BASELINE.read_text()))
    with signed_in(workspace) as (client, token):
        form = client.get(f"/scenarios/{baseline}/sweep")
        assert form.status_code == 200 and "cn_halt" in form.text
        spec = (
            "mode: grid\naxes:\n  - name: cn_tariff\n    shock: {kind: tariff, country: CN}\n"
            "    parameter: value\n    levels: [0.075, 0.25]\n"
        )
        data = {"csrf_token": token, "batch_token": batch_token(client, f"/scenarios/{baseline}/sweep"),
                "spec": spec, "time_limit": "20"}  # fmt: skip
        answer = client.post(f"/scenarios/{baseline}/sweep", data=data)
        assert answer.status_code == 303, answer.text
        sweep = answer.headers["location"]
        finished(client, sweep)
        page = client.get(sweep).text
        assert "<h1>Sweep (completed)</h1>" in page
        assert 'id="statistics-table"' in page and 'id="chart-cost-distribution"' in page

        bad = dict(data, spec="mode: grid\naxes:\n  - name: x\n    levels: [{name: a, shocks: [{kind: tariff, country: ZZ, value: 1}]}]\n")  # fmt: skip
        answer = client.post(f"/scenarios/{baseline}/sweep", data=bad)
        assert answer.status_code == 422 and "unknown country" in answer.text

        data = {"csrf_token": token, "batch_token": batch_token(client, f"/scenarios/{baseline}/sweep"),
                "origin": "CN", "steps": "3", "time_limit": "20"}  # fmt: skip
        answer = client.post(f"/scenarios/{baseline}/frontier", data=data)
        assert answer.status_code == 303, answer.text
        frontier = answer.headers["location"]
        finished(client, frontier)
        page = client.get(frontier).text
        assert "<h1>Frontier (completed)</h1>" in page
        assert 'id="frontier-table"' in page and 'id="chart-frontier"' in page


def test_the_new_forms_need_the_form_token(workspace: Service) -> None:
    baseline = stored(workspace, json.loads(BASELINE.read_text()))
    with signed_in(workspace) as (client, token):
        job = start_batch(client, token, [baseline])
        finished(client, job)
        before = scenario_count(workspace)
        with workspace.client("alpha") as api:
            jobs_before = api.get("/v1/jobs").json()["total"]
        posts = [
            (f"/scenarios/{baseline}/variant", {**CHINA_HALT, "tariff_0": "30"}),
            ("/jobs", {"scenario": [baseline], "batch_token": "t" * 24, "time_limit": "5"}),
            ("/compare", {"scenario": [baseline]}),
            (f"{job}/cancel", {}),
            (f"/scenarios/{baseline}/sweep", {"spec": "{}", "batch_token": "t" * 24}),
            (f"/scenarios/{baseline}/frontier", {"origin": "CN", "steps": "2", "batch_token": "t" * 24}),
        ]  # fmt: skip
        for path, data in posts:
            for forged in ({}, {"csrf_token": "forged"}):
                answer = client.post(path, data={**data, **forged})
                assert answer.status_code == 403, path
            answer = client.post(path, data={**data, "csrf_token": token},
                                 headers={"Origin": "https://evil.example"})  # fmt: skip
            assert answer.status_code == 403, path
        assert scenario_count(workspace) == before
        with workspace.client("alpha") as api:
            assert api.get("/v1/jobs").json()["total"] == jobs_before


def test_another_tenants_variants_comparisons_and_jobs_are_missing(workspace: Service) -> None:
    baseline = stored(workspace, json.loads(BASELINE.read_text()), tenant="alpha")
    with (
        signed_in(workspace, "alpha") as (alpha, alpha_token),
        signed_in(workspace, "beta") as (beta, beta_token),
    ):
        variant = make_variant(alpha, alpha_token, baseline, **CHINA_HALT).headers["location"]
        variant_id = variant.rsplit("/", 1)[1]
        job = start_batch(alpha, alpha_token, [baseline, variant_id])
        job_id = job.rsplit("/", 1)[1]
        finished(alpha, job)
        mine = f"/compare?plan={job_id}:0&plan={job_id}:1"
        assert alpha.get(mine).status_code == 200
        zero = "0" * 36
        for path in (variant, f"{variant}/sweep", job, f"{job}/progress", f"{job}/summary.csv",
                     mine, f"/compare?job={job_id}"):  # fmt: skip
            theirs = beta.get(path)
            missing = beta.get(path.replace(variant_id, zero).replace(job_id, zero))
            assert theirs.status_code == missing.status_code == 404, path
            if "summary.csv" not in path and "progress" not in path:
                assert _main(theirs.text) == _main(missing.text), path
        token = {"csrf_token": beta_token, "batch_token": "b" * 24, "time_limit": "5"}
        posts = [
            (f"{variant}/variant", {**CHINA_HALT, "tariff_0": "30"}),
            ("/jobs", {"scenario": [variant_id]}),
            (f"{job}/cancel", {}),
            (f"{variant}/sweep", {"spec": "mode: grid\naxes: []"}),
            (f"{variant}/frontier", {"origin": "CN", "steps": "2"}),
        ]
        for path, data in posts:
            assert beta.post(path, data={**token, **data}).status_code == 404, path
        answer = beta.post("/compare", data={"csrf_token": beta_token, "scenario": [baseline, variant_id]})  # fmt: skip
        assert answer.status_code == 422  # not theirs: no plan of it to compare
        assert alpha.get(variant).status_code == 200


def test_the_job_cap_refuses_a_solve_on_its_page_and_a_batch_with_a_429(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """One job at a time: a second solve shows the scenario page with the cap in words;
    a second batch, the refusal page. Nothing more is queued."""
    capped = running_service(backend, tmp_path_factory, workers=1, max_time_limit=30,
                             max_running_jobs_per_tenant=1)  # fmt: skip
    service = next(capped)
    try:
        slow = stored(service, slow_lp(suppliers=300))
        with signed_in(service) as (client, token):
            job = start_batch(client, token, [slow], time_limit="20")
            page = client.get(f"/scenarios/{slow}")
            solve_token = re.search(r'name="solve_token" value="([^"]+)"', page.text)
            assert solve_token
            data = {"csrf_token": token, "solve_token": solve_token[1], "time_limit": "5"}
            refused = client.post(f"/scenarios/{slow}/solve", data=data)
            assert refused.status_code == 429
            assert "At most 1 solves may wait or run at once" in refused.text
            data = {"csrf_token": token, "batch_token": batch_token(client), "scenario": [slow],
                    "time_limit": "5"}  # fmt: skip
            again = client.post("/jobs", data=data)
            assert again.status_code == 429
            assert "At most 1 jobs may wait or run at once" in again.text
            client.post(f"{job}/cancel", data={"csrf_token": token})
    finally:
        next(capped, None)
