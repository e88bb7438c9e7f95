"""A 200-member sweep job through `magnets serve`: local solver processes against a Dask
cluster, runs of hot-started members against one cold member per task.

    python bench/dask_sweep.py                       # the shipped four-licence sweep
    python bench/dask_sweep.py --base generated      # a generated LP, 150 suppliers x 12
    python bench/dask_sweep.py --members 40 --no-record

Each configuration gets a fresh SQLite database and a fresh `magnets serve` (and, for
Dask, a fresh `dask scheduler` with `--workers`-many `dask worker --nthreads 1`
processes on loopback): the service's own solver processes (1 and 2), then Dask with 1
and 2 workers, each with `MAGNETS_DASK_CHUNK=1` (every member cold, in a task of its
own) and with `--chunk` (runs of neighbouring members, each from the previous member's
basis). A one-scenario job first starts every process and imports the optimizer; the
wall time runs from the sweep's submission to its completion. The hot share is read
from the service's log (`job.item_solved` lines carry how each member started); the
objectives of every configuration are compared with the first one's. The rows go under
"Sweeps on Dask" in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from generator import generate  # noqa: E402
from hot_start import sweep_spec as generated_sweep  # noqa: E402

from tests.service.conftest import (  # noqa: E402 — the tree is importable from here on
    free_port,
    mint_key,
    service_env,
    start_service,
    stop_service,
)
from tests.service.scenarios import c0  # noqa: E402

SECTION = "## Sweeps on Dask"
SHIPPED = ROOT / "instances" / "sweeps" / "four-licences-monte-carlo.yaml"
DASK = shutil.which("dask", path=os.pathsep.join([str(Path(sys.executable).parent),
                                                  os.environ.get("PATH", "")]))  # fmt: skip
CLUSTER_TIMEOUT_S = 60
JOB_TIMEOUT_S = 1800


@dataclass(frozen=True)
class Config:
    executor: str  # "local" or "dask"
    processes: int  # solver processes, or Dask workers of one thread
    chunk: int = 1  # members per Dask task (MAGNETS_DASK_CHUNK)

    @property
    def label(self) -> str:
        if self.executor == "local":
            return f"local, {self.processes} process{'es' if self.processes > 1 else ''}"
        kind = "cold, one member a task" if self.chunk == 1 else f"hot runs of {self.chunk}"
        return f"Dask, {self.processes} worker{'s' if self.processes > 1 else ''}, {kind}"


@dataclass(frozen=True)
class Result:
    config: Config
    wall_s: float
    hot: int
    objectives: list[float | None]


def sweep(base: str, members: int, suppliers: int, periods: int) -> dict[str, Any]:
    """The spec of the sweep job: `members` members, none of them the unshocked base."""
    if base == "generated":
        return generated_sweep(generate(suppliers, periods, seed=1), members, seed=1)
    spec: dict[str, Any] = yaml.safe_load(SHIPPED.read_text())
    spec["base"] = json.loads((SHIPPED.parent / spec["base"]).read_text())
    spec.update(samples=members, include_base=False)
    spec.pop("verify_sample", None)  # the command line's check; a job has none
    return spec


@contextlib.contextmanager
def cluster(workers: int, directory: Path) -> Iterator[str]:
    """A scheduler and `workers` one-thread workers on loopback; the address, once every
    worker has joined and imported the solver."""
    from distributed import Client

    assert DASK is not None, "the dask command is not installed"
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    common = ["--no-dashboard"]
    commands = [["scheduler", "--host", "127.0.0.1", "--port", str(port), *common]]
    commands += [["worker", address, "--nthreads", "1", "--host", "127.0.0.1", *common,
                  "--local-directory", str(directory / f"w{i}")] for i in range(workers)]  # fmt: skip
    processes = []
    try:
        for i, command in enumerate(commands):
            with (directory / f"dask{i}.log").open("wb") as out:
                processes.append(subprocess.Popen([DASK, *command], env=env, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True))  # fmt: skip
        with Client(address, timeout=CLUSTER_TIMEOUT_S, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=CLUSTER_TIMEOUT_S)
            client.run(__import__, "service.workers")
        yield address
    finally:
        for process in reversed(processes):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def run(config: Config, spec: dict[str, Any]) -> Result:
    with tempfile.TemporaryDirectory() as temporary, contextlib.ExitStack() as stack:
        directory = Path(temporary)
        settings: dict[str, Any] = {"workers": config.processes}
        if config.executor == "dask":
            address = stack.enter_context(cluster(config.processes, directory))
            settings.update(dask_scheduler=address, dask_chunk=config.chunk)
        env = service_env(f"sqlite:///{directory / 'bench.db'}", max_time_limit=600, **settings)
        key = mint_key("bench", env)
        log = directory / "server.log"
        process, url = start_service(env, log, "--log-level", "info")
        stack.callback(stop_service, process)
        with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=60) as client:
            warm = [c0(f"warm {i}") for i in range(config.processes)]
            wait(client, client.post("/v1/jobs", json={"scenarios": warm}).json()["id"])
            started = time.perf_counter()
            job_id = client.post("/v1/jobs", json={"sweep": spec}).json()["id"]
            wait(client, job_id)
            wall = time.perf_counter() - started
            items = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
        objectives = [(item["plan"] or {}).get("objective") for item in items]
        return Result(config, wall, hot_starts(log, job_id), objectives)


def wait(client: httpx.Client, job_id: str) -> None:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while client.get(f"/v1/jobs/{job_id}").json()["state"] not in ("completed", "failed"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} not finished in {JOB_TIMEOUT_S} s")
        time.sleep(0.05)


def hot_starts(log: Path, job_id: str) -> int:
    """Members of the job whose solve started from a neighbour's basis."""
    hot = 0
    for line in log.read_text().splitlines():
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("job_id") == job_id and event.get("event") == "job.item_solved":
            hot += event.get("start") == "hot"
    return hot


def largest_difference(results: list[Result]) -> float:
    """The largest relative difference of a member's objective from the first run's."""
    worst = 0.0
    reference = results[0].objectives
    for result in results[1:]:
        for a, b in zip(reference, result.objectives, strict=True):
            if a is None or b is None:
                worst = max(worst, 0.0 if a is b else float("inf"))
            else:
                worst = max(worst, abs(a - b) / max(abs(a), abs(b), 1e-9))
    return worst


HEADER = (
    "| date | machine | base | members | executor | wall s | members/s | vs local 1 "
    "| vs cold, same workers | hot share |\n|---|---|---|---|---|---|---|---|---|---|"
)


def rows(results: list[Result], base: str, machine: str) -> list[str]:
    first = results[0].wall_s
    cold = {r.config.processes: r.wall_s for r in results if r.config.executor == "dask"
            and r.config.chunk == 1}  # fmt: skip
    out = []
    for r in results:
        members = len(r.objectives)
        against_cold = cold.get(r.config.processes) if r.config.executor == "dask" else None
        versus = f"{against_cold / r.wall_s:.2f}×" if against_cold else "–"
        out.append(
            f"| {datetime.now(UTC):%Y-%m-%d} | {machine} | {base} | {members} | {r.config.label} "
            f"| {r.wall_s:.1f} | {members / r.wall_s:.1f} | {first / r.wall_s:.2f}× | {versus} "
            f"| {r.hot} ({r.hot / members:.0%}) |"
        )
    return out


def record(lines: list[str]) -> None:
    """Under the section's table (the section and its table made on the first run)."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    if SECTION not in text:
        table = "\n".join([HEADER, *lines])
        path.write_text(text.rstrip("\n") + f"\n\n{SECTION}\n\n{table}\n")
        return
    head, rest = text.split(SECTION, 1)
    section, heading, after = rest.partition("\n## ")  # sections appended after this one
    body = section.split("\n")
    last = max(k for k, line in enumerate(body) if line.startswith("|"))
    body[last + 1 : last + 1] = lines
    path.write_text(head + SECTION + "\n".join(body) + heading + after)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--base", choices=("four-licences", "generated"), default="four-licences")
    parser.add_argument("--suppliers", type=int, default=150, help="of a generated base")
    parser.add_argument("--periods", type=int, default=12, help="of a generated base")
    parser.add_argument("--chunk", type=int, default=8, help="members per Dask task, hot")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    spec = sweep(args.base, args.members, args.suppliers, args.periods)
    configs = [Config("local", 1), Config("local", 2)]
    configs += [Config("dask", n, chunk) for n in (1, 2) for chunk in (1, args.chunk)]
    results = []
    for config in configs:
        results.append(run(config, spec))
        print(f"{config.label}: {results[-1].wall_s:.1f} s", file=sys.stderr)
    load = os.getloadavg()[0]
    machine = f"{platform.machine()} {os.cpu_count()} cores, load {load:.1f}"
    base = "four-licences" if args.base == "four-licences" else (
        f"generated {args.suppliers}×{args.periods}")  # fmt: skip
    lines = rows(results, base, machine)
    print(HEADER, *lines, sep="\n")
    print(f"largest objective difference from the first row: {largest_difference(results):.1e}")
    if not args.no_record:
        record(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
