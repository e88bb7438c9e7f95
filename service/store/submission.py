"""Jobs submitted (once per Idempotency-Key, within the tenant's cap on unfinished
jobs) and cancelled."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from ..database import Database
from ..tables import (
    UNFINISHED_JOB,
    ItemState,
    JobState,
    job_documents,
    job_items,
    jobs,
    tenants,
)
from .clock import now
from .shapes import IdempotencyConflict, JobSubmission, Member, TooManyJobs

# --- jobs: submission and cancellation -------------------------------------------------


def submit_job(
    db: Database, tenant_id: int, job: JobSubmission, max_unfinished: int
) -> tuple[str, bool]:
    """Store a job and its items; return (job id, replayed). A repeated Idempotency-Key
    with the same body returns the first job; with another body, IdempotencyConflict."""
    try:
        with db.write() as conn:
            earlier = _replay_of(conn, tenant_id, job)
            if earlier is not None:
                return earlier, True
            if _unfinished_jobs(conn, tenant_id) >= max_unfinished:
                raise TooManyJobs
            return _insert_job(conn, tenant_id, job), False
    except IntegrityError:  # the same key stored by a concurrent request a moment ago
        with db.read() as conn:
            earlier = _replay_of(conn, tenant_id, job)
        if earlier is None:
            raise
        return earlier, True


def replayed_job(db: Database, tenant_id: int, key: str | None, request_sha256: str) -> str | None:
    """The job first submitted with this Idempotency-Key (IdempotencyConflict when its
    body differed), or None."""
    if key is None:
        return None
    with db.read() as conn:
        return _job_by_key(conn, tenant_id, key, request_sha256)


def _job_by_key(conn: Connection, tenant_id: int, key: str, request_sha256: str) -> str | None:
    mine = and_(jobs.c.tenant_id == tenant_id, jobs.c.idempotency_key == key)
    row = conn.execute(select(jobs.c.id, jobs.c.request_sha256).where(mine)).first()
    if row is None:
        return None
    if row.request_sha256 != request_sha256:
        raise IdempotencyConflict
    return str(row.id)


def _replay_of(conn: Connection, tenant_id: int, job: JobSubmission) -> str | None:
    if job.idempotency_key is None:
        return None
    return _job_by_key(conn, tenant_id, job.idempotency_key, job.request_sha256)


def _unfinished_jobs(conn: Connection, tenant_id: int) -> int:
    if conn.dialect.name == "postgresql":  # serialise the count-then-insert per tenant
        conn.execute(select(tenants.c.id).where(tenants.c.id == tenant_id).with_for_update())
    unfinished = and_(jobs.c.tenant_id == tenant_id, jobs.c.state.in_(UNFINISHED_JOB))
    return int(conn.scalar(select(func.count()).select_from(jobs).where(unfinished)) or 0)


def _insert_job(conn: Connection, tenant_id: int, job: JobSubmission) -> str:
    job_id = str(uuid.uuid4())
    conn.execute(
        insert(jobs).values(
            id=job_id, tenant_id=tenant_id, state=JobState.QUEUED, options=job.options,
            idempotency_key=job.idempotency_key, request_sha256=job.request_sha256,
            created_at=now(),
        )
    )  # fmt: skip
    # Each distinct document once: the items reference it (by object: the same stored
    # scenario named twice, or the base of every member, is one object).
    distinct: dict[int, Any] = {}
    for _, scenario in job.items:
        document = scenario.base if isinstance(scenario, Member) else scenario
        distinct.setdefault(id(document), document)
    added = conn.execute(
        insert(job_documents).returning(job_documents.c.id, sort_by_parameter_order=True),
        [{"job_id": job_id, "document": document} for document in distinct.values()],
    )
    row_of = dict(zip(distinct, added.scalars(), strict=True))
    rows = []
    for i, (name, scenario) in enumerate(job.items):
        member = scenario if isinstance(scenario, Member) else None
        document = scenario if member is None else member.base
        rows.append(
            {"job_id": job_id, "position": i, "scenario_name": name,
             "document_id": row_of[id(document)], "member": member.change if member else None,
             "state": ItemState.QUEUED, "attempts": 0}
        )  # fmt: skip
    conn.execute(insert(job_items), rows)
    return job_id


def cancel_job(db: Database, tenant_id: int, job_id: str) -> bool:
    """Mark an unfinished job cancelled and drop its queued items; the dispatcher stops
    its running ones. False when the tenant has no such job."""
    mine = and_(jobs.c.id == job_id, jobs.c.tenant_id == tenant_id)
    with db.write() as conn:
        if conn.scalar(select(jobs.c.id).where(mine)) is None:
            return False
        stamp = now()
        conn.execute(
            update(jobs)
            .where(mine, jobs.c.state.in_(UNFINISHED_JOB))
            .values(state=JobState.CANCELLED, finished_at=stamp)
        )
        queued = and_(job_items.c.job_id == job_id, job_items.c.state == ItemState.QUEUED)
        if conn.dialect.name == "postgresql":
            # Items being claimed right now are skipped (the dispatcher stops them once
            # running): waiting on them while holding the job row, which the claim
            # wants next, would deadlock.
            free = select(job_items.c.id).where(queued).with_for_update(skip_locked=True)
            queued = job_items.c.id.in_(free.scalar_subquery())
        conn.execute(
            update(job_items).where(queued).values(state=ItemState.CANCELLED, finished_at=stamp)
        )
    return True
