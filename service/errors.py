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
from starlette.exceptions import HTTPException

from .solving import Problem, ScenarioError, pointer

log = logging.getLogger("magnets.service")
MAX_SHOWN_VALUE_CHARS = 1000  # a rejected value larger than this is reported as null


class RequestProblems(Exception):
    """A request the service refuses with 422 and these problems (besides the scenario's)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def unprocessable(problems: Sequence[Problem]) -> JSONResponse:
    errors = [{**p.as_dict(), "value": _shown(p.value)} for p in problems]
    return JSONResponse({"errors": errors}, status_code=422)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ScenarioError, _on_problems)
    app.add_exception_handler(RequestProblems, _on_problems)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)


async def _on_problems(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ScenarioError | RequestProblems)
    return unprocessable(exc.problems)


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return unprocessable([_from_pydantic(error) for error in exc.errors()])


async def _on_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The server logs the traceback (Starlette re-raises after this answer is sent).
    log.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def _from_pydantic(error: Any) -> Problem:
    """FastAPI's location ("body", "options", "time_limit") as a JSON pointer into the body
    ("/options/time_limit"); query and header parameters keep their source
    ("/query/time_limit")."""
    loc = list(error.get("loc", ()))
    if loc and loc[0] == "body":
        loc = loc[1:]
    if error.get("type") == "json_invalid":
        return Problem("", None, f"not valid JSON: {error.get('ctx', {}).get('error', '')}")
    return Problem(pointer(*loc), error.get("input"), str(error.get("msg", "invalid")))


def _shown(value: Any) -> Any:
    """The offending value, unless it is large (e.g. the whole document) or not JSON."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return value if len(text) <= MAX_SHOWN_VALUE_CHARS else None
