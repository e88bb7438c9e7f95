"""The Dask executor's book-keeping of runs, on a real in-process Dask cluster: a run of
members is one task on one thread with all its items running, an item dropped from a
run (cancelled, or its lease lost) gets no outcome while the others do, and a run none of
whose items is wanted is cancelled."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service import store
from service.database import Database
from service.workers import Outcome
from tests.service.test_member_runs import submit_sweep

distributed = pytest.importorskip("distributed")
from service.dask_executor import DaskPool  # noqa: E402 — needs distributed

THREADS = 2


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=THREADS, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def pool(address: str) -> Iterator[DaskPool]:
    executor = DaskPool(address, run_size=4)
    executor.start()
    yield executor
    executor.stop()


@pytest.fixture
def runs(tmp_path: Path) -> list[list[store.ClaimedItem]]:
    db = Database(f"sqlite:///{tmp_path / 'pool.db'}")
    db.create_tables()
    submit_sweep(db, 7)  # eight members: two runs of four
    return store.claim_runs(db, THREADS, 4)


def test_a_run_is_one_busy_thread_and_all_its_items_running(
    pool: DaskPool, runs: list[list[store.ClaimedItem]]
) -> None:
    first, second = runs
    assert pool.capacity() == THREADS and pool.run_size() == 4
    pool.submit_run(first)
    assert pool.capacity() == THREADS - 1
    assert sorted(pool.running()) == sorted(item.id for item in first)

    pool.cancel(first[1].id)  # its lease lost, say: the rest of the run goes on
    outcomes = _all_finished(pool, len(first) - 1)
    assert sorted(outcomes) == sorted(item.id for item in first if item is not first[1])
    assert [outcomes[item.id].start for item in (first[0], first[2], first[3])] == [
        "cold", "hot", "hot"
    ]  # fmt: skip
    assert all(o.plan and o.plan["status"] == "optimal" for o in outcomes.values())
    assert pool.capacity() == THREADS and pool.running() == []


def test_a_run_none_of_whose_items_is_wanted_is_cancelled(
    pool: DaskPool, runs: list[list[store.ClaimedItem]]
) -> None:
    first, _ = runs
    pool.submit_run(first)
    for item in first:
        pool.cancel(item.id)
    assert pool.running() == [] and pool.capacity() == THREADS
    time.sleep(0.5)
    assert pool.finished() == []


def _all_finished(pool: DaskPool, count: int) -> dict[int, Outcome]:
    done: dict[int, Any] = {}
    deadline = time.monotonic() + 30
    while len(done) < count and time.monotonic() < deadline:
        done.update(pool.finished())
        pool.wait(0.1)
    return done
