"""The service's logs: one JSON object per line on stderr.

Every line has `ts` (UTC, ISO 8601), `level`, `logger` and `message`, then the record's
extra fields. A line logged while a request is handled also carries that request's
`request_id` (and `tenant` once known). Each request ends with one line (`event`
"request") giving method, route, path, status, duration_ms and, where the route names
one, job_id or scenario_id; the id is sent back as `X-Request-ID`. Job lifecycle lines
use `log_event(logger, "job.queued", job_id=..., ...)`.

The level comes from `configure_logging(level)`, else MAGNETS_LOG_LEVEL, else info.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = "magnets"
LEVELS = ("debug", "info", "warning", "error")
REQUEST_ID_HEADER = "X-Request-ID"
# A client's own request id is kept when it is short and plain; otherwise a new one is made.
CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Path parameters named in request lines, as the routes spell them.
PATH_IDS = ("job_id", "scenario_id")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_request_fields: ContextVar[dict[str, Any] | None] = ContextVar("magnets_request", default=None)
request_log = logging.getLogger(f"{LOGGER}.requests")


class JsonFormatter(logging.Formatter):
    """ts, level, logger, message, then the record's extra fields (and a traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (k, v) for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class RequestContext(logging.Filter):
    """Adds the current request's fields (request_id, tenant) to a record lacking them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_request_fields.get() or {}).items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: Any) -> None:
    """One line for a named event with its fields, e.g. `log_event(log, "job.item_solved",
    job_id=..., position=2, scenario="base", status="optimal", objective=..., solve_s=...)`.
    A field named like a LogRecord attribute (`name`, `module`...) gets a trailing `_`."""
    extra = {(f"{k}_" if k in _STANDARD else k): v for k, v in fields.items()}
    logger.log(level, event, extra={"event": event, **extra})


def bind(**fields: Any) -> None:
    """Attach fields (e.g. tenant, job_id) to the current request's lines from here on."""
    current = _request_fields.get()
    if current is not None:
        current.update(fields)


def current_request_id() -> str | None:
    fields = _request_fields.get()
    return None if fields is None else fields.get("request_id")


def configure_logging(level: str | None = None) -> None:
    """JSON lines on stderr for the service's loggers and the server's own; the server's
    access log is replaced by the request lines above. Safe to call again."""
    chosen = (level or os.environ.get("MAGNETS_LOG_LEVEL") or "info").lower()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContext())
    handler.set_name("magnets-json")
    for name in (LOGGER, "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        if name != "uvicorn.error":  # it reaches the handler through "uvicorn"
            logger.addHandler(handler)
    service = logging.getLogger(LOGGER)
    service.setLevel(chosen.upper() if chosen in LEVELS else logging.INFO)
    logging.getLogger("uvicorn.access").disabled = True
    if chosen not in LEVELS:
        service.warning("unknown log level %r; using info", chosen, extra={"levels": LEVELS})


class RequestLog:
    """Gives each request an id (`X-Request-ID`, also on every line it logs) and logs one
    line when it ends: method, route, path, status, duration_ms, tenant, job or scenario id."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _client_request_id(scope) or uuid.uuid4().hex
        fields: dict[str, Any] = {"request_id": request_id}
        _request_fields.set(fields)  # left set on failure: the 500 handler reads it
        started = time.perf_counter()
        status = 500  # unless a response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _log_request(scope, fields, status, time.perf_counter() - started)


def _log_request(scope: Scope, fields: dict[str, Any], status: int, seconds: float) -> None:
    route = getattr(scope.get("route"), "path", None)
    params = scope.get("path_params") or {}
    ids = {k: params[k] for k in PATH_IDS if k in params}
    level = logging.ERROR if status == 500 else logging.WARNING if status > 500 else logging.INFO
    duration_ms = round(seconds * 1000, 2)
    request_log.log(
        level,
        "%s %s %d %.1f ms",
        scope["method"],
        scope["path"],
        status,
        duration_ms,
        extra={
            "event": "request",
            **fields,
            **ids,
            "method": scope["method"],
            "route": route,
            "path": scope["path"],
            "status": status,
            "duration_ms": duration_ms,
        },  # fmt: skip
    )


def _client_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if CLIENT_REQUEST_ID.fullmatch(text) else None
    return None
