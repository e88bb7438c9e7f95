"""The web workspace's signed-in sessions in the database: every node sees them, restarts keep them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

Until this release the sessions lived in the memory of the process that made them: a
planner signed in on one node was a stranger to the others, and every restart signed
everybody out. Sessions made before the upgrade are not carried over (they were never
stored): their planners sign in once more.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "page_sessions",
        sa.Column("id_sha256", sa.String(64), primary_key=True),
        sa.Column(
            "tenant_id",
            sa.Integer,
            sa.ForeignKey("tenants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("tenant_name", sa.String(100), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("key_sha256", sa.String(64)),
        sa.Column("created_s", sa.Float, nullable=False),
        sa.Column("seen_s", sa.Float, nullable=False),
        sa.Column("key_checked_s", sa.Float, nullable=False),
        sa.Column("notice", sa.Text),
    )
    op.create_index("ix_page_sessions_seen", "page_sessions", ["seen_s"])


def downgrade() -> None:
    op.drop_index("ix_page_sessions_seen", table_name="page_sessions")
    op.drop_table("page_sessions")
