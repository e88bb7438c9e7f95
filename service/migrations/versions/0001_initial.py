"""The schema of release 0.2.0, also adopting a database made before migrations.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

A database made before Alembic has no version: this revision finds what it already
has and adds only what is missing (the tables, `api_keys.revoked_at`, the indexes of
later releases), so such a database and a new one end at the same schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID_LEN = 36


def timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def tenant_id() -> sa.Column[int]:
    return sa.Column(
        "tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )


def tables() -> dict[str, list[SchemaItem]]:
    """The tables as release 0.2.0 defines them (indexes apart), in creation order."""
    return {
        "tenants": [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("name", sa.String(100), nullable=False, unique=True),
            sa.Column("created_at", timestamp(), nullable=False),
        ],
        "api_keys": [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            tenant_id(),
            sa.Column("prefix", sa.String(16), nullable=False),
            sa.Column("key_sha256", sa.String(64), nullable=False, unique=True),
            sa.Column("created_at", timestamp(), nullable=False),
            sa.Column("revoked_at", timestamp()),
        ],
        "scenarios": [
            sa.Column("id", sa.String(UUID_LEN), primary_key=True),
            tenant_id(),
            sa.Column("name", sa.String(200), nullable=False),
            sa.Column("document", sa.JSON, nullable=False),
            sa.Column("created_at", timestamp(), nullable=False),
        ],
        "jobs": [
            sa.Column("id", sa.String(UUID_LEN), primary_key=True),
            tenant_id(),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("options", sa.JSON, nullable=False),
            sa.Column("idempotency_key", sa.String(200)),
            sa.Column("request_sha256", sa.String(64)),
            sa.Column("created_at", timestamp(), nullable=False),
            sa.Column("started_at", timestamp()),
            sa.Column("finished_at", timestamp()),
            sa.Column("error", sa.Text),
            sa.UniqueConstraint(
                "tenant_id", "idempotency_key", name="uq_jobs_tenant_idempotency_key"
            ),
        ],
        "job_items": [
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column(
                "job_id",
                sa.String(UUID_LEN),
                sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("position", sa.Integer, nullable=False),
            sa.Column("scenario_name", sa.String(200), nullable=False),
            sa.Column("document", sa.JSON, nullable=False),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("attempts", sa.Integer, nullable=False),
            sa.Column("plan", sa.JSON),
            sa.Column("error", sa.Text),
            sa.Column("started_at", timestamp()),
            sa.Column("finished_at", timestamp()),
            sa.UniqueConstraint("job_id", "position", name="uq_job_items_position"),
        ],
    }


# (name, table, columns)
INDEXES = (
    ("ix_scenarios_tenant_created", "scenarios", ["tenant_id", "created_at"]),
    ("ix_jobs_tenant_state", "jobs", ["tenant_id", "state"]),
    ("ix_jobs_tenant_created", "jobs", ["tenant_id", "created_at"]),
    ("ix_job_items_queue", "job_items", ["state", "job_id", "position"]),
    ("ix_job_items_job_state", "job_items", ["job_id", "state"]),
)
# The first release's queue index, superseded by ix_job_items_queue.
SUPERSEDED_INDEXES = (("ix_job_items_state", "job_items"),)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing = set(inspector.get_table_names())
    for name, items in tables().items():
        if name not in existing:
            op.create_table(name, *items)
    # Added by release 0.2.0 to a table the first release had made.
    if "revoked_at" not in {c["name"] for c in inspector.get_columns("api_keys")}:
        op.add_column("api_keys", sa.Column("revoked_at", timestamp()))
    indexes = {
        table: {ix["name"] for ix in inspector.get_indexes(table)}
        for table in ("scenarios", "jobs", "job_items")
    }
    for name, table in SUPERSEDED_INDEXES:
        if name in indexes[table]:
            op.drop_index(name, table_name=table)
    for name, table, columns in INDEXES:
        if name not in indexes[table]:
            op.create_index(name, table, columns)


def downgrade() -> None:
    for name in reversed(list(tables())):
        op.drop_table(name)
