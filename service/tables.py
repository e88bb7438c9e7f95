"""Table definitions (SQLAlchemy Core). Every stored object belongs to a tenant."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ItemState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SOLVED = "solved"  # a plan is stored, whatever its status
    FAILED = "failed"  # no plan: the solve was lost too often (see `error`)
    CANCELLED = "cancelled"


UNFINISHED_JOB = (JobState.QUEUED, JobState.RUNNING)
UNFINISHED_ITEM = (ItemState.QUEUED, ItemState.RUNNING)

metadata = MetaData()
UUID_LEN = 36
Timestamp = DateTime(timezone=True)

tenants = Table(
    "tenants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("prefix", String(16), nullable=False),  # shown to people, never enough to log in
    Column("key_sha256", String(64), nullable=False, unique=True),
    Column("created_at", Timestamp, nullable=False),
    # Null while the key works. A revoked key keeps its row, so a listing still shows
    # which keys existed and when each was withdrawn.
    Column("revoked_at", Timestamp),
)

scenarios = Table(
    "scenarios",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("document", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Index("ix_scenarios_tenant_created", "tenant_id", "created_at"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(UUID_LEN), primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("options", JSON, nullable=False),
    Column("idempotency_key", String(200)),
    Column("request_sha256", String(64)),  # body of the first request with that key
    Column("created_at", Timestamp, nullable=False),
    Column("started_at", Timestamp),
    Column("finished_at", Timestamp),
    Column("error", Text),
    UniqueConstraint("tenant_id", "idempotency_key", name="uq_jobs_tenant_idempotency_key"),
    Index("ix_jobs_tenant_state", "tenant_id", "state"),
    Index("ix_jobs_tenant_created", "tenant_id", "created_at"),  # a tenant's job list
)

# Each distinct scenario document of a job, stored once however many items use it: a
# scenario id repeated in one job, or the base of a sweep or a frontier.
job_documents = Table(
    "job_documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("document", JSON, nullable=False),
    Index("ix_job_documents_job", "job_id"),
)

job_items = Table(
    "job_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("scenario_name", String(200), nullable=False),
    # The item's scenario: the job document, with `member` applied when set (a sweep
    # member's or a frontier cap's shocks and name, made in the solver process). Always
    # set; nullable as it was added to tables with rows.
    Column(
        "document_id",
        ForeignKey("job_documents.id", ondelete="CASCADE", name="fk_job_items_document_id"),
    ),
    Column("member", JSON),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("plan", JSON),
    Column("error", Text),
    Column("started_at", Timestamp),
    Column("finished_at", Timestamp),
    # The node that claimed the item (kept once it is finished: who solved it) and until
    # when its lease runs; a running item whose lease has run out is taken back by any
    # node (store.reclaim_expired).
    Column("leased_by", String(255)),
    Column("lease_expires_at", Timestamp),
    UniqueConstraint("job_id", "position", name="uq_job_items_position"),
    # The queue in claiming order, read without touching the rows.
    Index("ix_job_items_queue", "state", "job_id", "position"),
    # Whether a job still has unfinished items, and its progress, without reading the
    # rows (each holds a scenario and a plan).
    Index("ix_job_items_job_state", "job_id", "state"),
    # Running items whose lease has expired, found without reading the rows.
    Index("ix_job_items_lease", "state", "lease_expires_at"),
)


# The web workspace's signed-in sessions (service/web/sessions.py), here so that every
# node of the service knows them and a restart signs nobody out. Keyed by the hash of
# the cookie's id, so that the table alone lets nobody in. Times are seconds since the
# epoch.
page_sessions = Table(
    "page_sessions",
    metadata,
    Column("id_sha256", String(64), primary_key=True),
    Column("tenant_id", ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    Column("tenant_name", String(100), nullable=False),
    Column("csrf", String(64), nullable=False),  # the session's form token
    Column("key_sha256", String(64)),  # the key signed in with; null without keys (--no-auth)
    Column("created_s", Float, nullable=False),
    Column("seen_s", Float, nullable=False),
    Column("key_checked_s", Float, nullable=False),
    Column("notice", Text),  # one line for the next page shown
    Index("ix_page_sessions_seen", "seen_s"),
)
