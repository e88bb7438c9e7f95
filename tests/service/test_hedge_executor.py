"""Where a hedge's outcomes solved alone go in the service: its own solver process by
default, the Dask cluster of MAGNETS_DASK_SCHEDULER when set, and the cluster a hedge job
runs on when it runs on one (a one-thread worker: the job gives its thread back while
its outcomes are solved, so the cluster does not wait on itself)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from optimizer.options import SolveOptions
from optimizer.whatif import runs
from optimizer.whatif.runs import IN_PROCESS
from service.solving import DASK_SCHEDULER_VARIABLE, hedge_executor, run_hedge
from tests.whatif.test_hedge_values import hedge

distributed = pytest.importorskip("distributed")
VALUES = ("objective", "wait_and_see", "evpi", "value_of_hedging", "premium")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as c:
        yield c


def test_a_hedge_is_solved_in_its_own_process_by_default(monkeypatch: Any) -> None:
    monkeypatch.delenv(DASK_SCHEDULER_VARIABLE, raising=False)
    assert hedge_executor() == IN_PROCESS


def test_with_a_scheduler_set_the_outcomes_go_to_the_cluster(
    monkeypatch: Any, cluster: Any
) -> None:
    monkeypatch.delenv(DASK_SCHEDULER_VARIABLE, raising=False)
    alone = run_hedge(hedge(0.5), SolveOptions())
    monkeypatch.setenv(DASK_SCHEDULER_VARIABLE, cluster.scheduler_address)
    assert hedge_executor().dask == cluster.scheduler_address
    spread = run_hedge(hedge(0.5), SolveOptions())
    for key in VALUES:
        assert spread[key] == pytest.approx(alone[key], rel=1e-9), key


def test_a_hedge_job_on_the_cluster_solves_its_outcomes_there(
    monkeypatch: Any, cluster: Any
) -> None:
    monkeypatch.delenv(DASK_SCHEDULER_VARIABLE, raising=False)
    alone = run_hedge(hedge(0.5), SolveOptions())
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        on_worker = client.submit(hedge_executor, pure=False).result(60)
        plan = client.submit(run_hedge, hedge(0.5), SolveOptions(), pure=False).result(60)
    assert on_worker.dask == cluster.scheduler_address
    for key in VALUES:
        assert plan[key] == pytest.approx(alone[key], rel=1e-9), key


def test_with_the_named_cluster_down_the_hedge_is_solved_here_all_the_same(
    monkeypatch: Any, caplog: Any
) -> None:
    monkeypatch.delenv(DASK_SCHEDULER_VARIABLE, raising=False)
    alone = run_hedge(hedge(0.5), SolveOptions())
    monkeypatch.setattr(runs, "CONNECT_TIMEOUT_S", 1)
    monkeypatch.setenv(DASK_SCHEDULER_VARIABLE, "tcp://127.0.0.1:9")  # nothing listens
    with caplog.at_level(logging.WARNING, logger="magnets.runs"):
        plan = run_hedge(hedge(0.5), SolveOptions())
    assert plan["status"] == "optimal"
    for key in VALUES:
        assert plan[key] == pytest.approx(alone[key], rel=1e-9), key
    assert "no Dask scheduler answered at tcp://127.0.0.1:9" in caplog.text


def test_a_cluster_named_on_the_command_line_and_down_is_an_error() -> None:
    with pytest.raises(runs.ClusterUnreachable, match="tcp://127.0.0.1:9"):
        runs.map_runs(int, _echo, 0, [1, 2], runs.Executor(dask="tcp://127.0.0.1:9"))


def _echo(state: int, run: list[int]) -> list[int]:
    return run
