"""Soak test of the REST service: two tenants, a mixed load, memory watched throughout.

    .venv/bin/python bench/soak.py                   # 10 minutes; adds rows to docs/benchmarks.md
    .venv/bin/python bench/soak.py --minutes 1 --no-record     # a quick look
    .venv/bin/python bench/soak.py --database-url postgresql+psycopg://USER:PASS@HOST/DB

It starts `magnets serve` on 127.0.0.1 (a fresh SQLite database in a temporary folder,
or the given PostgreSQL database), mints a key for each of two tenants with `magnets keys
create`, and for `--minutes` runs, for each tenant at once:

- `--solve-clients` solve clients, each on one keep-alive connection, POSTing
  `/v1/solve` back to back: an identical request from a small hot set (the shipped
  instances, answered by the plan cache after the first: `solve_hot`), the same with
  `Cache-Control: no-cache` (`solve_fresh`: solved again), or a scenario never sent
  before (the baseline with its demand scaled by a seeded factor: `solve_distinct`), so
  that the cache fills up and evicts;
- a scenario client: POST `/v1/scenarios`, GET it, list, DELETE it, GET it again (404);
- a job client: a job of 3 distinct scenarios, polled until it ends, then its plans,
  its summary as JSON and as CSV; every 4th job is sent twice with one Idempotency-Key
  (the second answer is the replay), every 5th names a stored scenario by id;
- a misc client: `/healthz`, and requests the service must refuse: 422 (a scenario
  missing a field, a time limit over the maximum, a demand row naming no product, an
  empty job), 404 (an unknown scenario), 401 (a wrong key).

Every `--sample-s` seconds it reads the resident memory (VmRSS) of the server process
and of each process under it (the solver processes), its thread and descriptor counts.

Reported per kind of request: count, throughput, p50 / p99 / max latency, errors (any
5xx, any status the request should not get, a plan of the wrong status, a broken
connection) and back-pressure (429 or 503 with Retry-After, counted apart and waited
out). Memory: at start (before any request), its steady state at the end of the first
minute (a third of the run if shorter; the median of the samples of its last 15 s), the
peak, and the end (median of the last 15 s); growth is end minus steady. The plan cache
is set small (`--plan-cache-mb`, 16 by default) so that eviction happens within minutes;
the client keeps a replica of the cache's LRU (the same keys and answer sizes) to say how
full it is and how many entries it evicted. The server's log is read at the end: its
error lines (a traceback, level error) and its warnings are reported.

The run fails (exit status 1) on any error, any error line in the log, when the server
grew by more than the plan cache's bound plus `--allowance-mb`, or when the solver
processes together grew by more than `--allowance-mb`. Memory is judged on runs of 3
minutes or more: in a shorter one "steady" comes when the solver processes may still be
starting. Seeded (`--seed`): the same sequence of requests per client from run to run
(their interleaving depends on timing).

Results print as JSON; rows are added to the tables of "Soak" in docs/benchmarks.md
unless --no-record.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import http.client
import json
import os
import random
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
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

INSTANCES = ROOT / "instances"
BASELINE = INSTANCES / "india-2025-baseline.json"
DOC = ROOT / "docs" / "benchmarks.md"
JOB_TIMEOUT_S = 300
REPEATABLE = ("optimal", "infeasible", "unbounded")  # what the plan cache keeps
STEADY_WINDOW_S = 15.0
MEMORY_JUDGED_FROM_S = 180.0  # shorter: the solver processes may still be starting at "steady"
ERROR_MARKS = ("Traceback", '"level": "error"', '"level": "critical"', "ERROR", "Exception")
MiB = 1024 * 1024
KINDS = (
    "solve_hot", "solve_fresh", "solve_distinct", "scenario_create", "scenario_get",
    "scenario_list", "scenario_delete", "job_submit", "job_replay", "job_poll", "job",
    "job_plans", "job_summary", "job_summary_csv", "rejected", "healthz",
)  # fmt: skip


# --- the server -------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    keys: dict[str, str]  # tenant -> key
    pid: int
    log: Path
    database: Path | None  # the SQLite file, if SQLite


@contextmanager
def serving(
    workers: int, plan_cache_mb: int, database_url: str | None, keep_log: Path | None
) -> Iterator[Server]:
    """`magnets serve` with two tenants' keys, stopped (and its log kept if asked) on the
    way out."""
    with tempfile.TemporaryDirectory(prefix="magnets-soak-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAGNETS_")}
        env["PYTHONPATH"] = str(ROOT)
        database = None if database_url else Path(tmp) / "magnets.db"
        env["MAGNETS_DATABASE_URL"] = database_url or f"sqlite:///{database}"
        env["MAGNETS_WORKERS"] = str(workers)
        env["MAGNETS_PLAN_CACHE_MB"] = str(plan_cache_mb)
        # a shared PostgreSQL database keeps earlier runs' tenants: new names each run
        suffix = "" if database is not None else "-" + uuid.uuid4().hex[:8]
        keys = {}
        for tenant in ("soak-a", "soak-b"):
            created = magnets("keys", "create", "--tenant", tenant + suffix, env=env)
            keys[tenant] = created.stdout.split()[-1]
        port = free_port()
        log = Path(tmp) / "server.log"
        serve = ["serve", "--host", HOST, "--port", str(port), "--log-level", "warning"]
        process = magnets(*serve, env=env, log=log)
        try:
            wait_ready(port, process, log)
            yield Server(port, keys, process.pid, log, database)
        finally:
            process.terminate()
            process.wait(timeout=30)
            if keep_log is not None:
                shutil.copyfile(log, keep_log)


# --- memory -------------------------------------------------------------------------------


def _status(pid: int) -> dict[str, int]:
    """VmRSS (KiB) and Threads of a process from /proc (empty if it is gone)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    wanted = {}
    for line in lines:
        name, _, value = line.partition(":")
        if name in ("VmRSS", "Threads"):
            wanted[name] = int(value.split()[0])
    return wanted


def _descriptors(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


@dataclass
class Sample:
    t: float  # seconds since the load started (negative: before)
    server_kib: int
    solvers_kib: int
    solvers: int
    threads: int
    descriptors: int


class Sampler(threading.Thread):
    """Reads the server's process tree every `every` seconds until stopped."""

    def __init__(self, pid: int, every: float, origin: float):
        super().__init__(daemon=True)
        self.pid, self.every, self.origin = pid, every, origin
        self.samples: list[Sample] = []
        self.stopped = threading.Event()

    def take(self) -> Sample:
        tree = process_tree(self.pid)
        own = _status(self.pid)
        solvers = [_status(p).get("VmRSS", 0) for p in tree[1:]]
        sample = Sample(
            round(time.monotonic() - self.origin, 1), own.get("VmRSS", 0), sum(solvers),
            len(solvers), own.get("Threads", 0), _descriptors(self.pid),
        )  # fmt: skip
        self.samples.append(sample)
        return sample

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            self.take()


# --- what the clients saw -----------------------------------------------------------------


@dataclass
class Kind:
    latencies: list[float] = field(default_factory=list)
    slowest: tuple[float, float] = (0.0, 0.0)  # latency, and when it ended (since the start)
    errors: int = 0
    back_pressure: int = 0


class PlanCacheReplica:
    """The server's LRU replayed with the same keys and answer sizes, to tell how full the
    cache is and how much it evicted. Requests run concurrently, so the order of
    arrival (and so which entry leaves first) is close, not exact."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.entries: OrderedDict[tuple[str, str], int] = OrderedDict()
        self.bytes = self.evicted = self.peak = 0
        self.lock = threading.Lock()

    def seen(self, key: tuple[str, str], cache: str | None, size: int, status: Any) -> None:
        with self.lock:
            if cache == "hit":
                if key in self.entries:
                    self.entries.move_to_end(key)
                return
            if cache not in ("miss", "bypass"):
                return
            self.bytes -= self.entries.pop(key, 0)
            if status not in REPEATABLE or size > self.max_bytes:
                return
            self.entries[key] = size
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, oldest = self.entries.popitem(last=False)
                self.bytes -= oldest
                self.evicted += 1
            self.peak = max(self.peak, self.bytes)


class Tally:
    def __init__(self, cache_bytes: int):
        self.kinds = {kind: Kind() for kind in KINDS}
        self.cache_headers: dict[str, dict[str, int]] = {}
        self.replica = PlanCacheReplica(cache_bytes)
        self.failures: list[str] = []  # the first few errors, described
        self.origin = time.monotonic()
        self.lock = threading.Lock()

    def add(self, kind: str, latency: float, error: str | None, back_pressure: bool) -> None:
        with self.lock:
            entry = self.kinds[kind]
            if back_pressure:
                entry.back_pressure += 1
                return
            entry.latencies.append(latency)
            if latency > entry.slowest[0]:
                entry.slowest = (latency, time.monotonic() - self.origin)
            if error is not None:
                entry.errors += 1
                if len(self.failures) < 20:
                    self.failures.append(f"{datetime.now(UTC):%H:%M:%S} {kind}: {error}")

    def header(self, kind: str, cache: str | None) -> None:
        with self.lock:
            counts = self.cache_headers.setdefault(kind, {})
            counts[str(cache)] = counts.get(str(cache), 0) + 1


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class BackPressure(Exception):
    def __init__(self, wait: float):
        self.wait = wait


class Unexpected(Exception):
    pass


class Client:
    """One keep-alive connection as one tenant; every exchange is timed and checked."""

    def __init__(self, server: Server, tenant: str, tally: Tally, deadline: float):
        self.server, self.tenant, self.tally, self.deadline = server, tenant, tally, deadline
        self.key = server.keys[tenant]
        self.conn = self._connect()

    def _connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, self.server.port, timeout=120)

    def running(self) -> bool:
        return time.monotonic() < self.deadline

    def close(self) -> None:
        self.conn.close()

    def call(
        self, kind: str, method: str, path: str, expect: int | tuple[int, ...],
        body: Any = None, headers: dict[str, str] | None = None,
        check: Callable[[Answer], str | None] | None = None,
    ) -> Answer | None:  # fmt: skip
        """The answer if it is the one expected (and passes `check`), else None: an error
        or back-pressure was counted (and back-pressure waited out)."""
        expected = (expect,) if isinstance(expect, int) else expect
        sent = {"X-API-Key": self.key, **(headers or {})}
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
        if body is not None:
            sent.setdefault("Content-Type", "application/json")
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=sent)
            raw = self.conn.getresponse()
            answer = Answer(raw.status, {k.lower(): v for k, v in raw.getheaders()}, raw.read())
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = self._connect()
            self.tally.add(kind, time.perf_counter() - started, f"{method} {path}: {exc!r}", False)
            return None
        latency = time.perf_counter() - started
        retry_after = answer.headers.get("retry-after")
        if (
            answer.status in (429, 503)
            and retry_after is not None
            and answer.status not in expected
        ):
            self.tally.add(kind, latency, None, True)
            time.sleep(min(float(retry_after), max(0.0, self.deadline - time.monotonic())))
            return None
        error = None
        if answer.status not in expected:
            error = f"{method} {path} answered {answer.status}: {answer.body[:300]!r}"
        elif check is not None:
            try:
                error = check(answer)
            except (ValueError, KeyError, TypeError) as exc:
                error = f"{method} {path}: unreadable answer ({exc!r})"
        self.tally.add(kind, latency, error, False)
        return answer if error is None else None


def _plan_status(expected: str) -> Callable[[Answer], str | None]:
    def check(answer: Answer) -> str | None:
        status = answer.json().get("status")
        return None if status == expected else f"plan status {status}, expected {expected}"

    return check


def _stored_as(document: dict[str, Any]) -> Callable[[Answer], str | None]:
    def check(answer: Answer) -> str | None:
        return None if answer.json()["scenario"] == document else "document changed"

    return check


def _replay_of(job_id: str) -> Callable[[Answer], str | None]:
    def check(answer: Answer) -> str | None:
        replayed = answer.headers.get("idempotent-replayed") == "true"
        if answer.json()["id"] == job_id and replayed:
            return None
        return f"not a replay of {job_id}: {answer.body[:200]!r}"

    return check


@dataclass
class Documents:
    """Seeded scenario documents: the hot set (the shipped instances with their expected
    plan status) and fresh variations of the baseline."""

    hot: list[tuple[str, bytes, str]]  # (name, body, expected status)
    base: dict[str, Any]

    @classmethod
    def load(cls) -> Documents:
        hot = []
        for meta in sorted(INSTANCES.glob("india-2025-*.meta.json")):
            scenario = meta.with_name(meta.name.replace(".meta.json", ".json"))
            if scenario.exists():
                expected = json.loads(meta.read_text())["expected"]["status"]
                hot.append((scenario.stem, scenario.read_bytes(), expected))
        return cls(hot, json.loads(BASELINE.read_text()))

    def variation(self, rng: random.Random, label: str) -> dict[str, Any]:
        factor = round(rng.uniform(0.8, 1.2), 4)
        document = copy.deepcopy(self.base)
        document["name"] = f"{self.base['name']} {label} demand x{factor}"
        for row in document["demand"]:
            row["quantity"] = round(row["quantity"] * factor, 3)
        return document


# --- the clients --------------------------------------------------------------------------


def solve_client(client: Client, docs: Documents, rng: random.Random, label: str) -> None:
    """Hot requests (cache hits), forced re-solves, and never-seen scenarios."""
    replica, tally = client.tally.replica, client.tally
    n = 0
    while client.running():
        draw = rng.random()
        headers = {}
        if draw < 0.65:
            name, body, expected = rng.choice(docs.hot)
            kind = "solve_hot" if draw < 0.5 else "solve_fresh"
            if kind == "solve_fresh":
                headers["Cache-Control"] = "no-cache"
        else:
            n += 1
            kind, expected = "solve_distinct", "optimal"
            body = json.dumps(docs.variation(rng, f"{label}#{n}")).encode()
        answer = client.call(kind, "POST", "/v1/solve", 200, body, headers, _plan_status(expected))
        if answer is not None:
            cache = answer.headers.get("x-plan-cache")
            tally.header(kind, cache)
            key = (client.tenant, hashlib.sha256(body).hexdigest())
            replica.seen(key, cache, len(answer.body), answer.json().get("status"))


def scenario_client(client: Client, docs: Documents, rng: random.Random, label: str) -> None:
    """Store, read, list, delete, and read again (404)."""
    n = 0
    while client.running():
        n += 1
        document = docs.variation(rng, f"{label}#{n}")
        created = client.call("scenario_create", "POST", "/v1/scenarios", 201, document)
        if created is None:
            continue
        sid = created.json()["id"]
        client.call(
            "scenario_get", "GET", f"/v1/scenarios/{sid}", 200,
            check=_stored_as(document),
        )  # fmt: skip
        client.call("scenario_list", "GET", "/v1/scenarios?limit=20", 200)
        client.call("scenario_delete", "DELETE", f"/v1/scenarios/{sid}", 204)
        client.call("scenario_get", "GET", f"/v1/scenarios/{sid}", 404)
        time.sleep(0.1)


def job_client(client: Client, docs: Documents, rng: random.Random, label: str) -> None:
    """Jobs of three scenarios, followed to their end and read back."""
    n = 0
    while client.running():
        n += 1
        stored = None
        if n % 5 == 0:  # by id: a stored scenario, deleted once the job has its copy
            made = client.call(
                "scenario_create", "POST", "/v1/scenarios", 201,
                docs.variation(rng, f"{label}-job#{n}"),
            )  # fmt: skip
            if made is None:
                continue
            stored = made.json()["id"]
            body: dict[str, Any] = {"scenario_ids": [stored] * 3}
        else:
            body = {"scenarios": [docs.variation(rng, f"{label}-job#{n}.{i}") for i in range(3)]}
        encoded = json.dumps(body).encode()
        headers = {"Idempotency-Key": f"{label}-{n}"} if n % 4 == 0 else {}
        started = time.perf_counter()
        accepted = client.call("job_submit", "POST", "/v1/jobs", 202, encoded, headers)
        if stored is not None:
            client.call("scenario_delete", "DELETE", f"/v1/scenarios/{stored}", 204)
        if accepted is None:
            continue
        job_id = accepted.json()["id"]
        if headers:
            client.call(
                "job_replay", "POST", "/v1/jobs", 202, encoded, headers,
                check=_replay_of(job_id),
            )  # fmt: skip
        job = _follow(client, job_id)
        if job is None:
            continue
        ok = job["state"] == "completed" and job["solved"] == 3
        client.tally.add(
            "job", time.perf_counter() - started,
            None if ok else f"job {job_id} ended {job['state']}, solved {job['solved']}", False,
        )  # fmt: skip
        client.call(
            "job_plans", "GET", f"/v1/jobs/{job_id}/plans", 200,
            check=lambda a: None
            if [i["plan"]["status"] for i in a.json()["items"]] == ["optimal"] * 3
            else f"plans {a.body[:200]!r}",
        )  # fmt: skip
        client.call(
            "job_summary", "GET", f"/v1/jobs/{job_id}/summary", 200,
            check=lambda a: None if len(a.json()["items"]) == 3 else "summary rows",
        )  # fmt: skip
        client.call(
            "job_summary_csv", "GET", f"/v1/jobs/{job_id}/summary", 200,
            headers={"Accept": "text/csv"},
            check=lambda a: None if a.body.count(b"\n") >= 4 else "csv rows",
        )  # fmt: skip


def _follow(client: Client, job_id: str) -> dict[str, Any] | None:
    """Polls a job until it ends (its last state), or None on an error; it may run past
    the deadline, so that every job submitted is followed to its end."""
    give_up = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < give_up:
        answer = client.call("job_poll", "GET", f"/v1/jobs/{job_id}", 200)
        if answer is None:
            return None
        job: dict[str, Any] = answer.json()
        if job["state"] not in ("queued", "running"):
            return job
        time.sleep(0.2)
    client.tally.add("job", JOB_TIMEOUT_S, f"job {job_id} not done in {JOB_TIMEOUT_S} s", False)
    return None


def misc_client(client: Client, docs: Documents, rng: random.Random, label: str) -> None:
    """/healthz, and requests the service must refuse."""
    missing = copy.deepcopy(docs.base)
    del missing["periods"]
    unknown = copy.deepcopy(docs.base)
    unknown["demand"][0]["product"] = "no_such_product"
    refusals: list[tuple[str, str, Any, int, dict[str, str]]] = [
        ("POST", "/v1/solve", missing, 422, {}),
        ("POST", "/v1/solve?time_limit=1000000", docs.base, 422, {}),
        ("POST", "/v1/scenarios", unknown, 422, {}),
        ("POST", "/v1/jobs", {"scenarios": []}, 422, {}),
        ("GET", f"/v1/scenarios/{uuid.UUID(int=rng.getrandbits(128))}", None, 404, {}),
        ("GET", "/v1/jobs", None, 401, {"X-API-Key": "mgk_" + "x" * 43}),
    ]
    while client.running():
        client.call("healthz", "GET", "/healthz", 200)
        method, path, body, status, headers = rng.choice(refusals)
        client.call("rejected", method, path, status, body, headers)
        time.sleep(0.25)


CLIENTS = {"scenarios": scenario_client, "jobs": job_client, "misc": misc_client}


def drive(server: Server, seconds: float, solve_clients: int, seed: int, tally: Tally) -> float:
    """Every client of both tenants until `seconds` pass (jobs in flight are followed to
    their end); the wall time."""
    docs = Documents.load()
    deadline = time.monotonic() + seconds
    threads = []
    for tenant in server.keys:
        roles: list[tuple[str, Callable[..., None]]] = [
            (f"solve{i}", solve_client) for i in range(solve_clients)
        ]
        roles += list(CLIENTS.items())
        for role, work in roles:
            label = f"{tenant}/{role}"
            rng = random.Random(f"{seed}/{label}")
            threads.append(
                threading.Thread(
                    target=_run_client,
                    args=(server, tenant, tally, deadline, work, docs, rng, label),
                    name=label,
                )  # fmt: skip
            )
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _run_client(
    server: Server, tenant: str, tally: Tally, deadline: float, work: Callable[..., None],
    docs: Documents, rng: random.Random, label: str,
) -> None:  # fmt: skip
    client = Client(server, tenant, tally, deadline)
    try:
        work(client, docs, rng, label)
    except Exception as exc:  # a client's own failure must not pass for a quiet run
        tally.add("healthz", 0.0, f"{label} stopped: {exc!r}", False)
    finally:
        client.close()


# --- the report ---------------------------------------------------------------------------


def _median_mib(samples: list[Sample], attribute: str) -> float:
    return round(statistics.median(getattr(s, attribute) for s in samples) / 1024, 1)


def memory_report(samples: list[Sample], seconds: float) -> dict[str, Any]:
    """Start, steady (end of the first minute), peak and end, server and solvers."""
    first_minute = min(60.0, seconds / 3)
    steady = [s for s in samples if first_minute - STEADY_WINDOW_S <= s.t <= first_minute]
    end = [s for s in samples if seconds - STEADY_WINDOW_S <= s.t <= seconds]
    during = [s for s in samples if s.t >= 0]
    report: dict[str, Any] = {"steady_at_s": first_minute, "samples": len(samples)}
    for part in ("server", "solvers"):
        attribute = f"{part}_kib"
        report[part] = {
            "start_mib": round(getattr(samples[0], attribute) / 1024, 1),
            "steady_mib": _median_mib(steady, attribute),
            "peak_mib": round(max(getattr(s, attribute) for s in during) / 1024, 1),
            "end_mib": _median_mib(end, attribute),
        }
        report[part]["growth_mib"] = round(report[part]["end_mib"] - report[part]["steady_mib"], 1)
    report["solver_processes"] = sorted({s.solvers for s in during})
    for name in ("threads", "descriptors"):
        report[name] = {
            "start": getattr(samples[0], name),
            "steady": statistics.median(getattr(s, name) for s in steady),
            "max": max(getattr(s, name) for s in during),
            "end": statistics.median(getattr(s, name) for s in end),
        }
    return report


def kinds_report(tally: Tally, seconds: float) -> dict[str, dict[str, Any]]:
    ms = 1000.0
    rows = {}
    for name, kind in tally.kinds.items():
        if not kind.latencies and not kind.back_pressure:
            continue
        rows[name] = {
            "requests": len(kind.latencies),
            "per_s": round(len(kind.latencies) / seconds, 2),
            "p50_ms": round(quantile(kind.latencies, 0.5) * ms, 1),
            "p99_ms": round(quantile(kind.latencies, 0.99) * ms, 1),
            "max_ms": round(kind.slowest[0] * ms, 1),
            "max_at_s": round(kind.slowest[1], 1),
            "errors": kind.errors,
            "back_pressure": kind.back_pressure,
        }
    return rows


def server_log_lines(log: Path, marks: tuple[str, ...]) -> list[str]:
    """Lines of the server's log holding any of `marks` (but the not-yet-ready answers
    to /readyz while it starts)."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return []
    return [
        line[:400]
        for line in lines
        if any(mark in line for mark in marks) and "GET /readyz 503" not in line
    ]


def _database_size(database: Path | None) -> float | None:
    if database is None:
        return None
    files = [database, *database.parent.glob(database.name + "-*")]
    return round(sum(f.stat().st_size for f in files if f.exists()) / MiB, 1)


def soak(args: argparse.Namespace) -> dict[str, Any]:
    seconds = args.minutes * 60
    tally = Tally(args.plan_cache_mb * MiB)
    with serving(args.workers, args.plan_cache_mb, args.database_url, args.keep_log) as server:
        load_before = os.getloadavg()[0]
        origin = time.monotonic()
        sampler = Sampler(server.pid, args.sample_s, origin)
        sampler.take()  # at start: before any request
        sampler.start()
        tally.origin = origin
        wall = drive(server, seconds, args.solve_clients, args.seed, tally)
        sampler.stopped.set()
        sampler.join()
        sampler.take()
        database_mib = _database_size(server.database)
        log_problems = server_log_lines(server.log, ERROR_MARKS)
        log_warnings = server_log_lines(server.log, ('"level": "warning"',))
    load_after = os.getloadavg()[0]
    memory = memory_report(sampler.samples, seconds)
    replica = tally.replica
    bound = args.plan_cache_mb
    limits = {"server_mib": bound + args.allowance_mb, "solvers_mib": args.allowance_mb}
    errors = sum(k.errors for k in tally.kinds.values())
    verdict = []
    if errors:
        verdict.append(f"{errors} errors")
    if log_problems:
        verdict.append(f"{len(log_problems)} error lines in the server's log")
    judged = seconds >= MEMORY_JUDGED_FROM_S
    if judged and memory["server"]["growth_mib"] > limits["server_mib"]:
        verdict.append(f"server grew {memory['server']['growth_mib']} MiB")
    if judged and memory["solvers"]["growth_mib"] > limits["solvers_mib"]:
        verdict.append(f"solver processes grew {memory['solvers']['growth_mib']} MiB")
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": machine(),
        "load": [round(load_before, 1), round(load_after, 1)],
        "database": "SQLite" if args.database_url is None else "PostgreSQL",
        "minutes": args.minutes,
        "wall_s": round(wall, 1),
        "seed": args.seed,
        "workers": args.workers,
        "solve_clients_per_tenant": args.solve_clients,
        "plan_cache_mb": bound,
        "allowance_mb": args.allowance_mb,
        "kinds": kinds_report(tally, wall),
        "x_plan_cache": tally.cache_headers,
        "cache_replica": {
            "entries": len(replica.entries),
            "mib": round(replica.bytes / MiB, 1),
            "peak_mib": round(replica.peak / MiB, 1),
            "evicted": replica.evicted,
        },
        "memory": memory,
        "database_mib": database_mib,
        "server_log_problems": log_problems[:20],
        "server_log_problem_count": len(log_problems),
        "server_log_warnings": log_warnings[:20],
        "server_log_warning_count": len(log_warnings),
        "failures": tally.failures,
        "errors": errors,
        "back_pressure": sum(k.back_pressure for k in tally.kinds.values()),
        "limits_mib": limits,
        "passed": not verdict,
        "verdict": "; ".join(verdict) or ("passed" if judged else "passed, memory not judged"),
    }


# --- the record ---------------------------------------------------------------------------

RUNS_HEADER = "| date | machine | minutes | database |"
KINDS_HEADER = "| date | kind |"
SECTION = """
## Soak

```bash
.venv/bin/python bench/soak.py                 # 10 minutes, SQLite; appends rows below
.venv/bin/python bench/soak.py --minutes 1 --no-record
```

| date | machine | minutes | database | requests | errors | back-pressure | server MiB start / steady / peak / end | server growth MiB (limit) | solvers MiB steady / end (processes) | cache replica MiB / evicted | result |
|---|---|---|---|---|---|---|---|---|---|---|---|

| date | kind | requests | req/s | p50 ms | p99 ms | max ms | errors | back-pressure |
|---|---|---|---|---|---|---|---|---|
"""


def record(result: dict[str, Any]) -> None:
    text = DOC.read_text()
    if RUNS_HEADER not in text:
        text = text.rstrip("\n") + "\n" + SECTION
    memory, server, solvers = (
        result["memory"],
        result["memory"]["server"],
        result["memory"]["solvers"],
    )
    requests = sum(k["requests"] for k in result["kinds"].values())
    replica = result["cache_replica"]
    date = result["date"]
    load = (
        f"{result['machine'].rsplit(', load', 1)[0]}, load {result['load'][0]}–{result['load'][1]}"
    )
    row = (f"| {date} | {load} | {result['minutes']} | {result['database']} | {requests} "
           f"| {result['errors']} | {result['back_pressure']} "
           f"| {server['start_mib']} / {server['steady_mib']} / {server['peak_mib']} / {server['end_mib']} "
           f"| {server['growth_mib']:+} ({result['limits_mib']['server_mib']}) "
           f"| {solvers['steady_mib']} / {solvers['end_mib']} ({', '.join(map(str, memory['solver_processes']))}) "
           f"| {replica['peak_mib']} of {result['plan_cache_mb']} / {replica['evicted']} "
           f"| {result['verdict']} |")  # fmt: skip
    text = insert_row(text, RUNS_HEADER, row)
    for name, kind in result["kinds"].items():
        row = (f"| {date} | {name} | {kind['requests']} | {kind['per_s']} | {kind['p50_ms']} "
               f"| {kind['p99_ms']} | {kind['max_ms']} | {kind['errors']} | {kind['back_pressure']} |")  # fmt: skip
        text = insert_row(text, KINDS_HEADER, row)
    DOC.write_text(text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--database-url", help="PostgreSQL instead of a fresh SQLite file")
    ap.add_argument("--workers", type=int, default=2, help="MAGNETS_WORKERS")
    ap.add_argument("--solve-clients", type=int, default=2, help="solve clients per tenant")
    ap.add_argument("--plan-cache-mb", type=int, default=16, help="MAGNETS_PLAN_CACHE_MB")
    ap.add_argument(
        "--allowance-mb", type=int, default=16,
        help="growth allowed beyond the plan cache's bound (server), and in all (solvers)",
    )  # fmt: skip
    ap.add_argument("--sample-s", type=float, default=2.0, help="seconds between samples")
    ap.add_argument("--keep-log", type=Path, help="copy the server's log here")
    ap.add_argument("--no-record", action="store_true", help="do not touch docs/benchmarks.md")
    args = ap.parse_args(argv)
    if not Path("/proc/self/status").exists():
        ap.error("reads memory from /proc: Linux only")
    result = soak(args)
    print(json.dumps(result, indent=1))
    if not args.no_record:
        record(result)
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
