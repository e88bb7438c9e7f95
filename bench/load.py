"""Load benchmark of the REST service, on loopback, stopping by itself.

    .venv/bin/python bench/load.py               # the solve part in both modes, then the batch
    .venv/bin/python bench/load.py --seconds 10 --batch 50 --repeats 1 --no-record  # a quick look

Each run starts its own `magnets serve` (a temporary SQLite database, the service's own
solver processes) on 127.0.0.1 and mints an API key with `magnets keys create`:

- **solve**: first one client alone (requests back to back), then `--clients` clients,
  each on one keep-alive connection, POST `/v1/solve` with the shipped baseline scenario
  (instances/india-2025-baseline.json) for `--seconds` (at most `--max-requests` in all).
  Two modes: `cached`, the same request again and again, answered by the plan cache
  after the first; `solved`, every request with `Cache-Control: no-cache`, so every one
  is solved. Reported: throughput, p50 / p99 / max latency, errors (any answer but 200
  with an optimal plan, or a broken connection), cache hits, CPU per request.
- **batch**: one job of `--batch` scenarios (the baseline with its demand scaled by a
  seeded factor in [0.8, 1.2]) on a service with 1 worker, then with 2, alternated
  `--repeats` times: wall time from submission until the job is completed (after a
  small job that starts the solver processes); medians and their ratio. Beside it, the
  same scenarios solved by bare solver processes (one, then two side by side) give the
  speed-up this machine allows at that moment.

Results print as JSON; rows are added to the tables of "Service load" in
docs/benchmarks.md unless --no-record.
"""

from __future__ import annotations

import argparse
import copy
import http.client
import json
import multiprocessing
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server_process import (  # beside this script
    HOST,
    free_port,
    insert_row,
    machine,
    magnets,
    process_tree,
    quantile,
    wait_ready,
)

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "instances" / "india-2025-baseline.json"
DOC = ROOT / "docs" / "benchmarks.md"
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
        solvers = sum(_own_cpu_seconds(pid) for pid in process_tree(self.pid)[1:])
        return _own_cpu_seconds(self.pid), solvers

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.port, timeout=120)

    def call(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        status, _, value = self.exchange(conn, method, path, body, headers)
        return status, value

    def exchange(
        self,
        conn: http.client.HTTPConnection,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str | None, Any]:
        """Status, the X-Plan-Cache header, and the decoded body."""
        sent = {"X-API-Key": self.key, "Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=body, headers=sent)
        answer = conn.getresponse()
        return answer.status, answer.getheader("X-Plan-Cache"), json.loads(answer.read())


def _own_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # gone (a replaced solver process) or not Linux
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@contextmanager
def serving(workers: int, **settings: Any) -> Iterator[Server]:
    """`magnets serve` on a fresh SQLite database, stopped on the way out."""
    with tempfile.TemporaryDirectory(prefix="magnets-load-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAGNETS_")}
        env["PYTHONPATH"] = str(ROOT)
        env["MAGNETS_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'magnets.db'}"
        env["MAGNETS_WORKERS"] = str(workers)
        env.update({f"MAGNETS_{k.upper()}": str(v) for k, v in settings.items()})
        key = magnets("keys", "create", "--tenant", "load", env=env).stdout.split()[-1]
        port = free_port()
        serve = ["serve", "--host", HOST, "--port", str(port), "--log-level", "warning"]
        process = magnets(*serve, env=env, log=Path(tmp) / "server.log")
        try:
            wait_ready(port, process, Path(tmp) / "server.log")
            yield Server(port, key, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)


# --- solve under load -------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw: latency and the plan's own solve time, per request."""

    latencies: list[float] = field(default_factory=list)
    solve_times: list[float] = field(default_factory=list)
    errors: int = 0
    cache_hits: int = 0
    elapsed: float = 0.0  # wall time of the whole run
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latency: float, status: int, cache: str | None, plan: Any) -> None:
        with self.lock:
            self.latencies.append(latency)
            self.cache_hits += cache == "hit"
            if status == 200 and plan.get("status") == "optimal":
                self.solve_times.append(plan["timings"]["total_s"])
            else:
                self.errors += 1


def _client(
    server: Server, body: bytes, headers: dict[str, str], tally: Tally, deadline: float,
    budget: Any,
) -> None:  # fmt: skip
    conn = server.connection()
    try:
        while time.monotonic() < deadline and next(budget, None) is not None:
            started = time.perf_counter()
            try:
                status, cache, plan = server.exchange(conn, "POST", "/v1/solve", body, headers)
            except (OSError, http.client.HTTPException, ValueError):
                status, cache, plan = 0, None, {}
                conn.close()
                conn = server.connection()
            tally.add(time.perf_counter() - started, status, cache, plan)
    finally:
        conn.close()


def hammer(
    server: Server, body: bytes, clients: int, seconds: float, requests: int, cached: bool
) -> Tally:
    """`clients` threads posting `body` until `seconds` pass or `requests` are sent;
    unless `cached`, each request asks for a fresh solve (Cache-Control: no-cache)."""
    tally = Tally()
    headers = {} if cached else {"Cache-Control": "no-cache"}
    budget = iter(range(requests))  # shared: next() on a range iterator is atomic
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_client, args=(server, body, headers, tally, deadline, budget))
        for _ in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally.elapsed = time.perf_counter() - started
    return tally


def solve_load(
    workers: int, clients: int, seconds: float, requests: int, cached: bool
) -> dict[str, Any]:
    """One mode of the solve part: `cached` sends the same baseline again and again, as
    a dashboard would, and the service's plan cache answers all but the first; otherwise
    every request is solved (Cache-Control: no-cache)."""
    body = BASELINE.read_bytes()
    with serving(workers) as server:
        hammer(server, body, clients, 60, WARM_UP_REQUESTS, cached)  # processes started
        solo = hammer(server, body, 1, seconds, SOLO_REQUESTS, cached)
        cpu_before = server.cpu_seconds()
        load = hammer(server, body, clients, seconds, requests, cached)
        cpu = [
            (b - a) / max(1, len(load.latencies))
            for a, b in zip(cpu_before, server.cpu_seconds(), strict=True)
        ]
    ms = 1000.0
    solo_p50, solo_solve = quantile(solo.latencies, 0.5), quantile(solo.solve_times, 0.5)
    return {
        "mode": "cached" if cached else "solved",
        "workers": workers,
        "clients": clients,
        "requests": len(load.latencies),
        "cache_hits": load.cache_hits,
        "seconds": round(load.elapsed, 1),
        "throughput_rps": round(len(load.latencies) / load.elapsed, 1),
        "p50_ms": round(quantile(load.latencies, 0.5) * ms, 1),
        "p99_ms": round(quantile(load.latencies, 0.99) * ms, 1),
        "max_ms": round(max(load.latencies) * ms, 1),
        "errors": load.errors + solo.errors,
        "solve_p50_ms": round(quantile(load.solve_times, 0.5) * ms, 1),
        "server_cpu_per_request_ms": round(cpu[0] * ms, 2),
        "solver_cpu_per_request_ms": round(cpu[1] * ms, 2),
        "one_client_p50_ms": round(solo_p50 * ms, 1),
        # what the service adds to a solve; a cached answer has no solve of its own
        "one_client_overhead_ms": None if cached else round((solo_p50 - solo_solve) * ms, 1),
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
        cpu_before, started = server.cpu_seconds(), time.perf_counter()
        status, accepted = server.call(conn, "POST", "/v1/jobs", body)
        submitted = time.perf_counter()
        if status != 202:
            raise RuntimeError(f"job refused: {status} {accepted}")
        job = _wait_job(server, conn, accepted["id"])
        wall, cpu_after = time.perf_counter() - started, server.cpu_seconds()
        server_cpu, solver_cpu = (
            after - before for after, before in zip(cpu_after, cpu_before, strict=True)
        )
        _, plans = server.call(conn, "GET", f"/v1/jobs/{accepted['id']}/plans")
    solving = sum(item["plan"]["timings"]["total_s"] for item in plans["items"] if item["plan"])
    return {"workers": workers, "scenarios": len(documents), "state": job["state"],
            "solved": job["solved"], "wall_s": round(wall, 2),
            "submit_s": round(submitted - started, 2),
            "cpu_s": round(server_cpu + solver_cpu, 2), "server_cpu_s": round(server_cpu, 2),
            "solver_cpu_s": round(solver_cpu, 2), "solving_s": round(solving, 2)}  # fmt: skip


def batch_comparison(documents: list[dict[str, Any]], repeats: int) -> dict[str, Any]:
    """1 worker against 2, alternated `repeats` times (the machine's speed drifts between
    runs); medians of each, and the speed-up of the medians."""
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for _ in range(repeats):
        for workers in (1, 2):
            runs[workers].append(batch_wall_time(workers, documents))
            print(json.dumps({"batch_run": runs[workers][-1]}), flush=True)
    one, two = (_median_run(runs[w]) for w in (1, 2))
    return {"repeats": repeats, "one": one, "two": two,
            "speed_up": round(one["wall_s"] / two["wall_s"], 2),
            "speed_up_after_submission": round(
                (one["wall_s"] - one["submit_s"]) / (two["wall_s"] - two["submit_s"]), 2)}  # fmt: skip


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: statistics.median(r[key] for r in runs)
            for key in ("wall_s", "submit_s", "server_cpu_s", "solver_cpu_s", "solving_s")}  # fmt: skip


def bare_solver_speed_up(documents: list[dict[str, Any]], repeats: int) -> float:
    """What this machine gives two processes at once, without the service: the documents
    solved by one process, then split between two running side by side (the median of
    `repeats` alternations). HiGHS runs single-threaded here either way."""
    ratios = []
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        pool.map(_solve_all, [documents[:2], documents[:2]])  # both started and warm
        for _ in range(repeats):
            started = time.perf_counter()
            pool.apply(_solve_all, (documents,))
            one = time.perf_counter() - started
            started = time.perf_counter()
            pool.map(_solve_all, [documents[0::2], documents[1::2]])
            ratios.append(one / (time.perf_counter() - started))
    return round(statistics.median(ratios), 2)


def _solve_all(documents: list[dict[str, Any]]) -> int:
    from service.solving import SolveOptions, run_solve

    return sum(run_solve(d, SolveOptions())["status"] == "optimal" for d in documents)


def _wait_job(server: Server, conn: http.client.HTTPConnection, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        _, job = server.call(conn, "GET", f"/v1/jobs/{job_id}")
        if job["state"] not in ("queued", "running"):
            return dict(job)
        time.sleep(0.1)
    raise RuntimeError(f"job {job_id} not finished after {JOB_TIMEOUT_S} s")


# --- the record -------------------------------------------------------------------------


def record(solves: list[dict[str, Any]], batch: dict[str, Any] | None) -> None:
    """Add a row under each table of the "Service load" section."""
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    text = DOC.read_text()
    for solve in solves:
        overhead = solve["one_client_overhead_ms"]
        row = (f"| {date} | {machine()} | {solve['mode']} | {solve['workers']} "
               f"| {solve['clients']} | {solve['requests']} | {solve['cache_hits']} "
               f"| {solve['throughput_rps']} | {solve['p50_ms']} | {solve['p99_ms']} "
               f"| {solve['max_ms']} | {solve['errors']} | {solve['solve_p50_ms']} "
               f"| {solve['server_cpu_per_request_ms']} | {solve['solver_cpu_per_request_ms']} "
               f"| {solve['one_client_p50_ms']} | {'–' if overhead is None else overhead} |")  # fmt: skip
        text = insert_row(text, "| date | machine | mode |", row)
    if batch:
        one, two = batch["one"], batch["two"]
        n = batch["scenarios"]
        row = (f"| {date} | {machine()} | {n} | {batch['repeats']} | {one['wall_s']} "
               f"| {two['wall_s']} | {batch['speed_up']:.2f}× "
               f"| {batch['speed_up_after_submission']:.2f}× "
               f"| {batch['bare_speed_up']:.2f}× | {one['submit_s']} "
               f"| {_per_item_ms(one['server_cpu_s'], n)} / {_per_item_ms(two['server_cpu_s'], n)} "
               f"| {_per_item_ms(one['solver_cpu_s'], n)} / {_per_item_ms(two['solver_cpu_s'], n)} |")  # fmt: skip
        text = insert_row(text, "| date | machine | scenarios | repeats |", row)
    DOC.write_text(text)


def _per_item_ms(seconds: float, items: int) -> str:
    return f"{seconds / items * 1000:.1f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--max-requests", type=int, default=50_000)
    ap.add_argument("--workers", type=int, default=2, help="solver processes for the solve part")
    ap.add_argument(
        "--mode", choices=("both", "cached", "solved"), default="both",
        help="solve part: identical requests answered by the plan cache, every request "
        "solved (Cache-Control: no-cache), or both",
    )  # fmt: skip
    ap.add_argument("--batch", type=int, default=200, help="scenarios in the job (0: skip)")
    ap.add_argument("--repeats", type=int, default=3, help="alternations of 1 and 2 workers")
    ap.add_argument("--no-solve", action="store_true", help="skip the solve part")
    ap.add_argument("--no-record", action="store_true", help="do not touch docs/benchmarks.md")
    args = ap.parse_args(argv)
    solves = []
    if not args.no_solve:
        for cached in {"both": (True, False), "cached": (True,), "solved": (False,)}[args.mode]:
            solve = solve_load(args.workers, args.clients, args.seconds, args.max_requests, cached)
            print(json.dumps({"solve": solve}), flush=True)
            solves.append(solve)
    batch = None
    if args.batch:
        documents = variations(args.batch)
        batch = {"scenarios": args.batch, **batch_comparison(documents, args.repeats)}
        batch["bare_speed_up"] = bare_solver_speed_up(documents, args.repeats)
        print(json.dumps({"batch": batch}))
    if not args.no_record:
        record(solves, batch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
