"""Job item leases in the store, on SQLite and PostgreSQL: a claim leases items to a node,
the node renews them, a plan or a lost solve is written only under the lease, and items
whose lease ran out are taken back by any node (at the cost of an attempt)."""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa

from service import queries, store
from service.database import Database
from service.tables import job_items
from tests.service.scenarios import c0

PLAN = {"status": "optimal", "objective": 1.0}
SHORT_LEASE_S = 0.2


def submitted(db: Database, count: int) -> tuple[int, str]:
    tenant = store.ensure_tenant(db, "t")
    job = store.JobSubmission([(f"s{i}", c0(f"s{i}")) for i in range(count)], {}, None, "sha")
    job_id, _ = store.submit_job(db, tenant, job, max_unfinished=50)
    return tenant, job_id


def rows(db: Database) -> list[Any]:
    columns = (job_items.c.id, job_items.c.state, job_items.c.attempts, job_items.c.leased_by,
               job_items.c.lease_expires_at, job_items.c.plan)  # fmt: skip
    with db.read() as conn:
        return list(conn.execute(sa.select(*columns).order_by(job_items.c.position)))


def test_a_claim_leases_items_to_its_node_and_the_node_renews_them(db: Database) -> None:
    submitted(db, 3)
    mine = store.claim_items(db, 2, "node-a", lease_s=30)
    theirs = store.claim_items(db, 5, "node-b", lease_s=30)
    assert len(mine) == 2 and len(theirs) == 1
    by_id = {row.id: row for row in rows(db)}
    assert {by_id[i.id].leased_by for i in mine} == {"node-a"}
    assert by_id[theirs[0].id].leased_by == "node-b"
    first_expiry = by_id[mine[0].id].lease_expires_at
    assert first_expiry is not None

    time.sleep(0.05)
    everything = [item.id for item in [*mine, *theirs]]
    assert store.renew_leases(db, everything, "node-a", lease_s=30) == {i.id for i in mine}
    later = {row.id: row for row in rows(db)}[mine[0].id].lease_expires_at
    assert later > first_expiry
    assert store.reclaim_expired(db) == 0  # nothing has run out


def test_an_expired_lease_is_taken_back_and_its_node_cannot_store_a_plan(db: Database) -> None:
    tenant, job_id = submitted(db, 1)
    [item] = store.claim_items(db, 1, "node-a", lease_s=SHORT_LEASE_S)
    time.sleep(SHORT_LEASE_S + 0.1)  # node-a went quiet: no renewal

    assert store.reclaim_expired(db) == 1
    [row] = rows(db)
    assert (row.state, row.attempts, row.leased_by) == ("queued", 1, None)
    [again] = store.claim_items(db, 1, "node-b", lease_s=30)
    assert again.id == item.id

    # node-a wakes up: its lease is gone, so it renews nothing, writes nothing
    assert store.renew_leases(db, [item.id], "node-a") == set()
    assert (
        store.record_plan(db, item.id, {"status": "optimal", "objective": 99.0}, "node-a") is False
    )
    store.record_lost(db, item.id, "the solver process ended unexpectedly", "node-a")
    [row] = rows(db)
    assert (row.state, row.attempts, row.leased_by, row.plan) == ("running", 2, "node-b", None)

    assert store.record_plan(db, item.id, PLAN, "node-b") is True
    [row] = rows(db)
    assert (row.state, row.leased_by, row.lease_expires_at, row.plan) == (
        "solved", "node-b", None, PLAN
    )  # fmt: skip
    view = queries.get_job(db, tenant, job_id)
    assert view is not None and (view.state, view.solved) == ("completed", 1)
    # too late for node-a too once solved
    assert (
        store.record_plan(db, item.id, {"status": "optimal", "objective": 99.0}, "node-a") is False
    )
    assert rows(db)[0].plan == PLAN


def test_an_item_whose_lease_runs_out_three_times_fails(db: Database) -> None:
    tenant, job_id = submitted(db, 1)
    for attempt in range(1, 4):
        [item] = store.claim_items(db, 1, f"node-{attempt}", lease_s=SHORT_LEASE_S)
        time.sleep(SHORT_LEASE_S + 0.1)
        assert store.reclaim_expired(db) == 1
    [row] = rows(db)
    assert (row.state, row.attempts) == ("failed", 3)
    [view] = queries.job_items_of(db, tenant, job_id) or []
    assert view.error == "gave up after 3 attempts: its node stopped renewing the lease"
    job = queries.get_job(db, tenant, job_id)
    assert job is not None and (job.state, job.failed) == ("failed", 1)
    assert store.claim_items(db, 1, "node-4") == []
    assert item.id == row.id


def test_a_graceful_stop_hands_back_only_its_own_items(db: Database) -> None:
    submitted(db, 2)
    [a] = store.claim_items(db, 1, "node-a")
    [b] = store.claim_items(db, 1, "node-b")
    store.return_items(db, [a.id, b.id], "node-a")
    by_id = {row.id: row for row in rows(db)}
    assert (by_id[a.id].state, by_id[a.id].attempts, by_id[a.id].leased_by) == ("queued", 0, None)
    assert (by_id[b.id].state, by_id[b.id].leased_by) == ("running", "node-b")


def test_a_cancelled_job_stops_items_on_any_node(db: Database) -> None:
    tenant, job_id = submitted(db, 2)
    [a] = store.claim_items(db, 1, "node-a")
    [b] = store.claim_items(db, 1, "node-b")
    assert store.cancel_job(db, tenant, job_id)
    assert queries.cancelled_among(db, [a.id]) == {a.id}
    assert queries.cancelled_among(db, [b.id]) == {b.id}
    assert store.record_plan(db, a.id, PLAN, "node-a") is False
    store.record_cancelled(db, b.id)
    assert [row.state for row in rows(db)] == ["cancelled", "cancelled"]


def test_nodes_claiming_at_once_take_different_items(db: Database) -> None:
    """Eight nodes claim from one queue at the same moment (on PostgreSQL the rows being
    claimed are skipped, on SQLite the write lock serialises the claims)."""
    submitted(db, 40)
    claimed: dict[str, list[int]] = {}
    start = threading.Barrier(8)

    def node(name: str) -> None:
        start.wait()
        got: list[int] = []
        while batch := store.claim_items(db, 2, name):
            got += [item.id for item in batch]
        claimed[name] = got

    threads = [threading.Thread(target=node, args=(f"node-{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [item_id for got in claimed.values() for item_id in got]
    assert len(every) == len(set(every)) == 40
    leased = {row.id: row.leased_by for row in rows(db)}
    assert all(leased[i] == name for name, got in claimed.items() for i in got)
    assert {row.attempts for row in rows(db)} == {1}


def test_an_item_its_own_worker_stored_is_not_taken_for_a_lost_lease(db: Database) -> None:
    """The worker stores its plan before the dispatcher hears it finished; a renewal in
    between no longer holds the item, but the item ended here and was not taken back."""
    submitted(db, 2)
    done, running = store.claim_items(db, 2, "node-a", lease_s=30)
    assert store.record_plan(db, done.id, PLAN, node="node-a")
    assert store.renew_leases(db, [done.id, running.id], "node-a", lease_s=30) == {running.id}
    assert queries.ended_here(db, [done.id, running.id], "node-a") == {done.id}
    assert queries.ended_here(db, [done.id], "node-b") == set()
