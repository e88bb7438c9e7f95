"""Logs and health: JSON lines on stderr tied to requests (`X-Request-ID`) and jobs, and
readiness that follows the database. Budget: about 20 s (three short-lived servers)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from service.errors import install_handlers
from service.logging_setup import (
    JsonFormatter,
    RequestContext,
    RequestLog,
    log_event,
)
from tests.service.conftest import (
    TENANTS,
    Service,
    free_port,
    mint_key,
    service_env,
    start_service,
    stop_service,
    wait_for_job,
)
from tests.service.scenarios import c0

REQUIRED = {"ts", "level", "logger", "message"}


def log_lines(log: Path) -> list[dict[str, Any]]:
    """Every line of the server's output, each parsed as one JSON object."""
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert all(isinstance(e, dict) and set(e) >= REQUIRED for e in entries), lines
    return entries


def lines_until(log: Path, found: Any, timeout: float = 10) -> list[dict[str, Any]]:
    """The log once some line satisfies `found` (a request's line is written just after
    its answer is sent)."""
    deadline = time.monotonic() + timeout
    while True:
        entries = log_lines(log)
        if any(found(e) for e in entries) or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Path]]:
    """A service whose stderr (and stdout) goes to a file, at log level info."""
    directory = tmp_path_factory.mktemp("logged")
    env = service_env(
        f"sqlite:///{directory / 'magnets.db'}", workers=1, max_time_limit=10, log_level="info"
    )
    keys = {tenant: mint_key(tenant, env) for tenant in TENANTS}
    log = directory / "server.log"
    process, url = start_service(env, log)
    try:
        yield Service(url, env, keys), log
    finally:
        stop_service(process)


def test_every_line_is_a_json_object(logged: tuple[Service, Path]) -> None:
    service, log = logged
    httpx.get(f"{service.url}/healthz")
    entries = lines_until(log, lambda e: e.get("route") == "/healthz")
    assert any(
        e["logger"] == "magnets.service" and e["message"] == "service.ready" for e in entries
    )
    assert all(e["level"] in ("debug", "info", "warning", "error", "critical") for e in entries)


def test_request_line_matches_the_request_id_header(logged: tuple[Service, Path]) -> None:
    service, log = logged
    with service.client("alpha") as alpha:
        started = time.perf_counter()
        answer = alpha.get("/v1/scenarios", params={"limit": 5})
        elapsed_ms = (time.perf_counter() - started) * 1000
    request_id = answer.headers["X-Request-ID"]
    uuid.UUID(hex=request_id)  # made by the server
    [line] = [e for e in lines_until(log, _of(request_id)) if _of(request_id)(e)]
    assert line["event"] == "request"
    assert (line["method"], line["route"], line["path"]) == (
        "GET",
        "/v1/scenarios",
        "/v1/scenarios",
    )
    assert line["status"] == 200
    assert isinstance(line["tenant"], int)
    assert 0 < line["duration_ms"] <= elapsed_ms


def test_ids_in_the_path_and_the_status_are_logged(logged: tuple[Service, Path]) -> None:
    service, log = logged
    missing = str(uuid.uuid4())
    with service.client("alpha") as alpha:
        answer = alpha.get(f"/v1/jobs/{missing}/plans")
    assert answer.status_code == 404
    request_id = answer.headers["X-Request-ID"]
    [line] = [e for e in lines_until(log, _of(request_id)) if _of(request_id)(e)]
    assert (line["route"], line["job_id"], line["status"]) == (
        "/v1/jobs/{job_id}/plans",
        missing,
        404,
    )


def test_a_plain_client_request_id_is_kept_and_an_odd_one_replaced(
    logged: tuple[Service, Path],
) -> None:
    service, log = logged
    kept = httpx.get(f"{service.url}/healthz", headers={"X-Request-ID": "trace-42.a"})
    odd = httpx.get(f"{service.url}/healthz", headers={"X-Request-ID": "x" * 65})
    assert kept.headers["X-Request-ID"] == "trace-42.a"
    assert len(odd.headers["X-Request-ID"]) == 32
    assert any(_of("trace-42.a")(e) for e in lines_until(log, _of("trace-42.a")))


def test_unauthenticated_request_is_logged_without_a_tenant(logged: tuple[Service, Path]) -> None:
    service, log = logged
    answer = httpx.get(f"{service.url}/v1/scenarios")
    assert answer.status_code == 401
    request_id = answer.headers["X-Request-ID"]
    [line] = [e for e in lines_until(log, _of(request_id)) if _of(request_id)(e)]
    assert line["status"] == 401 and "tenant" not in line


def test_job_lines_carry_the_job_id(logged: tuple[Service, Path]) -> None:
    service, log = logged
    with service.client("alpha") as alpha:
        answer = alpha.post("/v1/jobs", json={"scenarios": [c0("first"), c0("second")]})
        job_id = answer.json()["id"]
        wait_for_job(alpha, job_id, ("completed", "failed"))
    entries = lines_until(log, lambda e: e.get("event") == "job.queued")
    mine = [e for e in entries if e.get("job_id") == job_id]
    [queued] = [e for e in mine if e.get("event") == "job.queued"]
    assert queued["scenarios"] == 2 and queued["request_id"] == answer.headers["X-Request-ID"]
    [submitted] = [e for e in mine if e.get("event") == "request" and e["method"] == "POST"]
    assert (submitted["route"], submitted["status"]) == ("/v1/jobs", 202)
    polls = [e for e in mine if e.get("event") == "request" and e["method"] == "GET"]
    assert polls and all(e["route"] == "/v1/jobs/{job_id}" for e in polls)


def test_job_items_are_logged_with_job_and_scenario(logged: tuple[Service, Path]) -> None:
    """Lines the dispatcher writes as each item is solved (see docs/service-notes.md)."""
    service, log = logged
    with service.client("alpha") as alpha:
        job_id = alpha.post("/v1/jobs", json={"scenarios": [c0("only")]}).json()["id"]
        wait_for_job(alpha, job_id, ("completed", "failed"))
    solved = [
        e
        for e in lines_until(log, lambda e: e.get("event") == "job.item_solved", timeout=2)
        if e.get("job_id") == job_id and e.get("event") == "job.item_solved"
    ]
    assert len(solved) == 1, f"one job.item_solved line for job {job_id}, got {solved}"
    [item] = solved
    assert (item["scenario"], item["position"], item["status"]) == ("only", 0, "optimal")
    assert item["objective"] == pytest.approx(3340.0)


def _of(request_id: str) -> Any:
    return lambda e: e.get("request_id") == request_id and e.get("event") == "request"


# --- the formatter and the 500 path, in process ---------------------------------------


def test_formatter_writes_extra_fields_and_the_traceback() -> None:
    out = io.StringIO()
    logger = _capturing_logger(out, "test.magnets")
    log_event(logger, "job.item_solved", job_id="j1", position=3, name="clash", objective=1.5)
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["message"] == first["event"] == "job.item_solved"
    assert (first["job_id"], first["position"], first["objective"]) == ("j1", 3, 1.5)
    assert first["name_"] == "clash" and first["logger"] == "test.magnets"
    assert first["level"] == "info" and first["ts"].endswith("+00:00")
    assert second["level"] == "error" and "ValueError: boom" in second["exception"]


def test_an_unexpected_error_answers_500_with_the_request_id_on_the_lines() -> None:
    out = io.StringIO()
    _capturing_logger(out, "magnets.requests")
    _capturing_logger(out, "magnets.service")
    app = FastAPI()
    app.add_middleware(RequestLog)
    install_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/boom")

    answer = asyncio.run(call())
    assert answer.status_code == 500 and "secret" not in answer.text
    request_id = answer.headers["X-Request-ID"]
    entries = [json.loads(line) for line in out.getvalue().splitlines()]
    assert {e["logger"] for e in entries if e.get("request_id") == request_id} == {
        "magnets.service",  # the error handler's line
        "magnets.requests",  # the request line, status 500
    }
    assert [e["status"] for e in entries if e.get("event") == "request"] == [500]


@pytest.fixture(autouse=True)
def _restore_loggers() -> Iterator[None]:
    names = ("test.magnets", "magnets.requests", "magnets.service")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level) for n in names}
    yield
    for name, (handlers, level) in saved.items():
        logging.getLogger(name).handlers = handlers
        logging.getLogger(name).setLevel(level)


def _capturing_logger(out: io.StringIO, name: str) -> logging.Logger:
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContext())
    logger = logging.getLogger(name)
    logger.handlers = [handler]
    logger.setLevel(logging.INFO)
    return logger


# --- readiness follows the database ----------------------------------------------------


def _serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`magnets serve`, waited for until alive (not ready: that is what is tested)."""
    return start_service(env, log, ready=False)


def test_unreachable_postgresql_is_alive_but_not_ready(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    env = service_env(f"postgresql+psycopg://magnets:none@127.0.0.1:{closed}/magnets", workers=1)
    process, url = _serve(env, tmp_path / "server.log")
    try:
        assert httpx.get(f"{url}/healthz").status_code == 200
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 503
        assert ready.json() == {"status": "not ready", "database": False, "dispatcher": False}
        refused = httpx.get(f"{url}/v1/scenarios", headers={"X-API-Key": "mgk_unchecked"})
        assert refused.status_code == 503  # the key cannot be checked: not a 401, not a 500
        assert refused.json() == {"detail": "database unavailable; retry"}
        assert refused.headers["Retry-After"] == "5"
    finally:
        stop_service(process)
    waiting = [
        e for e in log_lines(tmp_path / "server.log") if e.get("event") == "database.unreachable"
    ]
    assert waiting and "127.0.0.1" in waiting[0]["reason"]


def test_service_becomes_ready_once_its_database_appears(tmp_path: Path) -> None:
    directory = tmp_path / "not-yet"  # SQLite cannot open a file in a missing directory
    env = service_env(f"sqlite:///{directory / 'magnets.db'}", workers=1)
    process, url = _serve(env, tmp_path / "server.log")
    try:
        assert httpx.get(f"{url}/readyz").status_code == 503
        directory.mkdir()
        deadline = time.monotonic() + 20
        while httpx.get(f"{url}/readyz").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        ready = httpx.get(f"{url}/readyz")
        assert ready.json() == {"status": "ready", "database": True, "dispatcher": True}
    finally:
        stop_service(process)
