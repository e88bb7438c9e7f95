"""Cancelling jobs, and the per-tenant cap on unfinished jobs, against a service with a
single solver process: if a cancelled solve kept running, the next job would wait."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from tests.service.conftest import Service, wait_for_job
from tests.service.scenarios import c0, slow_lp

SLOW = {"scenarios": [slow_lp()], "options": {"time_limit": 60}}


@pytest.fixture
def solo(single_worker_service: Service) -> Iterator[httpx.Client]:
    with single_worker_service.client("alpha") as client:
        yield client


def test_cancelling_a_running_job_stops_its_solve(solo: httpx.Client) -> None:
    job_id = solo.post("/v1/jobs", json=SLOW).json()["id"]
    assert wait_for_job(solo, job_id, ("running",))["state"] == "running"
    time.sleep(0.5)  # well inside the solve (about 18 s on 2 cores)
    cancelled = solo.delete(f"/v1/jobs/{job_id}")
    assert cancelled.status_code == 202
    assert cancelled.json() == {"id": job_id, "state": "cancelled"}

    stopped = time.monotonic()
    follow_up = solo.post("/v1/jobs", json={"scenarios": [c0()]}).json()["id"]
    assert wait_for_job(solo, follow_up, ("completed",), timeout=5)["state"] == "completed"
    assert time.monotonic() - stopped < 5  # the only solver process was freed at once

    job = solo.get(f"/v1/jobs/{job_id}").json()
    assert (job["state"], job["solved"]) == ("cancelled", 0)
    [item] = solo.get(f"/v1/jobs/{job_id}/plans").json()["items"]
    assert (item["state"], item["plan"]) == ("cancelled", None)


def test_cancelling_a_queued_job_drops_its_items(solo: httpx.Client) -> None:
    blocker = solo.post("/v1/jobs", json=SLOW).json()["id"]
    queued = solo.post("/v1/jobs", json={"scenarios": [c0(), c0()]}).json()["id"]
    assert solo.delete(f"/v1/jobs/{queued}").json()["state"] == "cancelled"
    solo.delete(f"/v1/jobs/{blocker}")
    items = solo.get(f"/v1/jobs/{queued}/plans").json()["items"]
    assert [item["state"] for item in items] == ["cancelled", "cancelled"]
    assert solo.get(f"/v1/jobs/{queued}").json()["finished_at"] is not None


def test_cancelling_a_finished_job_keeps_its_state(solo: httpx.Client) -> None:
    job_id = solo.post("/v1/jobs", json={"scenarios": [c0()]}).json()["id"]
    wait_for_job(solo, job_id, ("completed",))
    answer = solo.delete(f"/v1/jobs/{job_id}")
    assert answer.status_code == 202
    assert answer.json()["state"] == "completed"
    assert solo.get(f"/v1/jobs/{job_id}/plans").json()["items"][0]["plan"] is not None


def test_too_many_unfinished_jobs_is_429_with_retry_after(solo: httpx.Client) -> None:
    first = solo.post("/v1/jobs", json=SLOW).json()["id"]
    second = solo.post("/v1/jobs", json={"scenarios": [c0()]}).json()["id"]
    try:
        refused = solo.post("/v1/jobs", json={"scenarios": [c0()]})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
    finally:
        for job_id in (first, second):
            solo.delete(f"/v1/jobs/{job_id}")
    assert solo.post("/v1/jobs", json={"scenarios": [c0()]}).status_code == 202
