"""The server's limits applied to a request: solver options and scenario size.

Request bodies over `max_body_bytes` answer 413, whether declared or streamed; a body not
received within `body_read_timeout_s` of the request answers 408. Large JSON bodies are
parsed in a worker thread (`OffLoopRoute`), so the event loop keeps answering meanwhile.

A time limit above the server's `max_time_limit` is refused (422) rather than quietly
lowered, so that a client never receives a `time_limit` plan it did not ask for.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import weakref
from collections.abc import Callable, Coroutine
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
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
    if len(await request.body()) >= OFF_LOOP_BYTES:
        where = await off_loop(too_deep, document, MAX_NESTING)
    else:
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


TOO_SLOW = "request body not received in time"


class BodyReadDeadline:
    """408 when a request's body has not all arrived `timeout_s` after the request began:
    a client that sends headers and then trickles, or never finishes, the body holds its
    connection that long at most (the body read fails with an HTTPException, answered by
    the service's error handler; the server then closes the connection)."""

    def __init__(self, app: ASGIApp, timeout_s: float):
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.timeout_s
        done = False

        async def timed() -> Message:
            nonlocal done
            if done:  # the body is in: what follows is waiting for a disconnect
                return await receive()
            try:
                async with asyncio.timeout(deadline - time.monotonic()):
                    message = await receive()
            except TimeoutError:
                raise HTTPException(408, TOO_SLOW, headers={"Connection": "close"}) from None
            done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed, send)


# JSON bodies at least this large are parsed in a worker thread: below it, parsing costs
# less than handing the work to a thread (a 256 KiB scenario parses in about 2 ms).
OFF_LOOP_BYTES = 256 * 1024
# The outer two levels of a large body (a job's scenarios, a scenario's rows) are walked in Python and only the values below them
# handed to the C parser whole: the C parser holds the GIL for all of its input, so a
# worker thread parsing 8 MB in one call would stall the event loop just the same.
# Between two values the GIL passes to the event loop at Python's switch interval (5 ms).
WALKED_LEVELS = 2
_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


class _NotWalked(Exception):
    """Anything unusual: the body is parsed by `json.loads` instead, for its exact value
    or its exact error."""


def parse_json(body: bytes) -> Any:
    """`json.loads(body)`: the same value, or the same JSONDecodeError."""
    try:
        text = body.decode(json.detect_encoding(body), "surrogatepass")
        value, end = _value(text, _WHITESPACE.match(text, 0).end(), WALKED_LEVELS)  # type: ignore[union-attr]
        if _WHITESPACE.match(text, end).end() != len(text):  # type: ignore[union-attr]
            raise _NotWalked
        return value
    except (_NotWalked, ValueError, IndexError, StopIteration, UnicodeDecodeError):
        return json.loads(body)


def _value(text: str, i: int, levels: int) -> tuple[Any, int]:
    if levels > 0 and text[i] == "{":
        return _object(text, i, levels - 1)
    if levels > 0 and text[i] == "[":
        return _array(text, i, levels - 1)
    value, end = _DECODER.scan_once(text, i)  # type: ignore[attr-defined]  # StopIteration if malformed
    return value, end


def _skip(text: str, i: int) -> int:
    return _WHITESPACE.match(text, i).end()  # type: ignore[union-attr]


def _object(text: str, i: int, levels: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i] == "}":
        return result, i + 1
    while True:
        if text[i] != '"':
            raise _NotWalked
        key, i = scanstring(text, i + 1)
        i = _skip(text, i)
        if text[i] != ":":
            raise _NotWalked
        result[key], i = _value(text, _skip(text, i + 1), levels)
        i = _skip(text, i)
        if text[i] == "}":
            return result, i + 1
        if text[i] != ",":
            raise _NotWalked
        i = _skip(text, i + 1)


def _array(text: str, i: int, levels: int) -> tuple[list[Any], int]:
    result: list[Any] = []
    i = _skip(text, i + 1)
    if text[i] == "]":
        return result, i + 1
    while True:
        value, i = _value(text, i, levels)
        result.append(value)
        i = _skip(text, i)
        if text[i] == "]":
            return result, i + 1
        if text[i] != ",":
            raise _NotWalked
        i = _skip(text, i + 1)


# Large bodies are read in a worker thread, one at a time per event loop: parsing holds
# the GIL for most of its run, so several at once left the loop a small share of it
# (three 8 MB bodies posted together held a health check 0.75 s, about 2.6 parses; one
# at a time, 0.44 s, most of it the job's fields checked on the loop).
_one_large_body: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


async def off_loop(work: Callable[..., Any], *args: Any) -> Any:
    """`work(*args)` in a worker thread, after any other large body's work has ended."""
    loop = asyncio.get_running_loop()
    turn = _one_large_body.setdefault(loop, asyncio.Semaphore(1))
    async with turn:
        return await run_in_threadpool(work, *args)


class OffLoopRequest(Request):
    """A request whose JSON body, when large, is parsed in a worker thread."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            if len(body) >= OFF_LOOP_BYTES:
                self._json = await off_loop(parse_json, body)
            else:
                self._json = json.loads(body)
        return self._json


class OffLoopRoute(APIRoute):
    """A route whose handler (FastAPI's body reading, dependencies, endpoint) sees an
    `OffLoopRequest`: the body is read and answered exactly as before, only parsed in a
    worker thread when large."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            return await handler(OffLoopRequest(request.scope, request.receive))

        return handle
