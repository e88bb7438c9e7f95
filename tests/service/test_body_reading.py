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


def test_health_answers_while_large_bodies_are_parsed(reading_service: Service) -> None:
    """Three large bodies posted at once: every health check sent meanwhile is answered,
    and the bodies get their 422. How long a check waits is a benchmark's business (the
    machine decides it); that the parse leaves the event loop is the next test's."""
    body = _large_job_body()
    latencies: list[float] = []
    done = threading.Event()
    answers: list[httpx.Response] = []

    def poll() -> None:
        with httpx.Client(base_url=reading_service.url, timeout=30) as http:
            while not done.is_set():
                sent = time.perf_counter()
                assert http.get("/healthz").status_code == 200
                latencies.append(time.perf_counter() - sent)
                time.sleep(0.005)

    def post() -> None:
        with reading_service.client("alpha") as alpha:
            answers.append(alpha.post(
                "/v1/jobs", content=body, headers={"Content-Type": "application/json"}))  # fmt: skip

    poller = threading.Thread(target=poll)
    posters = [threading.Thread(target=post) for _ in range(3)]
    poller.start()
    try:
        for t in posters:
            t.start()
        for t in posters:
            t.join(120)
    finally:
        done.set()
        poller.join()
    assert len(answers) == 3
    for answer in answers:
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["pointer"] == "/scenarios"
    assert len(latencies) > 10


def test_a_large_body_is_parsed_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """service.limits.OffLoopRequest: a body past OFF_LOOP_BYTES is parsed off the event
    loop's thread, a small one on it; the value is json.loads's either way."""
    import asyncio

    from service import limits

    threads: list[int] = []

    def parse(body: bytes) -> object:
        threads.append(threading.get_ident())
        return json.loads(body)

    monkeypatch.setattr(limits, "parse_json", parse)

    def request(body: bytes) -> limits.OffLoopRequest:
        sent = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, object]:
            return sent.pop(0)

        scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
        return limits.OffLoopRequest(scope, receive)  # type: ignore[arg-type]

    large = json.dumps({"pad": "x" * limits.OFF_LOOP_BYTES}).encode()

    async def main() -> tuple[int, object, object]:
        loop_thread = threading.get_ident()
        big = await request(large).json()
        small = await request(b'{"a": 1}').json()
        return loop_thread, big, small

    loop_thread, big, small = asyncio.run(main())
    assert big == json.loads(large) and small == {"a": 1}
    assert len(threads) == 1 and threads[0] != loop_thread  # the small one: json.loads


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


def test_large_bodies_are_read_one_at_a_time() -> None:
    """service.limits.off_loop: works of large bodies run in worker threads, never two at
    once, so the event loop shares the GIL with one of them at most."""
    import asyncio

    from service.limits import off_loop

    running, most = [0], [0]
    lock = threading.Lock()

    def work(k: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return k

    async def main() -> list[int]:
        return list(await asyncio.gather(*(off_loop(work, k) for k in range(4))))

    assert asyncio.run(main()) == [0, 1, 2, 3]
    assert most == [1]
