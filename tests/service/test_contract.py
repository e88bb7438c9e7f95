"""The OpenAPI contract, tested from the schema itself: for every operation, generated
requests (valid ones and ones that break the schema) sent over HTTP to a real
`magnets serve`, each answer checked against the schema: no server error, a declared
status code and content type, a body matching the declared model, invalid requests
refused; valid requests accepted where the schema says all there is to say about them.

Derandomised (a fixed sequence of examples), so a failure reproduces. About 100 examples
per operation and mode; budget: under 4 minutes on 2 cores.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from service.app import create_app
from service.settings import Settings
from tests.service.conftest import Service, running_service, wait_for_job
from tests.service.scenarios import c0

EXAMPLES = 100
OPENAPI = create_app(Settings(database_url="sqlite://")).openapi()  # as served: checked below


def _schema(mode: GenerationMode) -> Any:
    schema = schemathesis.openapi.from_dict(OPENAPI)
    schema.config.generation.update(
        modes=[mode], max_examples=EXAMPLES, deterministic=True, database="none"
    )
    return schema


POSITIVE, NEGATIVE = _schema(GenerationMode.POSITIVE), _schema(GenerationMode.NEGATIVE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# A body that fits the scenario schema may still break rules no JSON schema states
# (references between ids, per-period list lengths, the server's caps), so 422 is a
# correct answer to "valid" generated data on these.
SCHEMA_IS_NOT_ALL = {
    ("POST", "/v1/solve"),
    ("POST", "/v1/scenarios"),
    ("POST", "/v1/jobs"),
    ("POST", "/v1/why"),
}


@pytest.fixture(scope="module")
def contract_service(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """Small scenarios and short solves, so that generated jobs cost little; no job cap
    in practice (the 429 is declared all the same)."""
    yield from running_service(
        backend, tmp_path_factory, workers=1, max_time_limit=2, max_job_scenarios=3,
        max_suppliers_x_periods=200, max_plants_x_periods=200, max_demand_rows=200,
        max_running_jobs_per_tenant=100_000, max_body_bytes=256 * 1024,
    )  # fmt: skip


@pytest.fixture(scope="module")
def session(contract_service: Service) -> Iterator[requests.Session]:
    with requests.Session() as http:
        # Only the key: a default header (Accept: */*) would shadow a generated one.
        http.headers = CaseInsensitiveDict({"X-API-Key": contract_service.keys["alpha"]})
        yield http


def _call_and_validate(case: Any, service: Service, http: requests.Session) -> None:
    # The key is the fixture's; a generated X-API-Key header would only ever answer 401.
    case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "x-api-key"}
    checks = list(CHECKS)
    if (case.method.upper(), case.path) not in SCHEMA_IS_NOT_ALL:
        checks.append(positive_data_acceptance)
    case.call_and_validate(base_url=service.url, session=http, checks=checks, timeout=30)


@schemathesis.pytest.parametrize(valid=POSITIVE, invalid=NEGATIVE)
def test_operation_keeps_the_contract(
    case: Any, contract_service: Service, session: requests.Session
) -> None:
    _call_and_validate(case, contract_service, session)


def test_served_schema_is_the_one_tested(contract_service: Service) -> None:
    served = httpx.get(f"{contract_service.url}/openapi.json")
    assert served.status_code == 200
    assert served.json() == OPENAPI


def test_every_operation_declares_its_refusals() -> None:
    """Each /v1 operation declares 401, 422 and 503 (database out of reach) with the error
    models; id routes 404."""
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            declared = operation["responses"]
            if path.startswith("/v1/"):
                assert {"401", "422", "503"} <= set(declared), (method, path)
                problems = declared["422"]["content"]["application/json"]["schema"]
                assert problems == {"$ref": "#/components/schemas/Problems"}
            if "{" in path:
                assert "404" in declared, (method, path)
    assert "HTTPValidationError" not in OPENAPI["components"]["schemas"]


def _short(name: str) -> dict[str, Any]:
    document = c0(name)
    for supplier in document["suppliers"]:
        supplier["capacity"] = 50  # some demand goes short
    return document


def _infeasible(name: str) -> dict[str, Any]:
    document = c0(name)
    document["products"][0]["min_inventory"] = 1e6  # a safety stock no supply can reach
    return document


@pytest.fixture(scope="module")
def stored(contract_service: Service) -> dict[str, str]:
    """A stored scenario and a finished job (an optimal plan, one with shortages, an
    infeasible one), for the answers that generated ids and documents never reach."""
    with contract_service.client("alpha") as alpha:
        scenario_id = alpha.post("/v1/scenarios", json=c0("stored")).json()["id"]
        documents = [c0("one"), _short("two"), _infeasible("three")]
        answer = alpha.post("/v1/jobs", json={"scenarios": documents})
        assert answer.status_code == 202, answer.text
        job = wait_for_job(alpha, answer.json()["id"], ("completed", "failed"))
    assert job["state"] == "completed"
    return {"scenario_id": scenario_id, "job_id": job["id"]}


KNOWN: list[tuple[str, str, dict[str, Any], Any, str | None]] = [
    ("POST", "/v1/solve", {}, c0(), None),
    ("POST", "/v1/solve", {}, _infeasible("infeasible"), None),
    ("POST", "/v1/solve", {"validate_only": True}, c0(), None),
    ("POST", "/v1/scenarios", {}, c0(), None),
    ("POST", "/v1/jobs", {}, {"scenario_ids": ["{scenario_id}"]}, None),
    ("GET", "/v1/scenarios", {}, None, None),
    ("GET", "/v1/scenarios/{scenario_id}", {}, None, None),
    ("GET", "/v1/jobs", {}, None, None),
    ("GET", "/v1/jobs/{job_id}", {}, None, None),
    ("GET", "/v1/jobs/{job_id}/plans", {}, None, None),
    ("GET", "/v1/jobs/{job_id}/summary", {}, None, None),
    ("GET", "/v1/jobs/{job_id}/summary", {}, None, "text/csv"),
    ("DELETE", "/v1/jobs/{job_id}", {}, None, None),
    ("DELETE", "/v1/scenarios/{scenario_id}", {}, None, None),
]


@pytest.mark.parametrize(("method", "path", "query", "body", "accept"), KNOWN)
def test_answers_about_real_objects_keep_the_contract(
    method: str,
    path: str,
    query: dict[str, Any],
    body: Any,
    accept: str | None,
    stored: dict[str, str],
    contract_service: Service,
    session: requests.Session,
) -> None:
    parameters = {name: stored[name] for name in ("scenario_id", "job_id") if name in path}
    if body == {"scenario_ids": ["{scenario_id}"]}:
        body = {"scenario_ids": [stored["scenario_id"]]}
    case = POSITIVE[path][method].Case(
        path_parameters=parameters,
        query=query,
        headers={"accept": accept} if accept else {},
        **({"body": body, "media_type": "application/json"} if body is not None else {}),
    )
    response = case.call(base_url=contract_service.url, session=session)
    assert response.status_code in (200, 201, 202, 204), response.text
    case.validate_response(response, checks=CHECKS)
    if accept:
        assert response.headers["content-type"][0].startswith("text/csv")
