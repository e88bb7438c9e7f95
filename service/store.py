"""Every database write of the service, each in one transaction.

Job and item states change only here. A plan is written by a conditional UPDATE that
also checks the job's state, so a job cancelled a moment earlier never gains a plan.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Text, and_, cast, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from .database import Database
from .keys import display_prefix, key_hash, new_key
from .queries import item_counts
from .tables import (
    UNFINISHED_ITEM,
    UNFINISHED_JOB,
    ItemState,
    JobState,
    api_keys,
    job_documents,
    job_items,
    jobs,
    scenarios,
    tenants,
)

MAX_ATTEMPTS = 3


def now() -> datetime:
    return datetime.now(UTC)


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with a different request body."""


class TooManyJobs(Exception):
    """The tenant already has its maximum of queued or running jobs."""


@dataclass(frozen=True)
class Member:
    """A scenario made from another in the solver process: `base` (stored once for the
    job, however many members share it) with `change` applied, a sweep member's or a
    frontier cap's shocks and name (see solving.member_document)."""

    base: dict[str, Any]
    change: dict[str, Any]


@dataclass(frozen=True)
class JobSubmission:
    """`items`: (scenario name, document or Member), in submission order. A document
    object given more than once (a scenario id repeated) is stored once."""

    items: list[tuple[str, Any]]
    options: dict[str, Any]
    idempotency_key: str | None
    request_sha256: str


@dataclass(frozen=True)
class ClaimedItem:
    id: int
    job_id: str
    document: str  # the scenario, or a member's base, as JSON text
    options: dict[str, Any]
    position: int = 0
    scenario: str = ""
    change: dict[str, Any] | None = None  # a member's: applied to `document` when solved


# --- tenants and keys ------------------------------------------------------------------


def ensure_tenant(db: Database, name: str) -> int:
    with db.write() as conn:
        found = conn.scalar(select(tenants.c.id).where(tenants.c.name == name))
        if found is not None:
            return int(found)
        added = insert(tenants).values(name=name, created_at=now()).returning(tenants.c.id)
        return int(conn.execute(added).scalar_one())


def create_key(db: Database, tenant_name: str) -> str:
    """A new key for the tenant (created if new); the clear key is returned, never stored."""
    tenant_id = ensure_tenant(db, tenant_name)
    key = new_key()
    row = {"tenant_id": tenant_id, "prefix": display_prefix(key), "key_sha256": key_hash(key)}
    with db.write() as conn:
        conn.execute(insert(api_keys).values(**row, created_at=now()))
    return key


def revoke_keys(db: Database, prefix: str) -> int:
    """Revoke every working key shown as `prefix`; how many. The rows stay, with
    `revoked_at` set, so the history of a tenant's keys is kept."""
    live = and_(api_keys.c.prefix == prefix, api_keys.c.revoked_at.is_(None))
    with db.write() as conn:
        return int(conn.execute(update(api_keys).where(live).values(revoked_at=now())).rowcount)


# --- scenarios -------------------------------------------------------------------------


def add_scenario(db: Database, tenant_id: int, name: str, document: Any) -> dict[str, Any]:
    row = {"id": str(uuid.uuid4()), "name": name, "created_at": now()}
    with db.write() as conn:
        conn.execute(insert(scenarios).values(**row, tenant_id=tenant_id, document=document))
    return row


def delete_scenario(db: Database, tenant_id: int, scenario_id: str) -> bool:
    mine = and_(scenarios.c.id == scenario_id, scenarios.c.tenant_id == tenant_id)
    with db.write() as conn:
        return conn.execute(scenarios.delete().where(mine)).rowcount > 0


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


# --- jobs: execution (the dispatcher's side) -------------------------------------------


def requeue_abandoned(db: Database) -> int:
    """Items left `running` by a stopped service go back to the queue, or fail once they
    have been started MAX_ATTEMPTS times. Called only by the service that has just taken
    the dispatch lock (see dispatcher.DispatchLock): nobody else is solving them."""
    running = job_items.c.state == ItemState.RUNNING
    with db.write() as conn:
        rows = conn.execute(select(job_items.c.id).where(running)).all()
        for row in rows:
            _lose_attempt(conn, row.id, "the service stopped while solving")
    return len(rows)


def return_items(db: Database, item_ids: list[int]) -> None:
    """On a graceful stop: interrupted items go back to the queue, and the interrupted
    attempt does not count against them."""
    interrupted = and_(job_items.c.id.in_(item_ids), job_items.c.state == ItemState.RUNNING)
    with db.write() as conn:
        conn.execute(
            update(job_items)
            .where(interrupted)
            .values(state=ItemState.QUEUED, attempts=job_items.c.attempts - 1, started_at=None)
        )


def claim_items(db: Database, limit: int) -> list[ClaimedItem]:
    """Take up to `limit` queued items of live jobs, oldest job first, and mark them running.

    The items are chosen on their ids alone, then read: ordering whole rows would read the
    scenario of every queued item on each claim (SQLite sorts full rows), which made a
    large job's dispatch slow down with the length of its queue."""
    chosen = (
        select(job_items.c.id)
        .join(jobs, jobs.c.id == job_items.c.job_id)
        .where(job_items.c.state == ItemState.QUEUED, jobs.c.state.in_(UNFINISHED_JOB))
        .order_by(jobs.c.created_at, job_items.c.position)
        .limit(limit)
    )
    # The scenario stays JSON text: the solver process reads it, the dispatcher need not.
    document = cast(job_documents.c.document, Text).label("document")
    columns = (
        job_items.c.id, job_items.c.job_id, document, jobs.c.options,
        job_items.c.position, job_items.c.scenario_name, job_items.c.member,
    )  # fmt: skip
    with db.write() as conn:
        if conn.dialect.name == "postgresql":
            chosen = chosen.with_for_update(of=job_items, skip_locked=True)
        ids = list(conn.scalars(chosen))
        if not ids:
            return []
        rows = conn.execute(
            select(*columns)
            .join(jobs, jobs.c.id == job_items.c.job_id)
            .join(job_documents, job_documents.c.id == job_items.c.document_id)
            .where(job_items.c.id.in_(ids))
            .order_by(jobs.c.created_at, job_items.c.position)
        )
        claimed = [
            ClaimedItem(
                r.id, r.job_id, r.document, r.options, r.position, r.scenario_name, r.member
            )
            for r in rows
        ]
        for item in claimed:
            _start(conn, item)
    return claimed


def _start(conn: Connection, item: ClaimedItem) -> None:
    stamp = now()
    conn.execute(
        update(job_items)
        .where(job_items.c.id == item.id)
        .values(state=ItemState.RUNNING, attempts=job_items.c.attempts + 1, started_at=stamp)
    )
    conn.execute(
        update(jobs)
        .where(jobs.c.id == item.job_id, jobs.c.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=stamp)
    )


def record_plan(db: Database, item_id: int, plan: dict[str, Any]) -> bool:
    """Store a finished solve, unless its job was cancelled meanwhile (False then)."""
    live_job = exists().where(jobs.c.id == job_items.c.job_id, jobs.c.state == JobState.RUNNING)
    with db.write() as conn:
        _lock_job_of(conn, item_id)
        written = conn.execute(
            update(job_items)
            .where(job_items.c.id == item_id, job_items.c.state == ItemState.RUNNING, live_job)
            .values(state=ItemState.SOLVED, plan=plan, finished_at=now())
        ).rowcount
        if written:
            _settle(conn, _job_of(conn, item_id))
        else:
            _mark(conn, item_id, ItemState.CANCELLED)
    return bool(written)


def record_lost(db: Database, item_id: int, reason: str) -> None:
    """The worker died during the solve: retry the item, or fail it after MAX_ATTEMPTS."""
    with db.write() as conn:
        _lose_attempt(conn, item_id, reason)


def record_failed(db: Database, item_id: int, error: str) -> None:
    """The item fails now, without another attempt (the cluster already retried it)."""
    with db.write() as conn:
        job_id = _live_job_of(conn, item_id)
        if job_id is not None:
            _fail(conn, item_id, job_id, error)


def record_cancelled(db: Database, item_id: int) -> None:
    with db.write() as conn:
        _mark(conn, item_id, ItemState.CANCELLED)


def _live_job_of(conn: Connection, item_id: int) -> str | None:
    """The item's job, unless it was cancelled while the solve was being lost (the item
    is marked cancelled then, and None returned)."""
    job_id = _lock_job_of(conn, item_id)
    if conn.scalar(select(jobs.c.state).where(jobs.c.id == job_id)) in UNFINISHED_JOB:
        return job_id
    _mark(conn, item_id, ItemState.CANCELLED)
    return None


def _lose_attempt(conn: Connection, item_id: int, reason: str) -> None:
    job_id = _live_job_of(conn, item_id)
    if job_id is None:
        return
    attempts = int(conn.scalar(select(job_items.c.attempts).where(job_items.c.id == item_id)) or 0)
    if attempts < MAX_ATTEMPTS:
        _mark(conn, item_id, ItemState.QUEUED, finished=False)
        return
    _fail(conn, item_id, job_id, f"gave up after {attempts} attempts: {reason}")


def _fail(conn: Connection, item_id: int, job_id: str, error: str) -> None:
    running = and_(job_items.c.id == item_id, job_items.c.state == ItemState.RUNNING)
    conn.execute(update(job_items).where(running).values(error=error))
    _mark(conn, item_id, ItemState.FAILED)
    _settle(conn, job_id)


def _mark(conn: Connection, item_id: int, state: ItemState, finished: bool = True) -> None:
    conn.execute(
        update(job_items)
        .where(job_items.c.id == item_id, job_items.c.state == ItemState.RUNNING)
        .values(state=state, finished_at=now() if finished else None)
    )


def _lock_job_of(conn: Connection, item_id: int) -> str:
    """The item's job id, its row locked until the transaction ends (PostgreSQL; SQLite's
    write transactions are serial already). Workers store plans side by side: without
    the lock, the last two items of a job, finished at once, would each see the other
    still running, and the job would never settle."""
    job_id = _job_of(conn, item_id)
    if conn.dialect.name == "postgresql":
        conn.execute(select(jobs.c.id).where(jobs.c.id == job_id).with_for_update())
    return job_id


def _job_of(conn: Connection, item_id: int) -> str:
    return str(conn.scalar(select(job_items.c.job_id).where(job_items.c.id == item_id)))


def _settle(conn: Connection, job_id: str) -> None:
    """Finish a running job once none of its items is queued or running: completed when
    any item has a plan, failed when none has."""
    # Checked on every recorded item: an EXISTS on the (small) set of unfinished items,
    # rather than counting the whole job, which made recording a large job quadratic.
    unfinished = select(job_items.c.id).where(
        job_items.c.state.in_(UNFINISHED_ITEM), job_items.c.job_id == job_id
    )
    if conn.scalar(select(exists(unfinished))):
        return
    counts = item_counts(conn, job_id)
    final = JobState.COMPLETED if counts.get(ItemState.SOLVED, 0) else JobState.FAILED
    error = None if final == JobState.COMPLETED else "every scenario failed"
    conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.state.in_(UNFINISHED_JOB))
        .values(state=final, finished_at=now(), error=error)
    )
