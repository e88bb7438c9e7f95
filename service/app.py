"""The FastAPI application: routers, error handlers, and what runs beside the routes
(database, job dispatcher, solver processes), started and stopped with the app.

    uvicorn --factory service.app:create_app     # or: magnets serve
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import store
from .database import Database
from .dispatcher import Dispatcher
from .errors import install_handlers
from .limits import BodyLimit
from .routes import health, jobs, scenarios, solve
from .settings import Settings, load_settings
from .workers import SolvePool

LOCAL_TENANT = "local"  # owner of everything when the service runs without keys


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = FastAPI(
        title="magnets",
        summary="Least-cost sourcing plans for rare-earth permanent magnets",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    install_handlers(app)
    for router in (health.router, solve.router, scenarios.router, jobs.router):
        app.include_router(router)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    db = Database(settings.database_url)
    db.create_tables()
    app.state.db = db
    app.state.local_tenant = None if settings.auth else store.ensure_tenant(db, LOCAL_TENANT)
    app.state.dispatcher = Dispatcher(db, settings.workers)
    app.state.dispatcher.start()
    app.state.solve_pool = SolvePool(settings.workers)
    try:
        yield
    finally:
        app.state.dispatcher.stop()
        app.state.solve_pool.close()
        db.dispose()
