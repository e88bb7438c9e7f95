"""Route dependencies, each an `Annotated` alias: settings, database, solver pools, tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from . import queries
from .database import Database
from .dispatcher import Dispatcher
from .settings import Settings
from .workers import SolvePool


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


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
DispatcherDep = Annotated[Dispatcher, Depends(_dispatcher)]
SolvePoolDep = Annotated[SolvePool, Depends(_solve_pool)]


def _tenant(
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
    tenant = queries.tenant_for_key(db, x_api_key)
    if tenant is None:
        raise _unauthorized("invalid API key")
    return tenant


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "X-API-Key"})


TenantDep = Annotated[int, Depends(_tenant)]
