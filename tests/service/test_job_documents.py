"""A job costs the store and the request its distinct work, over real HTTP: a scenario id
named 200 times is stored once; a frontier or a sweep over a large scenario stores the
base once plus each member's shocks, and answers 202 about as fast as a one-scenario job
of that scenario (its members are made in the solver process). The answers are those of
a job that held every document itself: items in submission order, the same plans."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from service.database import Database
from service.tables import job_documents, job_items
from tests.service.conftest import Service, running_service, wait_for_job
from tests.service.scenarios import C0_OBJECTIVE, c0, slow_lp

LARGE_SUPPLIERS = 2000  # slow_lp at 24 periods: about 1.1 MB of JSON


@pytest.fixture(scope="module")
def roomy(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service of its own (its database is measured), taking large scenarios."""
    yield from running_service(
        backend, tmp_path_factory, workers=1, max_body_bytes=8 * 1024 * 1024,
        max_running_jobs_per_tenant=50,
    )  # fmt: skip


@pytest.fixture(scope="module")
def large() -> dict[str, Any]:
    return slow_lp(LARGE_SUPPLIERS)


def _db(service: Service) -> Database:
    return Database(service.env["MAGNETS_DATABASE_URL"])


def _stored(service: Service, job_id: str) -> tuple[int, int, int]:
    """(document rows, their JSON bytes, item rows) of a job, read from its database."""
    db = _db(service)
    try:
        with db.read() as conn:
            documents = list(
                conn.scalars(
                    select(job_documents.c.document).where(job_documents.c.job_id == job_id)
                )
            )
            items = conn.scalar(
                select(func.count()).select_from(job_items).where(job_items.c.job_id == job_id)
            )
    finally:
        db.dispose()
    return len(documents), sum(len(json.dumps(d)) for d in documents), int(items or 0)


def _accepted(client: httpx.Client, body: dict[str, Any]) -> tuple[str, float]:
    """The job's id and the seconds to its 202."""
    start = time.perf_counter()
    answer = client.post("/v1/jobs", json=body, timeout=120)
    elapsed = time.perf_counter() - start
    assert answer.status_code == 202, answer.text[:500]
    return str(answer.json()["id"]), elapsed


def _cancel(client: httpx.Client, job_id: str) -> None:
    assert client.delete(f"/v1/jobs/{job_id}").status_code == 202


def test_a_scenario_id_named_200_times_is_stored_once(
    roomy: Service, large: dict[str, Any]
) -> None:
    with roomy.client() as client:
        sid = client.post("/v1/scenarios", json=large, timeout=60).json()["id"]
        job_id, _ = _accepted(client, {"scenario_ids": [sid] * 200})
        _cancel(client, job_id)  # the solves are not what is measured
        rows, size, items = _stored(roomy, job_id)
        assert (rows, items) == (1, 200)
        assert size < 1.1 * len(json.dumps(large))
        plans = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
        assert [p["scenario"] for p in plans] == [large["name"]] * 200


def test_repeated_ids_are_solved_each_in_its_place(roomy: Service) -> None:
    with roomy.client() as client:
        a = client.post("/v1/scenarios", json=c0("a")).json()["id"]
        doubled = c0("b")
        for row in doubled["demand"]:
            row["quantity"] *= 2
        b = client.post("/v1/scenarios", json=doubled).json()["id"]
        job_id, _ = _accepted(client, {"scenario_ids": [a, b, a, a]})
        assert wait_for_job(client, job_id, ("completed", "failed"))["state"] == "completed"
        assert _stored(roomy, job_id)[0] == 2
        plans = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
        assert [p["scenario"] for p in plans] == ["a", "b", "a", "a"]
        objectives = [p["plan"]["objective"] for p in plans]
        assert objectives[0] == objectives[2] == objectives[3] == pytest.approx(C0_OBJECTIVE)
        assert objectives[1] != pytest.approx(C0_OBJECTIVE)  # twice the demand
        summary = client.get(f"/v1/jobs/{job_id}/summary").json()
        assert [row["scenario"] for row in summary["items"]] == ["a", "b", "a", "a"]


def _timed_pair(
    client: httpx.Client, single: dict[str, Any], expanded: dict[str, Any]
) -> tuple[float, str, float]:
    """Seconds to the 202 of a one-scenario job of the large scenario (the best of
    three, each cancelled), then the expanded job's id and its seconds."""
    times = []
    for _ in range(3):
        job_id, elapsed = _accepted(client, single)
        _cancel(client, job_id)
        times.append(elapsed)
    job_id, elapsed = _accepted(client, expanded)
    return min(times), job_id, elapsed


def test_a_frontier_over_a_large_scenario_answers_202_as_fast_as_one_scenario(
    roomy: Service, large: dict[str, Any]
) -> None:
    body = {"frontier": {"scenario": large, "origin": "CN", "steps": 101}}
    with roomy.client() as client:
        single, job_id, elapsed = _timed_pair(client, {"scenarios": [large]}, body)
        _cancel(client, job_id)
        # 101 members each checked and stored in the request took ~80x a single one
        assert elapsed < 4 * single + 0.5, (elapsed, single)
        rows, size, items = _stored(roomy, job_id)
        assert (rows, items) == (1, 101)
        assert size < 1.5 * len(json.dumps(large))  # once, its defaults written out
        plans = client.get(f"/v1/jobs/{job_id}/plans").json()["items"]
        assert [p["scenario"] for p in plans][:3] == [
            "CN share at most 1.0", "CN share at most 0.99", "CN share at most 0.98",
        ]  # fmt: skip
        assert plans[-1]["scenario"] == "CN share at most 0.0"


def test_a_sweep_over_a_large_scenario_answers_202_as_fast_as_one_scenario(
    roomy: Service, large: dict[str, Any]
) -> None:
    spec = {
        "name": "grid",
        "base": large,
        "axes": [
            {"name": "demand", "shock": {"kind": "demand"},
             "levels": [0.5 + i / 10 for i in range(10)]},
            {"name": "tariff", "shock": {"kind": "tariff", "country": "CN"},
             "levels": [1 + i / 10 for i in range(10)]},
        ],
    }  # fmt: skip
    with roomy.client() as client:
        single, job_id, elapsed = _timed_pair(client, {"scenarios": [large]}, {"sweep": spec})
        _cancel(client, job_id)
        assert elapsed < 4 * single + 0.5, (elapsed, single)
        rows, _, items = _stored(roomy, job_id)
        assert (rows, items) == (1, 101)  # the base member, then the 10 x 10 grid


def test_members_made_in_the_solver_process_are_the_documents_expanded_before() -> None:
    """member_document(base, change) gives, member by member, the scenario the request
    used to expand and store: the shocks applied to the base, under the member's name."""
    from optimizer.whatif.shocks import OriginShareShock, apply_shocks
    from optimizer.whatif.sweep import base_document, expand_members, parse_sweep_spec
    from service.solving import SizeLimits, frontier_members, member_document, sweep_members

    limits = SizeLimits(10**6, 10**6, 10**6, 10**8)
    base, changes = frontier_members(c0(), "CN", 5, limits)
    for (name, change), cap in zip(changes, [1.0, 0.75, 0.5, 0.25, 0.0], strict=True):
        expected = apply_shocks(
            base, [OriginShareShock(kind="origin_share", origin="CN", value=cap)]
        )
        expected["name"] = f"{base['name']} | {name}"
        assert name == f"CN share at most {cap}"
        assert member_document(base, change) == expected
    spec = {
        "name": "mc", "base": c0(), "mode": "monte_carlo", "samples": 20, "seed": 3,
        "axes": [
            {"name": "demand", "shock": {"kind": "demand"},
             "distribution": {"type": "uniform", "low": 0.5, "high": 1.5}},
            {"name": "licence", "shock": {"kind": "licence_quantity", "licence": "L1"},
             "distribution": {"type": "uniform", "low": 0.0, "high": 1.0}},
        ],
    }  # fmt: skip
    base, changes = sweep_members(spec, limits, 100)
    parsed = parse_sweep_spec(spec)
    members = expand_members(parsed, base_document(parsed, allow_path=False))
    assert [name for name, _ in changes] == [m.name for m in members]
    for (_, change), member in zip(changes, members, strict=True):
        expected = apply_shocks(base, member.shocks)
        expected["name"] = f"{base['name']} | {member.name}"
        assert member_document(base, change) == expected
