"""Runs of neighbouring items, each solved in order by one task, the results given back in
the items' order: in this process, on local processes, or on a Dask cluster.

Neighbouring items (a sweep's members, a hedge's outcomes) usually differ in a few
numbers, so a solver that takes them in order starts each from its neighbour's basis;
what is spread over processes is therefore runs of items, never single items. A process
makes its solver once, `prepare(shared)`, and keeps it for every run it is given; a run
is solved by `task(state, run)`, which returns one result per item. `prepare` and `task`
are module-level functions, so that they travel to other processes by name.

- `Executor()`: everything in this process, as one run (every item hot-started).
- `Executor(workers=N)`: N fresh (`spawn`) processes, four runs each so the load stays
  even; spawned processes are clear of the caller's threads.
- `Executor(helpers=H)`: this process and the other processes `H` lends as they fall
  idle (the service's solver processes, see service/run_sharing.py), four runs each.
- `Executor(dask=ADDRESS)`: the Dask cluster at ADDRESS, four runs per worker thread.
  Called from a task already running on a Dask worker (a hedge job solved on the
  cluster; `own_cluster()` names it), the runs go to that worker's own cluster, whose
  thread the caller gives up while it waits (`worker_client`), so a cluster whose
  threads are all busy with such callers cannot deadlock on itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

Item = TypeVar("Item")
Prepare = Callable[[Any], Any]
Task = Callable[[Any, list[Any]], list[Any]]
Progress = Callable[[int, int], None]

log = logging.getLogger("magnets.runs")
RUNS_PER_WORKER = 4  # more runs than workers keep the load even; fewer keep more hot starts
CONNECT_TIMEOUT_S = 10  # to reach a Dask scheduler


class Helpers(Protocol):
    """Other processes that solve some of a map's runs while this one solves the rest."""

    def slots(self) -> int:
        """The processes that may take runs, this one included."""
        ...

    def share(
        self, prepare: Prepare, task: Task, shared: Any, runs: list[list[Any]],
        solve_here: Callable[[list[Any]], list[Any]],
    ) -> Iterator[tuple[int, list[Any]]]:  # fmt: skip
        """Each run's results as (its index, results) once, in any order: the runs this
        process is told to take solved by `solve_here`, the others by the helpers as
        `task(prepare(shared), run)`. A helper's exception is raised here."""
        ...


@dataclass(frozen=True)
class Executor:
    """Where runs are solved: `workers` local processes (1: this one), this one with
    `helpers`, or the Dask cluster at `dask` (a scheduler address such as
    tcp://host:8786). A cluster that cannot be reached raises ClusterUnreachable, unless
    `here_if_unreachable`: the runs are then solved as if `dask` were not given, and a
    warning is logged (a service configured for a cluster still answers while it is
    down)."""

    workers: int = 1
    dask: str | None = None
    helpers: Helpers | None = None
    here_if_unreachable: bool = False

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError("workers must be at least 1")


IN_PROCESS = Executor()


class ClusterUnreachable(OSError):
    """No Dask scheduler answered at the address given."""


def split(items: Sequence[Item], slots: int) -> list[list[Item]]:
    """Consecutive runs, `RUNS_PER_WORKER` for each of `slots` (fewer for few items)."""
    if not items:
        return []
    size = -(-len(items) // (RUNS_PER_WORKER * max(slots, 1)))
    return [list(items[k : k + size]) for k in range(0, len(items), size)]


def map_runs(
    prepare: Prepare,
    task: Task,
    shared: Any,
    items: Sequence[Any],
    executor: Executor = IN_PROCESS,
    progress: Progress | None = None,
) -> list[Any]:
    """`task(prepare(shared), run)` over runs of `items`; one result per item, in order.
    `progress(done, total)` counts items as their runs finish."""
    report = progress or (lambda done, total: None)
    if not items:
        return []
    if executor.dask is not None:
        try:
            return _on_dask(prepare, task, shared, items, executor.dask, report)
        except ClusterUnreachable as exc:
            if not executor.here_if_unreachable:
                raise
            log.warning("%s; solving the runs here instead", exc)
            executor = Executor(executor.workers, None, executor.helpers)
    if executor.helpers is not None and len(items) > 1:
        return _with_helpers(prepare, task, shared, items, executor.helpers, report)
    if executor.workers == 1 or len(items) == 1:
        results = task(prepare(shared), list(items))
        report(len(items), len(items))
        return results
    return _on_processes(prepare, task, shared, items, executor.workers, report)


def _gathered(
    runs: list[list[Any]], finished: Iterator[tuple[int, list[Any]]], report: Progress
) -> list[Any]:
    """Each run's results in its place, whatever order the runs finish in."""
    results: list[list[Any]] = [[] for _ in runs]
    total, done = sum(len(r) for r in runs), 0
    for k, found in finished:
        if len(found) != len(runs[k]):
            raise RuntimeError(f"a run of {len(runs[k])} items gave {len(found)} results")
        results[k] = found
        done += len(found)
        report(done, total)
    return [r for run in results for r in run]


def _with_helpers(
    prepare: Prepare,
    task: Task,
    shared: Any,
    items: Sequence[Any],
    helpers: Helpers,
    report: Progress,
) -> list[Any]:
    runs = split(items, helpers.slots())
    held: list[Any] = []  # this process's state, prepared for its first run

    def solve_here(run: list[Any]) -> list[Any]:
        if not held:
            held.append(prepare(shared))
        return task(held[0], run)

    return _gathered(runs, helpers.share(prepare, task, shared, runs, solve_here), report)


# -- local processes ------------------------------------------------------------------------------
_STATE: dict[str, Any] = {}  # a local process's prepared state


def _start_process(prepare: Prepare, shared: Any) -> None:
    _STATE["state"] = prepare(shared)


def _run_in_process(task: Task, run: list[Any]) -> list[Any]:
    return task(_STATE["state"], run)


def _on_processes(
    prepare: Prepare,
    task: Task,
    shared: Any,
    items: Sequence[Any],
    workers: int,
    report: Progress,
) -> list[Any]:
    # imported here: a hedge or sweep solved in one process need not load them
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    runs = split(items, workers)
    context = multiprocessing.get_context("spawn")
    workers = min(workers, len(runs))
    with ProcessPoolExecutor(workers, context, _start_process, (prepare, shared)) as pool:
        futures = {pool.submit(_run_in_process, task, run): k for k, run in enumerate(runs)}
        finished = ((futures[f], f.result()) for f in as_completed(futures))
        return _gathered(runs, finished, report)


# -- a Dask cluster -------------------------------------------------------------------------------
_THREAD = threading.local()  # a Dask worker thread's prepared state: (token, state)


def in_dask_worker() -> bool:
    """Whether this code runs inside a task on a Dask worker."""
    try:
        from distributed import get_worker
    except ImportError:
        return False
    try:
        get_worker()
    except ValueError:
        return False
    return True


def own_cluster() -> str | None:
    """The scheduler address of the Dask worker this code runs on, None off the cluster."""
    if not in_dask_worker():
        return None
    from distributed import get_worker

    address: str = get_worker().scheduler.address
    return address


def _run_on_worker(prepare: Prepare, task: Task, token: str, shared: Any, run: list[Any]) -> Any:
    """A run on a Dask worker thread; its state is prepared once per map and thread (a
    worker's threads run tasks at once, and a solver serves one at a time)."""
    held = getattr(_THREAD, "held", None)
    if held is None or held[0] != token:
        held = (token, prepare(shared))
        _THREAD.held = held
    return task(held[1], run)


@contextmanager
def _dask_client(address: str | None) -> Iterator[Any]:
    from distributed import Client, worker_client

    if in_dask_worker():
        with worker_client() as client:  # gives this task's thread back while it waits
            yield client
        return
    if address is None:
        raise ValueError("no Dask scheduler address given")
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except OSError as exc:  # distributed's connect timeout is an OSError
        raise ClusterUnreachable(f"no Dask scheduler answered at {address}: {exc}") from exc
    with client:
        yield client


def _on_dask(
    prepare: Prepare,
    task: Task,
    shared: Any,
    items: Sequence[Any],
    address: str | None,
    report: Progress,
) -> list[Any]:
    import uuid

    from distributed import as_completed as completed_on_dask

    token = uuid.uuid4().hex
    with _dask_client(address) as client:
        slots = sum(client.nthreads().values()) or 1
        runs = split(items, slots)
        [held] = client.scatter([shared], broadcast=True, hash=False)
        futures = {
            client.submit(_run_on_worker, prepare, task, token, held, run, pure=False): k
            for k, run in enumerate(runs)
        }
        done = completed_on_dask(list(futures), loop=client.loop)
        finished = ((futures[f], f.result()) for f in done)
        return _gathered(runs, finished, report)
