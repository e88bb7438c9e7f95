"""Job solves on a Dask distributed cluster (`MAGNETS_DASK_SCHEDULER`) instead of the
service's own processes.

A one-scenario item becomes one Dask task that calls `solve_task` on a worker; a run of
a job's consecutive members (claimed together, up to `MAGNETS_DASK_CHUNK` of them, see
store.claim_runs) becomes one task that calls `solve_run_task`, which solves them in
order on one HiGHS object, each from the previous member's basis. The worker imports the
optimizer; the service only gets the plans back and writes each item's plan itself,
once, with the conditional update of `store.record_plan`, as with its own processes.

Every item of a run keeps its own lease, renewed by the dispatcher while the task runs.
When a worker dies mid-task, Dask runs the task again elsewhere (the members solved
before the death are solved again: what a run can lose is bounded by its size) and the
service still receives one plan per item. Once Dask gives up (`KilledWorker`: every
worker that ran it died, `distributed.scheduler.allowed-failures` plus one times) each
item of the task fails at once. Cancelling a job cancels its futures once none of their
items is wanted; a task already running on a worker runs on to its end (Dask cannot
interrupt a task), and its plans are dropped.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import CancelledError
from dataclasses import dataclass, field
from typing import Any

from distributed import Client, Future, KilledWorker

from .solving import MemberPlan
from .store import ClaimedItem
from .workers import Change, Outcome, solve_item, solve_run

log = logging.getLogger("magnets.service")
CONNECT_TIMEOUT_S = 10
FETCH_TIMEOUT_S = 30  # to fetch a finished plan from the worker that holds it
KEY_PREFIX = "magnets-item"


def solve_task(document: str, options: dict[str, Any], change: Change = None) -> dict[str, Any]:
    """What a Dask worker runs for one job item (the scenario as JSON text, and a
    member's change to apply to it)."""
    plan: dict[str, Any] = solve_item(document, options, change)
    return plan


def solve_run_task(
    document: str, options: dict[str, Any], changes: list[dict[str, Any]]
) -> list[MemberPlan]:
    """What a Dask worker runs for a run of one job's members: their base (JSON text)
    and each member's change, solved in order, hot-started."""
    return solve_run(document, options, changes)


def task_key(item_ids: list[int]) -> str:
    """Unique per submission (a resubmitted item is a new task), readable in Dask's logs:
    `magnets-item-7-…` for one item, `magnets-item-7-to-14-…` for a run."""
    span = str(item_ids[0]) if len(item_ids) == 1 else f"{item_ids[0]}-to-{item_ids[-1]}"
    return f"{KEY_PREFIX}-{span}-{uuid.uuid4().hex[:8]}"


@dataclass
class Task:
    """One Dask task and the items whose plans it brings back, in member order; `wanted`
    drops the cancelled ones (their plans are not recorded)."""

    future: Future
    items: list[int]
    run: bool  # solve_run_task (a list of MemberPlan), else solve_task (one plan)
    wanted: set[int] = field(default_factory=set)


class DaskPool:
    """The dispatcher's executor on a Dask cluster: as many tasks in flight as the
    cluster has worker threads, so queued items wait in the database, not in Dask. A
    run of members counts one thread busy, and each of its items running."""

    def __init__(self, address: str, run_size: int = 1):
        self._address = address
        self._run_size = run_size
        self._client: Client | None = None
        self._tasks: list[Task] = []
        self._unstarted: dict[int, Outcome] = {}  # submissions Dask refused
        self._done = threading.Event()

    def start(self) -> None:
        """Connect; again if the client gave up reconnecting (its futures are lost then,
        and come back from `finished` as lost solves)."""
        if self._client is not None and self._client.status != "closed":
            return
        self._client = Client(self._address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        log.info("solving jobs on the Dask cluster at %s", self._address)

    def ready(self) -> bool:
        return self._client is not None and self._client.status == "running"

    def capacity(self) -> int:
        """Tasks (one item, or a run of members) that would find a thread free."""
        if not self.ready():
            return 0
        assert self._client is not None
        threads = sum(self._client.nthreads().values())
        return max(0, threads - len(self._tasks) - len(self._unstarted))

    def run_size(self) -> int:
        return self._run_size

    def lend_idle(self) -> None:
        """Nothing to lend: a hedge on the cluster sends its runs to the cluster itself."""

    def submit_run(self, items: list[ClaimedItem]) -> None:
        """One task for the items: one scenario, or a run of one job's members."""
        assert self._client is not None
        first, ids = items[0], [item.id for item in items]
        run = len(items) > 1
        if run:
            call: tuple[Any, ...] = (solve_run_task, first.document, first.options,
                                     [item.change for item in items])  # fmt: skip
        else:
            call = (solve_task, first.document, first.options, first.change)
        try:
            future = self._client.submit(*call, key=task_key(ids), pure=False, retries=0)
        except Exception as exc:  # noqa: BLE001 — whatever the cause, the items are retried later
            self._unstarted.update((i, Outcome(None, f"cannot submit to Dask: {exc}")) for i in ids)
            self._done.set()
            return
        future.add_done_callback(lambda _: self._done.set())
        self._tasks.append(Task(future, ids, run, set(ids)))

    def running(self) -> list[int]:
        return [*(i for task in self._tasks for i in task.items if i in task.wanted),
                *self._unstarted]  # fmt: skip

    def finished(self) -> list[tuple[int, Outcome]]:
        """Each item of each finished task once, its plan fetched from the worker."""
        self._done.clear()  # a task ending from here on wakes the next `wait`
        done = list(self._unstarted.items())
        self._unstarted.clear()
        for task in [task for task in self._tasks if task.future.done()]:
            outcomes = _outcomes(task)
            done += [(i, o) for i, o in zip(task.items, outcomes, strict=True) if i in task.wanted]
            self._tasks.remove(task)
            task.future.release()
        return done

    def cancel(self, item_id: int) -> None:
        """The item's plan is not wanted; its task is cancelled once none of its items is."""
        self._unstarted.pop(item_id, None)
        for task in self._tasks:
            task.wanted.discard(item_id)
            if not task.wanted:
                task.future.cancel()
        self._tasks = [task for task in self._tasks if task.wanted]

    def wait(self, timeout: float) -> None:
        self._done.wait(timeout)

    def stop(self) -> list[int]:
        """Cancel every task and disconnect; the items cut short."""
        interrupted = self.running()
        for item_id in interrupted:
            self.cancel(item_id)
        if self._client is not None:
            self._client.close()
            self._client = None
        return interrupted


def _outcomes(task: Task) -> list[Outcome]:
    """One outcome per item of a finished task: its plan, or the task's failure."""
    if task.future.status == "finished":
        try:
            result = task.future.result(timeout=FETCH_TIMEOUT_S)
        except (OSError, TimeoutError, CancelledError) as exc:
            lost = Outcome(None, f"the plan could not be fetched from its Dask worker: {exc!r}")
            return [lost] * len(task.items)
        plans = result if task.run else [MemberPlan(result, None)]
        return [Outcome(member.plan, start=member.start) for member in plans]
    return [_failure(task.future)] * len(task.items)


def _failure(future: Future) -> Outcome:
    """What a task that did not finish lost its items to."""
    if future.status != "error":
        return Outcome(None, f"the Dask scheduler dropped the task ({future.status})")
    error = future.exception(timeout=FETCH_TIMEOUT_S)
    if isinstance(error, KilledWorker):
        tries = error.allowed_failures + 1
        return Outcome(None, f"gave up after {tries} attempts: each Dask worker running it died",
                       final=True)  # fmt: skip
    return Outcome(None, f"the Dask task failed: {type(error).__name__}: {error}")
