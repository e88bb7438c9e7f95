"""`/v1/jobs`: submission, progress, plans, summary, idempotency."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import pytest

from optimizer.scenario.parsing import parse_scenario
from optimizer.solve import solve
from tests.service.conftest import Service, wait_for_job
from tests.service.scenarios import C0_OBJECTIVE, c0

# MODEL.md §4 names seven terms; §7 adds qualification and cap_excess after them.
TERMS = [
    "purchase", "fixed", "production", "subsidy", "build", "holding", "shortage",
    "qualification", "cap_excess",
]  # fmt: skip


def _shortage_variant(name: str) -> dict:
    """c0 with half the supply: some demand goes short."""
    document = c0(name)
    for supplier in document["suppliers"]:
        supplier["capacity"] = 50
    return document


@pytest.fixture(scope="module")
def finished_job(service: Service) -> dict:
    documents = [c0("first"), _shortage_variant("second"), c0("third")]
    with service.client("alpha") as alpha:
        accepted = alpha.post(
            "/v1/jobs", json={"scenarios": documents, "options": {"time_limit": 10}}
        )
        assert accepted.status_code == 202
        job = wait_for_job(alpha, accepted.json()["id"], ("completed", "failed"))
    return {"accepted": accepted.json(), "job": job, "documents": documents}


def test_submission_answers_202_with_id_and_state(finished_job: dict) -> None:
    accepted = finished_job["accepted"]
    assert set(accepted) == {"id", "state"}
    assert accepted["state"] in ("queued", "running", "completed")
    uuid.UUID(accepted["id"])


def test_job_completes_with_progress_and_times(finished_job: dict) -> None:
    job = finished_job["job"]
    assert job["state"] == "completed"
    assert (job["solved"], job["failed"], job["total"]) == (3, 0, 3)
    assert job["created_at"] <= job["started_at"] <= job["finished_at"]
    assert job["options"] == {"time_limit": 10.0, "mip_gap": 1e-6}


def test_plans_come_in_submission_order_and_match_a_direct_solve(
    alpha: httpx.Client, finished_job: dict
) -> None:
    answer = alpha.get(f"/v1/jobs/{finished_job['job']['id']}/plans")
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [item["scenario"] for item in items] == ["first", "second", "third"]
    for item, document in zip(items, finished_job["documents"], strict=True):
        direct = solve(parse_scenario(document))
        assert item["plan"]["status"] == direct["status"]
        assert item["plan"]["objective"] == pytest.approx(direct["objective"], rel=1e-6)
    assert items[0]["plan"]["objective"] == pytest.approx(C0_OBJECTIVE, rel=1e-6)


def test_summary_has_one_row_per_scenario(alpha: httpx.Client, finished_job: dict) -> None:
    answer = alpha.get(f"/v1/jobs/{finished_job['job']['id']}/summary")
    assert answer.status_code == 200
    body = answer.json()
    fixed = ["scenario", "status", "objective", *TERMS, "shortage_kg"]
    assert body["columns"][: len(fixed)] == fixed
    assert {"share_CN", "share_JP"} <= set(body["columns"])
    first, second, _ = body["items"]
    assert first["objective"] == pytest.approx(C0_OBJECTIVE)
    assert first["shortage_kg"] == 0
    assert second["shortage_kg"] > 0
    assert first["share_CN"] + first["share_JP"] == pytest.approx(1.0)


def test_summary_as_csv(alpha: httpx.Client, finished_job: dict) -> None:
    answer = alpha.get(
        f"/v1/jobs/{finished_job['job']['id']}/summary", headers={"Accept": "text/csv"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["scenario"] for row in rows] == ["first", "second", "third"]
    assert float(rows[0]["objective"]) == pytest.approx(C0_OBJECTIVE)
    assert rows[1]["status"] == "optimal"


def test_stored_scenarios_can_be_submitted_by_id(alpha: httpx.Client) -> None:
    ids = [alpha.post("/v1/scenarios", json=c0(f"by id {i}")).json()["id"] for i in range(2)]
    accepted = alpha.post("/v1/jobs", json={"scenario_ids": ids[::-1]})
    assert accepted.status_code == 202
    job = wait_for_job(alpha, accepted.json()["id"], ("completed",))
    assert job["solved"] == 2
    plans = alpha.get(f"/v1/jobs/{job['id']}/plans").json()["items"]
    assert [p["scenario"] for p in plans] == ["by id 1", "by id 0"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({}, ""),
        ({"scenarios": [c0()], "scenario_ids": ["x"]}, ""),
        ({"scenarios": []}, "/scenarios"),
        ({"scenarios": [c0(), {**c0(), "periods": "P1"}]}, "/scenarios/1/periods"),
        ({"scenario_ids": [str(uuid.uuid4())]}, "/scenario_ids/0"),
        ({"scenarios": [c0()], "options": {"time_limit": 1000}}, "/options/time_limit"),
        ({"scenarios": [c0()], "options": {"mip_gap": -1}}, "/options/mip_gap"),
        ({"scenarios": [c0()], "options": {"threads": 4}}, "/options/threads"),
    ],
)
def test_bad_submissions_are_422_with_pointers(
    alpha: httpx.Client, body: dict, pointer: str
) -> None:
    answer = alpha.post("/v1/jobs", json=body)
    assert answer.status_code == 422, answer.text
    assert pointer in [e["pointer"] for e in answer.json()["errors"]]


def test_same_idempotency_key_and_body_give_the_same_job(alpha: httpx.Client) -> None:
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    body = {"scenarios": [c0("idempotent")]}
    first = alpha.post("/v1/jobs", json=body, headers=key)
    again = alpha.post("/v1/jobs", json=body, headers=key)
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = alpha.post("/v1/jobs", json={"scenarios": [c0("different")]}, headers=key)
    assert other.status_code == 409
    unkeyed = alpha.post("/v1/jobs", json=body)
    assert unkeyed.json()["id"] != first.json()["id"]


def test_idempotency_keys_are_per_tenant(alpha: httpx.Client, beta: httpx.Client) -> None:
    key = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}
    mine = alpha.post("/v1/jobs", json={"scenarios": [c0("a")]}, headers=key)
    theirs = beta.post("/v1/jobs", json={"scenarios": [c0("b")]}, headers=key)
    assert mine.status_code == theirs.status_code == 202
    assert mine.json()["id"] != theirs.json()["id"]
