"""The server's limits applied to a request: solver options and scenario size.

Request bodies over `max_body_bytes` answer 413, whether declared or streamed.

A time limit above the server's `max_time_limit` is refused (422) rather than quietly
lowered, so that a client never receives a `time_limit` plan it did not ask for.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import RequestProblems
from .settings import Settings
from .solving import Problem, SizeLimits, SolveOptions, pointer


def solve_options(
    settings: Settings, time_limit: float | None, mip_gap: float, where: str
) -> SolveOptions:
    """Options for one solve; `where` prefixes the pointer of a refused value
    ("/query" for query parameters, "/options" inside a job body)."""
    if time_limit is not None and time_limit > settings.max_time_limit:
        rule = f"time limit above this server's maximum of {settings.max_time_limit:g} s"
        raise RequestProblems([Problem(f"{where}/time_limit", time_limit, rule)])
    try:
        return SolveOptions(time_limit=time_limit or settings.time_limit, mip_gap=mip_gap)
    except ValidationError as exc:
        problems = [
            Problem(f"{where}/{e['loc'][0]}", e.get("input"), e["msg"]) for e in exc.errors()
        ]
        raise RequestProblems(problems) from None


def size_limits(settings: Settings) -> SizeLimits:
    return SizeLimits(
        suppliers_x_periods=settings.max_suppliers_x_periods,
        plants_x_periods=settings.max_plants_x_periods,
        demand_rows=settings.max_demand_rows,
        model_cells=settings.max_model_cells,
    )


# A scenario is 5 levels deep (/suppliers/0/offers/0/price), a job body 2 more, a sweep
# or frontier a few more again: 32 leaves room for every body the API takes while
# refusing a document so deep that handing it to a solver process would exhaust
# Python's recursion limit.
MAX_NESTING = 32


async def shallow_body(request: Request) -> None:
    """422 for a JSON body nested deeper than MAX_NESTING, before any route looks at it
    (the body is parsed once; FastAPI keeps the parsed value for the route)."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    if "json" not in request.headers.get("content-type", ""):
        return
    try:
        document = await request.json()
    except ValueError:
        return  # malformed JSON: the route's own reading answers it
    where = too_deep(document, MAX_NESTING)
    if where is not None:
        rule = f"nested deeper than {MAX_NESTING} levels (no body of this API needs more)"
        raise RequestProblems([Problem(where, None, rule)])


def too_deep(document: Any, limit: int) -> str | None:
    """The JSON pointer of the first container deeper than `limit`, or None."""
    stack: list[tuple[Any, int, tuple[Any, ...]]] = [(document, 0, ())]
    while stack:
        node, depth, path = stack.pop()
        if depth > limit:
            return "".join(pointer(part) for part in path)
        if isinstance(node, dict):
            stack.extend((v, depth + 1, (*path, k)) for k, v in node.items() if _nests(v))
        elif isinstance(node, list):
            stack.extend((v, depth + 1, (*path, i)) for i, v in enumerate(node) if _nests(v))
    return None


def _nests(value: Any) -> bool:
    return isinstance(value, dict | list)


TOO_LARGE = "Content Too Large"


class BodyLimit:
    """413 for a body over the cap: at once when Content-Length declares it, otherwise as
    soon as the bytes received pass the cap (the route's body read then fails with an
    HTTPException, answered by the service's error handler)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            response = JSONResponse({"detail": TOO_LARGE}, status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, TOO_LARGE)
            return message

        await self.app(scope, counted, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0  # the server rejects a malformed length itself
    return 0
