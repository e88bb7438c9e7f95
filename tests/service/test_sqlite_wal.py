"""A service connecting to a SQLite database still in rollback mode (one made by an early
release) switches it to WAL even while another process commits to it: SQLite refuses the
switch at once, without waiting, when waiting could deadlock, so the switch is retried
(service/database.py `_switch_to_wal`). Services starting at once on an old database
used to fail here now and then with "database is locked"."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from service.database import Database


def test_a_connection_made_while_another_process_commits_switches_to_wal(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    other = sqlite3.connect(path, isolation_level=None)  # rollback journal, as of old
    other.execute("CREATE TABLE t (a)")
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (1)")
    reached: list[bool] = []
    connecting = threading.Thread(
        target=lambda: reached.append(Database(f"sqlite:///{path}").ping())
    )
    connecting.start()
    time.sleep(0.3)  # the new connection now reads, waiting for the write lock
    other.execute("COMMIT")  # ... and this commit makes its switch a deadlock to SQLite
    connecting.join(30)
    other.close()
    assert reached == [True]
    with sqlite3.connect(path) as fresh:
        assert fresh.execute("PRAGMA journal_mode").fetchone() == ("wal",)
