"""`magnets db upgrade`, `magnets db backup FILE` and `magnets db prune`, on the database of
MAGNETS_DATABASE_URL. Building the parser imports nothing of the service: Alembic and
SQLAlchemy load only when a command runs."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.database import Database

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
BUSY_TIMEOUT_MS = 30_000  # as the service's own connections wait on a writer


class BackupError(Exception):
    """The backup could not be made; the message says why."""


def add_commands(sub: Any) -> None:
    """Called by cli.main with its subparsers."""
    db = sub.add_parser(
        "db",
        help="upgrade or back up the service's database",
        description="The database of MAGNETS_DATABASE_URL (default sqlite:///./magnets.db).",
    )
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = actions.add_parser(
        "upgrade",
        help="bring the schema to this release's",
        description="Run the schema migrations the database lacks (a new database is "
        "created; one made by an earlier release is upgraded in place, its rows kept) and "
        "print the revision before and after. `magnets serve` does the same at start-up.",
    )
    upgrade.set_defaults(handler=upgrade_command)
    backup = actions.add_parser(
        "backup",
        help="write a consistent copy of the database to FILE",
        description="SQLite: a consistent copy of the database file, made with SQLite's "
        "backup API while the service may keep writing. PostgreSQL: pg_dump's custom "
        "format of the service's schema (restore with pg_restore); pg_dump must be on PATH.",
    )
    backup.add_argument("file", metavar="FILE", help="where to write the copy (not overwritten)")
    backup.set_defaults(handler=backup_command)
    prune = actions.add_parser(
        "prune",
        help="delete jobs that finished more than DAYS days ago",
        description="Delete every job (its items, plans and documents) that finished "
        "(completed, failed or cancelled) more than DAYS days ago, and print how many. "
        "Queued and running jobs are never deleted, and the service deletes nothing by "
        "itself: run this from cron to bound the database. A pruned job's Idempotency-Key "
        "is forgotten with it. Back up first if the plans may be wanted again.",
    )
    prune.add_argument("--older-than", metavar="DAYS", type=_days, required=True,
                       help="days since the job finished (a decimal is allowed: 0.5)")  # fmt: skip
    prune.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    prune.set_defaults(handler=prune_command)


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days") from None
    if not days >= 0 or days == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: give a finite number of days, at least 0")
    return days


def prune_command(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from service.retention import prune_jobs

    def pruning(db: Database) -> int:
        pruned = prune_jobs(db, timedelta(days=args.older_than), dry_run=args.dry_run)
        verb = "would delete" if args.dry_run else "deleted"
        print(f"{verb} {pruned.jobs:,} jobs finished over {args.older_than:g} days ago "
              f"({pruned.items:,} items, {pruned.documents:,} documents)")  # fmt: skip
        return EXIT_OK

    return with_database("db prune", pruning, bring_up_to_date=True)


def upgrade_command(args: argparse.Namespace) -> int:
    def upgrading(db: Database) -> int:
        before, after = db.upgrade()
        if before == after:
            print(f"database at revision {after}: up to date")
        else:
            print(f"database upgraded from revision {before or '(none)'} to {after}")
        return EXIT_OK

    return with_database("db upgrade", upgrading)


def backup_command(args: argparse.Namespace) -> int:
    target = Path(args.file)
    if target.exists():
        print(f"magnets db backup: {target} exists; not overwritten", file=sys.stderr)
        return EXIT_USAGE

    def backing_up(db: Database) -> int:
        try:
            if db.is_sqlite:
                sqlite_backup(db, target)
            else:
                postgres_backup(db, target)
        except BackupError as exc:
            print(f"magnets db backup: {exc}", file=sys.stderr)
            return EXIT_FAILURE
        print(f"backed up {_shown(db)} to {target} ({target.stat().st_size:,} bytes)")
        return EXIT_OK

    return with_database("db backup", backing_up)


def sqlite_backup(db: Database, target: Path) -> None:
    """SQLite's online backup: a copy as of one moment, taken page by page while other
    connections go on writing (each of their writes restarts the copy of what changed)."""
    import sqlite3
    from contextlib import closing

    source = db.engine.url.database
    if not source or source == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    if not Path(source).exists():
        raise BackupError(f"no database file at {source}")
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        src.backup(dst)


def postgres_backup(db: Database, target: Path) -> None:
    """pg_dump of the schema holding the service's tables, in its custom format."""
    import shutil  # here, not at the top: `magnets --help` and validate do without them
    import subprocess

    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump is not on PATH: install PostgreSQL's client programs (the same major "
            "version as the server, or newer) to back up a PostgreSQL database"
        )
    from sqlalchemy import text

    with db.engine.connect() as conn:
        schema = str(conn.scalar(text("SELECT current_schema()")))
    url = db.engine.url
    command = [pg_dump, "--format=custom", f"--schema={schema}", f"--file={target}",
               "--dbname", url.database or ""]  # fmt: skip
    if url.host:
        command += ["--host", url.host]
    if url.port:
        command += ["--port", str(url.port)]
    if url.username:
        command += ["--username", url.username]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps shows it
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        reason = (done.stderr.strip() or f"exit status {done.returncode}").splitlines()[-1]
        raise BackupError(f"pg_dump failed: {reason}")


def _shown(db: Database) -> str:
    """The database's URL without its password."""
    return db.engine.url.render_as_string(hide_password=True)


def with_database(
    command: str, work: Callable[[Database], int], bring_up_to_date: bool = False
) -> int:
    """`work` on the configured database (its tables upgraded to head first when asked).
    A bad setting answers exit status 2, a database error 1, each with a line on stderr
    that starts `magnets <command>:`."""
    from sqlalchemy.exc import SQLAlchemyError

    from service.database import Database
    from service.settings import SettingsError, load_settings

    try:
        db = Database(load_settings().database_url)
        try:
            if bring_up_to_date:
                db.create_tables()
            return work(db)
        finally:
            db.dispose()
    except SettingsError as exc:
        print(f"magnets {command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
        print(f"magnets {command}: database error: {reason}", file=sys.stderr)
        return EXIT_FAILURE
