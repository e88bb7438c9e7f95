"""Runs of neighbouring items mapped in this process, on local processes and on a Dask
cluster (one in this process, on threads): the results come back in the items' order,
and each process or worker thread prepares its state once."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.main import main
from optimizer.whatif.runs import Executor, map_runs, split
from optimizer.whatif.sweep import run_sweep
from tests.whatif.test_hedge_values import hedge
from tests.whatif.test_sweep import grid_spec


def _prepared(shared: int) -> dict[str, Any]:
    return {"offset": shared, "pid": os.getpid(), "runs": 0}


def _shifted(state: dict[str, Any], run: list[int]) -> list[tuple[int, int, int]]:
    """Each item shifted, with the process that solved it and how many runs it had."""
    state["runs"] += 1
    return [(x + state["offset"], state["pid"], state["runs"]) for x in run]


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0"
    ) as c:
        yield c.scheduler_address


def test_split_keeps_neighbours_together() -> None:
    assert split(list(range(10)), 1) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert [len(r) for r in split(list(range(100)), 2)] == [13] * 7 + [9]
    assert split([], 3) == []


def test_in_process_is_one_run() -> None:
    found = map_runs(_prepared, _shifted, 100, list(range(7)))
    assert [x for x, _, _ in found] == list(range(100, 107))
    assert {runs for _, _, runs in found} == {1}


def test_two_processes_give_the_items_back_in_order() -> None:
    seen: list[tuple[int, int]] = []
    found = map_runs(
        _prepared, _shifted, 5, list(range(40)), Executor(workers=2),
        lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert [x for x, _, _ in found] == list(range(5, 45))
    assert {pid for _, pid, _ in found} != {os.getpid()}
    assert max(runs for _, _, runs in found) > 1  # a process keeps its state between runs
    assert seen[-1] == (40, 40) and len(seen) == len(split(list(range(40)), 2))


def test_dask_gives_the_items_back_in_order(cluster: str) -> None:
    found = map_runs(_prepared, _shifted, 1, list(range(30)), Executor(dask=cluster))
    assert [x for x, _, _ in found] == list(range(1, 31))


def test_a_sweep_on_dask_gives_the_rows_of_one_process(cluster: str) -> None:
    one, spread = run_sweep(grid_spec()), run_sweep(grid_spec(), dask=cluster)
    assert [r["member"] for r in spread.rows] == [r["member"] for r in one.rows]
    assert [r["objective"] for r in spread.rows] == pytest.approx(
        [r["objective"] for r in one.rows], rel=1e-9
    )
    assert spread.starts.get("hot", 0) > 0


def test_the_sweep_command_takes_a_dask_address(tmp_path: Path, cluster: str) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"name": "on dask", **grid_spec()}), encoding="utf-8")
    out = tmp_path / "result.json"
    assert main(["sweep", str(spec), "--dask", cluster, "--out", str(out), "--quiet"]) == 0
    rows = json.loads(out.read_text(encoding="utf-8"))["members"]
    assert [r["objective"] for r in rows] == pytest.approx(
        [r["objective"] for r in run_sweep(grid_spec()).rows], rel=1e-9
    )
    assert main(["sweep", str(spec), "--dask", "nowhere", "--quiet"]) == 2


def test_the_hedge_command_takes_a_dask_address(tmp_path: Path, cluster: str, capsys: Any) -> None:
    path = tmp_path / "hedge.json"
    path.write_text(json.dumps(hedge(0.5)), encoding="utf-8")
    assert main(["hedge", str(path)]) == 0
    here = json.loads(capsys.readouterr().out)
    assert main(["hedge", str(path), "--dask", cluster]) == 0
    there = json.loads(capsys.readouterr().out)
    for key in ("objective", "wait_and_see", "evpi", "value_of_hedging", "premium"):
        assert there[key] == pytest.approx(here[key], rel=1e-9), key
