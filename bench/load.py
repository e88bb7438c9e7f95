"""Load benchmark of the REST service, on loopback, stopping by itself.

    .venv/bin/python bench/load.py               # 8 clients for 30 s, then a 200-scenario job
    .venv/bin/python bench/load.py --seconds 10 --batch 50 --no-record   # a quick look

Each part starts its own `magnets serve` (a temporary SQLite database, the service's own
solver processes) on 127.0.0.1 and mints an API key with `magnets keys create`:

- **solve**: first one client alone (requests back to back: the service's own overhead,
  latency minus the plan's `timings.total_s`), then `--clients` clients, each on one
  keep-alive connection, POST `/v1/solve` with the shipped baseline scenario
  (instances/india-2025-baseline.json) for `--seconds` (at most `--max-requests` in all).
  Reported: throughput, p50 / p99 / max latency, errors (any answer but 200 with an
  optimal plan, or a broken connection).
- **batch**: one job of `--batch` scenarios (the baseline with its demand scaled by a
  seeded factor in [0.8, 1.2]) on a service with 1 worker, then with 2: wall time from
  submission until the job is completed (after a small job that starts the solver
  processes), and the speed-up.

Results print as JSON; rows are added to the tables of "Service load" in
docs/benchmarks.md unless --no-record.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "instances" / "india-2025-baseline.json"
DOC = ROOT / "docs" / "benchmarks.md"
HOST = "127.0.0.1"  # loopback only
START_TIMEOUT_S = 60
JOB_TIMEOUT_S = 600
SOLO_REQUESTS = 50
WARM_UP_REQUESTS = 10


@dataclass
class Server:
    port: int
    key: str
    pid: int

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time used so far by the server process, and by its solver processes
        (Linux /proc; zeros elsewhere)."""
        solvers = sum(_own_cpu_seconds(pid) for pid in _process_tree(self.pid)[1:])
        return _own_cpu_seconds(self.pid), solvers

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=120)

    def call(
        self, conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None
    ) -> tuple[int, Any]:
        headers = {"X-API-Key": self.key, "Content-Type": "application/json"}
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())


def _process_tree(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        children = [int(c) for t in tasks for c in (t / "children").read_text().split()]
    except OSError:
        return [pid]
    return [pid, *(p for child in children for p in _process_tree(child))]


def _own_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # gone (a replaced solver process) or not Linux
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _magnets(*args: str, env: dict[str, str], log: Path | None = None) -> Any:
    command = [sys.executable, "-m", "optimizer.cli", *args]
    if log is None:
        return subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


@contextmanager
def serving(workers: int, **settings: Any) -> Iterator[Server]:
    """`magnets serve` on a fresh SQLite database, stopped on the way out."""
    with tempfile.TemporaryDirectory(prefix="magnets-load-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAGNETS_")}
        env["PYTHONPATH"] = str(ROOT)
        env["MAGNETS_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'magnets.db'}"
        env["MAGNETS_WORKERS"] = str(workers)
        env.update({f"MAGNETS_{k.upper()}": str(v) for k, v in settings.items()})
        key = _magnets("keys", "create", "--tenant", "load", env=env).stdout.split()[-1]
        port = _free_port()
        serve = ["serve", "--host", HOST, "--port", str(port), "--log-level", "warning"]
        process = _magnets(*serve, env=env, log=Path(tmp) / "server.log")
        try:
            _wait_ready(port, process, Path(tmp) / "server.log")
            yield Server(port, key, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"magnets serve did not become ready: {log.read_text()[-2000:]}")


# --- solve under load -------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw: latency and the plan's own solve time, per request."""

    latencies: list[float] = field(default_factory=list)
    solve_times: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0  # wall time of the whole run
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latency: float, status: int, plan: Any) -> None:
        with self.lock:
            self.latencies.append(latency)
            if status == 200 and plan.get("status") == "optimal":
                self.solve_times.append(plan["timings"]["total_s"])
            else:
                self.errors += 1


def _client(server: Server, body: bytes, tally: Tally, deadline: float, budget: Any) -> None:
    conn = server.connection()
    try:
        while time.monotonic() < deadline and next(budget, None) is not None:
            started = time.perf_counter()
            try:
                status, plan = server.call(conn, "POST", "/v1/solve", body)
            except (OSError, http.client.HTTPException, ValueError):
                status, plan = 0, {}
                conn.close()
                conn = server.connection()
            tally.add(time.perf_counter() - started, status, plan)
    finally:
        conn.close()


def hammer(server: Server, body: bytes, clients: int, seconds: float, requests: int) -> Tally:
    """`clients` threads posting `body` until `seconds` pass or `requests` are sent."""
    tally = Tally()
    budget = iter(range(requests))  # shared: next() on a range iterator is atomic
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_client, args=(server, body, tally, deadline, budget))
        for _ in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed = time.perf_counter() - started
    return tally


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def solve_load(workers: int, clients: int, seconds: float, requests: int) -> dict[str, Any]:
    body = BASELINE.read_bytes()
    with serving(workers) as server:
        hammer(server, body, clients, 60, WARM_UP_REQUESTS)  # solver processes started
        solo = hammer(server, body, 1, seconds, SOLO_REQUESTS)
        cpu_before = server.cpu_seconds()
        load = hammer(server, body, clients, seconds, requests)
        cpu = [
            (b - a) / max(1, len(load.latencies))
            for a, b in zip(cpu_before, server.cpu_seconds(), strict=True)
        ]
    ms = 1000.0
    solo_p50, solo_solve = _quantile(solo.latencies, 0.5), _quantile(solo.solve_times, 0.5)
    return {
        "workers": workers,
        "clients": clients,
        "requests": len(load.latencies),
        "seconds": round(load.elapsed, 1),
        "throughput_rps": round(len(load.latencies) / load.elapsed, 1),
        "p50_ms": round(_quantile(load.latencies, 0.5) * ms, 1),
        "p99_ms": round(_quantile(load.latencies, 0.99) * ms, 1),
        "max_ms": round(max(load.latencies) * ms, 1),
        "errors": load.errors + solo.errors,
        "solve_p50_ms": round(_quantile(load.solve_times, 0.5) * ms, 1),
        "server_cpu_per_request_ms": round(cpu[0] * ms, 1),
        "solver_cpu_per_request_ms": round(cpu[1] * ms, 1),
        "one_client_p50_ms": round(solo_p50 * ms, 1),
        "one_client_solve_p50_ms": round(solo_solve * ms, 1),
        "one_client_overhead_ms": round((solo_p50 - solo_solve) * ms, 1),
    }


# --- a batch job, 1 worker against 2 ------------------------------------------------------


def variations(count: int, seed: int = 2025) -> list[dict[str, Any]]:
    """The baseline with its demand scaled by a seeded factor in [0.8, 1.2]."""
    base = json.loads(BASELINE.read_text())
    rng = random.Random(seed)
    documents = []
    for i in range(count):
        factor = round(rng.uniform(0.8, 1.2), 3)
        document = copy.deepcopy(base)
        document["name"] = f"{base['name']} #{i} demand x{factor}"
        for row in document["demand"]:
            row["quantity"] = round(row["quantity"] * factor, 3)
        documents.append(document)
    return documents


def batch_wall_time(workers: int, documents: list[dict[str, Any]]) -> dict[str, Any]:
    body = json.dumps({"scenarios": documents}).encode()
    warm_up = json.dumps({"scenarios": documents[: 2 * workers]}).encode()
    with serving(workers, max_job_scenarios=max(1000, len(documents))) as server:
        conn = server.connection()
        _, accepted = server.call(conn, "POST", "/v1/jobs", warm_up)  # processes started
        _wait_job(server, conn, accepted["id"])
        cpu_before, started = sum(server.cpu_seconds()), time.perf_counter()
        status, accepted = server.call(conn, "POST", "/v1/jobs", body)
        if status != 202:
            raise RuntimeError(f"job refused: {status} {accepted}")
        job = _wait_job(server, conn, accepted["id"])
        wall, cpu = time.perf_counter() - started, sum(server.cpu_seconds()) - cpu_before
        _, plans = server.call(conn, "GET", f"/v1/jobs/{accepted['id']}/plans")
    solving = sum(item["plan"]["timings"]["total_s"] for item in plans["items"] if item["plan"])
    return {"workers": workers, "scenarios": len(documents), "state": job["state"],
            "solved": job["solved"], "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "solving_s": round(solving, 2)}  # fmt: skip


def _wait_job(server: Server, conn: http.client.HTTPConnection, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        _, job = server.call(conn, "GET", f"/v1/jobs/{job_id}")
        if job["state"] not in ("queued", "running"):
            return dict(job)
        time.sleep(0.1)
    raise RuntimeError(f"job {job_id} not finished after {JOB_TIMEOUT_S} s")


# --- the record -------------------------------------------------------------------------


def machine() -> str:
    return f"{platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"


def record(solve: dict[str, Any] | None, batch: list[dict[str, Any]]) -> None:
    """Add a row under each table of the "Service load" section."""
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    text = DOC.read_text()
    if solve:
        row = (f"| {date} | {machine()} | {solve['workers']} | {solve['clients']} "
               f"| {solve['requests']} | {solve['throughput_rps']} | {solve['p50_ms']} "
               f"| {solve['p99_ms']} | {solve['max_ms']} | {solve['errors']} "
               f"| {solve['solve_p50_ms']} | {solve['server_cpu_per_request_ms']} "
               f"| {solve['solver_cpu_per_request_ms']} | {solve['one_client_p50_ms']} "
               f"| {solve['one_client_overhead_ms']} |")  # fmt: skip
        text = _insert_row(text, "| date | machine | workers | clients |", row)
    if len(batch) == 2:
        one, two = batch
        row = (f"| {date} | {machine()} | {one['scenarios']} | {one['wall_s']} "
               f"| {two['wall_s']} | {one['wall_s'] / two['wall_s']:.2f}× "
               f"| {_per_item_ms(one)} / {_per_item_ms(two)} "
               f"| {one['cpu_s'] / one['wall_s']:.2f} / {two['cpu_s'] / two['wall_s']:.2f} |")  # fmt: skip
        text = _insert_row(text, "| date | machine | scenarios |", row)
    DOC.write_text(text)


def _per_item_ms(batch: dict[str, Any]) -> str:
    return f"{batch['cpu_s'] / batch['scenarios'] * 1000:.0f}"


def _insert_row(text: str, header: str, row: str) -> str:
    """After the last row of the table whose header starts with `header`."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(header)) + 2
    while at < len(lines) and lines[at].startswith("|"):
        at += 1
    return "\n".join([*lines[:at], row, *lines[at:]])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument("--workers", type=int, default=2, help="solver processes for the solve part")
    ap.add_argument("--batch", type=int, default=200, help="scenarios in the job (0: skip)")
    ap.add_argument("--no-solve", action="store_true", help="skip the solve part")
    ap.add_argument("--no-record", action="store_true", help="do not touch docs/benchmarks.md")
    args = ap.parse_args(argv)
    solve = None
    if not args.no_solve:
        solve = solve_load(args.workers, args.clients, args.seconds, args.max_requests)
        print(json.dumps({"solve": solve}))
    batch = []
    if args.batch:
        documents = variations(args.batch)
        batch = [batch_wall_time(workers, documents) for workers in (1, 2)]
        speed_up = batch[0]["wall_s"] / batch[1]["wall_s"]
        print(json.dumps({"batch": batch, "speed_up": round(speed_up, 2)}))
    if not args.no_record:
        record(solve, batch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
