"""The solver processes behind the synchronous routes (`POST /v1/solve`, `/v1/why`,
`/v1/hedge`, and the workspace's uploads, charts and downloads): a process pool, started
lazily, replaced if one of its processes crashes, with a bound on the solves waiting
for it. The memory limit is the job workers' (workers.prepare_process)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .solving import SolveOptions, solve_checked
from .workers import CONTEXT, prepare_process

log = logging.getLogger("magnets.service")


class PoolBusy(Exception):
    """The synchronous solver processes were lost; the caller may retry."""


class PoolFull(Exception):
    """As many solves wait as the server allows (MAGNETS_MAX_WAITING_SOLVES)."""


class SolvePool:
    """Processes for `POST /v1/solve`; started lazily, replaced if one crashes. A solve
    that runs out of memory here answers its plan (status `error`): the caller is
    waiting, and a retry would run out again."""

    def __init__(self, workers: int, memory_mb: int | None = None, max_waiting: int = 32):
        self._workers = workers
        self._memory_mb = memory_mb
        self._max_in_flight = workers + max_waiting
        self._in_flight = 0  # solves running or waiting; touched by the event loop only
        self._executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._workers,
            mp_context=CONTEXT,
            initializer=prepare_process,
            initargs=(self._memory_mb,),
        )

    async def solve_checked(
        self, document: Any, options: SolveOptions, explain: bool = False
    ) -> tuple[str | None, bytes]:
        """The plan's status and its JSON, for a document not checked yet: ScenarioError
        if it is invalid."""
        answer: tuple[str | None, bytes] = await self.call(
            solve_checked, document, options, explain
        )
        return answer

    async def call(self, task: Callable[..., Any], *args: Any) -> Any:
        """`task(*args)` in a solver process (a module-level function: it is pickled).
        PoolFull at once when the queue is full: a client told to come back beats one
        left waiting behind a queue that only grows."""
        if self._in_flight >= self._max_in_flight:
            raise PoolFull
        self._in_flight += 1
        try:
            future = self._executor.submit(task, *args)
            result = await asyncio.wrap_future(future)
        except BrokenProcessPool:
            log.error("a solver process died; starting new ones")
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new()
            raise PoolBusy from None
        finally:
            self._in_flight -= 1
        return result

    def close(self) -> None:
        """Drop waiting solves; let running ones (bounded by the time limit) finish."""
        self._executor.shutdown(wait=True, cancel_futures=True)
