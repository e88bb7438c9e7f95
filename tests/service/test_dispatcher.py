"""The dispatcher keeps job state in the database: a service stopped in the middle of a
solve hands the item back, and the next service on that database finishes the job."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx

from tests.service.conftest import mint_key, service_env, start_service, stop_service, wait_for_job
from tests.service.scenarios import c0, slow_lp


def test_a_restarted_service_finishes_the_interrupted_job(tmp_path: Path) -> None:
    database = tmp_path / "restart.db"
    env = service_env(f"sqlite:///{database}", workers=1)
    headers = {"X-API-Key": mint_key("alpha", env)}
    body = {"scenarios": [slow_lp(suppliers=100), c0()], "options": {"time_limit": 60}}

    first, url = start_service(env, tmp_path / "first.log")
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            job_id = client.post("/v1/jobs", json=body).json()["id"]
            assert wait_for_job(client, job_id, ("running",))["state"] == "running"
            time.sleep(0.5)
    finally:
        stop_service(first)  # SIGTERM: a graceful stop in the middle of the slow solve

    with sqlite3.connect(database) as db:
        states = db.execute("SELECT state, attempts FROM job_items ORDER BY position").fetchall()
    assert states == [("queued", 0), ("queued", 0)]  # handed back, the attempt not counted

    second, url = start_service(env, tmp_path / "second.log")
    try:
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            job = wait_for_job(client, job_id, ("completed", "failed"), timeout=90)
            assert (job["state"], job["solved"]) == ("completed", 2)
            plans = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
            assert [p["plan"]["status"] for p in plans] == ["optimal", "optimal"]
    finally:
        stop_service(second)
