"""Solver processes. Each runs one HiGHS solve at a time, so a crash or a cancellation
costs one process, never the service.

- `Slot`: a job worker the dispatcher owns; cancelling its solve terminates the process
  (SIGTERM, then SIGKILL), and a fresh one is started for the next item.
- `SolvePool`: the processes behind the synchronous `POST /v1/solve`.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from .solving import SolveOptions, run_solve

log = logging.getLogger("magnets.service")
# Fresh interpreters: forking a process that runs threads (the server's) is unsafe.
CONTEXT = multiprocessing.get_context("spawn")
STOP_GRACE_S = 2.0


def _ignore_interrupts() -> None:
    """Ctrl-C reaches the whole process group; the server decides when workers stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _serve(conn: Connection) -> None:
    """A worker's life: receive (document, options), send back the plan, until EOF."""
    _ignore_interrupts()
    while True:
        try:
            document, options = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(run_solve(document, SolveOptions(**options)))


@dataclass
class Outcome:
    plan: dict[str, Any] | None  # None when the worker died instead
    reason: str = ""


class Slot:
    """One job worker process and the item it is solving, if any."""

    def __init__(self) -> None:
        self.item_id: int | None = None
        self.outcome: Outcome | None = None  # received but not yet recorded
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def start(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        ours, theirs = CONTEXT.Pipe()
        self._process = CONTEXT.Process(target=_serve, args=(theirs,), daemon=True)
        self._process.start()
        theirs.close()
        self._conn = ours

    def submit(self, item_id: int, document: Any, options: dict[str, Any]) -> None:
        self.start()
        assert self._conn is not None
        self.item_id, self.outcome = item_id, None
        self._conn.send((document, options))

    def waitables(self) -> list[Any]:
        """What `multiprocessing.connection.wait` should watch while this slot is busy."""
        if self.item_id is None or self._process is None or self._conn is None:
            return []
        return [self._conn, self._process.sentinel]

    def poll(self) -> Outcome | None:
        """The finished solve's outcome, if it has finished (or the worker has died)."""
        if self.outcome is None and self.item_id is not None:
            self.outcome = self._receive()
        return self.outcome

    def release(self) -> None:
        self.item_id, self.outcome = None, None

    def _receive(self) -> Outcome | None:
        assert self._conn is not None and self._process is not None
        try:
            if self._conn.poll():
                return Outcome(self._conn.recv())
        except (EOFError, OSError):
            pass
        if self._process.is_alive():
            return None
        code = self._process.exitcode
        self.stop()
        return Outcome(None, f"the solver process ended unexpectedly (exit code {code})")

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


class PoolBusy(Exception):
    """The synchronous solver processes were lost; the caller may retry."""


class SolvePool:
    """Processes for `POST /v1/solve`; started lazily, replaced if one crashes."""

    def __init__(self, workers: int):
        self._workers = workers
        self._executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._workers, mp_context=CONTEXT, initializer=_ignore_interrupts
        )

    async def solve(self, document: Any, options: SolveOptions) -> dict[str, Any]:
        try:
            future = self._executor.submit(run_solve, document, options)
            plan: dict[str, Any] = await asyncio.wrap_future(future)
        except BrokenProcessPool:
            log.error("a solver process died; starting new ones")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new()
            raise PoolBusy from None
        return plan

    def close(self) -> None:
        """Drop waiting solves; let running ones (bounded by the time limit) finish."""
        self._executor.shutdown(wait=True, cancel_futures=True)
