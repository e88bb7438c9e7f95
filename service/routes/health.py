"""Liveness and readiness; no key needed."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..deps import DatabaseDep, DispatcherDep
from ..schemas import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> Health:
    """200 while the process answers."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "The database or the dispatcher is down."}},
)
def readyz(db: DatabaseDep, dispatcher: DispatcherDep) -> JSONResponse:
    """200 when the database answers and the job dispatcher runs; 503 otherwise."""
    checks = {"database": db.ping(), "dispatcher": dispatcher.alive()}
    ready = all(checks.values())
    body = Readiness(status="ready" if ready else "not ready", **checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
