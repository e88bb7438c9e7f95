"""Route dependencies, each an `Annotated` alias: settings, database, solver pools, the
plan cache, tenant."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Header, Request

from .database import Database
from .dispatcher import Dispatcher
from .key_check import tenant_of
from .keys import key_hash
from .plan_cache import PlanCache
from .settings import Settings
from .solve_pool import SolvePool
from .solve_shares import SolveShares

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


async def _solve_shares(request: Request) -> SolveShares:
    shares: SolveShares = request.app.state.solve_shares
    return shares


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
DispatcherDep = Annotated[Dispatcher, Depends(_dispatcher)]
SolvePoolDep = Annotated[SolvePool, Depends(_solve_pool)]
PlanCacheDep = Annotated[PlanCache, Depends(_plan_cache)]
SolveSharesDep = Annotated[SolveShares, Depends(_solve_shares)]


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
    x_api_key: Annotated[str | None, Header(description="API key (magnets keys create)")] = None,
) -> int:
    """The caller's tenant id, found by `KeyCheck` before the body was read (401 without
    a valid key). The header is declared here so that the API's schema shows it."""
    tenant = getattr(request.state, "tenant", None)
    if tenant is None:  # a route outside /v1/: check here
        tenant = await tenant_of(request.app.state, x_api_key)
    return int(tenant)


TenantDep = Annotated[int, Depends(_tenant)]
