"""Every database write of the service, each in one transaction.

Job and item states change only here. A plan is written by a conditional UPDATE that
also checks the job's state, so a job cancelled a moment earlier never gains a plan.

Items are leased to the node that claims them (`leased_by`, `lease_expires_at`): the
node renews its leases while solving (`renew_leases`), and a plan, a lost solve or a
graceful hand-back is written only while `leased_by` still names that node. A running
item whose lease has run out is taken back by any node (`reclaim_expired`), at the cost
of an attempt, so a node that died, or was cut off from the database, loses its items
to the others, and it cannot store a second plan for them afterwards.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Text,
    and_,
    cast,
    exists,
    func,
    insert,
    select,
    update,
)
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
DEFAULT_NODE = "local"  # the node of callers that name none (one service per database)
DEFAULT_LEASE_S = 30.0


def now() -> datetime:
    return datetime.now(UTC)


def lease_clock(conn: Connection) -> datetime:
    """The time leases are measured against: the database server's on PostgreSQL, so
    nodes whose clocks disagree still agree on which leases have run out; this machine's
    on SQLite (every node of a SQLite database runs on it)."""
    if conn.dialect.name == "postgresql":
        return conn.execute(select(func.now())).scalar_one()  # type: ignore[no-any-return]
    return now()


def _held(item_id: int, node: str | None) -> ColumnElement[bool]:
    """The item is running, and under `node`'s lease (under anyone's when None)."""
    running = and_(job_items.c.id == item_id, job_items.c.state == ItemState.RUNNING)
    return running if node is None else and_(running, job_items.c.leased_by == node)


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
    have been started MAX_ATTEMPTS times. Called on SQLite only, by the service that has
    just taken the dispatch lock (see dispatcher.DispatchLock): nobody else is solving
    them, so they need not wait for their leases to run out. On PostgreSQL, where every
    node dispatches, `reclaim_expired` takes back only the items of nodes gone quiet."""
    running = job_items.c.state == ItemState.RUNNING
    with db.write() as conn:
        rows = conn.execute(select(job_items.c.id).where(running)).all()
        for row in rows:
            _lose_attempt(conn, row.id, "the service stopped while solving")
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
            _lock_job_of(conn, item_id)
            still = select(job_items.c.id).where(job_items.c.id == item_id, running)
            if conn.dialect.name == "postgresql":
                still = still.with_for_update()
            if conn.scalar(still) is None:
                continue  # renewed, solved, cancelled or taken back meanwhile
            _lose_attempt(conn, item_id, reason)
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


def record_plan(db: Database, item_id: int, plan: dict[str, Any], node: str | None = None) -> bool:
    """Store a finished solve, if `node` still holds the item's lease (any node, when
    None) and its job was not cancelled meanwhile; False otherwise. A node whose lease
    was taken back (it was paused, or cut off from the database) writes nothing: the
    item's plan comes from the node that took it over."""
    live_job = exists().where(jobs.c.id == job_items.c.job_id, jobs.c.state == JobState.RUNNING)
    with db.write() as conn:
        _lock_job_of(conn, item_id)
        written = conn.execute(
            update(job_items)
            .where(_held(item_id, node), live_job)
            .values(state=ItemState.SOLVED, plan=plan, finished_at=now(), lease_expires_at=None)
        ).rowcount
        if written:
            _settle(conn, _job_of(conn, item_id))
        else:
            _mark(conn, item_id, ItemState.CANCELLED, node=node)  # still ours: job cancelled
    return bool(written)


def record_lost(db: Database, item_id: int, reason: str, node: str | None = None) -> None:
    """The worker died during the solve: retry the item, or fail it after MAX_ATTEMPTS.
    Nothing changes if `node` (when given) no longer holds the item's lease."""
    with db.write() as conn:
        _lose_attempt(conn, item_id, reason, node)


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
    job_id = _lock_job_of(conn, item_id)
    if node is not None and conn.scalar(select(job_items.c.id).where(_held(item_id, node))) is None:
        return None
    if conn.scalar(select(jobs.c.state).where(jobs.c.id == job_id)) in UNFINISHED_JOB:
        return job_id
    _mark(conn, item_id, ItemState.CANCELLED)
    return None


def _lose_attempt(conn: Connection, item_id: int, reason: str, node: str | None = None) -> None:
    job_id = _live_job_of(conn, item_id, node)
    if job_id is None:
        return
    attempts = int(conn.scalar(select(job_items.c.attempts).where(job_items.c.id == item_id)) or 0)
    if attempts < MAX_ATTEMPTS:
        _mark(conn, item_id, ItemState.QUEUED, finished=False, node=node)
        return
    _fail(conn, item_id, job_id, f"gave up after {attempts} attempts: {reason}", node)


def _fail(conn: Connection, item_id: int, job_id: str, error: str, node: str | None = None) -> None:
    conn.execute(update(job_items).where(_held(item_id, node)).values(error=error))
    _mark(conn, item_id, ItemState.FAILED, node=node)
    _settle(conn, job_id)


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
        .where(_held(item_id, node))
        .values(state=state, finished_at=now() if finished else None, **ends)
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
