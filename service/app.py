"""The FastAPI application: routers, error handlers, request logs, and what runs beside
the routes (database, job dispatcher, solver processes), started and stopped with the app.

    uvicorn --factory service.app:create_app     # or: magnets serve
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from . import store
from .database import Database
from .deps import KnownKeys, TenantDep
from .dispatcher import Dispatcher
from .errors import install_handlers
from .key_check import KeyCheck
from .limits import BodyLimit, BodyReadDeadline, shallow_body
from .logging_setup import RequestLog, bind, configure_logging, log_event
from .plan_cache import PlanCache
from .response_headers import ResponseHeaders, route_methods
from .routes import health, hedge, insight, jobs, pages, scenarios, solve
from .routes.pages_common import install as install_pages
from .settings import MiB, Settings, load_settings
from .solve_pool import SolvePool
from .solve_shares import SolveShares

LOCAL_TENANT = "local"  # owner of everything when the service runs without keys
FIRST_RETRY_S, LAST_RETRY_S = 0.5, 10.0  # waiting for the database at start-up
log = logging.getLogger("magnets.service")


async def _log_tenant(tenant: TenantDep) -> None:
    """The caller's tenant on the request's log lines (the key check itself is in deps)."""
    bind(tenant=tenant)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(
        title="magnets",
        summary="Least-cost sourcing plans for rare-earth permanent magnets",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(BodyReadDeadline, timeout_s=settings.body_read_timeout_s)
    routers = (
        health.router, solve.router, scenarios.router, jobs.router, insight.router, hedge.router
    )  # fmt: skip
    routes = route_methods(routers)
    # outside BodyLimit: a request without a valid key has nothing of its body read
    app.add_middleware(KeyCheck, routes=[pattern for pattern, _ in routes])
    page_routes = route_methods([pages.router])
    app.add_middleware(ResponseHeaders, routes=routes + page_routes, pages=pages.page_paths())
    app.add_middleware(RequestLog)  # outermost: it times and tags everything inside
    install_handlers(app)
    app.include_router(health.router)
    for router in (solve.router, scenarios.router, jobs.router, insight.router, hedge.router):
        app.include_router(router, dependencies=[Depends(_log_tenant), Depends(shallow_body)])
    app.include_router(pages.router)  # the web workspace at /
    install_pages(app)
    _key_as_security_scheme(app)
    return app


API_KEY_SCHEME = "ApiKey"
API_KEY = {
    "type": "apiKey",
    "in": "header",
    "name": "X-API-Key",
    "description": "A tenant's key (`magnets keys create`); no key or a bad one answers 401.",
}


def _key_as_security_scheme(app: FastAPI) -> None:
    """The OpenAPI schema states the `X-API-Key` header (which `TenantDep` reads as a
    plain header) as the API's security scheme, required by every operation that reads
    it, so that clients and the contract tests know it is a credential."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        first = app.openapi_schema is None
        schema = build()
        if first:
            for operations in schema["paths"].values():
                for operation in operations.values():
                    _key_parameter_to_security(operation)
            schema.setdefault("components", {})["securitySchemes"] = {API_KEY_SCHEME: API_KEY}
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _key_parameter_to_security(operation: dict[str, Any]) -> None:
    parameters = operation.get("parameters", [])
    kept = [p for p in parameters if not (p["in"] == "header" and p["name"].lower() == "x-api-key")]
    if len(kept) == len(parameters):
        return
    if kept:
        operation["parameters"] = kept
    else:
        del operation["parameters"]
    operation["security"] = [{API_KEY_SCHEME: []}]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    configure_logging(settings.log_level)  # here, after the server has set up its own loggers
    app.state.db = Database(settings.database_url)
    app.state.local_tenant = None
    app.state.dispatcher = Dispatcher(app.state.db, settings.workers, settings)
    app.state.solve_pool = SolvePool(
        settings.workers, settings.solver_memory_mb, settings.max_waiting_solves
    )
    app.state.plan_cache = PlanCache(settings.plan_cache_mb * MiB)
    app.state.solve_shares = SolveShares(settings.solve_share)
    app.state.known_keys = KnownKeys()
    app.state.storage_ready = False
    starting = asyncio.create_task(_start_storage_when_reachable(app))
    try:
        yield
    finally:
        starting.cancel()
        if app.state.storage_ready:
            app.state.dispatcher.stop()
        app.state.solve_pool.close()
        app.state.db.dispose()


async def _start_storage_when_reachable(app: FastAPI) -> None:
    """Tables, the local tenant and the job dispatcher, once the database answers. Until
    then the service is alive but not ready (`/readyz` 503, requests 503), as when it
    starts before its database does."""
    delay = FIRST_RETRY_S
    while True:
        try:
            await run_in_threadpool(_start_storage, app)
            return
        except SQLAlchemyError as exc:
            reason = str(exc).splitlines()[0]
            log_event(log, "database.unreachable", logging.WARNING, retry_in_s=delay, reason=reason)
        await asyncio.sleep(delay)
        delay = min(2 * delay, LAST_RETRY_S)


def _start_storage(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    db: Database = app.state.db
    db.create_tables()
    if not settings.auth:
        app.state.local_tenant = store.ensure_tenant(db, LOCAL_TENANT)
    app.state.dispatcher.start()
    app.state.storage_ready = True
    log_event(log, "service.ready", workers=settings.workers)
