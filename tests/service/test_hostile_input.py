"""Requests an attacker would send, over real HTTP: each answers a clear 4xx, never a 500,
and the server keeps answering."""

from __future__ import annotations

import csv
import io
import json
import socket
import time
from typing import Any

import httpx
import pytest

from tests.service.conftest import Service, wait_for_job
from tests.service.scenarios import c0

JSON = {"Content-Type": "application/json"}


def _raw(client: httpx.Client, path: str, body: Any, method: str = "POST") -> httpx.Response:
    # json.dumps writes a lone surrogate as the escape \ud800, as a hostile client would;
    # httpx's own encoder would refuse to send it.
    return client.request(method, path, content=json.dumps(body).encode(), headers=JSON)


def _with_surrogate(document: dict[str, Any]) -> dict[str, Any]:
    document["name"] = "\ud800x"
    document["suppliers"][0]["\ud800key"] = 1
    return document


@pytest.mark.parametrize(
    ("path", "wrap"),
    [
        ("/v1/scenarios", lambda d: d),
        ("/v1/solve", lambda d: d),
        ("/v1/solve?validate_only=true", lambda d: d),
        ("/v1/jobs", lambda d: {"scenarios": [d]}),
        ("/v1/why", lambda d: {"scenario": d, "exclude": {"supplier": "jp1"}}),
    ],
)
def test_a_lone_surrogate_is_refused_and_echoed_as_its_escape(
    alpha: httpx.Client, path: str, wrap: Any
) -> None:
    answer = _raw(alpha, path, wrap(_with_surrogate(c0())))
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    by_value = {e["value"]: e for e in errors}
    assert by_value["\\ud800x"]["pointer"].endswith("/name")
    assert by_value["\\ud800key"]["pointer"].endswith("/suppliers/0")  # the key is the value
    assert all("surrogate" in by_value[v]["rule"] for v in ("\\ud800x", "\\ud800key"))
    assert alpha.get("/v1/scenarios").status_code == 200


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {}
    top = node
    for _ in range(depth):
        node["a"] = {}
        node = node["a"]
    return top


@pytest.mark.parametrize("depth", [40, 600, 900])
@pytest.mark.parametrize(
    ("path", "wrap", "at"),
    [
        ("/v1/solve", lambda d: d, ""),
        ("/v1/scenarios", lambda d: d, ""),
        ("/v1/jobs", lambda d: {"scenarios": [d]}, "/scenarios/0"),
    ],
)
def test_deeply_nested_json_is_refused_with_the_pointer(
    alpha: httpx.Client, depth: int, path: str, wrap: Any, at: str
) -> None:
    document = c0()
    document["name"] = _nested(depth)
    answer = _raw(alpha, path, wrap(document))
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["pointer"].startswith(f"{at}/name/a/a/")
    assert "nested deeper than" in error["rule"]
    assert alpha.post("/v1/solve", json=c0()).status_code == 200


def test_a_scenario_of_ordinary_depth_still_solves(alpha: httpx.Client) -> None:
    job = alpha.post("/v1/jobs", json={"scenarios": [c0()], "options": {"time_limit": 10}})
    assert job.status_code == 202, job.text


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("OPTIONS", "/v1/scenarios", "GET, POST"),
        ("PUT", "/v1/scenarios/some-id", "DELETE, GET"),
        ("HEAD", "/v1/jobs/some-id", "DELETE, GET"),
        ("GET", "/v1/solve", "POST"),
    ],
)
def test_a_method_the_path_does_not_take_names_every_method_it_does(
    alpha: httpx.Client, method: str, path: str, allowed: str
) -> None:
    answer = alpha.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == allowed


def test_an_unknown_path_is_still_404(alpha: httpx.Client) -> None:
    assert alpha.request("OPTIONS", "/v1/nothing-here").status_code == 404


@pytest.mark.parametrize("path", ["/healthz", "/v1/scenarios", "/v1/jobs/missing", "/openapi.json"])
def test_every_answer_forbids_sniffing_and_loading_anything(alpha: httpx.Client, path: str) -> None:
    answer = alpha.get(path)
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy


@pytest.mark.parametrize("value", [1e20, 1e25])
def test_amounts_too_large_to_solve_are_refused_with_the_rule(
    alpha: httpx.Client, value: float
) -> None:
    document = c0()
    document["suppliers"][0]["capacity"] = value
    for path in ("/v1/solve", "/v1/scenarios", "/v1/solve?validate_only=true"):
        answer = alpha.post(path, json=document)
        assert answer.status_code == 422, answer.text
        [error] = answer.json()["errors"]
        assert (error["pointer"], error["value"]) == ("/suppliers/0/capacity", value)
        assert error["rule"].startswith("at most 1e12")


def test_a_whole_number_written_as_a_float_is_an_integer(alpha: httpx.Client) -> None:
    document = c0()
    document["suppliers"][0]["lead_time"] = float(document["suppliers"][0].get("lead_time", 0))
    answer = alpha.post("/v1/solve", json=document)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "optimal"


@pytest.mark.parametrize("name", ["=HYPERLINK(1)", "+1", "-cmd", "@SUM(A1)", "\t=1"])
def test_a_scenario_name_cannot_become_a_formula_in_the_csv_summary(
    alpha: httpx.Client, name: str
) -> None:
    job = alpha.post("/v1/jobs", json={"scenarios": [c0(name)]}).json()["id"]
    wait_for_job(alpha, job, ("completed",))
    csv_text = alpha.get(f"/v1/jobs/{job}/summary", headers={"Accept": "text/csv"}).text
    [row] = list(csv.DictReader(io.StringIO(csv_text)))
    assert row["scenario"] == "'" + name
    assert float(row["objective"]) > 0  # numbers stay numbers


@pytest.mark.parametrize("key", [None, "mgk_not-a-key"])
@pytest.mark.parametrize("path", ["/v1/solve", "/v1/scenarios", "/v1/jobs"])
def test_a_request_without_a_valid_key_is_refused_before_its_body_is_sent(
    service: Service, key: str | None, path: str
) -> None:
    """Headers announcing 8 MB, and no body at all: the answer comes at once."""
    host, port = service.url.removeprefix("http://").split(":")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json"]
    lines += ["Content-Length: 8000000"] + ([f"X-API-Key: {key}"] if key else [])
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        answer = conn.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 401"), answer
    assert "X-API-Key" in answer  # WWW-Authenticate names the header to send


def _dimensions(document: dict[str, Any], **counts: int) -> dict[str, Any]:
    for key, n in counts.items():
        document[key] = [{"id": f"{key}-{i}"} for i in range(n)]
    return document


@pytest.mark.parametrize("path", ["/v1/solve", "/v1/scenarios", "/v1/solve?validate_only=true"])
def test_a_small_document_for_a_huge_model_is_refused_before_building(
    alpha: httpx.Client, path: str
) -> None:
    """191 KB: 2,000 countries and 2,000 demand rows made 4 million candidate columns."""
    document = _dimensions(c0(), countries=2000, products=10, sectors=20)
    document["periods"] = [f"t{i}" for i in range(10)]
    document["demand"] = [{"product": "p", "sector": "s", "period": "t0", "quantity": 1}] * 2000
    started = time.perf_counter()
    answer = alpha.post(path, json=document)
    assert answer.status_code == 422, answer.text
    assert time.perf_counter() - started < 5
    [error] = [e for e in answer.json()["errors"] if "candidate consumption" in e["rule"]]
    assert (error["pointer"], error["value"]) == ("/countries", 4_000_000)
    assert "too large for this service" in error["rule"]


def test_licences_over_thousands_of_suppliers_are_refused_before_building(
    alpha: httpx.Client,
) -> None:
    """100 licences over 4,000 suppliers took 1.5 GB and 15.6 s of building; here over
    1,000 suppliers and 60 periods, in a body under the size cap."""
    document = c0()
    document["periods"] = [f"t{i}" for i in range(60)]
    offer = {"product": document["products"][0]["id"], "price": 1.0}
    document["suppliers"] = [
        {"id": f"s{i}", "country": "CN", "capacity": 1.0, "offers": [offer]} for i in range(1000)
    ]
    every = [s["id"] for s in document["suppliers"]]
    document["licences"] = [
        {"id": f"l{i}", "suppliers": every, "quantity": 1.0} for i in range(100)
    ]
    answer = alpha.post("/v1/solve", json=document)
    assert answer.status_code == 422, answer.text
    [error] = [e for e in answer.json()["errors"] if e["pointer"] == "/licences"]
    assert error["value"] == len(document["licences"]) * len(every) * 60
