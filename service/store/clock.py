"""The time leases are measured against, and what holding an item's lease means."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    func,
    select,
)

from ..tables import (
    ItemState,
    job_items,
)


def now() -> datetime:
    return datetime.now(UTC)


def lease_clock(conn: Connection) -> datetime:
    """The time leases are measured against: the database server's on PostgreSQL, so
    nodes whose clocks disagree still agree on which leases have run out; this machine's
    on SQLite (every node of a SQLite database runs on it)."""
    if conn.dialect.name == "postgresql":
        return conn.execute(select(func.now())).scalar_one()  # type: ignore[no-any-return]
    return now()


def held(item_id: int, node: str | None) -> ColumnElement[bool]:
    """The item is running, and under `node`'s lease (under anyone's when None)."""
    running = and_(job_items.c.id == item_id, job_items.c.state == ItemState.RUNNING)
    return running if node is None else and_(running, job_items.c.leased_by == node)
