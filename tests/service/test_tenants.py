"""Keys and tenants: no key or a bad key is 401 on every /v1 route; another tenant's id
answers exactly as a missing one (404, same body) on every route that takes an id."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.service.conftest import Service, wait_for_job
from tests.service.scenarios import c0

V1_ROUTES = [
    ("POST", "/v1/solve"),
    ("POST", "/v1/scenarios"),
    ("GET", "/v1/scenarios"),
    ("GET", "/v1/scenarios/{scenario}"),
    ("DELETE", "/v1/scenarios/{scenario}"),
    ("POST", "/v1/jobs"),
    ("GET", "/v1/jobs/{job}"),
    ("GET", "/v1/jobs/{job}/plans"),
    ("GET", "/v1/jobs/{job}/summary"),
    ("DELETE", "/v1/jobs/{job}"),
]
ID_ROUTES = [(method, path) for method, path in V1_ROUTES if "{" in path]


@pytest.fixture(scope="module")
def alpha_ids(service: Service) -> dict[str, str]:
    """A scenario and a finished job of tenant alpha."""
    with service.client("alpha") as alpha:
        scenario = alpha.post("/v1/scenarios", json=c0()).json()["id"]
        job = alpha.post("/v1/jobs", json={"scenarios": [c0()]}).json()["id"]
        wait_for_job(alpha, job, ("completed",))
    return {"scenario": scenario, "job": job}


def _call(client: httpx.Client, method: str, path: str, ids: dict[str, str]) -> httpx.Response:
    body: dict[str, Any] | None = None
    if method == "POST":
        body = {"scenarios": [c0()]} if path.endswith("jobs") else c0()
    return client.request(method, path.format(**ids), json=body)


@pytest.mark.parametrize(("method", "path"), V1_ROUTES)
@pytest.mark.parametrize("key", [None, "mgk_not-a-real-key", ""])
def test_no_key_or_bad_key_is_401(
    service: Service, alpha_ids: dict[str, str], method: str, path: str, key: str | None
) -> None:
    headers = {} if key is None else {"X-API-Key": key}
    with httpx.Client(base_url=service.url, headers=headers) as client:
        answer = _call(client, method, path, alpha_ids)
    assert answer.status_code == 401
    assert "detail" in answer.json()


@pytest.mark.parametrize(("method", "path"), ID_ROUTES)
def test_another_tenants_id_reads_as_missing(
    beta: httpx.Client, alpha_ids: dict[str, str], method: str, path: str
) -> None:
    missing = {name: str(uuid.uuid4()) for name in alpha_ids}
    foreign = _call(beta, method, path, alpha_ids)
    absent = _call(beta, method, path, missing)
    assert foreign.status_code == absent.status_code == 404
    assert foreign.json() == absent.json()
    assert foreign.headers["content-length"] == absent.headers["content-length"]


def test_alphas_objects_survive_betas_attempts(
    alpha: httpx.Client, beta: httpx.Client, alpha_ids: dict[str, str]
) -> None:
    beta.delete(f"/v1/scenarios/{alpha_ids['scenario']}")
    beta.delete(f"/v1/jobs/{alpha_ids['job']}")
    assert alpha.get(f"/v1/scenarios/{alpha_ids['scenario']}").status_code == 200
    assert alpha.get(f"/v1/jobs/{alpha_ids['job']}").json()["state"] == "completed"


def test_lists_and_stored_ids_are_per_tenant(
    alpha: httpx.Client, beta: httpx.Client, alpha_ids: dict[str, str]
) -> None:
    listed = {
        item["id"] for item in beta.get("/v1/scenarios", params={"limit": 1000}).json()["items"]
    }
    assert alpha_ids["scenario"] not in listed
    answer = beta.post("/v1/jobs", json={"scenario_ids": [alpha_ids["scenario"]]})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"pointer": "/scenario_ids/0", "value": alpha_ids["scenario"], "rule": "no such scenario"}
    ]


def test_a_non_uuid_id_is_404_too(alpha: httpx.Client) -> None:
    assert alpha.get("/v1/scenarios/not-an-id").status_code == 404
    assert alpha.get("/v1/jobs/not-an-id/plans").status_code == 404
