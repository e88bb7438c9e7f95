"""service.store against a real database: the job state machine, restart recovery, and
no plan written for a cancelled job."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select

from service import queries, store
from service.database import Database
from service.tables import job_items
from tests.service.scenarios import c0

PLAN = {"status": "optimal", "objective": 1.0}


def _submit(db: Database, names: list[str]) -> tuple[int, str]:
    tenant = store.ensure_tenant(db, "t")
    job = store.JobSubmission([(n, c0(n)) for n in names], {"mip_gap": 0.0}, None, "sha")
    job_id, replayed = store.submit_job(db, tenant, job, max_unfinished=10)
    assert not replayed
    return tenant, job_id


def _state(db: Database, tenant: int, job_id: str) -> str | None:
    job = queries.get_job(db, tenant, job_id)
    return None if job is None else job.state


def _item(db: Database, item_id: int) -> Any:
    with db.read() as conn:
        return conn.execute(select(job_items).where(job_items.c.id == item_id)).one()


def test_a_job_runs_and_completes(db: Database) -> None:
    tenant, job_id = _submit(db, ["a", "b"])
    claimed = store.claim_items(db, 5)
    assert [c.job_id for c in claimed] == [job_id, job_id]
    assert _state(db, tenant, job_id) == "running"
    assert store.record_plan(db, claimed[0].id, PLAN)
    assert _state(db, tenant, job_id) == "running"
    assert store.record_plan(db, claimed[1].id, PLAN)
    job = queries.get_job(db, tenant, job_id)
    assert job is not None and (job.state, job.solved, job.total) == ("completed", 2, 2)
    assert job.finished_at is not None


def test_items_left_running_are_requeued_then_failed_after_three_attempts(db: Database) -> None:
    tenant, job_id = _submit(db, ["a"])
    for attempt in (1, 2, 3):
        [claimed] = store.claim_items(db, 1)
        assert _item(db, claimed.id).attempts == attempt
        assert store.requeue_abandoned(db) == 1  # as if the service had been restarted
    item = _item(db, claimed.id)
    assert item.state == "failed"
    assert item.error.startswith("gave up after 3 attempts: the service stopped")
    job = queries.get_job(db, tenant, job_id)
    assert job is not None and (job.state, job.failed) == ("failed", 1)
    assert store.claim_items(db, 1) == []


def test_a_lost_worker_retries_the_item(db: Database) -> None:
    tenant, job_id = _submit(db, ["a"])
    [claimed] = store.claim_items(db, 1)
    store.record_lost(db, claimed.id, "the solver process ended unexpectedly")
    assert _item(db, claimed.id).state == "queued"
    [again] = store.claim_items(db, 1)
    assert store.record_plan(db, again.id, PLAN)
    assert _state(db, tenant, job_id) == "completed"


def test_no_plan_is_written_once_the_job_is_cancelled(db: Database) -> None:
    tenant, job_id = _submit(db, ["running", "queued"])
    [claimed] = store.claim_items(db, 1)
    assert store.cancel_job(db, tenant, job_id)
    assert store.record_plan(db, claimed.id, PLAN) is False
    items = queries.job_items_of(db, tenant, job_id)
    assert items is not None
    assert [(i.state, i.plan) for i in items] == [("cancelled", None), ("cancelled", None)]
    assert _state(db, tenant, job_id) == "cancelled"
    assert store.claim_items(db, 5) == []


def test_cancel_is_scoped_to_the_tenant(db: Database) -> None:
    _, job_id = _submit(db, ["a"])
    stranger = store.ensure_tenant(db, "stranger")
    assert store.cancel_job(db, stranger, job_id) is False
    assert queries.get_job(db, stranger, job_id) is None


def test_the_cap_counts_queued_and_running_jobs(db: Database) -> None:
    tenant, _ = _submit(db, ["a"])
    job = store.JobSubmission([("b", c0("b"))], {}, None, "sha2")
    with pytest.raises(store.TooManyJobs):
        store.submit_job(db, tenant, job, max_unfinished=1)
    store.submit_job(db, tenant, job, max_unfinished=2)


def test_a_job_settles_only_when_its_last_item_is_recorded(db: Database) -> None:
    tenant, job_id = _submit(db, ["a", "b", "c"])
    claimed = store.claim_items(db, 3)
    for item in claimed[:-1]:
        assert store.record_plan(db, item.id, PLAN)
        assert _state(db, tenant, job_id) == "running"
    store.record_lost(db, claimed[-1].id, "worker died")  # back to the queue
    assert _state(db, tenant, job_id) == "running"
    [again] = store.claim_items(db, 1)
    assert store.record_plan(db, again.id, PLAN)
    assert _state(db, tenant, job_id) == "completed"


def test_items_recorded_side_by_side_still_settle_their_job(db: Database) -> None:
    """Workers store plans at the same moment: the last two items of each job, recorded
    by two threads released together, must leave the job completed, never running."""
    tenant = store.ensure_tenant(db, "t")
    jobs_and_items = []
    for j in range(25):
        job = store.JobSubmission([(n, c0(n)) for n in "ab"], {}, None, f"sha{j}")
        job_id, _ = store.submit_job(db, tenant, job, max_unfinished=100)
        jobs_and_items.append((job_id, store.claim_items(db, 2)))
    for job_id, items in jobs_and_items:
        start = threading.Barrier(2)

        def record(item: store.ClaimedItem, start: threading.Barrier = start) -> None:
            start.wait()
            assert store.record_plan(db, item.id, PLAN)

        threads = [threading.Thread(target=record, args=(item,)) for item in items]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _state(db, tenant, job_id) == "completed"
