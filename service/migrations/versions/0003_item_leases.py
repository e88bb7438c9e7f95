"""Job items leased to the node solving them: several services dispatch on one database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

A node claims an item with a lease (`leased_by`, its node id; `lease_expires_at`),
renews it while solving, and stores the plan only while `leased_by` still names it.
When a node dies its leases run out and another node takes the items back; the index
finds the running items whose lease has expired without reading the rows. Items running
when the database is upgraded have no lease: they count as expired, so whichever node
dispatches first resumes them, as a restarted service did before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("job_items", sa.Column("leased_by", sa.String(255)))
    op.add_column("job_items", sa.Column("lease_expires_at", sa.DateTime(timezone=True)))
    op.create_index("ix_job_items_lease", "job_items", ["state", "lease_expires_at"])


def downgrade() -> None:
    op.drop_index("ix_job_items_lease", table_name="job_items")
    with op.batch_alter_table("job_items") as batch:
        batch.drop_column("lease_expires_at")
        batch.drop_column("leased_by")
