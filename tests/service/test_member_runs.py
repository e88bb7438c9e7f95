"""Runs of a job's members: claimed together (store.claim_runs), solved in order on one
HiGHS object, each from the previous member's basis (solving.run_members), and kept hot
across the items a local solver process is handed (workers.MemberRuns)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from service import queries, store
from service.database import Database
from service.settings import SettingsError, load_settings
from service.solving import SizeLimits, SolveOptions, run_members, sweep_members
from service.workers import LocalPool, Outcome
from tests.service.conftest import REPO
from tests.service.scenarios import c0

LIMITS = SizeLimits(100_000, 100_000, 100_000, 2_000_000)
SWEEP = REPO / "instances" / "sweeps" / "four-licences-monte-carlo.yaml"


def four_licences_sweep(samples: int) -> dict[str, Any]:
    """The shipped Monte Carlo sweep with its base inline (the service reads no files)."""
    spec = yaml.safe_load(SWEEP.read_text())
    spec["base"] = json.loads((SWEEP.parent / spec["base"]).read_text())
    spec["samples"] = samples
    return spec


def cold_objective(base: dict[str, Any], change: dict[str, Any]) -> Any:
    """The member solved on its own, from nothing, in the test process."""
    from service.solving import member_document

    return solve(parse_scenario(member_document(base, change))).get("objective")


def submit_sweep(db: Database, samples: int) -> tuple[int, str, dict[str, Any], list[Any]]:
    tenant = store.ensure_tenant(db, "t")
    base, members = sweep_members(four_licences_sweep(samples), LIMITS, 1000)
    items = [(name, store.Member(base, change)) for name, change in members]
    job_id, _ = store.submit_job(db, tenant, store.JobSubmission(items, {}, None, "s"), 50)
    return tenant, job_id, base, [change for _, change in members]


def test_members_are_claimed_in_runs_of_one_job_spread_over_the_free_threads(
    db: Database,
) -> None:
    tenant = store.ensure_tenant(db, "t")
    _, sweep, _, _ = submit_sweep(db, 9)  # ten members, the unshocked base first
    single = store.JobSubmission([("a", c0("a")), ("b", c0("b"))], {}, None, "x")
    store.submit_job(db, tenant, single, 50)

    # 12 queued items, 2 threads free: runs of ceil(12 / 2) = 6 at most, none across jobs
    runs = store.claim_runs(db, 2, 8, "node-a")
    assert [[item.position for item in run] for run in runs] == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9]]
    assert {item.job_id for run in runs for item in run} == {sweep}
    later = store.claim_runs(db, 3, 8, "node-a")  # one-scenario items: a run each
    assert [[item.scenario for item in run] for run in later] == [["a"], ["b"]]
    assert store.claim_runs(db, 3, 8, "node-a") == []


def test_a_run_never_takes_more_than_its_size_nor_more_runs_than_asked(db: Database) -> None:
    submit_sweep(db, 19)
    runs = store.claim_runs(db, 1, 4, "node-a")
    assert [len(run) for run in runs] == [4]
    assert [len(run) for run in store.claim_runs(db, 2, 4, "node-a")] == [4, 4]
    rest = store.claim_items(db, 100, "node-a")
    assert len(rest) == 8  # what claim_items takes is unchanged: one item at a time


def test_a_run_of_members_is_hot_started_and_agrees_with_cold_solves() -> None:
    base, members = sweep_members(four_licences_sweep(12), LIMITS, 1000)
    changes = [change for _, change in members]
    refused = {"name": "refused", "shocks": [{"kind": "licence_quantity", "licence": "nope",
                                              "factor": 0.5}]}  # fmt: skip
    plans = run_members(base, [*changes[:6], refused, *changes[6:]], SolveOptions())

    assert [p.start for p in plans] == ["cold", *["hot"] * 5, None, *["hot"] * 7]
    assert plans[6].plan["status"] == "error"
    assert "scenario rejected" in plans[6].plan["message"]
    solved = [p for k, p in enumerate(plans) if k != 6]
    for member, change in zip(solved, changes, strict=True):
        assert member.plan["scenario"] == change["name"]
        assert member.plan["objective"] == pytest.approx(cold_objective(base, change), rel=1e-6)


def test_a_local_solver_process_keeps_its_hot_start_across_items(tmp_path: Path) -> None:
    """One slot, handed the members one item at a time as the dispatcher does: each
    continues from the member before; a one-scenario item in between is solved alone."""
    db = Database(f"sqlite:///{tmp_path / 'runs.db'}")
    db.create_tables()
    tenant, job_id, base, changes = submit_sweep(db, 5)
    store.submit_job(db, tenant, store.JobSubmission([("c0", c0())], {}, None, "x"), 50)
    *members, single = store.claim_items(db, 100)
    pool = LocalPool(1, database_url=db.url)
    outcomes: list[Outcome] = []
    try:
        for item in [*members[:3], single, *members[3:]]:
            pool.submit(item.id, item.document, item.options, item.change)
            outcomes.append(_finished(pool))
    finally:
        pool.stop()

    assert [o.start for o in outcomes] == ["cold", "hot", "hot", None, "hot", "hot", "hot"]
    assert {o.stored for o in outcomes} == {True}
    rows = queries.job_items_of(db, tenant, job_id)
    expected = [cold_objective(base, change) for change in changes]
    assert [r.plan["objective"] for r in rows] == pytest.approx(expected, rel=1e-6)
    assert queries.get_job(db, tenant, job_id).state == "completed"


def _finished(pool: LocalPool) -> Outcome:
    for _ in range(600):
        [*done] = pool.finished()
        if done:
            return done[0][1]
        pool.wait(0.1)
    raise AssertionError("the solve did not finish")


@pytest.mark.parametrize("chunk", ["0", "257", "eight"])
def test_a_dask_run_size_out_of_range_stops_the_service(
    chunk: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAGNETS_DASK_CHUNK", chunk)
    with pytest.raises(SettingsError, match="MAGNETS_DASK_CHUNK"):
        load_settings()


def test_dask_runs_are_eight_members_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAGNETS_DASK_CHUNK", raising=False)
    assert load_settings().dask_chunk == 8
    monkeypatch.setenv("MAGNETS_DASK_CHUNK", "1")
    assert load_settings().dask_chunk == 1
