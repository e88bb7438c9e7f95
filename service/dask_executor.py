"""Job solves on a Dask distributed cluster (`MAGNETS_DASK_SCHEDULER`) instead of the
service's own processes.

Each claimed item becomes one Dask task that calls `solve_task` on a worker; the worker
imports the optimizer, the service only gets the plan back and writes it through the
store as with its own processes. The service writes each item's result itself, once,
with the conditional update of `store.record_plan`: when a worker dies mid-solve, Dask
runs the task again elsewhere and the service still receives one plan. Once Dask gives
up (`KilledWorker`: every worker that ran it died, `distributed.scheduler.allowed-failures`
plus one times) the item fails at once. Cancelling a job cancels its futures; a task
already running on a worker runs on to its time limit (Dask cannot interrupt a task),
and its plan is dropped.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import CancelledError
from typing import Any

from distributed import Client, Future, KilledWorker

from .workers import Change, Outcome, solve_item

log = logging.getLogger("magnets.service")
CONNECT_TIMEOUT_S = 10
FETCH_TIMEOUT_S = 30  # to fetch a finished plan from the worker that holds it
KEY_PREFIX = "magnets-item"


def solve_task(document: str, options: dict[str, Any], change: Change = None) -> dict[str, Any]:
    """What a Dask worker runs for one job item (the scenario as JSON text, and a
    member's change to apply to it)."""
    plan: dict[str, Any] = solve_item(document, options, change)
    return plan


def task_key(item_id: int) -> str:
    """Unique per submission (a resubmitted item is a new task), readable in Dask's logs."""
    return f"{KEY_PREFIX}-{item_id}-{uuid.uuid4().hex[:8]}"


class DaskPool:
    """The dispatcher's executor on a Dask cluster: as many items in flight as the
    cluster has worker threads, so queued items wait in the database, not in Dask."""

    def __init__(self, address: str):
        self._address = address
        self._client: Client | None = None
        self._futures: dict[int, Future] = {}
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
        if not self.ready():
            return 0
        assert self._client is not None
        threads = sum(self._client.nthreads().values())
        return max(0, threads - len(self.running()))

    def submit(
        self, item_id: int, document: str, options: dict[str, Any], change: Change = None
    ) -> None:
        assert self._client is not None
        try:
            future = self._client.submit(
                solve_task, document, options, change, key=task_key(item_id), pure=False,
                retries=0,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 — whatever the cause, the item is retried later
            self._unstarted[item_id] = Outcome(None, f"cannot submit to Dask: {exc}")
            self._done.set()
            return
        future.add_done_callback(lambda _: self._done.set())
        self._futures[item_id] = future

    def running(self) -> list[int]:
        return [*self._futures, *self._unstarted]

    def finished(self) -> list[tuple[int, Outcome]]:
        """Each finished task once, its plan fetched from the worker."""
        self._done.clear()  # a task ending from here on wakes the next `wait`
        done = list(self._unstarted.items())
        self._unstarted.clear()
        for item_id, future in list(self._futures.items()):
            if future.done():
                done.append((item_id, _outcome(future)))
                del self._futures[item_id]
                future.release()
        return done

    def cancel(self, item_id: int) -> None:
        self._unstarted.pop(item_id, None)
        future = self._futures.pop(item_id, None)
        if future is not None:
            future.cancel()

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


def _outcome(future: Future) -> Outcome:
    if future.status == "finished":
        try:
            return Outcome(future.result(timeout=FETCH_TIMEOUT_S))
        except (OSError, TimeoutError, CancelledError) as exc:
            return Outcome(None, f"the plan could not be fetched from its Dask worker: {exc!r}")
    if future.status != "error":
        return Outcome(None, f"the Dask scheduler dropped the task ({future.status})")
    error = future.exception(timeout=FETCH_TIMEOUT_S)
    if isinstance(error, KilledWorker):
        tries = error.allowed_failures + 1
        return Outcome(None, f"gave up after {tries} attempts: each Dask worker running it died",
                       final=True)  # fmt: skip
    return Outcome(None, f"the Dask task failed: {type(error).__name__}: {error}")
