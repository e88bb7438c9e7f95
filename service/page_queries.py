"""The reads the web workspace needs beyond `queries.py`. As there, a tenant sees only its
own rows: another tenant's id reads exactly as a missing one.

A scenario solved from its page is an ordinary one-item job whose Idempotency-Key is
`workspace-solve:<scenario id>:<form token>`: the key ties the job to the stored
scenario (the job keeps its own copy of the document, as every job does) and makes a
form sent twice one job, not two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from .database import Database
from .tables import ItemState, job_documents, job_items, jobs, tenants

SOLVE_KEY = "workspace-solve:"
BATCH_KEY = "workspace-batch:"  # a job started from the library: `workspace-batch:<form token>`


def solve_key(scenario_id: str, token: str) -> str:
    return f"{SOLVE_KEY}{scenario_id}:{token}"


@dataclass(frozen=True)
class SolveView:
    """One solve of a stored scenario from the workspace, newest first in lists."""

    job_id: str
    state: str  # the item's state: queued, running, solved, failed, cancelled
    status: str | None  # the plan's status once solved
    objective: float | None
    created_at: datetime


@dataclass(frozen=True)
class PlanItem:
    """One item of a job; `scenario_id` is the stored scenario it was solved from, for a
    solve started in the workspace."""

    job_id: str
    position: int
    scenario: str
    state: str
    plan: dict[str, Any] | None
    error: str | None
    options: dict[str, Any]
    items: int  # how many items the job has
    scenario_id: str | None


def tenant_name(db: Database, tenant_id: int) -> str | None:
    with db.read() as conn:
        found = conn.scalar(select(tenants.c.name).where(tenants.c.id == tenant_id))
    return None if found is None else str(found)


def solves_of(
    db: Database, tenant_id: int, scenario_ids: list[str], per_scenario: int = 1
) -> dict[str, list[SolveView]]:
    """The newest workspace solves of each scenario (at most `per_scenario` each)."""
    if not scenario_ids:
        return {}
    keyed = or_(*(jobs.c.idempotency_key.like(f"{SOLVE_KEY}{sid}:%") for sid in scenario_ids))
    query = (
        select(
            jobs.c.id, jobs.c.idempotency_key, jobs.c.created_at, job_items.c.state,
            job_items.c.plan["status"].as_string().label("status"),
            job_items.c.plan["objective"].as_float().label("objective"),
        )
        .join(job_items, and_(job_items.c.job_id == jobs.c.id, job_items.c.position == 0))
        .where(jobs.c.tenant_id == tenant_id, keyed)
        .order_by(jobs.c.created_at.desc(), jobs.c.id)
    )  # fmt: skip
    found: dict[str, list[SolveView]] = {}
    with db.read() as conn:
        for row in conn.execute(query):
            sid = str(row.idempotency_key)[len(SOLVE_KEY) :].split(":", 1)[0]
            views = found.setdefault(sid, [])
            if len(views) < per_scenario:
                views.append(
                    SolveView(row.id, row.state, row.status, row.objective, row.created_at)
                )
    return found


def plan_item(db: Database, tenant_id: int, job_id: str, position: int) -> PlanItem | None:
    """One item of the tenant's job, with the job's options."""
    query = (
        select(
            jobs.c.options, jobs.c.idempotency_key, job_items.c.scenario_name,
            job_items.c.state, job_items.c.plan, job_items.c.error,
        )
        .join(job_items, job_items.c.job_id == jobs.c.id)
        .where(jobs.c.id == job_id, jobs.c.tenant_id == tenant_id, job_items.c.position == position)
    )  # fmt: skip
    with db.read() as conn:
        row = conn.execute(query).first()
        if row is None:
            return None
        count = select(func.count()).select_from(job_items).where(job_items.c.job_id == job_id)
        items = int(conn.scalar(count) or 0)
    key = str(row.idempotency_key or "")
    scenario_id = key[len(SOLVE_KEY) :].split(":", 1)[0] if key.startswith(SOLVE_KEY) else None
    return PlanItem(
        job_id=job_id, position=position, scenario=row.scenario_name, state=row.state,
        plan=row.plan, error=row.error, options=row.options, items=items, scenario_id=scenario_id,
    )  # fmt: skip


def is_solved(state: str) -> bool:
    return state == ItemState.SOLVED


def item_documents(db: Database, tenant_id: int, job_id: str) -> dict[int, dict[str, Any]]:
    """The document each item of the tenant's job was solved from, by position (a sweep
    or frontier member's base, the same for all of them); each distinct document read
    once. Empty for another tenant's job."""
    items = (
        select(job_items.c.position, job_items.c.document_id)
        .join(jobs, jobs.c.id == job_items.c.job_id)
        .where(jobs.c.id == job_id, jobs.c.tenant_id == tenant_id)
    )
    with db.read() as conn:
        positions = {int(r.position): r.document_id for r in conn.execute(items)}
        ids = {d for d in positions.values() if d is not None}
        query = select(job_documents.c.id, job_documents.c.document).where(
            job_documents.c.id.in_(ids)
        )
        documents = {r.id: r.document for r in conn.execute(query)} if ids else {}
    return {
        position: documents[d]
        for position, d in positions.items()
        if d in documents and isinstance(documents[d], dict)
    }


def has_members(db: Database, tenant_id: int, job_id: str) -> bool:
    """Whether the tenant's job is a sweep or a frontier: its items are members made from
    a base document by their shocks."""
    query = (
        select(job_items.c.member)
        .join(jobs, jobs.c.id == job_items.c.job_id)
        .where(jobs.c.id == job_id, jobs.c.tenant_id == tenant_id)
        .order_by(job_items.c.position)
        .limit(1)
    )
    with db.read() as conn:
        member = conn.scalar(query)
    return isinstance(member, dict)


def job_positions(db: Database, tenant_id: int, job_id: str) -> list[int] | None:
    """The positions of the tenant's job's items; None when there is no such job."""
    query = (
        select(jobs.c.id, job_items.c.position)
        .join(job_items, job_items.c.job_id == jobs.c.id, isouter=True)
        .where(jobs.c.id == job_id, jobs.c.tenant_id == tenant_id)
        .order_by(job_items.c.position)
    )
    with db.read() as conn:
        rows = conn.execute(query).all()
    if not rows:
        return None
    return [int(r.position) for r in rows if r.position is not None]
