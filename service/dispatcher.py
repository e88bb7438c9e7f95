"""The dispatcher: a thread in the service that feeds queued job items to an executor,
the service's own solver processes (workers.LocalPool) or a Dask cluster
(dask_executor.DaskPool).

The database holds every job's state, so the loop is stateless between steps: it
records finished solves, stops the solves of cancelled jobs, then claims queued items
for idle workers. A service restarted after a crash resumes where the database says.

Several services on one PostgreSQL database all dispatch: each claims items under a
lease in its node's name (`Settings.node`), renews the leases of the items it is solving
every third of `MAGNETS_LEASE_S`, stops a solve whose lease it lost, and takes back the
running items whose lease ran out (their node died or went quiet), or, on starting, those
of a node it can see is dead (`dead_node`). See store/leases.py.

On SQLite one service dispatches per database file: it first takes the dispatch lock
(see `DispatchLock`); any other serves the API and stands by, taking over when the lock
frees (its holder stopped or died). Only then are items left `running` handed back to
the queue at once: nobody else is solving them.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import time
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError

from . import queries, store
from .database import Database
from .logging_setup import log_event
from .settings import Settings
from .workers import LocalPool, Outcome

log = logging.getLogger("magnets.service")
BUSY_POLL_S = 0.25  # how often running solves are checked for cancellation
IDLE_POLL_S = 1.0  # how often the queue is looked at when nothing wakes the dispatcher
STANDBY_POLL_S = 1.0  # how often a standing-by service tries the dispatch lock
RECLAIM_POLL_S = 1.0  # how often running items whose lease ran out are looked for
ERROR_PAUSE_S = 2.0


class Executor(Protocol):
    """Where solves run. `capacity` counts the runs it would start now, of at most
    `run_size` items each (one item, or consecutive members of one job solved in order
    from each other's basis); `running` names every item of them. `submit_run` never
    raises: a solve that cannot start comes back from `finished` as a lost outcome.
    `lend_idle`, once the queue has had its turn, lets what is still idle help the
    items in hand (a hedge's outcomes solved alone; run_sharing.py)."""

    def start(self) -> None: ...
    def ready(self) -> bool: ...
    def capacity(self) -> int: ...
    def run_size(self) -> int: ...
    def submit_run(self, items: list[store.ClaimedItem]) -> None: ...
    def lend_idle(self) -> None: ...
    def running(self) -> list[int]: ...
    def finished(self) -> list[tuple[int, Outcome]]: ...
    def cancel(self, item_id: int) -> None: ...
    def wait(self, timeout: float) -> None: ...
    def stop(self) -> list[int]: ...


def dead_node(node: str, me: str) -> bool:
    """Whether the node named in a lease is surely dead: this node's own id (nothing
    this process holds yet; a container restarted as pid 1, or a fixed MAGNETS_NODE_ID),
    or a default id (`host-pid`) of this host whose process is gone. Any other node's
    items wait for their lease to run out: another machine's processes cannot be seen
    from here, and a pid reused by another process only means waiting that long."""
    if node == me:
        return True
    host, _, pid = node.rpartition("-")
    if host != socket.gethostname()[:200] or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def new_executor(workers: int, settings: Settings, database_url: str = "") -> Executor:
    if settings.dask_scheduler:
        from .dask_executor import DaskPool  # Dask is needed only when configured

        return DaskPool(settings.dask_scheduler, settings.dask_chunk)
    return LocalPool(workers, settings.solver_memory_mb, database_url, settings.node)


class DispatchLock:
    """Held by the one service that dispatches for a SQLite database, released by the
    operating system when that service dies, even by kill -9: an exclusive `flock` on a
    file beside the database (`<db>-dispatch`). SQLite databases are shared only by
    processes of one machine, which is where flock works. (On PostgreSQL every node
    dispatches, under item leases, and there is no lock.)
    """

    def __init__(self, db: Database):
        self._db = db
        self._fd: int | None = None  # the lock file (not inherited by children)
        self._private = False  # an in-memory database: nobody else can see it

    def acquire(self) -> bool:
        """Take the lock if free (True), or keep it if already ours."""
        if self._fd is not None or self._private:
            return True
        database = self._db.engine.url.database
        if not database or database == ":memory:":
            self._private = True
            return True
        fd = os.open(f"{database}-dispatch", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None or self._private

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file drops the flock
            self._fd = None
        self._private = False


class Dispatcher:
    def __init__(self, db: Database, workers: int, settings: Settings):
        """`workers`: the service's own solver processes, unless `settings` send the
        solves to a Dask cluster."""
        self._db = db
        self._executor = new_executor(workers, settings, db.url)
        self._node = settings.node  # named in the leases of the items this service solves
        self._lease_s = settings.lease_s
        # SQLite: one dispatcher per database file. PostgreSQL: every node dispatches.
        self._lock = DispatchLock(db) if db.is_sqlite else None
        self._leading = False  # dispatches (holds the lock, and has resumed what was left)
        self._outcomes: dict[int, Outcome] = {}  # finished, not yet recorded
        self._claimed: dict[int, store.ClaimedItem] = {}  # in flight: named in log lines
        self._failing = False  # the last step raised (database or cluster unreachable)
        self._next_cancel_check = 0.0  # time.monotonic() of the next look at cancellations
        self._next_renewal = 0.0  # ... of the next renewal of this node's leases
        self._next_reclaim = 0.0  # ... of the next look for items whose lease ran out
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
                store.return_items(self._db, interrupted, self._node)
        except SQLAlchemyError:
            log.exception("could not requeue %d interrupted item(s)", len(interrupted))
        finally:
            if self._lock is not None:
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
        if time.monotonic() >= self._next_renewal:
            self._renew()  # before any claim: a solve whose lease was lost stops first
        if woken or time.monotonic() >= self._next_cancel_check:
            self._stop_cancelled()
        # Idle workers get their next item before the finished ones are written, so a
        # worker never waits on the database.
        self._fill()
        self._collect()
        self._pause()

    def _lead(self) -> bool:
        """Dispatch: on PostgreSQL always (items are leased); on SQLite while holding the
        dispatch lock, resuming what a stopped service left on taking it."""
        if self._lock is None:
            if not self._leading:
                self._executor.start()
                self._take_back_from_the_dead()
                self._leading = True
                log_event(log, "dispatcher.started", node=self._node, lease_s=self._lease_s)
            return True
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

    def _take_back_from_the_dead(self) -> None:
        """On starting to dispatch: the items of a node that is surely dead go back to the
        queue now rather than when their lease runs out, so that a node restarted after
        a crash resumes its own work at once."""
        for node in store.running_lessees(self._db):
            if dead_node(node, self._node):
                taken = store.reclaim_from(self._db, node)
                log_event(log, "job.items_reclaimed", logging.WARNING, items=taken, node=node,
                          reason="its node died")  # fmt: skip

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
                stored = store.record_plan(self._db, item_id, outcome.plan, self._node)
            if stored:
                timings = outcome.plan.get("timings") or {}
                started: dict[str, Any] = {"start": outcome.start} if outcome.start else {}
                log_event(
                    log, "job.item_solved", **ids, status=outcome.plan.get("status"),
                    objective=outcome.plan.get("objective"), solve_s=timings.get("total_s"),
                    **started,
                )  # fmt: skip
            else:
                reason = "job cancelled, or the item's lease lost, during the solve"
                log_event(log, "job.item_discarded", **ids, reason=reason)
            return
        log_event(
            log, "job.item_lost", logging.ERROR, **ids, reason=outcome.reason, final=outcome.final
        )
        if outcome.final:
            store.record_failed(self._db, item_id, outcome.reason, self._node)
        else:
            store.record_lost(self._db, item_id, outcome.reason, self._node)

    def _renew(self) -> None:
        """Extend the leases of the items this node is solving (every third of a lease),
        and stop the solves of those it no longer holds: another node took them back
        after their lease ran out (this one was paused, or cut off from the database).
        Nothing is written for them: their plan comes from the node that has them now."""
        self._next_renewal = time.monotonic() + self._lease_s / 3
        held = [*self._executor.running(), *self._outcomes]
        if not held:
            return
        kept = store.renew_leases(self._db, held, self._node, self._lease_s)
        lost = [item_id for item_id in self._executor.running() if item_id not in kept]
        if not lost:
            return
        self._outcomes.update(self._executor.finished())  # ended and stored just now
        # A worker stores its plan before the dispatcher hears that it finished: such an
        # item left `running` under this node's lease and was not taken back.
        ended = queries.ended_here(
            self._db, [i for i in lost if i not in self._outcomes], self._node
        )
        for item_id in lost:
            if item_id in self._outcomes or item_id in ended:
                continue
            self._executor.cancel(item_id)
            log_event(log, "job.item_lease_lost", logging.WARNING, **self._item_ids(item_id))
            self._claimed.pop(item_id, None)

    def _reclaim(self) -> None:
        """Take back the running items whose lease ran out, on any node (every second)."""
        self._next_reclaim = time.monotonic() + RECLAIM_POLL_S
        taken = store.reclaim_expired(self._db)
        if taken:
            log_event(log, "job.items_reclaimed", logging.WARNING, items=taken)

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
        """Queued items for idle workers first; what stays idle helps the items in hand
        (a hedge's runs), so that a large hedge never keeps another job waiting."""
        if time.monotonic() >= self._next_reclaim:
            self._reclaim()
        capacity = self._executor.capacity()
        if capacity <= 0:
            return
        run_size = self._executor.run_size()
        for run in store.claim_runs(self._db, capacity, run_size, self._node, self._lease_s):
            for item in run:
                self._claimed[item.id] = item
                log_event(
                    log, "job.item_started", job_id=item.job_id, position=item.position,
                    scenario=item.scenario,
                )  # fmt: skip
            self._executor.submit_run(run)
        self._executor.lend_idle()

    def _pause(self) -> None:
        if self._executor.running():
            self._executor.wait(BUSY_POLL_S)
            return
        self._wake.wait(IDLE_POLL_S)
