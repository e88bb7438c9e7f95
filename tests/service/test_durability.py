"""Durability over real processes: `kill -9` of a service and its solver processes in the
middle of a run of jobs, a solve that ends its worker every time, and two services on
one database (on SQLite one dispatches and the other stands by; on PostgreSQL both
solve, under item leases), the second finishing what the first was solving when killed.
More nodes on PostgreSQL: test_nodes.py.

Counts are read from the database directly, not through the service. About 60 s on
2 cores (SQLite; as much again with MAGNETS_TEST_POSTGRES_URL)."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy

from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from service import queries, store
from service.database import Database
from tests.random_scenarios import random_scenario
from tests.service.conftest import database_url, kill_group, mint_key, service_env, start_service
from tests.service.scenarios import C0_OBJECTIVE, c0, slow_lp

TERMINAL = ("completed", "failed", "cancelled")
JOBS = 20
SLOW_SIZES = (50, 70, 90)  # suppliers: 0.6 to 0.9 s each on one core
MEMORY_MB = 400  # what each solver process may allocate in the memory test


# --- services in their own session, so that kill -9 reaches their solver processes too


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    process, url = start_service(env, log, new_session=True)
    try:
        yield process, url
    finally:
        if process.poll() is None:
            process.terminate()
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=20)
        kill_group(process)


# --- the database, read directly --------------------------------------------------------


def item_rows(url: str) -> list[dict[str, Any]]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sqlalchemy.text(
                    "SELECT job_id, position, state, attempts, leased_by, plan, error "
                    "FROM job_items "
                    "ORDER BY job_id, position"
                )
            )
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def job_rows(url: str) -> dict[str, dict[str, Any]]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sqlalchemy.text("SELECT id, state, finished_at FROM jobs"))
            return {row.id: dict(row._mapping) for row in rows}
    finally:
        engine.dispose()


def plan_of(row: dict[str, Any]) -> dict[str, Any] | None:
    plan = row["plan"]
    return json.loads(plan) if isinstance(plan, str) else plan


def sqlite_is_intact(url: str) -> None:
    if not url.startswith("sqlite:///"):
        return
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def wait_until(condition: Any, timeout: float, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not reached within {timeout} s")


def wait_for_jobs(client: httpx.Client, job_ids: list[str], timeout: float) -> dict[str, str]:
    def states() -> dict[str, str] | None:
        found = {j: client.get(f"/v1/jobs/{j}").json()["state"] for j in job_ids}
        return found if all(s in TERMINAL for s in found.values()) else None

    result: dict[str, str] = wait_until(states, timeout, every=0.3)
    return result


# --- the run -------------------------------------------------------------------------


def job_documents(i: int) -> list[dict[str, Any]]:
    """Three scenarios: every other job starts with a slow LP (one of three, shared), the
    rest are small random MILPs and c0."""
    slow = slow_lp(suppliers=SLOW_SIZES[i // 2 % len(SLOW_SIZES)], periods=12)
    first = slow if i % 2 == 0 else random_scenario(100 + i, milp=True, periods=8)
    return [first, random_scenario(i, milp=True, periods=8), c0(f"c0 of job {i}")]


def expected_objectives(documents: dict[int, list[dict[str, Any]]]) -> dict[Any, float | None]:
    """By (job, position), each distinct document solved once."""
    solved: dict[str, float | None] = {}
    expected = {}
    for i, scenarios in documents.items():
        for position, document in enumerate(scenarios):
            key = json.dumps(document, sort_keys=True)
            if key not in solved:
                solved[key] = expected_objective(document)
            expected[(i, position)] = solved[key]
    return expected


def expected_objective(document: dict[str, Any]) -> float | None:
    """Solved here, in the test process, with the job's own options."""
    plan = solve(parse_scenario(document))
    objective = plan.get("objective")
    return None if objective is None else float(objective)


def same(objective: float | None, expected: float | None) -> bool:
    if objective is None or expected is None:
        return objective is expected
    return math.isclose(objective, expected, rel_tol=1e-5, abs_tol=1e-6)


@pytest.fixture
def url(backend: str, tmp_path: Path) -> str:
    return database_url(backend, tmp_path)


def test_kill_9_mid_run_loses_and_duplicates_nothing(url: str, tmp_path: Path) -> None:
    documents = {i: job_documents(i) for i in range(JOBS)}
    expected = expected_objectives(documents)
    env = service_env(
        url, workers=2, max_running_jobs_per_tenant=JOBS, max_time_limit=30, lease_s=3
    )
    headers = {"X-API-Key": mint_key("alpha", env)}

    process, service_url = start_service(env, tmp_path / "first.log", new_session=True)
    try:
        with httpx.Client(base_url=service_url, headers=headers, timeout=60) as client:
            job_ids = [
                client.post("/v1/jobs", json={"scenarios": documents[i]}).json()["id"]
                for i in range(JOBS)
            ]

        def mid_run() -> bool:
            states = [row["state"] for row in item_rows(url)]
            return states.count("solved") >= 6 and "running" in states and "queued" in states

        wait_until(mid_run, timeout=60)
    finally:
        kill_group(process)

    at_kill = {(r["job_id"], r["position"]): r for r in item_rows(url)}
    interrupted = {key for key, row in at_kill.items() if row["state"] == "running"}
    assert interrupted, "the kill should land in the middle of some solves"
    assert any(row["state"] == "queued" for row in at_kill.values())
    sqlite_is_intact(url)

    with (
        serving(env, tmp_path / "second.log") as (_, service_url),
        httpx.Client(base_url=service_url, headers=headers, timeout=60) as client,
    ):
        states = wait_for_jobs(client, job_ids, timeout=90)
        plans = {j: client.get(f"/v1/jobs/{j}/plans").json()["items"] for j in job_ids}

    assert set(states.values()) == {"completed"}
    jobs = job_rows(url)
    assert set(jobs) == set(job_ids)
    assert all(job["state"] == "completed" and job["finished_at"] for job in jobs.values())

    rows = item_rows(url)
    assert len(rows) == JOBS * 3  # one row per scenario item, none added
    by_key = {(r["job_id"], r["position"]): r for r in rows}
    assert len(by_key) == len(rows)
    for i, job_id in enumerate(job_ids):
        for position in range(3):
            row = by_key[(job_id, position)]
            assert row["state"] == "solved" and row["error"] is None
            plan = plan_of(row)
            assert plan is not None
            assert same(plan.get("objective"), expected[(i, position)]), (i, position)
            assert plans[job_id][position]["plan"]["objective"] == plan.get("objective")
            # the interrupted solves were started once more; the others only once
            assert row["attempts"] == (2 if (job_id, position) in interrupted else 1)
    sqlite_is_intact(url)


def test_a_solve_that_ends_its_worker_fails_after_three_attempts(tmp_path: Path) -> None:
    """A solve over MAGNETS_WORKER_MEMORY_MB ends its process each time. (The database
    plays no part in this: SQLite only.)"""
    url = f"sqlite:///{tmp_path / 'memory.db'}"
    too_big = slow_lp(suppliers=4000, periods=24)  # needs some 700 MiB to build
    too_big["name"] = "too big"
    body = {"scenarios": [c0("before"), too_big, slow_lp(suppliers=60, periods=12)]}
    fits = expected_objective(body["scenarios"][2])
    env = service_env(url, workers=2, worker_memory_mb=MEMORY_MB, max_time_limit=30)
    headers = {"X-API-Key": mint_key("alpha", env)}

    with (
        serving(env, tmp_path / "memory.log") as (_, service_url),
        httpx.Client(base_url=service_url, headers=headers, timeout=60) as client,
    ):
        accepted = client.post("/v1/jobs", json=body)
        assert accepted.status_code == 202, accepted.text
        job_id = accepted.json()["id"]
        [state] = wait_for_jobs(client, [job_id], timeout=60).values()
        items = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
        job = client.get(f"/v1/jobs/{job_id}").json()

    assert state == "completed"
    assert (job["solved"], job["failed"], job["total"]) == (2, 1, 3)
    assert [item["state"] for item in items] == ["solved", "failed", "solved"]
    assert (
        items[1]["error"]
        == f"gave up after 3 attempts: the solve ran out of memory ({MEMORY_MB} MiB)"
    )
    assert items[1]["plan"] is None
    assert items[0]["plan"]["objective"] == pytest.approx(C0_OBJECTIVE)
    assert same(items[2]["plan"]["objective"], fits)
    assert [row["attempts"] for row in item_rows(url)] == [1, 3, 1]


def test_a_second_service_works_alongside_and_takes_over(
    backend: str, url: str, tmp_path: Path
) -> None:
    """Both answer the API. On SQLite only the service holding the dispatch lock solves;
    the other stands by. On PostgreSQL both solve (item leases). Killed in the middle of
    a solve, the first hands it to the second: at once on SQLite (the lock frees), once
    its lease runs out on PostgreSQL."""
    env = service_env(url, workers=1, max_time_limit=60, lease_s=3)
    headers = {"X-API-Key": mint_key("alpha", env)}
    body = {"scenarios": [slow_lp(suppliers=100), c0("after")], "options": {"time_limit": 60}}

    def rows_of(job_id: str) -> list[dict[str, Any]]:
        return [r for r in item_rows(url) if r["job_id"] == job_id]

    first_env, second_env = ({**env, "MAGNETS_NODE_ID": n} for n in ("first", "second"))
    first, first_url = start_service(first_env, tmp_path / "first.log", new_session=True)
    try:
        with (
            serving(second_env, tmp_path / "second.log") as (_, second_url),
            httpx.Client(base_url=first_url, headers=headers, timeout=60) as leader,
            httpx.Client(base_url=second_url, headers=headers, timeout=60) as other,
        ):
            quick = other.post("/v1/jobs", json={"scenarios": [c0("quick")]}).json()["id"]
            assert wait_for_jobs(other, [quick], timeout=30) == {quick: "completed"}
            [quick_row] = rows_of(quick)
            job_id = leader.post("/v1/jobs", json=body).json()["id"]
            wait_until(lambda: ("running", "first") in _holders(rows_of(job_id)), 30)
            if backend == "postgresql":  # the second solves the next item meanwhile
                wait_until(lambda: _holders(rows_of(job_id))[1] == ("solved", "second"), 30)
                assert _holders(rows_of(job_id))[0] == ("running", "first")
            kill_group(first)  # the first service dies mid-solve
            states = wait_for_jobs(other, [job_id], timeout=60)
            items = other.get(f"/v1/jobs/{job_id}/plans").json()["items"]
    finally:
        kill_group(first)

    if backend == "sqlite":  # the standing-by service left its job to the dispatching one
        assert quick_row["leased_by"] == "first"
    assert states == {job_id: "completed"}
    assert [item["plan"]["status"] for item in items] == ["optimal", "optimal"]
    rows = rows_of(job_id)
    assert [r["attempts"] for r in rows] == [2, 1]  # the slow LP was resumed once, by the
    assert [r["leased_by"] for r in rows] == ["second", "second"]  # service left running


def _holders(rows: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(r["state"], r["leased_by"]) for r in rows]


def test_an_item_the_cluster_gave_up_on_fails_at_once(url: str) -> None:
    """store.record_failed (Dask's KilledWorker): no further attempt, the job settles;
    an item of a job cancelled meanwhile ends cancelled instead."""
    db = Database(url)
    db.create_tables()
    try:
        tenant = store.ensure_tenant(db, "t")
        documents = [("a", c0("a")), ("b", c0("b"))]
        job = store.JobSubmission(documents, {"mip_gap": 1e-6}, None, "sha")
        job_id, _ = store.submit_job(db, tenant, job, max_unfinished=5)
        first, second = store.claim_items(db, 2)
        store.record_failed(db, first.id, "gave up after 3 attempts: each Dask worker died")
        assert store.record_plan(db, second.id, {"status": "optimal", "objective": 1.0})
        view = queries.get_job(db, tenant, job_id)
        assert view is not None and (view.state, view.solved, view.failed) == ("completed", 1, 1)
        items = queries.job_items_of(db, tenant, job_id) or []
        assert [(i.state, i.error) for i in items] == [
            ("failed", "gave up after 3 attempts: each Dask worker died"), ("solved", None)
        ]  # fmt: skip

        cancelled, _ = store.submit_job(db, tenant, job, max_unfinished=5)
        [late] = store.claim_items(db, 1)
        store.cancel_job(db, tenant, cancelled)
        store.record_failed(db, late.id, "gave up")
        [late_view, _] = queries.job_items_of(db, tenant, cancelled) or []
        assert (late_view.state, late_view.error) == ("cancelled", None)
    finally:
        db.dispose()
