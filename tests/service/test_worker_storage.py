"""Job workers store their own plans: the dispatcher gets a summary, and stores the plan
itself only when the worker could not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service import queries, store
from service.database import Database
from service.workers import LocalPool, Outcome, _stored, plan_summary
from tests.service.scenarios import C0_OBJECTIVE, c0

PLAN = {"status": "optimal", "objective": 5.0, "timings": {"total_s": 0.1}, "flows": [1, 2]}


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'jobs.db'}")
    database.create_tables()
    return database


def _claimed(db: Database, names: list[str]) -> tuple[int, str, list[store.ClaimedItem]]:
    tenant = store.ensure_tenant(db, "t")
    job = store.JobSubmission([(n, c0(n)) for n in names], {}, None, "sha")
    job_id, _ = store.submit_job(db, tenant, job, max_unfinished=5)
    return tenant, job_id, store.claim_items(db, len(names))


def test_a_worker_stores_the_plan_and_sends_its_summary(db: Database) -> None:
    tenant, job_id, [item] = _claimed(db, ["only"])
    assert json.loads(item.document) == c0("only")  # handed over as JSON text
    finished = _stored(db, item.id, PLAN)
    assert finished.stored is True
    assert finished.plan == plan_summary(PLAN) == {
        "status": "optimal", "objective": 5.0, "timings": {"total_s": 0.1}
    }  # fmt: skip
    [row] = queries.job_items_of(db, tenant, job_id)
    assert row.plan == PLAN
    assert queries.get_job(db, tenant, job_id).state == "completed"


def test_a_cancelled_job_gets_no_plan_from_its_worker(db: Database) -> None:
    tenant, job_id, [item] = _claimed(db, ["only"])
    store.cancel_job(db, tenant, job_id)
    finished = _stored(db, item.id, PLAN)
    assert finished.stored is False
    [row] = queries.job_items_of(db, tenant, job_id)
    assert row.plan is None


def test_a_worker_that_cannot_reach_the_database_hands_the_plan_back(tmp_path: Path) -> None:
    unreachable = Database(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    finished = _stored(unreachable, 1, PLAN)
    assert finished.stored is None  # the dispatcher stores it
    assert finished.plan == PLAN


def test_local_pool_workers_solve_and_store(db: Database) -> None:
    tenant, job_id, items = _claimed(db, ["a", "b"])
    pool = LocalPool(2, database_url=db.url)
    try:
        for item in items:
            pool.submit(item.id, item.document, {"mip_gap": 0.0})
        done: dict[int, Outcome] = {}
        for _ in range(600):
            done.update(pool.finished())
            if len(done) == 2:
                break
            pool.wait(0.1)
    finally:
        pool.stop()
    assert {o.stored for o in done.values()} == {True}
    rows = queries.job_items_of(db, tenant, job_id)
    assert [r.plan["objective"] for r in rows] == pytest.approx([C0_OBJECTIVE] * 2, rel=1e-9)
