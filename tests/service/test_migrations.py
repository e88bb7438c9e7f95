"""Schema migrations (service/migrations) on SQLite and PostgreSQL: a database made by the
first release, before Alembic, upgrades in place with its rows intact; a new database
at head has exactly the schema of service/tables.py; processes upgrading at once take
turns."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service import migrations, queries, store
from service.database import Database
from service.keys import display_prefix, key_hash, new_key
from service.tables import ItemState, JobState, job_documents, metadata
from tests.service.conftest import database_url, magnets, service_env
from tests.service.scenarios import c0

STAMP = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def first_release_tables() -> sa.MetaData:
    """The tables as release 0.1 (commit 6f0f1db) made them, frozen here: api_keys
    without `revoked_at`, the queue index on `state` alone, no job-list index."""
    old = sa.MetaData()
    ts = sa.DateTime(timezone=True)
    sa.Table(
        "tenants", old,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("created_at", ts, nullable=False),
    )  # fmt: skip
    sa.Table(
        "api_keys", old,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("tenant_id", sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("key_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", ts, nullable=False),
    )  # fmt: skip
    sa.Table(
        "scenarios", old,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Index("ix_scenarios_tenant_created", "tenant_id", "created_at"),
    )  # fmt: skip
    sa.Table(
        "jobs", old,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("tenant_id", sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("options", sa.JSON, nullable=False),
        sa.Column("idempotency_key", sa.String(200)),
        sa.Column("request_sha256", sa.String(64)),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("started_at", ts),
        sa.Column("finished_at", ts),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_jobs_tenant_idempotency_key"),
        sa.Index("ix_jobs_tenant_state", "tenant_id", "state"),
    )  # fmt: skip
    sa.Table(
        "job_items", old,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("scenario_name", sa.String(200), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("plan", sa.JSON),
        sa.Column("error", sa.Text),
        sa.Column("started_at", ts),
        sa.Column("finished_at", ts),
        sa.UniqueConstraint("job_id", "position", name="uq_job_items_position"),
        sa.Index("ix_job_items_state", "state"),
    )  # fmt: skip
    return old


PLAN = {"status": "optimal", "objective": 12.5}


def first_release_database(url: str) -> dict[str, Any]:
    """A database as release 0.1 left it: a tenant with a key, a stored scenario, a solved
    job of three items (the same document twice) and a queued one. What was put in."""
    old = first_release_tables()
    engine = sa.create_engine(url)
    key = new_key()
    a, b = c0("a"), c0("b")
    with engine.begin() as conn:
        old.create_all(conn)
        t = old.tables
        conn.execute(sa.insert(t["tenants"]).values(id=1, name="acme", created_at=STAMP))
        conn.execute(
            sa.insert(t["api_keys"]).values(
                tenant_id=1, prefix=display_prefix(key), key_sha256=key_hash(key), created_at=STAMP
            )
        )
        conn.execute(
            sa.insert(t["scenarios"]).values(
                id="s-1", tenant_id=1, name="a", document=a, created_at=STAMP
            )
        )
        for job_id, state in (("job-done", JobState.COMPLETED), ("job-waiting", JobState.QUEUED)):
            conn.execute(
                sa.insert(t["jobs"]).values(
                    id=job_id, tenant_id=1, state=state, options={"mip_gap": 0.0},
                    idempotency_key=job_id, request_sha256="sha", created_at=STAMP,
                )
            )  # fmt: skip
        done = [(0, "a", a), (1, "b", b), (2, "a", a)]
        conn.execute(
            sa.insert(t["job_items"]),
            [
                {"job_id": "job-done", "position": i, "scenario_name": name, "document": doc,
                 "state": ItemState.SOLVED, "attempts": 1, "plan": {**PLAN, "objective": i},
                 "error": None, "started_at": STAMP, "finished_at": STAMP}
                for i, name, doc in done
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(t["job_items"]).values(
                job_id="job-waiting", position=0, scenario_name="b", document=b,
                state=ItemState.QUEUED, attempts=0,
            )
        )  # fmt: skip
    engine.dispose()
    return {"key": key, "a": a, "b": b}


def schema_differences(db: Database) -> list[Any]:
    """What differs between the database and service/tables.py, as Alembic compares them."""
    with db.engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def test_a_new_database_at_head_has_the_schema_of_the_tables(backend: str, tmp_path: Path) -> None:
    db = Database(database_url(backend, tmp_path))
    try:
        assert db.upgrade() == (None, migrations.head())
        assert schema_differences(db) == []
        assert db.upgrade() == (migrations.head(), migrations.head())  # nothing left to do
    finally:
        db.dispose()


def test_a_first_release_database_upgrades_in_place_with_its_rows(
    backend: str, tmp_path: Path
) -> None:
    url = database_url(backend, tmp_path)
    made = first_release_database(url)
    db = Database(url)
    try:
        assert db.upgrade() == (None, migrations.head())
        assert schema_differences(db) == []
        indexes = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("job_items")}
        assert "ix_job_items_state" not in indexes  # superseded by the queue index
        # The rows read as before, through the service's own queries.
        tenant = queries.tenant_for_key(db, made["key"])
        assert tenant == 1
        [key] = queries.list_keys(db)
        assert (key.tenant, key.prefix, key.revoked_at) == ("acme", made["key"][:12], None)
        scenario = queries.get_scenario(db, tenant, "s-1")
        assert scenario is not None and scenario["document"] == made["a"]
        items = queries.job_items_of(db, tenant, "job-done")
        assert items is not None
        assert [(i.position, i.scenario, i.state, i.plan) for i in items] == [
            (i, name, ItemState.SOLVED, {**PLAN, "objective": i})
            for i, name in enumerate(["a", "b", "a"])
        ]
        # Each job's identical documents became one row: "a" twice, "b" once.
        with db.read() as conn:
            rows = conn.execute(
                sa.select(job_documents.c.job_id, sa.func.count()).group_by(job_documents.c.job_id)
            ).all()
        assert dict(rows) == {"job-done": 2, "job-waiting": 1}
        job = queries.get_job(db, tenant, "job-done")
        assert job is not None and (job.state, job.solved, job.total) == ("completed", 3, 3)
        # The queued item is solved from the document it was stored with.
        [claimed] = store.claim_items(db, 5)
        assert (claimed.job_id, claimed.scenario) == ("job-waiting", "b")
        assert json.loads(claimed.document) == made["b"]
        assert store.record_plan(db, claimed.id, PLAN)
        # Keys made before revocation existed can be revoked now; new jobs are stored.
        assert store.revoke_keys(db, made["key"][:12]) == 1
        assert queries.tenant_for_key(db, made["key"]) is None
        job_id, _ = store.submit_job(
            db, tenant, store.JobSubmission([("c", c0("c"))], {}, None, "sha2"), 10
        )
        assert queries.get_job(db, tenant, job_id) is not None
    finally:
        db.dispose()


def test_magnets_db_upgrade_reports_the_revisions(backend: str, tmp_path: Path) -> None:
    env = service_env(database_url(backend, tmp_path))
    first_release_database(env["MAGNETS_DATABASE_URL"])
    done = magnets("db", "upgrade", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"database upgraded from revision (none) to {migrations.head()}"
    again = magnets("db", "upgrade", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"database at revision {migrations.head()}: up to date"


def test_services_starting_at_once_upgrade_one_after_the_other(
    backend: str, tmp_path: Path
) -> None:
    url = database_url(backend, tmp_path)
    first_release_database(url)
    dbs = [Database(url) for _ in range(4)]
    results: list[Any] = []
    errors: list[BaseException] = []

    def upgrading(db: Database) -> None:
        try:
            results.append(db.upgrade())
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=upgrading, args=(db,)) for db in dbs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert errors == []
        head = migrations.head()
        assert sorted(results, key=str) == sorted([(None, head)] + [(head, head)] * 3, key=str)
        assert schema_differences(dbs[0]) == []
    finally:
        for db in dbs:
            db.dispose()
