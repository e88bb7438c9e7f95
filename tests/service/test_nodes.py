"""Several service nodes on one PostgreSQL database, over real HTTP: every node's solver
processes take work (item leases), `kill -9` of one node mid-job loses nothing, and a
node paused past its lease stores no second plan. Counts are read from the database.

Skipped without MAGNETS_TEST_POSTGRES_URL: on SQLite one node dispatches per database
file (test_durability.py). About 60 s on 2 cores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy

from tests.service.conftest import (
    POSTGRES_URL,
    kill_group,
    mint_key,
    postgres_schema_url,
    service_env,
)
from tests.service.scenarios import slow_lp
from tests.service.test_durability import (
    expected_objective,
    same,
    serving,
    wait_for_jobs,
    wait_until,
)

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="MAGNETS_TEST_POSTGRES_URL not set (see .ci/postgres.sh)"
)
NODES = ("node-a", "node-b")
LEASE_S = 3  # renewed every second; a dead node's items are taken back 3 s after


@pytest.fixture
def url() -> str:
    assert POSTGRES_URL
    return postgres_schema_url(POSTGRES_URL)


@contextmanager
def nodes(
    url: str, tmp_path: Path, **settings: Any
) -> Iterator[tuple[dict[str, str], list[tuple[subprocess.Popen[bytes], str]]]]:
    """Both nodes serving (each in its own process group, its log at info level); the
    API key headers and [(process, url)] in NODES order."""
    env = service_env(url, **settings)
    headers = {"X-API-Key": mint_key("alpha", env)}
    with ExitStack() as stack:
        served = [
            stack.enter_context(
                serving({**env, "MAGNETS_NODE_ID": node, "MAGNETS_LOG_LEVEL": "info"},
                        tmp_path / f"{node}.log")
            )
            for node in NODES
        ]  # fmt: skip
        yield headers, served


def items(url: str) -> list[dict[str, Any]]:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sqlalchemy.text(
                    "SELECT job_id, position, state, attempts, leased_by, plan, error "
                    "FROM job_items ORDER BY job_id, position"
                )
            )
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def events(log: Path, name: str) -> list[dict[str, Any]]:
    found = []
    for line in log.read_text().splitlines():
        if line.startswith("{") and f'"{name}"' in line:
            event = json.loads(line)
            if event.get("event") == name:
                found.append(event)
    return found


def test_two_nodes_both_solve_a_batch(url: str, tmp_path: Path) -> None:
    """One job of 12 CPU-bound LPs submitted to one node: both nodes' solver processes
    take a fair share (the speed-up is measured by bench/bench_nodes.py)."""
    batch = [slow_lp(suppliers=60 + 5 * (i % 4), periods=12, seed=i) for i in range(12)]
    with nodes(url, tmp_path, workers=1, lease_s=LEASE_S, max_time_limit=60) as (headers, served):
        (_, a_url), _ = served
        with httpx.Client(base_url=a_url, headers=headers, timeout=60) as client:
            job_id = client.post("/v1/jobs", json={"scenarios": batch}).json()["id"]
            assert wait_for_jobs(client, [job_id], timeout=120) == {job_id: "completed"}

    rows = items(url)
    assert [row["state"] for row in rows] == ["solved"] * 12
    assert [row["attempts"] for row in rows] == [1] * 12
    share = {node: sum(row["leased_by"] == node for row in rows) for node in NODES}
    assert sum(share.values()) == 12
    assert min(share.values()) >= 3, share  # each node solved at least a quarter
    for node in NODES:  # each node's log names the items it solved
        solved = events(tmp_path / f"{node}.log", "job.item_solved")
        assert len(solved) == share[node]


def test_kill_9_of_one_node_mid_job_loses_nothing(url: str, tmp_path: Path) -> None:
    """node-a dies (with its solver processes) in the middle of a solve; node-b takes the
    item back once its lease runs out. Every item ends with one plan, equal to a direct
    solve; only the interrupted one was started twice."""
    sizes = [100, 60, 70, 80, 60, 70, 80, 90]
    batch = [slow_lp(suppliers=s, periods=12 if s < 100 else 24, seed=i) for i, s in
             enumerate(sizes)]  # fmt: skip
    expected = [expected_objective(document) for document in batch]
    with nodes(url, tmp_path, workers=1, lease_s=LEASE_S, max_time_limit=60) as (headers, served):
        (a, a_url), (_, b_url) = served
        with httpx.Client(base_url=a_url, headers=headers, timeout=60) as client:
            job_id = client.post("/v1/jobs", json={"scenarios": batch}).json()["id"]

        def both_solving() -> list[dict[str, Any]] | None:
            rows = items(url)
            running = {row["leased_by"] for row in rows if row["state"] == "running"}
            return rows if running == set(NODES) else None

        at_kill = wait_until(both_solving, timeout=60)
        kill_group(a)
        interrupted = {
            row["position"]
            for row in items(url)
            if row["state"] == "running" and row["leased_by"] == "node-a"
        }
        with httpx.Client(base_url=b_url, headers=headers, timeout=60) as client:
            assert wait_for_jobs(client, [job_id], timeout=120) == {job_id: "completed"}
            plans = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]

    assert at_kill and interrupted, "the kill should land in the middle of node-a's solve"
    rows = items(url)
    assert len(rows) == len(batch)  # nothing added, nothing lost
    for row, plan, objective in zip(rows, plans, expected, strict=True):
        assert row["state"] == "solved" and row["error"] is None, row
        assert row["plan"] is not None
        assert same(plan["plan"]["objective"], objective), row["position"]
        if row["position"] in interrupted:
            assert (row["attempts"], row["leased_by"]) == (2, "node-b")
        else:
            assert row["attempts"] == 1
    assert len(events(tmp_path / "node-b.log", "job.items_reclaimed")) >= 1


def test_a_paused_node_loses_its_lease_and_stores_no_second_plan(url: str, tmp_path: Path) -> None:
    """node-a is stopped (SIGSTOP) in the middle of a solve for longer than its lease:
    node-b takes the item and solves it. node-a, resumed, finds its lease gone and
    writes nothing for the item."""
    body = {"scenarios": [slow_lp(suppliers=100)], "options": {"time_limit": 60}}
    with nodes(url, tmp_path, workers=1, lease_s=LEASE_S, max_time_limit=60) as (headers, served):
        (a, a_url), (_, b_url) = served
        with httpx.Client(base_url=a_url, headers=headers, timeout=60) as client:
            job_id = client.post("/v1/jobs", json=body).json()["id"]

        def running_on(node: str) -> bool:
            return [(r["state"], r["leased_by"]) for r in items(url)] == [("running", node)]

        wait_until(lambda: running_on("node-a"), timeout=30)
        os.killpg(a.pid, signal.SIGSTOP)
        try:
            wait_until(lambda: running_on("node-b"), timeout=30)
        finally:
            os.killpg(a.pid, signal.SIGCONT)
        with httpx.Client(base_url=b_url, headers=headers, timeout=60) as client:
            assert wait_for_jobs(client, [job_id], timeout=60) == {job_id: "completed"}
        a_log = tmp_path / "node-a.log"
        wait_until(
            lambda: events(a_log, "job.item_lease_lost") or events(a_log, "job.item_discarded"),
            timeout=30,
        )

    [row] = items(url)
    assert (row["state"], row["attempts"], row["leased_by"]) == ("solved", 2, "node-b")
    assert events(tmp_path / "node-a.log", "job.item_solved") == []
    assert len(events(tmp_path / "node-b.log", "job.item_solved")) == 1


def test_a_node_restarted_after_kill_9_takes_its_items_back_at_once(
    url: str, tmp_path: Path
) -> None:
    """node-a dies mid-solve and comes back under the same id (a container restarted as
    pid 1, or a fixed MAGNETS_NODE_ID) long before its lease of 60 s runs out: it knows
    itself dead and solves the item again at once, with one plan in the end."""
    document = slow_lp(suppliers=100)
    body = {"scenarios": [document], "options": {"time_limit": 60}}
    env = service_env(url, workers=1, lease_s=60, max_time_limit=60)
    headers = {"X-API-Key": mint_key("alpha", env)}
    node_env = {**env, "MAGNETS_NODE_ID": "node-a", "MAGNETS_LOG_LEVEL": "info"}
    with serving(node_env, tmp_path / "first.log") as (first, first_url):
        with httpx.Client(base_url=first_url, headers=headers, timeout=60) as client:
            job_id = client.post("/v1/jobs", json=body).json()["id"]
        wait_until(lambda: [r["state"] for r in items(url)] == ["running"], timeout=30)
        kill_group(first)
    with serving(node_env, tmp_path / "again.log") as (_, again_url):
        with httpx.Client(base_url=again_url, headers=headers, timeout=60) as client:
            # well inside the 60 s lease: taken back on start, not on expiry
            assert wait_for_jobs(client, [job_id], timeout=45) == {job_id: "completed"}
            [plan] = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
        [taken] = events(tmp_path / "again.log", "job.items_reclaimed")
        assert (taken["node"], taken["items"]) == ("node-a", 1)
    [row] = items(url)
    assert (row["state"], row["attempts"], row["leased_by"]) == ("solved", 2, "node-a")
    assert same(plan["plan"]["objective"], expected_objective(document))
