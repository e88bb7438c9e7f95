"""`magnets db backup`, run as a shell would: a consistent copy of a SQLite database
while it is being written; pg_dump's archive of the service's PostgreSQL schema, or a
clear refusal without pg_dump."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from service import store
from service.database import Database
from tests.service.conftest import database_url, magnets, service_env
from tests.service.scenarios import c0


def _jobs(db: Database, count: int, tenant: int) -> None:
    for i in range(count):
        job = store.JobSubmission([(f"s{i}", c0(f"s{i}"))], {}, None, f"sha{i}")
        store.submit_job(db, tenant, job, max_unfinished=10_000)


def test_a_sqlite_backup_is_a_consistent_copy_taken_while_the_database_is_written(
    tmp_path: Path,
) -> None:
    env = service_env(database_url("sqlite", tmp_path))
    db = Database(env["MAGNETS_DATABASE_URL"])
    db.upgrade()
    tenant = store.ensure_tenant(db, "acme")
    _jobs(db, 50, tenant)
    writing = threading.Thread(target=_jobs, args=(db, 200, tenant))
    writing.start()
    try:
        done = magnets("db", "backup", str(tmp_path / "copy.db"), env=env)
    finally:
        writing.join()
        db.dispose()
    assert done.returncode == 0, done.stderr
    assert "copy.db" in done.stdout
    copy = sqlite3.connect(tmp_path / "copy.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        jobs = copy.execute("SELECT count(*) FROM jobs").fetchone()[0]
        items = copy.execute("SELECT count(*) FROM job_items").fetchone()[0]
        assert 50 <= jobs <= 250 and items == jobs  # one moment: each job with its item
    finally:
        copy.close()
    again = magnets("db", "backup", str(tmp_path / "copy.db"), env=env)
    assert again.returncode == 2
    assert "exists" in again.stderr and "Traceback" not in again.stderr


def test_a_backup_of_a_missing_sqlite_file_is_refused(tmp_path: Path) -> None:
    env = service_env(f"sqlite:///{tmp_path / 'none.db'}")
    done = magnets("db", "backup", str(tmp_path / "copy.db"), env=env)
    assert done.returncode == 1
    assert "no database file" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "copy.db").exists()


def test_a_postgresql_backup_needs_pg_dump(backend: str, tmp_path: Path) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    env = service_env(database_url(backend, tmp_path))
    env["PATH"] = str(tmp_path / "empty")
    done = magnets("db", "backup", str(tmp_path / "dump"), env=env)
    assert done.returncode == 1
    assert "pg_dump is not on PATH" in done.stderr and "Traceback" not in done.stderr


def test_a_postgresql_backup_is_pg_dumps_archive_of_the_schema(
    backend: str, tmp_path: Path
) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    pg_restore = shutil.which("pg_restore")
    if shutil.which("pg_dump") is None or pg_restore is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    env = service_env(database_url(backend, tmp_path))
    assert magnets("db", "upgrade", env=env).returncode == 0
    done = magnets("db", "backup", str(tmp_path / "dump"), env=env)
    assert done.returncode == 0, done.stderr
    assert "***" in done.stdout  # the password is not shown
    listing = subprocess.run(
        [pg_restore, "--list", str(tmp_path / "dump")], capture_output=True, text=True, check=True
    ).stdout
    for table in ("tenants", "api_keys", "scenarios", "jobs", "job_items", "alembic_version"):
        assert " TABLE DATA " in listing and f" {table} " in listing
