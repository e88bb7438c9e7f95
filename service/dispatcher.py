"""The dispatcher: a thread in the service that feeds queued job items to an executor,
the service's own solver processes (workers.LocalPool) or a Dask cluster
(dask_executor.DaskPool).

The database holds every job's state, so the loop is stateless between steps: it
records finished solves, stops the solves of cancelled jobs, then claims queued items
for idle workers. A service restarted after a crash resumes where the database says.

One dispatcher per database: each service first takes the database's dispatch lock (see
`DispatchLock`). The one holding it dispatches; any other serves the API and stands by,
taking over when the lock frees (its holder stopped or died). Only then may items left
`running` be handed back to the queue: nobody else is solving them.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from typing import Any, Protocol

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from . import queries, store
from .database import Database
from .logging_setup import log_event
from .settings import Settings
from .workers import Change, LocalPool, Outcome

log = logging.getLogger("magnets.service")
BUSY_POLL_S = 0.25  # how often running solves are checked for cancellation
IDLE_POLL_S = 1.0  # how often the queue is looked at when nothing wakes the dispatcher
STANDBY_POLL_S = 1.0  # how often a standing-by service tries the dispatch lock
ERROR_PAUSE_S = 2.0
LOCK_SPACE = 0x6D61676E  # "magn": the first key of the PostgreSQL advisory lock


class Executor(Protocol):
    """Where solves run. `submit` never raises: a solve that cannot start comes back
    from `finished` as a lost outcome."""

    def start(self) -> None: ...
    def ready(self) -> bool: ...
    def capacity(self) -> int: ...
    def submit(
        self, item_id: int, document: str, options: dict[str, Any], change: Change = None
    ) -> None: ...
    def running(self) -> list[int]: ...
    def finished(self) -> list[tuple[int, Outcome]]: ...
    def cancel(self, item_id: int) -> None: ...
    def wait(self, timeout: float) -> None: ...
    def stop(self) -> list[int]: ...


def new_executor(workers: int, settings: Settings, database_url: str = "") -> Executor:
    if settings.dask_scheduler:
        from .dask_executor import DaskPool  # Dask is needed only when configured

        return DaskPool(settings.dask_scheduler)
    return LocalPool(workers, settings.solver_memory_mb, database_url)


class DispatchLock:
    """Held by the one service that dispatches for a database, released by the operating
    system or the database server when that service dies, even by kill -9.

    PostgreSQL: a session advisory lock keyed on the schema, on a connection of its own.
    SQLite: an exclusive `flock` on a file beside the database (`<db>-dispatch`); SQLite
    databases are shared only by processes of one machine, which is where flock works.
    """

    def __init__(self, db: Database):
        self._db = db
        self._conn: Connection | None = None
        self._fd: int | None = None  # the lock file, on SQLite (not inherited by children)

    def acquire(self) -> bool:
        """Take the lock if free (True), or keep it if already ours."""
        if self._fd is not None or self._conn is not None:
            return True
        if self._db.is_sqlite:
            return self._lock_file()
        return self._lock_advisory()

    def held(self) -> bool:
        """Still ours: on PostgreSQL the lock lives as long as its connection."""
        if self._db.is_sqlite:
            return self._fd is not None
        if self._conn is None:
            return False
        try:
            self._conn.exec_driver_sql("SELECT 1")
        except SQLAlchemyError:
            log.error("lost the connection holding the dispatch lock")
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops the flock
            self._fd = None
        if self._conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                self._conn.close()  # the session ends, and its advisory lock with it
            self._conn = None

    def _lock_file(self) -> bool:
        database = self._db.engine.url.database
        if not database or database == ":memory:":
            return True  # a private database: no other service can see it
        fd = os.open(f"{database}-dispatch", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def _lock_advisory(self) -> bool:
        conn = self._db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = conn.exec_driver_sql(
            f"SELECT pg_try_advisory_lock({LOCK_SPACE}, hashtext(current_schema()))"
        ).scalar()
        if got:
            self._conn = conn
        else:
            conn.close()
        return bool(got)


class Dispatcher:
    def __init__(self, db: Database, workers: int, settings: Settings):
        """`workers`: the service's own solver processes, unless `settings` send the
        solves to a Dask cluster."""
        self._db = db
        self._executor = new_executor(workers, settings, db.url)
        self._lock = DispatchLock(db)
        self._leading = False  # holds the lock, and has resumed the abandoned items
        self._outcomes: dict[int, Outcome] = {}  # finished, not yet recorded
        self._claimed: dict[int, store.ClaimedItem] = {}  # in flight: named in log lines
        self._failing = False  # the last step raised (database or cluster unreachable)
        self._next_cancel_check = 0.0  # time.monotonic() of the next look at cancellations
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="magnets-dispatcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and the solves; solves cut short go back to the queue."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        interrupted = [*self._executor.stop(), *self._outcomes]
        try:
            if self._leading and interrupted:
                store.return_items(self._db, interrupted)
        except SQLAlchemyError:
            log.exception("could not requeue %d interrupted item(s)", len(interrupted))
        finally:
            self._lock.release()

    def wake(self) -> None:
        """Look at the queue now (a job was submitted or cancelled)."""
        self._wake.set()

    def alive(self) -> bool:
        """The loop runs without failing, and, when this service dispatches, its executor
        can solve (a Dask scheduler out of reach makes the service not ready)."""
        working = self._thread.is_alive() and not self._failing
        return working and (not self._leading or self._executor.ready())

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
                self._failing = False
            except Exception as exc:
                self._failing = True
                if isinstance(exc, OSError):  # a cluster out of reach: one line, not a trace
                    log.error("dispatcher step failed: %s; retrying", exc)
                else:
                    log.exception("dispatcher step failed; retrying")
                self._stop.wait(ERROR_PAUSE_S)

    def step(self) -> None:
        woken = self._wake.is_set()
        self._wake.clear()  # a wake-up from here on ends the pause below at once
        if not self._lead():
            self._stop.wait(STANDBY_POLL_S)
            return
        if not self._executor.ready():
            self._executor.start()  # again: a lost cluster connection, say
        self._outcomes.update(self._executor.finished())
        if woken or time.monotonic() >= self._next_cancel_check:
            self._stop_cancelled()
        # Idle workers get their next item before the finished ones are written, so a
        # worker never waits on the database.
        self._fill()
        self._collect()
        self._pause()

    def _lead(self) -> bool:
        """Hold the dispatch lock; on taking it, resume what a stopped service left."""
        if self._leading and self._lock.held():
            return True
        if self._leading:  # the lock is gone: someone else may dispatch now
            self._step_down()
        if not self._lock.acquire():
            return False
        self._executor.start()
        requeued = store.requeue_abandoned(self._db)
        if requeued:
            log.warning("resumed %d job item(s) left running by a stopped service", requeued)
        self._leading = True
        return True

    def _step_down(self) -> None:
        """Stop solving without touching the items: whoever takes the lock resumes them."""
        log.error("no longer the dispatcher of this database: stopping its solves")
        self._executor.stop()
        self._outcomes.clear()
        self._leading = False

    def _collect(self) -> None:
        for item_id, outcome in list(self._outcomes.items()):
            self._record(item_id, outcome)
            del self._outcomes[item_id]  # only once recorded: a failed write is retried

    def _item_ids(self, item_id: int) -> dict[str, Any]:
        """Job id, position and scenario name of an item in flight, for its log lines."""
        item = self._claimed.get(item_id)
        if item is None:
            return {"item_id": item_id}
        return {"job_id": item.job_id, "position": item.position, "scenario": item.scenario}

    def _record(self, item_id: int, outcome: Outcome) -> None:
        ids = self._item_ids(item_id)
        self._claimed.pop(item_id, None)
        if outcome.plan is not None:
            stored = outcome.stored
            if stored is None:
                stored = store.record_plan(self._db, item_id, outcome.plan)
            if stored:
                timings = outcome.plan.get("timings") or {}
                log_event(
                    log, "job.item_solved", **ids, status=outcome.plan.get("status"),
                    objective=outcome.plan.get("objective"), solve_s=timings.get("total_s"),
                )  # fmt: skip
            else:
                log_event(log, "job.item_discarded", **ids, reason="job cancelled during the solve")
            return
        log_event(
            log, "job.item_lost", logging.ERROR, **ids, reason=outcome.reason, final=outcome.final
        )
        if outcome.final:
            store.record_failed(self._db, item_id, outcome.reason)
        else:
            store.record_lost(self._db, item_id, outcome.reason)

    def _stop_cancelled(self) -> None:
        """Looked at when woken (a cancellation on this service) and every BUSY_POLL_S
        (one on another service sharing the database), not on every finished item."""
        self._next_cancel_check = time.monotonic() + BUSY_POLL_S
        for item_id in queries.cancelled_among(self._db, self._executor.running()):
            self._executor.cancel(item_id)
            store.record_cancelled(self._db, item_id)
            log_event(log, "job.item_cancelled", **self._item_ids(item_id))
            self._claimed.pop(item_id, None)

    def _fill(self) -> None:
        capacity = self._executor.capacity()
        if capacity <= 0:
            return
        for item in store.claim_items(self._db, capacity):
            self._claimed[item.id] = item
            log_event(
                log, "job.item_started", job_id=item.job_id, position=item.position,
                scenario=item.scenario,
            )  # fmt: skip
            self._executor.submit(item.id, item.document, item.options, item.change)

    def _pause(self) -> None:
        if self._executor.running():
            self._executor.wait(BUSY_POLL_S)
            return
        self._wake.wait(IDLE_POLL_S)
