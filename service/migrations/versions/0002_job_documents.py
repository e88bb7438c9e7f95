"""Each distinct document of a job stored once: job_documents, referenced by its items.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

A job of the same stored scenario 200 times held 200 copies of it, and a frontier or a
sweep one copy per member. Items now reference a row of `job_documents`, and a sweep
member or a frontier cap keeps only its shocks (`member`), applied in the solver
process. Existing items keep their scenarios: each job's identical documents become one
row.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "job_id",
            sa.String(36),
            sa.ForeignKey("jobs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("document", sa.JSON, nullable=False),
    )
    op.create_index("ix_job_documents_job", "job_documents", ["job_id"])
    op.add_column("job_items", sa.Column("document_id", sa.Integer))
    op.add_column("job_items", sa.Column("member", sa.JSON))
    # One row per distinct document of each job (compared as text: PostgreSQL's json has
    # no equality), then each item pointed at its row.
    sqlite = op.get_bind().dialect.name == "sqlite"
    distinct = "document_text" if sqlite else "CAST(document_text AS JSON)"
    op.execute(
        f"INSERT INTO job_documents (job_id, document) SELECT job_id, {distinct} FROM "
        "(SELECT DISTINCT job_id, CAST(document AS TEXT) AS document_text FROM job_items) AS d"
    )
    op.execute(
        "UPDATE job_items SET document_id = (SELECT d.id FROM job_documents d "
        "WHERE d.job_id = job_items.job_id "
        "AND CAST(d.document AS TEXT) = CAST(job_items.document AS TEXT))"
    )
    # SQLite cannot add a reference to a table: batch mode makes the table anew there.
    with op.batch_alter_table("job_items") as batch:
        batch.create_foreign_key(
            "fk_job_items_document_id", "job_documents", ["document_id"], ["id"],
            ondelete="CASCADE",
        )  # fmt: skip
        batch.drop_column("document")


def downgrade() -> None:
    """Back to a document per item; a sweep member or a frontier cap gets its base
    document, without its shocks."""
    op.add_column("job_items", sa.Column("document", sa.JSON))
    op.execute(
        "UPDATE job_items SET document = "
        "(SELECT d.document FROM job_documents d WHERE d.id = job_items.document_id)"
    )
    with op.batch_alter_table("job_items") as batch:
        batch.drop_constraint("fk_job_items_document_id", type_="foreignkey")
        batch.drop_column("member")
        batch.drop_column("document_id")
    op.drop_table("job_documents")
