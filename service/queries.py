"""Every database read of the service. A tenant sees only its own rows: another tenant's
id reads exactly as a missing one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from .database import Database
from .keys import key_hash
from .tables import ItemState, JobState, api_keys, job_items, jobs, scenarios, tenants


@dataclass(frozen=True)
class JobView:
    id: str
    state: str
    solved: int
    failed: int
    total: int
    options: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class ItemView:
    position: int
    scenario: str
    state: str
    plan: dict[str, Any] | None
    error: str | None


@dataclass(frozen=True)
class KeyView:
    """A key as an operator sees it: never the key itself, nor its hash."""

    tenant: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def tenant_for_key(db: Database, key: str) -> int | None:
    """The tenant of a key that was minted and not revoked."""
    return tenant_for_key_hash(db, key_hash(key))


def tenant_for_key_hash(db: Database, key_sha256: str) -> int | None:
    """The tenant of a key, by its hash (what a workspace session keeps), still working."""
    query = select(api_keys.c.tenant_id).where(
        api_keys.c.key_sha256 == key_sha256, api_keys.c.revoked_at.is_(None)
    )
    with db.read() as conn:
        found = conn.scalar(query)
    return None if found is None else int(found)


def tenant_by_name(db: Database, name: str) -> int | None:
    with db.read() as conn:
        found = conn.scalar(select(tenants.c.id).where(tenants.c.name == name))
    return None if found is None else int(found)


def list_keys(db: Database, tenant: str | None = None, prefix: str | None = None) -> list[KeyView]:
    """Every key, revoked ones included, by tenant name then age; only the tenant's, or
    those shown as `prefix`, when given."""
    query = (
        select(tenants.c.name, api_keys.c.prefix, api_keys.c.created_at, api_keys.c.revoked_at)
        .join(tenants, tenants.c.id == api_keys.c.tenant_id)
        .order_by(tenants.c.name, api_keys.c.created_at, api_keys.c.id)
    )
    if tenant is not None:
        query = query.where(tenants.c.name == tenant)
    if prefix is not None:
        query = query.where(api_keys.c.prefix == prefix)
    with db.read() as conn:
        return [KeyView(*row) for row in conn.execute(query)]


def get_scenario(db: Database, tenant_id: int, scenario_id: str) -> dict[str, Any] | None:
    mine = and_(scenarios.c.id == scenario_id, scenarios.c.tenant_id == tenant_id)
    query = select(scenarios.c.id, scenarios.c.name, scenarios.c.created_at, scenarios.c.document)
    with db.read() as conn:
        row = conn.execute(query.where(mine)).first()
    return None if row is None else dict(row._mapping)


def list_scenarios(
    db: Database,
    tenant_id: int,
    limit: int,
    offset: int,
    search: str = "",
    documents: bool = False,
) -> tuple[list[dict[str, Any]], int]:
    """The tenant's scenarios whose name contains `search` (any case; all when empty),
    newest first, with their documents when asked; also how many match."""
    mine = scenarios.c.tenant_id == tenant_id
    if search:
        mine = and_(mine, func.lower(scenarios.c.name).contains(search.lower(), autoescape=True))
    columns = [scenarios.c.id, scenarios.c.name, scenarios.c.created_at]
    if documents:
        columns.append(scenarios.c.document)
    page = (
        select(*columns)
        .where(mine)
        .order_by(scenarios.c.created_at.desc(), scenarios.c.id)
        .limit(limit)
        .offset(offset)
    )
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(page)]
        total = conn.scalar(select(func.count()).select_from(scenarios).where(mine))
    return rows, int(total or 0)


def scenario_documents(db: Database, tenant_id: int, ids: list[str]) -> dict[str, Any]:
    """The tenant's documents among `ids`, by id (missing and foreign ids are absent)."""
    mine = and_(scenarios.c.tenant_id == tenant_id, scenarios.c.id.in_(set(ids)))
    with db.read() as conn:
        rows = conn.execute(select(scenarios.c.id, scenarios.c.document).where(mine))
        return {r.id: r.document for r in rows}


def item_counts(conn: Connection, job_id: str) -> dict[str, int]:
    """How many of a job's items are in each state (read inside the caller's transaction)."""
    rows = conn.execute(
        select(job_items.c.state, func.count())
        .where(job_items.c.job_id == job_id)
        .group_by(job_items.c.state)
    ).all()
    return {state: count for state, count in rows}


def get_job(db: Database, tenant_id: int, job_id: str) -> JobView | None:
    mine = and_(jobs.c.id == job_id, jobs.c.tenant_id == tenant_id)
    with db.read() as conn:
        job = conn.execute(select(jobs).where(mine)).first()
        if job is None:
            return None
        counts = item_counts(conn, job_id)
    return JobView(
        id=job.id, state=job.state, solved=counts.get(ItemState.SOLVED, 0),
        failed=counts.get(ItemState.FAILED, 0), total=sum(counts.values()), options=job.options,
        created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
        error=job.error,
    )  # fmt: skip


def list_jobs(
    db: Database, tenant_id: int, limit: int, offset: int, state: JobState | None = None
) -> tuple[list[JobView], int]:
    """Newest first, each with its progress; also how many of the tenant's jobs match."""
    mine = jobs.c.tenant_id == tenant_id
    if state is not None:
        mine = and_(mine, jobs.c.state == state)
    page = (
        select(
            jobs.c.id, jobs.c.state, jobs.c.options, jobs.c.created_at, jobs.c.started_at,
            jobs.c.finished_at, jobs.c.error,
        )
        .where(mine)
        .order_by(jobs.c.created_at.desc(), jobs.c.id)
        .limit(limit)
        .offset(offset)
    )  # fmt: skip
    with db.read() as conn:
        rows = conn.execute(page).all()
        counts = _item_counts_by_job(conn, [row.id for row in rows])
        total = conn.scalar(select(func.count()).select_from(jobs).where(mine))
    return [_listed_job(row, counts[row.id]) for row in rows], int(total or 0)


def _listed_job(row: Any, counts: dict[str, int]) -> JobView:
    return JobView(
        id=row.id, state=row.state, solved=counts.get(ItemState.SOLVED, 0),
        failed=counts.get(ItemState.FAILED, 0), total=sum(counts.values()), options=row.options,
        created_at=row.created_at, started_at=row.started_at, finished_at=row.finished_at,
        error=row.error,
    )  # fmt: skip


def _item_counts_by_job(conn: Connection, job_ids: list[str]) -> dict[str, dict[str, int]]:
    """Items per state of each of these jobs, in one grouped count read from the index
    (job_id, state): the rows themselves hold scenarios and plans."""
    counts: dict[str, dict[str, int]] = {job_id: {} for job_id in job_ids}
    if not job_ids:
        return counts
    query = (
        select(job_items.c.job_id, job_items.c.state, func.count())
        .where(job_items.c.job_id.in_(job_ids))
        .group_by(job_items.c.job_id, job_items.c.state)
    )
    for job_id, state, count in conn.execute(query):
        counts[job_id][state] = count
    return counts


def job_items_of(db: Database, tenant_id: int, job_id: str) -> list[ItemView] | None:
    """A job's items in submission order, plans included; None when no such job."""
    mine = and_(jobs.c.id == job_id, jobs.c.tenant_id == tenant_id)
    query = (
        select(
            job_items.c.position, job_items.c.scenario_name, job_items.c.state,
            job_items.c.plan, job_items.c.error,
        )
        .where(job_items.c.job_id == job_id)
        .order_by(job_items.c.position)
    )  # fmt: skip
    with db.read() as conn:
        if conn.scalar(select(jobs.c.id).where(mine)) is None:
            return None
        return [ItemView(*row) for row in conn.execute(query)]


def ended_here(db: Database, item_ids: list[int], node: str) -> set[int]:
    """Those of the given items that this node's own workers have already finished (a
    plan stored under its lease): the worker stores before the dispatcher hears of it."""
    if not item_ids:
        return set()
    query = select(job_items.c.id).where(
        job_items.c.id.in_(item_ids),
        job_items.c.state != ItemState.RUNNING,
        job_items.c.leased_by == node,
    )
    with db.read() as conn:
        return {int(r.id) for r in conn.execute(query)}


def cancelled_among(db: Database, item_ids: list[int]) -> set[int]:
    """Those of the given items whose job was cancelled."""
    if not item_ids:
        return set()
    query = (
        select(job_items.c.id)
        .join(jobs, jobs.c.id == job_items.c.job_id)
        .where(job_items.c.id.in_(item_ids), jobs.c.state == JobState.CANCELLED)
    )
    with db.read() as conn:
        return {int(r.id) for r in conn.execute(query)}
