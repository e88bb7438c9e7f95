"""Hedged plans over HTTP (MODEL.md §6): `POST /v1/hedge` answers the shared conformance
hedges with their recorded values, refuses a bad document with pointers and an oversized
one before building it, keeps each tenant within its share of the solver processes; a
`{"hedge": document}` job stores the hedged plan as its one item."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.paths import CONFORMANCE, conformance
from tests.service.conftest import Service, running_service, wait_for_job
from tests.service.scenarios import slow_lp

VALUES = ("objective", "wait_and_see", "evpi", "value_of_hedging")
# the shared hedges, by file name; a missing shared folder fails the tests (tests/paths.py)
NAMES = sorted(p.name for p in (CONFORMANCE / "hedges").glob("*.json")) or ["(none)"]


def answers() -> dict[str, Any]:
    recorded: dict[str, Any] = json.loads((conformance() / "answers_hedges.json").read_text())
    return recorded


def hedge(name: str = "h1_tiny_prebuy.json") -> dict[str, Any]:
    document: dict[str, Any] = json.loads((conformance() / "hedges" / name).read_text())
    return document


def _close(got: float | None, want: float) -> bool:
    tolerance = answers()["tolerance"]
    if got is None:
        return False
    return abs(got - want) <= max(tolerance["absolute"], tolerance["relative"] * abs(want))


@pytest.mark.parametrize("name", NAMES)
def test_conformance_hedges_give_their_recorded_values(name: str, alpha: httpx.Client) -> None:
    answer = alpha.post("/v1/hedge", json=hedge(name))
    assert answer.status_code == 200, answer.text
    plan = answer.json()
    want = answers()["hedges"][name]
    assert plan["status"] == want["status"]
    for key in VALUES:
        if key in want:
            assert _close(plan[key], want[key]), (key, plan[key], want[key])
    assert len(plan["outcomes"]) == len(hedge(name)["outcomes"])
    assert abs(sum(o["probability"] for o in plan["outcomes"]) - 1) < 1e-9
    assert "plan" not in plan["outcomes"][0]


def test_outcome_plans_and_validate_only(alpha: httpx.Client) -> None:
    full = alpha.post("/v1/hedge", params={"outcome_plans": True}, json=hedge())
    assert full.status_code == 200, full.text
    assert all("deliveries" in o["plan"] for o in full.json()["outcomes"])
    checked = alpha.post("/v1/hedge", params={"validate_only": True}, json=hedge())
    assert checked.status_code == 200 and checked.json() == {"valid": True}


def test_a_rejected_document_answers_422_with_pointers(alpha: httpx.Client) -> None:
    document = hedge()
    document["reveal"] = "Q9"
    document["outcomes"][1]["probability"] = 0.25
    document["outcomes"][0]["scenario"]["suppliers"][0]["capacity"] = -1
    for query in ({}, {"validate_only": True}):
        answer = alpha.post("/v1/hedge", params=query, json=document)
        assert answer.status_code == 422, answer.text
        pointers = {e["pointer"] for e in answer.json()["errors"]}
        assert {"/reveal", "/outcomes", "/outcomes/0/scenario/suppliers/0/capacity"} <= pointers


def test_a_base_given_as_a_path_is_refused(alpha: httpx.Client) -> None:
    document = {**hedge(), "base": "scenarios/base.json"}
    answer = alpha.post("/v1/hedge", json=document)
    assert answer.status_code == 422, answer.text
    (error,) = answer.json()["errors"]
    assert error["pointer"] == "/base" and error["value"] == "scenarios/base.json"
    assert "inline" in error["rule"]


def test_a_hedge_too_large_in_sum_is_refused_before_building(alpha: httpx.Client) -> None:
    """Each outcome alone is within the server's caps; 2,000 of them are not."""
    base = slow_lp(suppliers=100, periods=24)  # 2,400 supplier-periods, 600 demand rows
    axis = {"name": "demand", "shock": {"kind": "demand", "product": "p0"},
            "distribution": {"type": "uniform", "low": 0.9, "high": 1.1}}  # fmt: skip
    document = {"name": "large", "base": base,
                "outcomes": {"sample": {"n": 2000, "seed": 1, "axes": [axis]}}}  # fmt: skip
    started = time.monotonic()
    answer = alpha.post("/v1/hedge", json=document)
    assert answer.status_code == 422, answer.text
    assert time.monotonic() - started < 10
    errors = answer.json()["errors"]
    assert {e["pointer"] for e in errors} == {"/outcomes"}
    rules = {e["rule"] for e in errors}
    assert any("suppliers times periods summed over its 2,000 outcomes" in r for r in rules)
    assert all("one block per outcome" in r for r in rules)
    alone = alpha.post("/v1/solve", params={"validate_only": True}, json=base)
    assert alone.status_code == 200, alone.text  # the base itself is within the caps
    listed = {**document, "outcomes": [
        {"name": f"o{i}", "probability": 1 / 10, "shocks": []} for i in range(10)]}  # fmt: skip
    answer = alpha.post("/v1/hedge", json=listed)
    assert answer.status_code == 422, answer.text
    assert any("demand rows summed over its 10 outcomes" in e["rule"]
               for e in answer.json()["errors"])  # fmt: skip


@pytest.fixture(scope="module")
def one_share(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One solver process and one place to wait: each tenant's share is one solve."""
    yield from running_service(
        backend, tmp_path_factory, workers=1, max_waiting_solves=1, max_time_limit=60
    )


def test_a_tenant_over_its_share_gets_429_and_another_is_served(one_share: Service) -> None:
    """The share is the tenant's across /v1/solve, /v1/why and /v1/hedge."""
    held: list[httpx.Response] = []

    def slow_solve() -> None:
        with one_share.client("alpha") as client:
            held.append(client.post("/v1/solve", json=slow_lp(suppliers=100, seed=3), timeout=120))

    thread = threading.Thread(target=slow_solve)
    thread.start()
    time.sleep(1.5)  # the slow solve (about 4 s) holds alpha's share
    with one_share.client("alpha") as alpha, one_share.client("beta") as beta:
        over = alpha.post("/v1/hedge", json=hedge())
        other = beta.post("/v1/hedge", json=hedge(), timeout=120)
    thread.join()
    assert over.status_code == 429, over.text
    assert over.headers["Retry-After"] == "1"
    assert other.status_code == 200 and other.json()["status"] == "optimal"
    assert held[0].status_code == 200


def test_a_hedge_job_completes_with_one_item_holding_the_hedged_plan(
    alpha: httpx.Client,
) -> None:
    name = "h1_tiny_prebuy.json"
    answer = alpha.post("/v1/jobs", json={"hedge": hedge(name), "options": {"time_limit": 10}})
    assert answer.status_code == 202, answer.text
    job = wait_for_job(alpha, answer.json()["id"], ("completed", "failed"))
    assert job["state"] == "completed" and (job["solved"], job["total"]) == (1, 1), job
    (item,) = alpha.get(f"/v1/jobs/{job['id']}/plans").json()["items"]
    assert item["scenario"] == hedge(name)["name"] and item["state"] == "solved"
    plan = item["plan"]
    want = answers()["hedges"][name]
    assert plan["status"] == want["status"] and "here_and_now" in plan
    for key in VALUES:
        assert _close(plan[key], want[key]), (key, plan[key], want[key])
    summary = alpha.get(f"/v1/jobs/{job['id']}/summary").json()
    (row,) = summary["items"]
    assert row["scenario"] == hedge(name)["name"] and row["status"] == "optimal"
    assert _close(row["objective"], want["objective"])
    # terms and shortage as expected over the outcomes (weight 0: their sum is the objective)
    weighed = sum(o["probability"] * o["shortage_kg"] for o in plan["outcomes"])
    assert _close(row["shortage_kg"], weighed)
    signed = sum(
        -v if k == "subsidy" else v for k, v in row.items() if k in plan["outcomes"][0]["terms"]
    )
    assert _close(signed, plan["expected_cost"])
    statistics = alpha.get(f"/v1/jobs/{job['id']}/statistics")
    assert statistics.status_code == 200, statistics.text
    assert _close(statistics.json()["total_cost"]["mean"], want["objective"])
    assert alpha.get(f"/v1/jobs/{job['id']}/report").status_code == 200


def test_a_hedge_job_is_checked_on_submission(alpha: httpx.Client) -> None:
    document = hedge()
    document["reveal"] = "Q9"
    answer = alpha.post("/v1/jobs", json={"hedge": document})
    assert answer.status_code == 422, answer.text
    assert {e["pointer"] for e in answer.json()["errors"]} == {"/hedge/reveal"}
    path = alpha.post("/v1/jobs", json={"hedge": {**hedge(), "base": "base.json"}})
    assert path.status_code == 422 and path.json()["errors"][0]["pointer"] == "/hedge/base"
    both = alpha.post("/v1/jobs", json={"hedge": hedge(), "scenarios": [hedge()["base"]]})
    assert both.status_code == 422, both.text
