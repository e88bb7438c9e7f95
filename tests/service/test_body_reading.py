"""Reading request bodies, over real HTTP: a large JSON body is parsed off the event loop
(other requests keep being answered meanwhile), and a body that never finishes arriving
answers 408 within MAGNETS_BODY_READ_TIMEOUT_S, its connection closed."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlparse

import httpx
import pytest

from tests.service.conftest import Service, running_service
from tests.service.scenarios import c0

READ_TIMEOUT_S = 2


@pytest.fixture(scope="module")
def reading_service(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from running_service(
        backend, tmp_path_factory, workers=1, max_body_bytes=16 * 1024 * 1024,
        body_read_timeout_s=READ_TIMEOUT_S,
    )  # fmt: skip


def _large_job_body() -> bytes:
    """About 8 MB: 8,000 scenarios, more than a job takes (422 once parsed)."""
    return json.dumps({"scenarios": [c0(f"s{i}") for i in range(8000)]}).encode()


def test_health_answers_while_a_large_body_is_parsed(reading_service: Service) -> None:
    body = _large_job_body()
    started = time.perf_counter()
    json.loads(body)
    parse_s = time.perf_counter() - started  # what parsing on the event loop would block
    latencies: list[float] = []
    done = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=reading_service.url, timeout=30) as http:
            while not done.is_set():
                sent = time.perf_counter()
                assert http.get("/healthz").status_code == 200
                latencies.append(time.perf_counter() - sent)
                time.sleep(0.005)

    poller = threading.Thread(target=poll)
    with reading_service.client("alpha") as alpha:
        alpha.get("/healthz")
        poller.start()
        try:
            for _ in range(3):
                answer = alpha.post(
                    "/v1/jobs", content=body, headers={"Content-Type": "application/json"}
                )
                assert answer.status_code == 422, answer.text
                assert answer.json()["errors"][0]["pointer"] == "/scenarios"
        finally:
            done.set()
            poller.join()
    assert len(latencies) > 10
    assert max(latencies) < parse_s, (max(latencies), parse_s)


def test_a_large_malformed_body_answers_the_usual_422(reading_service: Service) -> None:
    body = _large_job_body()[:-1]
    with reading_service.client("alpha") as alpha:
        answer = alpha.post("/v1/jobs", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["rule"].startswith("not valid JSON")


def _unfinished(service: Service, sent: bytes) -> tuple[bytes, float]:
    """Headers promising 1000 bytes of body, then `sent`, then nothing: what comes back
    before the server closes the connection, and after how long."""
    url = urlparse(service.url)
    key = service.keys["alpha"]
    head = (
        f"POST /v1/scenarios HTTP/1.1\r\nHost: {url.hostname}\r\nX-API-Key: {key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=READ_TIMEOUT_S + 20) as s:
        started = time.monotonic()
        s.sendall(head + sent)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        return answer, time.monotonic() - started


@pytest.mark.parametrize("sent", [b"", b'{"name": "slow'])
def test_an_unfinished_body_answers_408_and_closes(reading_service: Service, sent: bytes) -> None:
    answer, waited = _unfinished(reading_service, sent)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"request body not received in time" in answer
    assert READ_TIMEOUT_S - 0.5 < waited < READ_TIMEOUT_S + 10
    with reading_service.client("alpha") as alpha:
        assert alpha.get("/v1/scenarios").status_code == 200  # the server goes on
