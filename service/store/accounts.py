"""Tenants, their API keys, and their stored scenarios."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    and_,
    insert,
    select,
    update,
)

from ..database import Database
from ..keys import display_prefix, key_hash, new_key
from ..tables import (
    api_keys,
    scenarios,
    tenants,
)
from .clock import now

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
