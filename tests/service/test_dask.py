"""Jobs solved on a real Dask cluster: a `dask scheduler` and two `dask worker` processes
on loopback, and `magnets serve` pointed at it with MAGNETS_DASK_SCHEDULER. The test
watches the cluster through a Dask client of its own, and the service through its log.
Skipped without the `dask` command. About 40 s on 2 cores."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from tests.random_scenarios import random_scenario
from tests.service.conftest import (
    REPO,
    Service,
    free_port,
    mint_key,
    service_env,
    start_service,
    stop_service,
    wait_for_job,
)
from tests.service.scenarios import C0_OBJECTIVE, c0, slow_lp
from tests.service.test_member_runs import cold_objective, four_licences_sweep

DASK = shutil.which("dask", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                  os.environ.get("PATH", "")]))  # fmt: skip
pytestmark = pytest.mark.skipif(DASK is None, reason="the dask command is not installed")
KEY_PREFIX = "magnets-item"
CLUSTER_TIMEOUT_S = 30
ALLOWED_FAILURES = 1  # a task whose worker dies is run twice at most
WORKER_MEMORY = "400MiB"  # a worker's nanny restarts it above 95% of this


def _cluster_env(**config: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAGNETS_", "DASK_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update({f"DASK_DISTRIBUTED__{k.upper()}": v for k, v in config.items()})
    return env


def _spawn(args: list[str], log: Path, **config: str) -> subprocess.Popen[bytes]:
    """A dask command in a process group of its own (a worker's nanny starts a child)."""
    assert DASK is not None
    with log.open("wb") as out:
        return subprocess.Popen(
            [DASK, *args], cwd=log.parent, env=_cluster_env(**config), stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _end(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The scheduler's address and a client of the test's own, once both workers joined."""
    distributed = pytest.importorskip("distributed")
    directory = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
    worker = ["worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
              "--host", "127.0.0.1", "--memory-limit", WORKER_MEMORY]  # fmt: skip
    processes = [_spawn(scheduler, directory / "scheduler.log",
                        scheduler__allowed_failures=str(ALLOWED_FAILURES))]  # fmt: skip
    try:
        for i in range(2):
            local = ["--local-directory", str(directory / f"w{i}")]
            processes.append(_spawn([*worker, *local], directory / f"worker{i}.log"))
        client = distributed.Client(address, timeout=CLUSTER_TIMEOUT_S, set_as_default=False)
        try:
            client.wait_for_workers(2, timeout=CLUSTER_TIMEOUT_S)
            client.get_task_stream(start=time.time())  # the scheduler records tasks from now
            yield address, client
        finally:
            client.close()
    finally:
        for process in reversed(processes):
            _end(process)


@pytest.fixture(scope="module")
def service_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The service's database and its log (`server.log`, JSON lines from info up)."""
    return tmp_path_factory.mktemp("dask-service")


@pytest.fixture(scope="module")
def dask_service(cluster: Any, service_directory: Path) -> Iterator[Service]:
    address, _ = cluster
    directory = service_directory
    env = service_env(f"sqlite:///{directory / 'magnets.db'}", dask_scheduler=address,
                      max_time_limit=60, max_running_jobs_per_tenant=10)  # fmt: skip
    key = mint_key("alpha", env)
    process, url = start_service(env, directory / "server.log", "--log-level", "info")
    try:
        yield Service(url, env, {"alpha": key})
    finally:
        stop_service(process)


@pytest.fixture
def client(dask_service: Service) -> Iterator[httpx.Client]:
    with dask_service.client("alpha") as alpha:
        yield alpha


def objective_of(document: dict[str, Any]) -> Any:
    """The plan's objective, solved here in the test process."""
    return solve(parse_scenario(document)).get("objective")


def our_tasks(dask: Any) -> dict[str, str]:
    """The service's tasks the scheduler knows of, each with its state."""

    def tasks(dask_scheduler: Any) -> dict[str, str]:
        return {str(k): ts.state for k, ts in dask_scheduler.tasks.items()
                if str(k).startswith("magnets-item")}  # fmt: skip

    found: dict[str, str] = dask.run_on_scheduler(tasks)
    return found


def wait_until(condition: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"not reached within {timeout} s")


def processing_worker(dask: Any) -> str | None:
    """The address of the worker running one of the service's tasks, if any."""
    for worker, keys in dask.processing().items():
        if any(str(key).startswith(KEY_PREFIX) for key in keys):
            return str(worker)
    return None


def test_a_job_is_solved_on_the_cluster(client: httpx.Client, cluster: Any) -> None:
    _, dask = cluster
    documents = [c0("c0"), *(random_scenario(s, milp=True, periods=6) for s in (1, 2, 4)),
                 slow_lp(suppliers=60, periods=12)]  # fmt: skip
    expected = [objective_of(d) for d in documents]
    started = time.time()
    job_id = client.post("/v1/jobs", json={"scenarios": documents}).json()["id"]
    job = wait_for_job(client, job_id, ("completed", "failed"), timeout=40)
    assert (job["state"], job["solved"], job["total"]) == ("completed", 5, 5)

    plans = [item["plan"] for item in client.get(f"/v1/jobs/{job_id}/plans").json()["items"]]
    assert plans[0]["objective"] == pytest.approx(C0_OBJECTIVE)
    for plan, objective in zip(plans, expected, strict=True):
        assert plan["status"] == "optimal"
        assert plan["objective"] == pytest.approx(objective, rel=1e-6)
    ran = [t["key"] for t in dask.get_task_stream(start=started)]
    assert sum(str(key).startswith(KEY_PREFIX) for key in ran) == len(documents)


def test_a_worker_dying_mid_solve_still_gives_one_plan(
    client: httpx.Client, cluster: Any, dask_service: Service
) -> None:
    """Dask runs the task again on the other worker; the service writes the plan once,
    and counts one attempt: the retry was the cluster's."""
    _, dask = cluster
    slow = slow_lp(suppliers=100, periods=24)
    job_id = client.post("/v1/jobs", json={"scenarios": [slow], "options": {"time_limit": 60}})
    job_id = job_id.json()["id"]
    worker = wait_until(lambda: processing_worker(dask), timeout=20)
    time.sleep(0.5)  # inside the solve (about 4 s)
    [pid] = dask.run(os.getpid, workers=[worker]).values()
    os.kill(pid, signal.SIGKILL)  # its nanny starts a fresh worker process

    job = wait_for_job(client, job_id, ("completed", "failed"), timeout=40)
    assert (job["state"], job["solved"], job["failed"]) == ("completed", 1, 0)
    [item] = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
    assert item["plan"]["status"] == "optimal"
    assert item["plan"]["objective"] == pytest.approx(objective_of(slow), rel=1e-6)
    wait_until(lambda: not our_tasks(dask), timeout=10)  # the future was released
    assert _attempts(dask_service, job_id) == [("solved", 1)]


def test_a_solve_that_kills_every_worker_fails_once_dask_gives_up(
    client: httpx.Client, cluster: Any, dask_service: Service
) -> None:
    """Over the workers' memory limit, each run ends its worker; after the scheduler's
    allowed failures the item fails with the reason, and the rest of the job is solved."""
    _, dask = cluster
    too_big = slow_lp(suppliers=4000, periods=24)  # some 450 MiB resident
    body = {"scenarios": [too_big, c0("fits")], "options": {"time_limit": 30}}
    job_id = client.post("/v1/jobs", json=body).json()["id"]
    job = wait_for_job(client, job_id, ("completed", "failed"), timeout=40)
    dask.wait_for_workers(2, timeout=CLUSTER_TIMEOUT_S)  # the nannies restart them

    assert (job["state"], job["solved"], job["failed"]) == ("completed", 1, 1)
    items = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
    assert [i["state"] for i in items] == ["failed", "solved"]
    tries = ALLOWED_FAILURES + 1
    assert items[0]["error"] == f"gave up after {tries} attempts: each Dask worker running it died"
    assert items[1]["plan"]["objective"] == pytest.approx(C0_OBJECTIVE)
    assert _attempts(dask_service, job_id) == [("failed", 1), ("solved", 1)]


def test_cancelling_a_job_cancels_its_dask_tasks(client: httpx.Client, cluster: Any) -> None:
    """Both slow solves run (one per worker) when the job is cancelled; they run on to
    their end on the workers, and their plans are dropped."""
    _, dask = cluster
    dask.wait_for_workers(2, timeout=CLUSTER_TIMEOUT_S)
    slow = [slow_lp(suppliers=100, periods=24, seed=seed) for seed in (7, 8)]
    body = {"scenarios": slow, "options": {"time_limit": 60}}
    job_id = client.post("/v1/jobs", json=body).json()["id"]
    wait_until(lambda: len(our_tasks(dask)) == 2 and processing_worker(dask), timeout=20)
    time.sleep(0.5)
    assert client.delete(f"/v1/jobs/{job_id}").json()["state"] == "cancelled"

    wait_until(lambda: not our_tasks(dask), timeout=5)  # the futures are cancelled
    wait_until(lambda: not any(dask.run(executing).values()), timeout=30)  # the solves ended
    time.sleep(1.0)  # a few dispatcher steps after that
    job = client.get(f"/v1/jobs/{job_id}").json()
    assert (job["state"], job["solved"]) == ("cancelled", 0)
    items = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
    assert [(i["state"], i["plan"]) for i in items] == [("cancelled", None), ("cancelled", None)]


def executing(dask_worker: Any) -> int:
    """Run on each worker: the tasks it is executing, cancelled ones included."""
    return int(dask_worker.state.executing_count)


def _attempts(service: Service, job_id: str) -> list[tuple[str, int]]:
    """Each item's state and the attempts the service counted, from the database."""
    database = service.env["MAGNETS_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as db:
        query = "SELECT state, attempts FROM job_items WHERE job_id = ? ORDER BY position"
        return list(db.execute(query, (job_id,)).fetchall())


def test_a_sweep_is_solved_in_hot_started_runs(
    client: httpx.Client, cluster: Any, dask_service: Service, service_directory: Path
) -> None:
    """Runs of neighbouring members, one Dask task each: within a run every member but
    the first starts from its neighbour's basis, and each agrees with a cold solve."""
    _, dask = cluster
    dask.wait_for_workers(2, timeout=CLUSTER_TIMEOUT_S)
    spec = four_licences_sweep(20)
    started = time.time()
    job_id = client.post("/v1/jobs", json={"sweep": spec}).json()["id"]
    job = wait_for_job(client, job_id, ("completed", "failed"), timeout=40)
    assert (job["state"], job["solved"], job["total"]) == ("completed", 21, 21)

    items = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
    base, changes = spec["base"], _changes(spec)
    for item, change in zip(items, changes, strict=True):
        assert item["plan"]["scenario"] == change["name"]
        assert item["plan"]["objective"] == pytest.approx(cold_objective(base, change), rel=1e-6)
    tasks = [t for t in dask.get_task_stream(start=started) if _ours(t["key"])]
    starts = _starts(service_directory, job_id)
    assert sorted(starts) == list(range(21))  # one plan recorded per item
    assert 3 <= len(tasks) <= 6  # runs of at most 8 (MAGNETS_DASK_CHUNK's default)
    assert sorted(starts.values()).count("cold") == len(tasks)  # each run's first member
    assert set(starts.values()) == {"cold", "hot"}
    assert _attempts(dask_service, job_id) == [("solved", 1)] * 21


def test_a_run_whose_worker_dies_is_solved_again_with_one_plan_per_item(
    client: httpx.Client, cluster: Any, dask_service: Service, service_directory: Path
) -> None:
    """Dask runs the whole run again elsewhere; every item still gets one plan, and one
    attempt: the retry was the cluster's."""
    _, dask = cluster
    dask.wait_for_workers(2, timeout=CLUSTER_TIMEOUT_S)
    spec = _slow_sweep(members=4)  # two runs of two: a cold member of about 2 s, a hot one
    job_id = client.post("/v1/jobs", json={"sweep": spec, "options": {"time_limit": 60}})
    job_id = job_id.json()["id"]
    worker = wait_until(lambda: processing_worker(dask), timeout=20)
    time.sleep(0.5)  # inside the run's first, cold, member
    [pid] = dask.run(os.getpid, workers=[worker]).values()
    os.kill(pid, signal.SIGKILL)  # its nanny starts a fresh worker process
    wait_until(lambda: died_under(dask), timeout=10)  # the kill caught the run mid-way

    job = wait_for_job(client, job_id, ("completed", "failed"), timeout=40)
    assert (job["state"], job["solved"], job["failed"]) == ("completed", 4, 0)
    items = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
    assert [i["plan"]["status"] for i in items] == ["optimal"] * 4
    assert sorted(_starts(service_directory, job_id)) == [0, 1, 2, 3]
    assert _attempts(dask_service, job_id) == [("solved", 1)] * 4
    wait_until(lambda: not our_tasks(dask), timeout=10)


def test_cancelling_a_sweep_cancels_its_runs(client: httpx.Client, cluster: Any) -> None:
    """A run's task is cancelled once none of its items is wanted; the runs still on the
    workers end on their own, and none of their plans is kept."""
    _, dask = cluster
    dask.wait_for_workers(2, timeout=CLUSTER_TIMEOUT_S)
    body = {"sweep": _slow_sweep(members=4), "options": {"time_limit": 60}}
    job_id = client.post("/v1/jobs", json=body).json()["id"]
    wait_until(lambda: len(our_tasks(dask)) == 2 and processing_worker(dask), timeout=20)
    assert client.delete(f"/v1/jobs/{job_id}").json()["state"] == "cancelled"

    wait_until(lambda: not our_tasks(dask), timeout=5)  # both runs' futures are cancelled
    wait_until(lambda: not any(dask.run(executing).values()), timeout=30)
    time.sleep(1.0)  # a few dispatcher steps after that
    items = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
    assert [(i["state"], i["plan"]) for i in items] == [("cancelled", None)] * 4


def died_under(dask: Any) -> list[str]:
    """The service's tasks the scheduler saw a worker die under (to run them again)."""

    def suspicious(dask_scheduler: Any) -> list[str]:
        return [str(k) for k, ts in dask_scheduler.tasks.items()
                if _ours(k) and ts.suspicious > 0]  # fmt: skip

    found: list[str] = dask.run_on_scheduler(suspicious)
    return found


def _slow_sweep(members: int) -> dict[str, Any]:
    return {
        "name": "slow", "base": slow_lp(suppliers=100, periods=24), "mode": "monte_carlo",
        "samples": members, "seed": 3, "include_base": False,
        "axes": [
            {"name": "cn_tariff", "shock": {"kind": "tariff", "country": "CN"},
             "parameter": "value", "distribution": {"type": "uniform", "low": 0.05, "high": 0.15}},
            {"name": "demand", "shock": {"kind": "demand"},
             "distribution": {"type": "uniform", "low": 0.95, "high": 1.05}},
        ],
    }  # fmt: skip


def _changes(spec: dict[str, Any]) -> list[dict[str, Any]]:
    from service.solving import sweep_members
    from tests.service.test_member_runs import LIMITS

    return [change for _, change in sweep_members(spec, LIMITS, 1000)[1]]


def _ours(key: Any) -> bool:
    return str(key).startswith(KEY_PREFIX)


def _starts(directory: Path, job_id: str) -> dict[int, str]:
    """Each solved item's position and how its solve started, from the service's log
    (job.item_solved, written once the item's plan is recorded)."""
    starts: dict[int, str] = {}
    for line in (directory / "server.log").read_text().splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("event") == "job.item_solved" and event.get("job_id") == job_id:
            assert event["position"] not in starts, f"item {event['position']} recorded twice"
            starts[event["position"]] = event.get("start")
    return starts
