"""Several service nodes on one PostgreSQL database: a batch on one node, then on two.

    MAGNETS_TEST_POSTGRES_URL=postgresql+psycopg://... python bench/nodes.py
    python bench/nodes.py --items 24 --workers 1 --no-record

Each run gets a fresh schema of that database and fresh `magnets serve` processes with
`--workers` solver processes each. One job of `--items` CPU-bound LPs (the slow LPs of the
service tests, 60 to 75 suppliers over 12 periods: about 0.7 s each on one core) is
submitted to the first node, after a one-item job has started every node's solver
processes; the wall time runs from the submission to the job's completion. The share is
how many items each node solved (their `leased_by`). A row is appended to
docs/benchmarks.md, "Several nodes".
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.service.conftest import (  # noqa: E402 — the tree is importable from here on
    mint_key,
    postgres_schema_url,
    service_env,
    start_service,
    stop_service,
)
from tests.service.scenarios import c0, slow_lp  # noqa: E402

SECTION = "## Several nodes"


def run(base_url: str, nodes: int, items: int, workers: int) -> tuple[float, dict[str, int]]:
    """Wall seconds for the batch on `nodes` nodes, and the items each node solved."""
    url = postgres_schema_url(base_url)
    env = service_env(url, workers=workers, max_time_limit=60, max_running_jobs_per_tenant=10)
    headers = {"X-API-Key": mint_key("bench", env)}
    batch = [slow_lp(suppliers=60 + 5 * (i % 4), periods=12, seed=i) for i in range(items)]
    with tempfile.TemporaryDirectory() as logs, ExitStack() as stack:
        urls = []
        for n in range(nodes):
            node_env = {**env, "MAGNETS_NODE_ID": f"node-{n}"}
            process, node_url = start_service(node_env, Path(logs) / f"node-{n}.log")
            stack.callback(stop_service, process)
            urls.append(node_url)
        with httpx.Client(base_url=urls[0], headers=headers, timeout=60) as client:
            warm = [c0(f"warm {i}") for i in range(nodes * workers)]
            wait(client, client.post("/v1/jobs", json={"scenarios": warm}).json()["id"])
            started = time.perf_counter()
            wait(client, client.post("/v1/jobs", json={"scenarios": batch}).json()["id"])
            elapsed = time.perf_counter() - started
    return elapsed, share(url, items)


def wait(client: httpx.Client, job_id: str) -> None:
    while client.get(f"/v1/jobs/{job_id}").json()["state"] not in ("completed", "failed"):
        time.sleep(0.05)


def share(url: str, items: int) -> dict[str, int]:
    """Items of the batch (the largest job) solved by each node."""
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sqlalchemy.text(
                    "SELECT leased_by, count(*) FROM job_items WHERE job_id = (SELECT job_id "
                    "FROM job_items GROUP BY job_id HAVING count(*) = :n LIMIT 1) "
                    "GROUP BY leased_by ORDER BY leased_by"
                ),
                {"n": items},
            )
            return {str(node): int(count) for node, count in rows}
    finally:
        engine.dispose()


def record(row: str) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    if SECTION not in text:
        text = text.rstrip("\n") + "\n\n" + SECTION + "\n\n" + HEADER + "\n"
    path.write_text(text.rstrip("\n") + "\n" + row + "\n")


HEADER = (
    "| date | machine | workers per node | items | 1 node s | 2 nodes s | speed-up "
    "| items per node (2 nodes) |\n|---|---|---|---|---|---|---|---|"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1, help="solver processes per node")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    base_url = os.environ.get("MAGNETS_TEST_POSTGRES_URL")
    if not base_url:
        print("set MAGNETS_TEST_POSTGRES_URL to a PostgreSQL database", file=sys.stderr)
        return 2
    one, _ = run(base_url, 1, args.items, args.workers)
    two, shares = run(base_url, 2, args.items, args.workers)
    machine = f"{platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    per_node = " / ".join(str(count) for count in shares.values())
    row = (
        f"| {datetime.now(UTC):%Y-%m-%d} | {machine} | {args.workers} | {args.items} "
        f"| {one:.2f} | {two:.2f} | {one / two:.2f}× | {per_node} |"
    )
    print(HEADER)
    print(row)
    if not args.no_record:
        record(row)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
