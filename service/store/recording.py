"""What a solve left: its plan, a lost attempt, a failure or a cancellation, each
written only while the item is running under the writer's lease; the job settled once
its last item has ended."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Connection,
    exists,
    select,
    update,
)

from ..database import Database
from ..queries import item_counts
from ..tables import (
    UNFINISHED_ITEM,
    UNFINISHED_JOB,
    ItemState,
    JobState,
    job_items,
    jobs,
)
from .clock import held, now
from .shapes import MAX_ATTEMPTS


def record_plan(db: Database, item_id: int, plan: dict[str, Any], node: str | None = None) -> bool:
    """Store a finished solve, if `node` still holds the item's lease (any node, when
    None) and its job was not cancelled meanwhile; False otherwise. A node whose lease
    was taken back (it was paused, or cut off from the database) writes nothing: the
    item's plan comes from the node that took it over."""
    live_job = exists().where(jobs.c.id == job_items.c.job_id, jobs.c.state == JobState.RUNNING)
    with db.write() as conn:
        lock_job_of(conn, item_id)
        written = conn.execute(
            update(job_items)
            .where(held(item_id, node), live_job)
            .values(state=ItemState.SOLVED, plan=plan, finished_at=now(), lease_expires_at=None)
        ).rowcount
        if written:
            settle(conn, _job_of(conn, item_id))
        else:
            _mark(conn, item_id, ItemState.CANCELLED, node=node)  # still ours: job cancelled
    return bool(written)


def record_lost(db: Database, item_id: int, reason: str, node: str | None = None) -> None:
    """The worker died during the solve: retry the item, or fail it after MAX_ATTEMPTS.
    Nothing changes if `node` (when given) no longer holds the item's lease."""
    with db.write() as conn:
        lose_attempt(conn, item_id, reason, node)


def record_failed(db: Database, item_id: int, error: str, node: str | None = None) -> None:
    """The item fails now, without another attempt (the cluster already retried it)."""
    with db.write() as conn:
        job_id = _live_job_of(conn, item_id, node)
        if job_id is not None:
            _fail(conn, item_id, job_id, error, node)


def record_cancelled(db: Database, item_id: int) -> None:
    with db.write() as conn:
        _mark(conn, item_id, ItemState.CANCELLED)


def _live_job_of(conn: Connection, item_id: int, node: str | None = None) -> str | None:
    """The item's job, unless it was cancelled while the solve was being lost (the item
    is marked cancelled then, and None returned) or `node` no longer holds it (None)."""
    job_id = lock_job_of(conn, item_id)
    if node is not None and conn.scalar(select(job_items.c.id).where(held(item_id, node))) is None:
        return None
    if conn.scalar(select(jobs.c.state).where(jobs.c.id == job_id)) in UNFINISHED_JOB:
        return job_id
    _mark(conn, item_id, ItemState.CANCELLED)
    return None


def lose_attempt(conn: Connection, item_id: int, reason: str, node: str | None = None) -> None:
    job_id = _live_job_of(conn, item_id, node)
    if job_id is None:
        return
    attempts = int(conn.scalar(select(job_items.c.attempts).where(job_items.c.id == item_id)) or 0)
    if attempts < MAX_ATTEMPTS:
        _mark(conn, item_id, ItemState.QUEUED, finished=False, node=node)
        return
    _fail(conn, item_id, job_id, f"gave up after {attempts} attempts: {reason}", node)


def _fail(conn: Connection, item_id: int, job_id: str, error: str, node: str | None = None) -> None:
    conn.execute(update(job_items).where(held(item_id, node)).values(error=error))
    _mark(conn, item_id, ItemState.FAILED, node=node)
    settle(conn, job_id)


def _mark(
    conn: Connection,
    item_id: int,
    state: ItemState,
    finished: bool = True,
    node: str | None = None,
) -> None:
    """Move a running item (under `node`'s lease, when given) to `state`; its lease ends.
    A finished item keeps `leased_by`, the node that had it last; a requeued one is free."""
    ends: dict[str, Any] = {"lease_expires_at": None}
    if state == ItemState.QUEUED:
        ends["leased_by"] = None
    conn.execute(
        update(job_items)
        .where(held(item_id, node))
        .values(state=state, finished_at=now() if finished else None, **ends)
    )


def lock_job_of(conn: Connection, item_id: int) -> str:
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


def settle(conn: Connection, job_id: str) -> None:
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
