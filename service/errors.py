"""How errors leave the service: 422 as `{"errors": [{"pointer", "value", "rule"}]}` (a
rejected scenario and a malformed request alike), others as `{"detail": text}`, and never
a stack trace."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from .logging_setup import REQUEST_ID_HEADER, current_request_id
from .schemas import ErrorDetail, Problems
from .solving import SURROGATE_RULE, Problem, ScenarioError, pointer

log = logging.getLogger("magnets.service")
MAX_SHOWN_VALUE_CHARS = 1000  # a rejected value larger than this is reported as null
DATABASE_RETRY_AFTER_S = 5


# What each refusal means, for the OpenAPI schema (`responses=` of every route).
MEANINGS = {
    401: "No API key, or an unknown one.",
    404: "No such object (another tenant's answers the same).",
    409: "The Idempotency-Key was used before with another body.",
    413: "The request body is larger than this server takes.",
    422: "The request or its scenario breaks these rules.",
    429: "The tenant is over its share (queued or running jobs, or solves waiting); retry later.",
    503: "The database cannot be reached, or the solver processes were lost; retry.",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "X-API-Key", "schema": {"type": "string"}}},
    429: RETRY_AFTER,
    503: RETRY_AFTER,
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entries of a route that may refuse with these status codes."""
    return {
        code: {
            "model": Problems if code == 422 else ErrorDetail,
            "description": MEANINGS[code],
            **({"headers": HEADERS[code]} if code in HEADERS else {}),
        }
        for code in codes
    }


class RequestProblems(Exception):
    """A request the service refuses with 422 and these problems (besides the scenario's)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def unprocessable(problems: Sequence[Problem]) -> JSONResponse:
    errors = [printable({**p.as_dict(), "value": _shown(p.value)}) for p in problems]
    return JSONResponse({"errors": errors}, status_code=422)


def printable(value: Any) -> Any:
    """The value with every text encodable as UTF-8: a lone UTF-16 surrogate (which JSON
    can carry as "\\ud800" but UTF-8 cannot) is echoed as its escape, `\\ud800`."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable(v) for v in value]
    return value


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ScenarioError, _on_problems)
    app.add_exception_handler(RequestProblems, _on_problems)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(OperationalError, _on_database_down)
    app.add_exception_handler(Exception, _on_unexpected)


async def _on_problems(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ScenarioError | RequestProblems)
    return unprocessable(exc.problems)


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return unprocessable([_from_pydantic(error) for error in exc.errors()])


async def _on_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI could not read the body (e.g. bytes that are not UTF-8): as malformed
        # as invalid JSON, so the same 422.
        return unprocessable([Problem("", None, f"not valid JSON: {exc.__cause__}")])
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _on_database_down(request: Request, exc: Exception) -> JSONResponse:
    reason = str(exc).splitlines()[0]
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, reason)
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
    return JSONResponse({"detail": "database unavailable; retry"}, status_code=503, headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The server logs the traceback (Starlette re-raises after this answer is sent).
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
    request_id = current_request_id()  # this answer bypasses the request log's middleware
    headers = {REQUEST_ID_HEADER: request_id} if request_id else None
    return JSONResponse({"detail": "internal server error"}, status_code=500, headers=headers)


def _from_pydantic(error: Any) -> Problem:
    """FastAPI's location ("body", "options", "time_limit") as a JSON pointer into the body
    ("/options/time_limit"); query and header parameters keep their source
    ("/query/time_limit")."""
    loc = list(error.get("loc", ()))
    if loc and loc[0] == "body":
        loc = loc[1:]
    if error.get("type") == "json_invalid":
        return Problem("", None, f"not valid JSON: {error.get('ctx', {}).get('error', '')}")
    if error.get("type") == "string_unicode":
        return Problem(pointer(*loc), error.get("input"), SURROGATE_RULE)
    return Problem(pointer(*loc), error.get("input"), str(error.get("msg", "invalid")))


def _shown(value: Any) -> Any:
    """The offending value, unless it is large (e.g. the whole document) or not JSON."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return value if len(text) <= MAX_SHOWN_VALUE_CHARS else None
