"""Finished jobs past a retention period, deleted with their items, plans and documents
(`magnets db prune`). The service itself never deletes a job: nothing accepted is lost
unless an operator asks for it. Queued and running jobs are never touched.

Jobs go in small batches, one write transaction each, so that the service's own
writers (SQLite has one writer at a time) wait at most one batch, however much is
pruned. A pruned job's Idempotency-Key is forgotten with it: keep the period far longer
than any client's retries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, select

from .database import Database
from .tables import UNFINISHED_JOB, job_documents, job_items, jobs

BATCH_JOBS = 50


@dataclass(frozen=True)
class Pruned:
    jobs: int
    items: int
    documents: int


def prune_jobs(db: Database, older_than: timedelta, dry_run: bool = False) -> Pruned:
    """Delete every job that finished more than `older_than` ago (or, with `dry_run`,
    count what would go); the counts."""
    cutoff = datetime.now(UTC) - older_than
    old = and_(jobs.c.state.not_in([s.value for s in UNFINISHED_JOB]),
               jobs.c.finished_at.is_not(None), jobs.c.finished_at < cutoff)  # fmt: skip
    if dry_run:
        with db.read() as conn:
            return _counted(conn, select(jobs.c.id).where(old).scalar_subquery())
    total = Pruned(0, 0, 0)
    while True:
        with db.write() as conn:
            batch = list(conn.scalars(select(jobs.c.id).where(old).limit(BATCH_JOBS)))
            if not batch:
                return total
            counted = _counted(conn, batch)
            # the children first: no reliance on the database cascading the deletes
            conn.execute(delete(job_items).where(job_items.c.job_id.in_(batch)))
            conn.execute(delete(job_documents).where(job_documents.c.job_id.in_(batch)))
            conn.execute(delete(jobs).where(jobs.c.id.in_(batch)))
        total = Pruned(total.jobs + counted.jobs, total.items + counted.items,
                       total.documents + counted.documents)  # fmt: skip


def _counted(conn: Connection, job_ids: Any) -> Pruned:
    """How many jobs, items and documents `job_ids` (a list, or a subquery) hold."""

    def count(table: Table, column: Any) -> int:
        return int(conn.scalar(select(func.count()).select_from(table)
                               .where(column.in_(job_ids))) or 0)  # fmt: skip

    return Pruned(count(jobs, jobs.c.id), count(job_items, job_items.c.job_id),
                  count(job_documents, job_documents.c.job_id))  # fmt: skip
