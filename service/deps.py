"""Route dependencies, each an `Annotated` alias: settings, database, solver pools, the
plan cache, tenant."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from . import queries
from .database import Database
from .dispatcher import Dispatcher
from .keys import key_hash
from .plan_cache import PlanCache
from .settings import Settings
from .workers import SolvePool

KEY_TTL_S = 60.0


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


async def _solve_pool(request: Request) -> SolvePool:
    pool: SolvePool = request.app.state.solve_pool
    return pool


async def _plan_cache(request: Request) -> PlanCache:
    cache: PlanCache = request.app.state.plan_cache
    return cache


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
DispatcherDep = Annotated[Dispatcher, Depends(_dispatcher)]
SolvePoolDep = Annotated[SolvePool, Depends(_solve_pool)]
PlanCacheDep = Annotated[PlanCache, Depends(_plan_cache)]


class KnownKeys:
    """Keys found valid in the last `KEY_TTL_S` seconds, by hash, with their tenant: most
    requests then skip the database (and the worker thread a lookup needs). Only valid
    keys are kept, so a key minted a moment ago works at once; a key deleted from the
    database stops working within KEY_TTL_S."""

    def __init__(self, ttl_s: float = KEY_TTL_S, max_keys: int = 10_000):
        self._ttl_s = ttl_s
        self._max_keys = max_keys
        self._tenants: dict[str, tuple[int, float]] = {}  # key hash -> (tenant, valid until)

    def tenant(self, key: str) -> int | None:
        found = self._tenants.get(key_hash(key))
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def remember(self, key: str, tenant: int) -> None:
        if len(self._tenants) >= self._max_keys:
            self._tenants.clear()  # a flood of distinct keys: start again, stay bounded
        self._tenants[key_hash(key)] = (tenant, time.monotonic() + self._ttl_s)


async def _tenant(
    request: Request,
    settings: SettingsDep,
    db: DatabaseDep,
    x_api_key: Annotated[str | None, Header(description="API key (magnets keys create)")] = None,
) -> int:
    """The caller's tenant id; 401 without a valid key (unless the service runs --no-auth,
    where everything belongs to the tenant `local`)."""
    if not settings.auth:
        local: int = request.app.state.local_tenant
        return local
    if not x_api_key:
        raise _unauthorized("missing API key: send it in the X-API-Key header")
    known: KnownKeys = request.app.state.known_keys
    tenant = known.tenant(x_api_key)
    if tenant is None:
        tenant = await run_in_threadpool(queries.tenant_for_key, db, x_api_key)
        if tenant is None:
            raise _unauthorized("invalid API key")
        known.remember(x_api_key, tenant)
    return tenant


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "X-API-Key"})


TenantDep = Annotated[int, Depends(_tenant)]
