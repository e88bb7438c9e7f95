"""`magnets db prune`: finished jobs past the period go with their items and documents;
queued and running jobs, and recent ones, stay; a dry run deletes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from service import store
from service.database import Database
from service.retention import BATCH_JOBS, prune_jobs
from service.tables import JobState, job_documents, job_items, jobs
from tests.service.conftest import magnets, service_env
from tests.service.scenarios import c0


def _job(db: Database, state: JobState | None, days_ago: float, items: int = 2) -> str:
    """A job of `items` scenarios, marked `state` (None: as submitted) `days_ago`."""
    tenant = store.ensure_tenant(db, "t")
    names = [f"s{k}" for k in range(items)]
    submission = store.JobSubmission([(n, c0(n)) for n in names], {}, None, "sha")
    job_id, _ = store.submit_job(db, tenant, submission, max_unfinished=10_000)
    if state is not None:
        at = datetime.now(UTC) - timedelta(days=days_ago)
        finished = None if state in (JobState.QUEUED, JobState.RUNNING) else at
        with db.write() as conn:
            conn.execute(update(jobs).where(jobs.c.id == job_id)
                         .values(state=state, created_at=at, finished_at=finished))  # fmt: skip
    return job_id


def _left(db: Database) -> tuple[set[str], int, int]:
    with db.read() as conn:
        ids = set(conn.scalars(select(jobs.c.id)))
        items = int(conn.scalar(select(func.count()).select_from(job_items)) or 0)
        documents = int(conn.scalar(select(func.count()).select_from(job_documents)) or 0)
    return ids, items, documents


def test_only_jobs_finished_before_the_period_go_with_all_they_hold(db: Database) -> None:
    old = [_job(db, s, 40) for s in (JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED)]
    recent = _job(db, JobState.COMPLETED, 10)
    waiting = _job(db, JobState.QUEUED, 40)
    running = _job(db, JobState.RUNNING, 40)
    before = _left(db)
    counted = prune_jobs(db, timedelta(days=30), dry_run=True)
    assert (counted.jobs, counted.items, counted.documents) == (3, 6, 6)
    assert _left(db) == before  # a dry run deletes nothing
    pruned = prune_jobs(db, timedelta(days=30))
    assert pruned == counted
    ids, items, documents = _left(db)
    assert ids == {recent, waiting, running} and not ids & set(old)
    assert (items, documents) == (6, 6)  # the three jobs left, two scenarios each
    assert prune_jobs(db, timedelta(days=30)).jobs == 0  # nothing more to do


def test_more_jobs_than_a_batch_are_all_pruned(db: Database) -> None:
    for _ in range(BATCH_JOBS + 3):
        _job(db, JobState.COMPLETED, 5, items=1)
    assert prune_jobs(db, timedelta(days=1)).jobs == BATCH_JOBS + 3
    assert _left(db) == (set(), 0, 0)


def test_the_command_prunes_and_refuses_a_bad_period(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'magnets.db'}"
    db = Database(url)
    db.create_tables()
    _job(db, JobState.COMPLETED, 3)
    kept = _job(db, JobState.COMPLETED, 1)
    db.dispose()
    env = service_env(url)
    dry = magnets("db", "prune", "--older-than", "2", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert (
        dry.stdout.strip() == "would delete 1 jobs finished over 2 days ago (2 items, 2 documents)"
    )
    done = magnets("db", "prune", "--older-than", "2", env=env)
    assert done.returncode == 0 and done.stdout.startswith("deleted 1 jobs")
    db = Database(url)
    assert _left(db)[0] == {kept}
    db.dispose()
    for bad in ("-1", "nan", "inf", "soon"):
        refused = magnets("db", "prune", "--older-than", bad, env=env)
        assert refused.returncode == 2 and "--older-than" in refused.stderr, bad


@pytest.mark.parametrize("days", [0.0, 0.5])
def test_a_fractional_or_zero_period_is_taken(db: Database, days: float) -> None:
    _job(db, JobState.COMPLETED, 0.75)
    assert prune_jobs(db, timedelta(days=days)).jobs == (1 if days < 0.75 else 0)
