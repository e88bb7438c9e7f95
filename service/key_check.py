"""The API key is checked before a byte of the body is read.

FastAPI reads and parses a request's body before it runs any dependency, so a key check
written as a dependency lets anyone without a key make the server read and parse
megabytes. This middleware answers 401 first, for every `/v1/` path, and leaves the
tenant it found in the request's state for the `TenantDep` dependency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from . import queries
from .errors import DATABASE_RETRY_AFTER_S

GUARDED = "/v1/"


class KeyCheck:
    """`routes`: the path patterns of the app's routes; a `/v1/` path none of them
    matches is left to answer its 404."""

    def __init__(self, app: ASGIApp, routes: Sequence[re.Pattern[str]]):
        self.app = app
        self.routes = [r for r in routes if r.pattern.startswith("^" + GUARDED)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        guarded = scope["type"] == "http" and scope["path"].startswith(GUARDED)
        if not guarded or not any(r.match(scope["path"]) for r in self.routes):
            await self.app(scope, receive, send)
            return
        try:
            tenant = await tenant_of(scope["app"].state, _header(scope, b"x-api-key"))
        except HTTPException as exc:
            body = {"detail": exc.detail}
            await JSONResponse(body, exc.status_code, headers=exc.headers)(scope, receive, send)
            return
        except OperationalError:
            headers = {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
            body = {"detail": "database unavailable; retry"}
            await JSONResponse(body, 503, headers=headers)(scope, receive, send)
            return
        scope.setdefault("state", {})["tenant"] = tenant
        await self.app(scope, receive, send)


async def tenant_of(state: Any, key: str | None) -> int:
    """The key's tenant id; 401 without a valid key (unless the service runs --no-auth,
    where everything belongs to the tenant `local`). Valid keys are remembered for a
    while (`KnownKeys`), so most requests skip the database."""
    if not state.settings.auth:
        if state.local_tenant is None:  # the database has not answered yet
            retry = {"Retry-After": str(DATABASE_RETRY_AFTER_S)}
            raise HTTPException(503, "starting: the database is not ready yet", headers=retry)
        return int(state.local_tenant)
    if not key:
        raise _unauthorized("missing API key: send it in the X-API-Key header")
    tenant = state.known_keys.tenant(key)
    if tenant is None:
        tenant = await run_in_threadpool(queries.tenant_for_key, state.db, key)
        if tenant is None:
            raise _unauthorized("invalid API key")
        state.known_keys.remember(key, tenant)
    return int(tenant)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "X-API-Key"})
