"""Alembic's entry point: the revisions run on the connection `service.migrations`
hands over, inside its transaction (no engine, no alembic.ini)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations through service.migrations.upgrade(connection)")
# Only the revision scripts decide what changes: no autogenerate, no metadata here.
context.configure(connection=connection, transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations()
