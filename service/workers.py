"""Solver processes. Each runs one HiGHS solve at a time, so a crash or a cancellation
costs one process, never the service.

- `Slot`: a job worker process; cancelling its solve terminates the process (SIGTERM,
  then SIGKILL), and a fresh one is started for the next item. A process keeps the run
  of the last sweep or frontier member it solved (`MemberRuns`), so the next member of
  that job starts from its basis.
- `LocalPool`: the dispatcher's executor made of Slots (the default; see dask_executor
  for the other one). A hedge job's process lends the runs of its outcomes solved alone
  to the pool's idle processes (run_sharing.py).
- The processes behind the synchronous routes are solve_pool.py's.

A memory limit (`MAGNETS_WORKER_MEMORY_MB`) is set in each process as RLIMIT_DATA: an
allocation beyond it fails instead of the machine swapping or the kernel killing
something else. A job worker whose solve ran out of memory ends itself, so the item
counts a lost attempt like any other crash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import resource
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from . import store
from .database import Database
from .run_sharing import Help, Helping, RunSharing, SlotHelpers, lent_out
from .solving import (
    MemberPlan,
    MemberRun,
    SolveOptions,
    is_hedge_change,
    run_member,
    run_members,
    run_solve,
)

log = logging.getLogger("magnets.service")
# Fresh interpreters: forking a process that runs threads (the server's) is unsafe.
CONTEXT = multiprocessing.get_context("spawn")
STOP_GRACE_S = 2.0
EXIT_OUT_OF_MEMORY = 99  # a job worker's exit status after a solve ran out of memory
MiB = 1024 * 1024
Change = dict[str, Any] | None  # a sweep member's or frontier cap's, applied to the document


def prepare_process(memory_mb: int | None) -> None:
    """Ctrl-C reaches the whole process group; the server decides when workers stop.
    The memory limit is set after the imports, which every worker needs anyway."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_mb is not None:
        limit = memory_mb * MiB
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def ran_out_of_memory(plan: dict[str, Any]) -> bool:
    """The solve failed on an allocation: Python's MemoryError, or HiGHS's own report."""
    message = str(plan.get("message") or "").lower()
    return plan.get("status") == "error" and "memory" in message


def _serve(
    conn: Connection, memory_mb: int | None, database_url: str | None, node: str | None = None,
    processes: int = 1,
) -> None:  # fmt: skip
    """A worker's life: receive (item id, scenario JSON, options, member change or None),
    make the member's scenario if it is one, solve (a member hot-started from the member
    before, when of the same base), store the plan (while `node`, the service's, holds
    the item's lease) itself when it can reach the database, and send back what the
    dispatcher logs (or the whole plan, for the dispatcher to store), until EOF. Storing
    here keeps the dispatcher's share of each item small, so workers do not queue on it.
    Between items it helps other items' maps (`Help`, run_sharing.py); a hedge item's
    own map is shared with the pool's `processes` when there are others. After a failed
    allocation the solver's state is not trusted: the process ends."""
    prepare_process(memory_mb)
    db = Database(database_url) if database_url else None
    runs = MemberRuns()
    helping = Helping()
    helpers = SlotHelpers(conn, processes) if processes > 1 else None
    while True:
        try:
            message = conn.recv()
            if isinstance(message, Help):
                conn.send(helping.solve(message))
                continue
            if lent_out(message):
                continue
            item_id, document, options, change = message
            solved = runs.solve(document, options, change, helpers)
        except (EOFError, OSError):
            return
        except MemoryError:
            os._exit(EXIT_OUT_OF_MEMORY)
        if memory_mb is not None and ran_out_of_memory(solved.plan):
            os._exit(EXIT_OUT_OF_MEMORY)
        conn.send(_stored(db, item_id, solved.plan, node, solved.start))


class MemberRuns:
    """A solver process's hot starts across the items it is handed: a member of the same
    base and options as the member before continues that run, from its basis; any other
    item starts afresh. One run is kept, so a process's memory holds one model at most
    beyond the solve in hand. A process started anew (after a crash or a cancellation)
    starts cold, which is never wrong, only slower."""

    def __init__(self) -> None:
        self._key: tuple[bytes, str] | None = None
        self._run: MemberRun | None = None

    def solve(
        self, document: str, options: dict[str, Any], change: Change,
        helpers: SlotHelpers | None = None,
    ) -> MemberPlan:  # fmt: skip
        """`helpers` share a hedge item's outcomes solved alone (run_sharing.py)."""
        if change is None or is_hedge_change(change):
            return MemberPlan(solve_item(document, options, change, helpers), None)
        key = (hashlib.sha256(document.encode()).digest(), json.dumps(options, sort_keys=True))
        if self._run is None or key != self._key:
            self._run = None  # drop the old model before building the next
            self._run = MemberRun(json.loads(document), _solve_options(options))
            self._key = key
        return self._run.solve(change)


def _solve_options(options: dict[str, Any]) -> SolveOptions:
    """A job's stored options as the solver's (`explain` is for one-scenario items)."""
    return SolveOptions(**{k: v for k, v in options.items() if k != "explain"})


def solve_run(
    document: str, options: dict[str, Any], changes: list[dict[str, Any]]
) -> list[MemberPlan]:
    """A run of one job's members (their base as JSON text), hot-started in order."""
    return run_members(json.loads(document), changes, _solve_options(options))


def solve_item(
    document: str, options: dict[str, Any], change: dict[str, Any] | None,
    helpers: SlotHelpers | None = None,
) -> Any:  # fmt: skip
    """A job item's plan: its scenario (JSON text), or a member made from it by `change`.
    A one-scenario item whose options hold `"explain": true` (the workspace's solve form
    stores it) is solved with explain: marginal values, or an infeasible plan's diagnosis."""
    limits = dict(options)
    explain = bool(limits.pop("explain", False))
    scenario, solve_options = json.loads(document), SolveOptions(**limits)
    if change is None:
        return run_solve(scenario, solve_options, explain)
    return run_member(scenario, change, solve_options, helpers)


def _stored(
    db: Database | None, item_id: int, plan: dict[str, Any], node: str | None = None,
    start: str | None = None,
) -> Finished:  # fmt: skip
    if db is None:
        return Finished(plan, None, start)
    try:
        written = store.record_plan(db, item_id, plan, node)
    except SQLAlchemyError as exc:  # the dispatcher stores it instead, retrying as it does
        log.warning("a solver process could not store the plan of item %d: %s", item_id, exc)
        return Finished(plan, None, start)
    return Finished(plan_summary(plan), written, start)


def plan_summary(plan: dict[str, Any]) -> dict[str, Any]:
    """What the dispatcher's log line needs of a plan stored by its worker."""
    return {"status": plan.get("status"), "objective": plan.get("objective"),
            "timings": plan.get("timings")}  # fmt: skip


@dataclass(frozen=True)
class Finished:
    """A solve's result as a worker sends it: the plan, or its summary when `stored`
    says whether the worker wrote it (True), found the job cancelled or the item's lease
    lost (False). `start`: how a member's solve started (see solving.MemberPlan)."""

    plan: dict[str, Any]
    stored: bool | None
    start: str | None = None


@dataclass(frozen=True)
class Outcome:
    plan: dict[str, Any] | None  # None when the solve was lost instead
    reason: str = ""
    final: bool = False  # lost for good: the item fails now, with `reason`
    stored: bool | None = None  # the worker stored the plan (True), or found the job
    # cancelled or the lease lost (False); None: the dispatcher stores `plan`
    start: str | None = None  # a member's: "hot", "cold" or "rebuilt" (solving.MemberPlan)


@dataclass(frozen=True)
class Died:
    """A solver process ended while busy (its exit explained in `reason`)."""

    reason: str


class Slot:
    """One job worker process and what it is doing: solving an item (`item_id`), helping
    another item's map (`helping`: a run_sharing board and run), or nothing."""

    def __init__(
        self, memory_mb: int | None = None, database_url: str | None = None,
        node: str | None = None, processes: int = 1,
    ) -> None:  # fmt: skip
        self.item_id: int | None = None
        self.helping: Any = None
        self._memory_mb = memory_mb
        self._database_url = database_url
        self._node = node
        self._processes = processes  # of the pool: a hedge item shares with the others
        self._outcome: Outcome | None = None  # set when the item could not even start
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def busy(self) -> bool:
        return self.item_id is not None or self.helping is not None

    def start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        ours, theirs = CONTEXT.Pipe()
        self._process = CONTEXT.Process(
            target=_serve,
            args=(theirs, self._memory_mb, self._database_url, self._node, self._processes),
            daemon=True,
        )
        self._process.start()
        theirs.close()
        self._conn = ours

    def send(self, message: Any) -> bool:
        """Hand the process a message, starting it first if it is not running; False
        (logged) when that fails: its death is heard from `read`, or the item is tried
        again later."""
        try:
            self.start()
            assert self._conn is not None
            self._conn.send(message)
        except OSError as exc:
            log.error("cannot start a solver process: %s", exc)
            self.stop()
            return False
        return True

    def submit(
        self, item_id: int, document: str, options: dict[str, Any], change: Change = None
    ) -> None:
        self.item_id, self._outcome = item_id, None
        if not self.send((item_id, document, options, change)):
            self._outcome = Outcome(None, "cannot start a solver process")

    def waitables(self) -> list[Any]:
        """What `multiprocessing.connection.wait` should watch while this slot is busy."""
        if not self.busy() or self._process is None or self._conn is None:
            return []
        return [self._conn, self._process.sentinel]

    def read(self) -> list[Any]:
        """What the busy process sent since the last look, in order (`Finished` ends an
        item), and `Died` last if it has ended; an item that could not start, as an
        outcome."""
        if self._outcome is not None:
            return [self._outcome]
        if not self.busy() or self._process is None or self._conn is None:
            return []
        heard: list[Any] = []
        try:
            while self._conn.poll():
                heard.append(self._conn.recv())
        except (EOFError, OSError):
            pass
        if heard or self._process.is_alive():
            return heard
        code = self._process.exitcode
        self.stop()
        if code == EXIT_OUT_OF_MEMORY:
            return [Died(f"the solve ran out of memory ({self._memory_mb} MiB)")]
        return [Died(f"the solver process ended unexpectedly (exit code {code})")]

    def release(self) -> None:
        self.item_id, self._outcome = None, None

    def stop(self) -> None:
        """Terminate the process, whatever it is doing; `start` makes a new one."""
        process, self._process = self._process, None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if process is None:
            return
        process.terminate()
        process.join(STOP_GRACE_S)
        if process.is_alive():
            process.kill()
            process.join(STOP_GRACE_S)


class LocalPool:
    """The service's own job workers: one Slot per `MAGNETS_WORKERS`. Given the database
    URL, each worker stores its plans itself, under the lease of `node` (a private
    in-memory SQLite cannot be shared: the dispatcher stores them then). Workers that
    stay idle once the queue has had its turn help the hedge items in hand
    (`lend_idle`, run_sharing.py)."""

    def __init__(
        self, workers: int, memory_mb: int | None = None, database_url: str = "",
        node: str | None = None,
    ):  # fmt: skip
        shared = database_url if ":memory:" not in database_url else ""
        self._slots = [Slot(memory_mb, shared or None, node, workers) for _ in range(workers)]
        self._sharing = RunSharing()

    def start(self) -> None:
        for slot in self._slots:
            slot.start()

    def ready(self) -> bool:
        return True

    def runs_lent(self) -> int:
        """Runs of hedge items' maps solved by another of the pool's processes so far."""
        return self._sharing.lent

    def capacity(self) -> int:
        return len(self._idle())

    def run_size(self) -> int:
        """One item a slot: consecutive members still continue hot in a slot's process
        (MemberRuns), and a slot never holds items it is not yet solving."""
        return 1

    def submit_run(self, items: list[store.ClaimedItem]) -> None:
        for item in items:
            self.submit(item.id, item.document, item.options, item.change)

    def submit(
        self, item_id: int, document: str, options: dict[str, Any], change: Change = None
    ) -> None:
        self._idle()[0].submit(item_id, document, options, change)

    def running(self) -> list[int]:
        return [slot.item_id for slot in self._slots if slot.item_id is not None]

    def finished(self) -> list[tuple[int, Outcome]]:
        """Each finished solve once (its slot is free again), after relaying what the
        processes said about shared maps."""
        done = []
        for slot in self._slots:
            for message in slot.read():
                outcome = self._heard(slot, message)
                if outcome is not None and slot.item_id is not None:
                    done.append((slot.item_id, outcome))
                    self._sharing.closed(slot)
                    slot.release()
        return done

    def lend_idle(self) -> None:
        """Lend the slots still idle to the maps being shared: called once the queue has
        had its turn, so that a hedge's runs take only what no queued item wants."""
        self._sharing.lend(self._idle())

    def _heard(self, slot: Slot, message: Any) -> Outcome | None:
        """An item's outcome, if the message ends one."""
        if isinstance(message, Outcome):
            return message
        if isinstance(message, Finished):
            return Outcome(message.plan, stored=message.stored, start=message.start)
        if isinstance(message, Died):
            if slot.helping is not None:
                log.warning("a solver process helping a hedge ended: %s", message.reason)
                self._sharing.lost_helper(slot)
            return Outcome(None, message.reason)
        self._sharing.heard(slot, message)
        return None

    def cancel(self, item_id: int) -> None:
        """The solve dies with its process, and the helpers of its map with theirs; the
        next item gets a fresh one."""
        for slot in self._slots:
            if slot.item_id == item_id:
                self._sharing.closed(slot)
                slot.stop()
                slot.release()

    def wait(self, timeout: float) -> None:
        """Until a busy process says something (or dies), at most `timeout` seconds."""
        waitables = [w for slot in self._slots for w in slot.waitables()]
        if waitables:
            wait(waitables, timeout=timeout)

    def stop(self) -> list[int]:
        """Terminate every process; the items cut short."""
        interrupted = self.running()
        self._sharing.clear()
        for slot in self._slots:
            slot.stop()
            slot.release()
            slot.helping = None
        return interrupted

    def _idle(self) -> list[Slot]:
        return [slot for slot in self._slots if not slot.busy()]
