"""The OpenAPI contract, tested from the schema itself: for every operation, generated
requests (valid ones and ones that break the schema, plus schemathesis's coverage cases:
boundaries, missing and unexpected fields, undeclared methods and media types) sent over
HTTP to a real `magnets serve`, each answer judged by every check schemathesis ships: no
server error, a declared status code, content type, headers and body, invalid requests
refused, a key that is declared actually required, 405 with `Allow` on undeclared
methods, and valid requests accepted wherever the schema says all there is to say
about them.

Derandomised (a fixed sequence of examples), so a failure reproduces. About 100 examples
per operation and mode; budget: under 2 minutes per database on 2 cores.
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
from schemathesis.checks import CHECKS as REGISTERED
from schemathesis.checks import load_all_checks

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

load_all_checks()
ALL_CHECKS = REGISTERED.get_all()  # every check schemathesis ships (and any added later)
SHIPPED = {
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
    "positive_data_acceptance", "missing_required_header", "unsupported_method",
    "allow_header_conformance", "use_after_free", "ensure_resource_availability",
    "ignored_auth", "object_level_authorization",
}  # fmt: skip
# A body that fits the scenario schema may still break rules no JSON schema can state
# (references between a scenario's ids, per-period list lengths, the server's size
# caps; for jobs and /v1/why, the stored scenario an id names; for /v1/hedge, every
# outcome holding base's ids and the caps summed over the outcomes), so 422 is a correct
# answer to "valid" generated data on these, and only these (docs/service-notes.md).
SCHEMA_IS_NOT_ALL = {
    ("POST", "/v1/solve"),
    ("POST", "/v1/scenarios"),
    ("POST", "/v1/jobs"),
    ("POST", "/v1/why"),
    ("POST", "/v1/hedge"),
}
ALL_BUT_ACCEPTANCE = [c for c in ALL_CHECKS if c.__name__ != "positive_data_acceptance"]


def checks_for(method: str, path: str) -> list[Any]:
    return ALL_BUT_ACCEPTANCE if (method.upper(), path) in SCHEMA_IS_NOT_ALL else ALL_CHECKS


def test_every_shipped_check_runs() -> None:
    assert {check.__name__ for check in ALL_CHECKS} >= SHIPPED


@pytest.fixture(scope="module")
def contract_service(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """Small scenarios and short solves, so that generated jobs cost little; no job cap
    in practice (the 429 is declared all the same)."""
    services = running_service(
        backend, tmp_path_factory, workers=1, max_time_limit=2, max_job_scenarios=3,
        max_suppliers_x_periods=200, max_plants_x_periods=200, max_demand_rows=200,
        max_running_jobs_per_tenant=100_000, max_body_bytes=256 * 1024,
    )  # fmt: skip
    try:
        yield next(services)
    finally:
        services.close()


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        # No default headers: one (Accept: */*) would shadow a generated one.
        http.headers = CaseInsensitiveDict()
        yield http


def _call_and_validate(case: Any, service: Service, http: requests.Session) -> None:
    """The service's key in place of the generated one (edited in place: a case whose
    security header is removed counts as a request without credentials); a case without
    the header is meant to go without a key and is sent so. Given as the caller's own
    credential, the key has `ignored_auth` also send each accepted request without a key
    and with a wrong one, expecting 401."""
    headers: dict[str, str] = {}
    for name in case.headers or {}:
        if name.lower() == "x-api-key":
            case.headers[name] = service.keys["alpha"]
            headers = {name: service.keys["alpha"]}
    checks = checks_for(case.method, case.path)
    case.call_and_validate(
        base_url=service.url, session=http, headers=headers, checks=checks, timeout=30
    )


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


def _hedge(name: str) -> dict[str, Any]:
    """c0 hedged against cn1 stopping in P2, decided from P1."""
    stop = {"kind": "capacity", "supplier": ["cn1"], "factor": 0, "periods": ["P2"]}
    return {"name": name, "base": c0(), "reveal": "P2", "outcomes": [
        {"name": "as is", "probability": 0.6, "shocks": []},
        {"name": "cn1 stops", "probability": 0.4, "shocks": [stop]},
    ]}  # fmt: skip


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
    ("POST", "/v1/hedge", {}, _hedge("hedge"), None),
    ("POST", "/v1/hedge", {"outcome_plans": True}, _hedge("hedge"), None),
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
    headers = {"X-API-Key": contract_service.keys["alpha"]}
    response = case.call(base_url=contract_service.url, session=session, headers=headers)
    assert response.status_code in (200, 201, 202, 204), response.text
    case.validate_response(response, checks=checks_for(method, path), headers=headers)
    if accept:
        assert response.headers["content-type"][0].startswith("text/csv")
