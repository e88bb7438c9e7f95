"""`GET /v1/jobs`: a tenant's jobs, newest first, paged, optionally of one state."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.service.conftest import Service, mint_key, wait_for_job
from tests.service.scenarios import c0, slow_lp

JOB_FIELDS = {
    "id", "state", "solved", "failed", "total", "options", "created_at", "started_at",
    "finished_at", "error",
}  # fmt: skip


def _submit(client: httpx.Client, *documents: dict[str, Any]) -> str:
    answer = client.post("/v1/jobs", json={"scenarios": list(documents)})
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


def _listed(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    """Every job the listing gives, walking its pages."""
    jobs: list[dict[str, Any]] = []
    while True:
        page = client.get("/v1/jobs", params={**params, "limit": 50, "offset": len(jobs)})
        assert page.status_code == 200, page.text
        jobs += page.json()["items"]
        if not page.json()["items"]:
            return jobs


@pytest.fixture(scope="module")
def completed_job(service: Service) -> dict[str, Any]:
    with service.client("alpha") as alpha:
        job_id = _submit(alpha, c0("first"), c0("second"))
        job = wait_for_job(alpha, job_id, ("completed", "failed"))
    assert job["state"] == "completed"
    return job


def test_pages_walk_a_tenants_jobs_newest_first(service: Service) -> None:
    with service.client(None) as planner:
        planner.headers["X-API-Key"] = mint_key(f"planner-{uuid.uuid4().hex[:8]}", service.env)
        empty = planner.get("/v1/jobs").json()
        ids = [_submit(planner, c0(f"batch {i}")) for i in range(3)]
        first = planner.get("/v1/jobs", params={"limit": 2}).json()
        rest = planner.get("/v1/jobs", params={"limit": 2, "offset": 2}).json()
        beyond = planner.get("/v1/jobs", params={"offset": 3}).json()
    assert empty == {"items": [], "total": 0}
    assert first["total"] == rest["total"] == beyond["total"] == 3
    assert [job["id"] for job in first["items"] + rest["items"]] == ids[::-1]
    assert len(first["items"]) == 2
    assert beyond["items"] == []
    assert set(first["items"][0]) == JOB_FIELDS
    stamps = [job["created_at"] for job in first["items"] + rest["items"]]
    assert stamps == sorted(stamps, reverse=True)


def test_listed_job_reads_as_its_own_route(
    alpha: httpx.Client, completed_job: dict[str, Any]
) -> None:
    [listed] = [job for job in _listed(alpha) if job["id"] == completed_job["id"]]
    assert listed == alpha.get(f"/v1/jobs/{completed_job['id']}").json()
    assert (listed["solved"], listed["failed"], listed["total"]) == (2, 0, 2)


def test_state_filter_separates_cancelled_from_completed(
    alpha: httpx.Client, completed_job: dict[str, Any]
) -> None:
    # two slow items: with two workers both may start, and neither ends before the cancel
    cancelled_id = _submit(alpha, slow_lp(suppliers=100), slow_lp(suppliers=100, seed=8))
    assert alpha.delete(f"/v1/jobs/{cancelled_id}").json()["state"] == "cancelled"

    cancelled = _listed(alpha, state="cancelled")
    completed = _listed(alpha, state="completed")
    assert {job["state"] for job in cancelled} == {"cancelled"}
    assert {job["state"] for job in completed} == {"completed"}
    assert cancelled_id in {job["id"] for job in cancelled}
    assert cancelled_id not in {job["id"] for job in completed}
    assert completed_job["id"] in {job["id"] for job in completed}
    assert completed_job["id"] not in {job["id"] for job in cancelled}
    [listed] = [job for job in cancelled if job["id"] == cancelled_id]
    assert (listed["solved"], listed["total"]) == (0, 2)
    total = alpha.get("/v1/jobs", params={"state": "cancelled", "limit": 1}).json()["total"]
    assert total == len(cancelled)


@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", 0), ("limit", 1001), ("offset", -1), ("offset", 2**31), ("state", "done")],
)
def test_bad_parameters_are_refused_with_their_pointer(
    alpha: httpx.Client, name: str, value: Any
) -> None:
    answer = alpha.get("/v1/jobs", params={name: value})
    assert answer.status_code == 422
    [problem] = answer.json()["errors"]
    assert (problem["pointer"], problem["value"]) == (f"/query/{name}", str(value))


def test_a_tenant_sees_only_its_own_jobs(
    alpha: httpx.Client, beta: httpx.Client, completed_job: dict[str, Any]
) -> None:
    betas_job = _submit(beta, c0("beta's batch"))
    alphas = {job["id"] for job in _listed(alpha)}
    betas = {job["id"] for job in _listed(beta)}
    assert completed_job["id"] in alphas
    assert betas_job in betas
    assert not alphas & betas
    assert beta.get("/v1/jobs").json()["total"] == len(betas)


@pytest.mark.parametrize("key", [None, "mgk_not-a-key"])
def test_listing_needs_a_key(service: Service, key: str | None) -> None:
    headers = {"X-API-Key": key} if key else {}
    with service.client(None) as anonymous:
        answer = anonymous.get("/v1/jobs", headers=headers)
    assert answer.status_code == 401
    assert "items" not in answer.json()
