"""`POST /v1/solve`: plans, validation-only, the 422 shape, and the server's limits."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.service.conftest import Service
from tests.service.scenarios import C0_OBJECTIVE, c0


def test_solve_returns_the_plan(alpha: httpx.Client) -> None:
    answer = alpha.post("/v1/solve", json=c0())
    assert answer.status_code == 200
    plan = answer.json()
    assert plan["status"] == "optimal"
    assert plan["objective"] == pytest.approx(C0_OBJECTIVE, rel=1e-6)
    assert list(plan["terms"]) == [  # MODEL.md §4's seven, then §7's two
        "purchase", "fixed", "production", "subsidy", "build", "holding", "shortage",
        "qualification", "cap_excess",
    ]  # fmt: skip


def test_solve_takes_time_limit_and_mip_gap(alpha: httpx.Client) -> None:
    answer = alpha.post("/v1/solve", params={"time_limit": 5, "mip_gap": 0.01}, json=c0())
    assert answer.status_code == 200
    assert answer.json()["objective"] == pytest.approx(C0_OBJECTIVE, rel=1e-6)


def test_validate_only_does_not_solve(alpha: httpx.Client) -> None:
    answer = alpha.post("/v1/solve", params={"validate_only": "true"}, json=c0())
    assert answer.status_code == 200
    assert answer.json() == {"valid": True}


def test_rejected_scenario_names_pointer_value_and_rule(alpha: httpx.Client) -> None:
    shape = c0()
    shape["suppliers"][0]["capacity"] = -5
    reference = c0()
    reference["demand"][0]["product"] = "no_such_product"
    cases = [
        (shape, "/suppliers/0/capacity", -5),
        (reference, "/demand/0/product", "no_such_product"),
    ]
    for document, where, value in cases:
        for params in ({}, {"validate_only": "true"}):
            answer = alpha.post("/v1/solve", params=params, json=document)
            assert answer.status_code == 422
            errors = answer.json()["errors"]
            assert all(set(e) == {"pointer", "value", "rule"} for e in errors)
            assert any(e["pointer"] == where and e["value"] == value for e in errors), errors


def test_malformed_requests_use_the_same_422_shape(alpha: httpx.Client) -> None:
    not_json = alpha.post(
        "/v1/solve", content=b"{nope", headers={"content-type": "application/json"}
    )
    not_object = alpha.post("/v1/solve", json=[1, 2])
    bad_query = alpha.post("/v1/solve", params={"mip_gap": "2"}, json=c0())
    for answer in (not_json, not_object, bad_query):
        assert answer.status_code == 422, answer.text
        assert all(set(e) == {"pointer", "value", "rule"} for e in answer.json()["errors"])
    assert bad_query.json()["errors"][0]["pointer"] == "/query/mip_gap"
    assert "Traceback" not in not_json.text


def test_time_limit_above_the_server_maximum_is_refused(alpha: httpx.Client) -> None:
    answer = alpha.post("/v1/solve", params={"time_limit": 31}, json=c0())
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["pointer"] == "/query/time_limit"
    assert error["value"] == 31
    assert "30" in error["rule"]


def test_oversized_scenario_is_refused_before_building(alpha: httpx.Client) -> None:
    document = c0()
    document["periods"] = [f"T{t}" for t in range(200)]  # 2 suppliers x 200 periods is fine
    document["suppliers"] = [
        {**document["suppliers"][1], "id": f"s{i}"} for i in range(101)
    ]  # 101 x 200 > 20,000
    answer = alpha.post("/v1/solve", params={"validate_only": "true"}, json=document)
    assert answer.status_code == 422
    [error] = answer.json()["errors"]
    assert error["pointer"] == "/suppliers"
    assert "too large" in error["rule"]


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_body_over_the_cap_is_413(service: Service) -> None:
    big = c0()
    big["notes"] = "x" * (1024 * 1024 + 10)  # the test server takes at most 1 MiB
    data = json.dumps(big).encode()
    headers = {"X-API-Key": service.keys["alpha"], "content-type": "application/json"}
    declared = httpx.post(f"{service.url}/v1/solve", content=data, headers=headers)
    assert declared.status_code == 413
    streamed = httpx.post(f"{service.url}/v1/solve", content=_chunks(data), headers=headers)
    assert "content-length" not in {k.lower() for k in streamed.request.headers}
    assert streamed.status_code == 413
    assert declared.json() == streamed.json() == {"detail": "Content Too Large"}
