"""Jobs as the dispatcher runs them: items claimed under a node's lease (one at a time,
or as runs of one job's consecutive members), leases renewed, and items handed back,
taken back when their lease ran out or their node died, or requeued after a restart."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    and_,
    cast,
    select,
    update,
)

from ..database import Database
from ..tables import (
    UNFINISHED_JOB,
    ItemState,
    JobState,
    job_documents,
    job_items,
    jobs,
)
from .clock import lease_clock, now
from .recording import lock_job_of, lose_attempt
from .shapes import DEFAULT_LEASE_S, DEFAULT_NODE, ClaimedItem

# --- jobs: execution (the dispatcher's side) -------------------------------------------


def requeue_abandoned(db: Database) -> int:
    """Items left `running` by a stopped service go back to the queue, or fail once they
    have been started MAX_ATTEMPTS times. Called on SQLite only, by the service that has
    just taken the dispatch lock (see dispatcher.DispatchLock): nobody else is solving
    them, so they need not wait for their leases to run out. On PostgreSQL, where every
    node dispatches, `reclaim_expired` takes back only the items of nodes gone quiet."""
    running = job_items.c.state == ItemState.RUNNING
    with db.write() as conn:
        rows = conn.execute(select(job_items.c.id).where(running)).all()
        for row in rows:
            lose_attempt(conn, row.id, "the service stopped while solving")
    return len(rows)


def return_items(db: Database, item_ids: list[int], node: str | None = None) -> None:
    """On a graceful stop: interrupted items (still leased to `node`, when given) go back
    to the queue, and the interrupted attempt does not count against them."""
    interrupted = and_(job_items.c.id.in_(item_ids), job_items.c.state == ItemState.RUNNING)
    if node is not None:
        interrupted = and_(interrupted, job_items.c.leased_by == node)
    with db.write() as conn:
        conn.execute(
            update(job_items)
            .where(interrupted)
            .values(
                state=ItemState.QUEUED, attempts=job_items.c.attempts - 1, started_at=None,
                leased_by=None, lease_expires_at=None,
            )
        )  # fmt: skip


def renew_leases(
    db: Database, item_ids: list[int], node: str, lease_s: float = DEFAULT_LEASE_S
) -> set[int]:
    """Extend `node`'s leases on the items it is solving; those it still holds. An item
    missing from the answer was taken back (the lease ran out and another node reclaimed
    it), finished, or cancelled: the node stops solving it without writing anything."""
    if not item_ids:
        return set()
    mine = and_(
        job_items.c.id.in_(item_ids),
        job_items.c.state == ItemState.RUNNING,
        job_items.c.leased_by == node,
    )
    with db.write() as conn:
        until = lease_clock(conn) + timedelta(seconds=lease_s)
        renewed = conn.execute(
            update(job_items).where(mine).values(lease_expires_at=until).returning(job_items.c.id)
        )
        return {int(item_id) for item_id in renewed.scalars()}


def reclaim_expired(db: Database) -> int:
    """Running items whose lease has run out (their node died, or stopped renewing) go
    back to the queue, or fail once started MAX_ATTEMPTS times, as a lost solve does; how
    many. Items without a lease (running when the leases were introduced) count as
    expired."""
    with db.read() as conn:
        stamp = lease_clock(conn)
    return _take_back(db, _expired(stamp), "its node stopped renewing the lease")


def running_lessees(db: Database) -> list[str]:
    """The nodes named in the leases of running items."""
    with db.read() as conn:
        found = conn.scalars(select(job_items.c.leased_by).distinct().where(
            job_items.c.state == ItemState.RUNNING, job_items.c.leased_by.is_not(None)))  # fmt: skip
        return sorted(str(node) for node in found)


def reclaim_from(db: Database, node: str) -> int:
    """The running items under `node`'s lease go back to the queue now, each with a lost
    attempt, as when their lease runs out (`reclaim_expired`): for a node known to be
    dead before its leases have run out. How many."""
    leased = and_(job_items.c.state == ItemState.RUNNING, job_items.c.leased_by == node)
    return _take_back(db, leased, "its node died")


def _take_back(db: Database, running: ColumnElement[bool], reason: str) -> int:
    """Each item matching `running` back to the queue with a lost attempt, in a
    transaction of its own that locks its job row first, as storing a plan does, so the
    two cannot cross: the item is either solved or taken back. How many."""
    with db.read() as conn:
        ids = list(conn.scalars(select(job_items.c.id).where(running)))
    taken = 0
    for item_id in ids:
        with db.write() as conn:
            lock_job_of(conn, item_id)
            still = select(job_items.c.id).where(job_items.c.id == item_id, running)
            if conn.dialect.name == "postgresql":
                still = still.with_for_update()
            if conn.scalar(still) is None:
                continue  # renewed, solved, cancelled or taken back meanwhile
            lose_attempt(conn, item_id, reason)
            taken += 1
    return taken


def _expired(stamp: datetime) -> ColumnElement[bool]:
    return and_(
        job_items.c.state == ItemState.RUNNING,
        (job_items.c.lease_expires_at < stamp) | job_items.c.lease_expires_at.is_(None),
    )


def claim_items(
    db: Database, limit: int, node: str = DEFAULT_NODE, lease_s: float = DEFAULT_LEASE_S
) -> list[ClaimedItem]:
    """Take up to `limit` queued items of live jobs, oldest job first (see claim_runs)."""
    return [item for run in claim_runs(db, limit, 1, node, lease_s) for item in run]


def claim_runs(
    db: Database, runs: int, run_size: int, node: str = DEFAULT_NODE,
    lease_s: float = DEFAULT_LEASE_S,
) -> list[list[ClaimedItem]]:  # fmt: skip
    """Take up to `runs` runs of queued items of live jobs, oldest job first, and mark
    them running under `node`'s lease for `lease_s` seconds. A run is one item, or up to
    `run_size` consecutive members of one job (one base, one set of options), to be
    solved in order, each from the previous one's basis (see `member_runs`). On
    PostgreSQL rows being claimed by another node are skipped (`FOR UPDATE SKIP LOCKED`),
    so nodes claiming at once take different items.

    The items are chosen on their ids alone, then read: ordering whole rows would read the
    scenario of every queued item on each claim (SQLite sorts full rows), which made a
    large job's dispatch slow down with the length of its queue."""
    chosen = (
        select(job_items.c.id)
        .join(jobs, jobs.c.id == job_items.c.job_id)
        .where(job_items.c.state == ItemState.QUEUED, jobs.c.state.in_(UNFINISHED_JOB))
        .order_by(jobs.c.created_at, job_items.c.position)
        .limit(runs * run_size)
    )
    with db.write() as conn:
        if conn.dialect.name == "postgresql":
            chosen = chosen.with_for_update(of=job_items, skip_locked=True)
        ids = list(conn.scalars(chosen))
        if not ids:
            return []
        grouped = member_runs(_candidates(conn, ids), runs, run_size)
        read = {item.id: item for item in _claimed_rows(conn, [i for g in grouped for i in g])}
        until = lease_clock(conn) + timedelta(seconds=lease_s)
        for item in read.values():
            _start(conn, item, node, until)
    return [[read[i] for i in group] for group in grouped]


def member_runs(candidates: list[Any], runs: int, run_size: int) -> list[list[int]]:
    """Group queued items (in queue order: id, job_id, document_id, member) into at most
    `runs` runs: neighbouring members of one job and one base document share a run of at
    most `run_size`, shortened so that a short queue still spreads over every free
    thread. (A hedge job's one item never has a neighbour of its job.) The candidates
    left over stay queued."""
    size = max(1, min(run_size, -(-len(candidates) // max(runs, 1))))
    grouped: list[list[int]] = []
    previous: Any = None
    for row in candidates:
        member = row.member is not None
        joins = (
            member and previous is not None and grouped and len(grouped[-1]) < size
            and (row.job_id, row.document_id) == (previous.job_id, previous.document_id)
        )  # fmt: skip
        if joins:
            grouped[-1].append(row.id)
        elif len(grouped) == runs:
            break
        else:
            grouped.append([row.id])
        previous = row if member else None
    return grouped


def _candidates(conn: Connection, ids: list[int]) -> list[Any]:
    """What grouping needs of the chosen items, in the order chosen."""
    columns = (job_items.c.id, job_items.c.job_id, job_items.c.document_id, job_items.c.member)
    rows = {row.id: row for row in conn.execute(select(*columns).where(job_items.c.id.in_(ids)))}
    return [rows[item_id] for item_id in ids]


def _claimed_rows(conn: Connection, ids: list[int]) -> list[ClaimedItem]:
    # The scenario stays JSON text: the solver process reads it, the dispatcher need not.
    document = cast(job_documents.c.document, Text).label("document")
    columns = (
        job_items.c.id, job_items.c.job_id, document, jobs.c.options,
        job_items.c.position, job_items.c.scenario_name, job_items.c.member,
    )  # fmt: skip
    rows = conn.execute(
        select(*columns)
        .join(jobs, jobs.c.id == job_items.c.job_id)
        .join(job_documents, job_documents.c.id == job_items.c.document_id)
        .where(job_items.c.id.in_(ids))
        .order_by(jobs.c.created_at, job_items.c.position)
    )
    return [
        ClaimedItem(r.id, r.job_id, r.document, r.options, r.position, r.scenario_name, r.member)
        for r in rows
    ]


def _start(conn: Connection, item: ClaimedItem, node: str, until: datetime) -> None:
    stamp = now()
    conn.execute(
        update(job_items)
        .where(job_items.c.id == item.id)
        .values(
            state=ItemState.RUNNING, attempts=job_items.c.attempts + 1, started_at=stamp,
            leased_by=node, lease_expires_at=until,
        )
    )  # fmt: skip
    conn.execute(
        update(jobs)
        .where(jobs.c.id == item.job_id, jobs.c.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, started_at=stamp)
    )
